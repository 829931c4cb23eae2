"""Signatures and the documents they sign: the signing copy both parties sign, the sealed executed DPA, and the
sealed public copy of it that the district posts."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class PublicScope:
    """What a public copy holds besides the agreement, Exhibit A and the rest of Exhibit B: Exhibit C and C.1 or not,
    and which parts of Exhibit B the district withholds (121.3(e)). Stored as `key` with each public copy."""

    exhibit_c: bool
    withheld: frozenset[str] = frozenset()

    @classmethod
    def of(cls, agreement) -> "PublicScope":
        """What the district posts now. Reads `agreement.agency` and `agreement.redactions.all()`, so a caller that
        select_related the agency and prefetched the redactions makes no query."""
        return cls(
            exhibit_c=agreement.agency.post_exhibit_c,
            withheld=frozenset(r.field for r in agreement.redactions.all()),
        )

    @classmethod
    def make(cls, *, exhibit_c: bool, withheld: Iterable[str] = ()) -> "PublicScope":
        return cls(exhibit_c=bool(exhibit_c), withheld=frozenset(withheld))

    @property
    def key(self) -> str:
        """E.g. "exhibit-c=no withheld=purposes,storage": one string, the same for the same scope."""
        return f"exhibit-c={'yes' if self.exhibit_c else 'no'} withheld={','.join(sorted(self.withheld))}"


class AgreementDocument(models.Model):
    """A rendered PDF of an agreement, stored as bytes with their SHA-256. Never re-rendered once stored.

    The public copy is derived from the executed DPA for the public (DESIGN, "What is public"): the agreement, Exhibit
    A and Exhibit B with the signers' names, titles and dates, without the audit trail, without the parts of Exhibit B
    the district withholds, and without Exhibit C unless the district posts it. There is one per scope that the
    agreement's posting has had; the one whose scope is the district's current choice is the one served.
    """

    class Kind(models.TextChoices):
        SIGNING_COPY = "signing_copy", "Copy for signing"
        EXECUTED = "executed", "Executed DPA (sealed)"
        PUBLIC_COPY = "public_copy", "Public copy (sealed)"
        # The sealed record of an early termination (issue 11, point 2), for the parties: the executed DPA never
        # changes, so what ended it is sealed beside it.
        TERMINATION_RECORD = "termination_record", "Record of early termination (sealed)"
        # An agreement signed outside the portal (issue 12): the PDF the district uploaded, stored byte for byte with
        # its SHA-256 and never sealed by the portal; /verify/ names it as the copy uploaded on its date.
        UPLOADED = "uploaded", "Signed copy as uploaded (not sealed by the portal)"

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    document_id = models.CharField(max_length=40, unique=True, help_text="Printed on every page and in the seal.")
    created_at = models.DateTimeField(auto_now_add=True)
    # A public copy's PublicScope.key; "" for the other kinds.
    public_scope = models.CharField(max_length=200, blank=True, default="")
    # A public copy's source: the HTML rendered when its agreement's first public copy was, with every part a scope
    # may leave out marked (agreements/documents/public_copy.py), zlib-compressed. Another scope's copy is made from
    # it, so every public copy shows the agreement as it was executed, whatever changed in the district since.
    public_source = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["agreement", "created_at"]
        constraints = [
            # One signing copy and one executed document per agreement: an executed DPA never changes. One public
            # copy per scope: a scope that comes back is served by the copy made for it before.
            models.UniqueConstraint(
                fields=["agreement", "kind", "public_scope"], name="agreement_document_one_per_kind_scope"
            ),
            models.CheckConstraint(
                condition=Q(kind="public_copy", public_scope__startswith="exhibit-c=")
                | (~Q(kind="public_copy") & Q(public_scope="")),
                name="agreement_document_public_scope",
            ),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="agreement_document_sha256"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of agreement {self.agreement_id} ({self.document_id})"

    @property
    def filename(self) -> str:
        suffix = {
            self.Kind.EXECUTED: "executed",
            self.Kind.PUBLIC_COPY: "public-copy",
            self.Kind.TERMINATION_RECORD: "termination-record",
            self.Kind.UPLOADED: "uploaded",
        }.get(self.kind, "for-signing")
        return f"dpa-{self.agreement.agency.slug}-{self.agreement.contractor.slug}-{self.document_id}-{suffix}.pdf"


class Signature(models.Model):
    """One party's electronic signature, with the evidence a lawyer would ask for."""

    class Side(models.TextChoices):
        VENDOR = "vendor", "Contractor"
        DISTRICT = "district", "Educational Agency"

    class Method(models.TextChoices):
        TYPED = "typed", "Typed name"
        DRAWN = "drawn", "Typed name and drawn signature"

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.PROTECT, related_name="signatures")
    side = models.CharField(max_length=10, choices=Side.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    signer_email = models.EmailField()
    organisation = models.CharField(max_length=200)
    role = models.CharField(max_length=20)
    typed_name = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    method = models.CharField(max_length=10, choices=Method.choices)
    drawn_image = models.BinaryField(null=True, blank=True)
    consent_version = models.PositiveSmallIntegerField()
    mfa_confirmed = models.BooleanField(default=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    document = models.ForeignKey(AgreementDocument, on_delete=models.PROTECT, related_name="signatures")
    document_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement", "signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "side"], name="signature_one_per_side"),
            models.CheckConstraint(condition=~Q(typed_name=""), name="signature_typed_name"),
            models.CheckConstraint(
                condition=Q(method="typed", drawn_image__isnull=True) | Q(method="drawn", drawn_image__isnull=False),
                name="signature_method_matches_image",
            ),
        ]

    def __str__(self):
        return f"{self.typed_name} for {self.organisation} ({self.get_side_display()})"
