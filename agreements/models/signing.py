"""Signatures and the documents they sign: the signing copy both parties sign, then the sealed executed DPA."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class AgreementDocument(models.Model):
    """A rendered PDF of an agreement, stored as bytes with their SHA-256. Never re-rendered once stored."""

    class Kind(models.TextChoices):
        SIGNING_COPY = "signing_copy", "Copy for signing"
        EXECUTED = "executed", "Executed DPA (sealed)"

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    document_id = models.CharField(max_length=40, unique=True, help_text="Printed on every page and in the seal.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement", "created_at"]
        constraints = [
            # One signing copy and one executed document per agreement: an executed DPA never changes.
            models.UniqueConstraint(fields=["agreement", "kind"], name="agreement_document_one_per_kind"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="agreement_document_sha256"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of agreement {self.agreement_id} ({self.document_id})"

    @property
    def filename(self) -> str:
        suffix = "executed" if self.kind == self.Kind.EXECUTED else "for-signing"
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
