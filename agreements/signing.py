"""Signing and execution (DPA Article IV.2): both parties sign the same document, then the portal seals it.

The vendor's admin signs first, then a district admin countersigns. Each signs the SHA-256 of the signing copy, a
PDF rendered once on approval; the executed DPA adds the signatures and an audit trail and is sealed with the
portal's certificate (PAdES). An executed document is stored once and never rendered again.

The public copy (agreements/documents/public_copy.py) is made with it and sealed the same way: the agreement,
Exhibits A and B and the signers' names, titles and dates, for the public pages. It is derived data: when the
district changes what it posts (a part of Exhibit B withheld or shown again, Exhibit C posted or not), a copy for the
new choice is made from the source stored with the first one, and the earlier copies stay verifiable.
"""

import hashlib
import io
import logging
import secrets
import zlib
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts import mfa
from dpa_portal.errors import FORBIDDEN, STATE, ApplicationError

from . import access
from .consent import CURRENT_CONSENT_VERSION
from .mail import email_enqueue
from .models import Agreement, AgreementDocument, PublicScope, Signature, statuses
from .services import (
    agreement_supersede_predecessor,
    agreement_transition,
    district_recipients,
    vendor_recipients,
)

logger = logging.getLogger(__name__)
S = Agreement.Status
MAX_DRAWING_BYTES = 300_000
# The documents sweep makes at most this many public copies per run (a district that starts posting Exhibit C makes
# all of its copies due at once); the next runs take the rest.
PUBLIC_COPIES_PER_SWEEP = 100
PUBLIC_COPY_REASON = "Public copy of an executed Data Privacy Agreement"


def document_id_new() -> str:
    """A short, unambiguous identifier printed on every page and embedded in the seal, e.g. DPA-7K2M9QX4TB."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "DPA-" + "".join(secrets.choice(alphabet) for _ in range(10))


def _document_make(agreement, kind, make, *, unique: dict | None = None, **fields) -> AgreementDocument:
    """Make a new document under a new id (`make(document_id)` renders its PDF, and seals it if it is to be sealed)
    and store it once: when another worker stored it first (one per kind, or per `unique` fields), that one."""
    document_id = document_id_new()
    pdf = make(document_id)
    try:
        with transaction.atomic():
            return AgreementDocument.objects.create(
                agreement=agreement,
                kind=kind,
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
                document_id=document_id,
                **fields,
            )
    except IntegrityError:  # another worker stored it first
        return AgreementDocument.objects.get(agreement=agreement, kind=kind, **(unique or {}))


def signing_copy_prepare(*, agreement_id: int) -> AgreementDocument | None:
    """Render the copy both parties sign, once. Safe to run twice: the second run finds it and does nothing."""
    from .documents.render import render_dpa_pdf

    agreement = Agreement.objects.select_related("agency", "contractor", "framework").get(pk=agreement_id)
    existing = AgreementDocument.objects.filter(agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY).first()
    if existing or agreement.status not in statuses.SIGNING:
        return existing
    return _document_make(
        agreement, AgreementDocument.Kind.SIGNING_COPY, lambda i: render_dpa_pdf(agreement, document_id=i)
    )


def signing_copy_schedule(agreement: Agreement) -> None:
    """Render the signing copy in a worker once the approval commits.

    Robust: a broker that is down must not fail the approval that committed (Django logs the error), and
    `documents_due` finds the missing copy for the sweep.
    """
    from .tasks import prepare_signing_copy

    transaction.on_commit(lambda: prepare_signing_copy.delay(agreement.pk), robust=True)


@dataclass(frozen=True)
class SignatureRequest:
    """What a signer submits: everything the signature record needs besides who and where from."""

    typed_name: str
    title: str
    consent_version: int
    otp_code: str
    document_sha256: str
    drawing_png: bytes | None = None


def signing_side(agreement: Agreement, user) -> str | None:
    """Which side the user may sign for now: "vendor" (an admin, once approved), "district" (an admin, once the
    vendor has signed), or None."""
    if agreement.status == S.APPROVED and access.is_vendor_staff(user, agreement.contractor_id, access.VENDOR_ADMIN):
        return Signature.Side.VENDOR
    if agreement.status == S.VENDOR_SIGNED and access.is_district_staff(
        user, agreement.agency_id, access.DISTRICT_ADMIN
    ):
        return Signature.Side.DISTRICT
    return None


def _otp_valid(user, code: str) -> bool:
    """A current code from the signer's authenticator app, or one of their unused recovery codes (used up)."""
    code = (code or "").strip().replace(" ", "")
    if not code:
        return False
    authenticators = {a.type: a for a in Authenticator.objects.filter(user=user)}
    totp = authenticators.get(Authenticator.Type.TOTP)
    if totp and mfa.code_valid(totp, code):
        return True
    recovery = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    return bool(totp and recovery and mfa.code_valid(recovery, code))


def _clean_drawing(png: bytes | None) -> bytes | None:
    """A drawn signature as a plain PNG re-encoded by Pillow, or None; anything else is refused."""
    if not png:
        return None
    if len(png) > MAX_DRAWING_BYTES:
        raise ApplicationError("The drawn signature is too large; clear it and draw it again.")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG" or image.width > 2000 or image.height > 1000:
                raise ApplicationError("The drawn signature could not be read; clear it and draw it again.")
            out = io.BytesIO()
            image.convert("RGBA").save(out, format="PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        raise ApplicationError("The drawn signature could not be read; clear it and draw it again.") from None


def agreement_sign(*, agreement: Agreement, user, request: SignatureRequest, ip: str | None, user_agent: str):
    """Record one party's signature and move the agreement on; the district's countersignature starts execution."""
    side = signing_side(agreement, user)
    if side is None:
        raise ApplicationError("You cannot sign this agreement now.", code=FORBIDDEN)
    if not (request.typed_name.strip() and request.title.strip()):
        raise ApplicationError("Type your full name and your title.")
    if request.consent_version != CURRENT_CONSENT_VERSION:
        raise ApplicationError(
            "The consent text has changed since you opened the page; read it again and sign.", code=STATE
        )
    if not _otp_valid(user, request.otp_code):
        raise ApplicationError("The code from your authenticator app is not correct (or was used already).")
    drawing = _clean_drawing(request.drawing_png)
    with transaction.atomic():
        document = AgreementDocument.objects.filter(
            agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY
        ).first()
        if document is None:
            raise ApplicationError("The document is still being prepared; try again in a moment.", code=STATE)
        if document.sha256 != request.document_sha256:
            raise ApplicationError(
                "The document you reviewed is not the current one; review it again and sign.", code=STATE
            )
        organisation = agreement.contractor if side == Signature.Side.VENDOR else agreement.agency
        signature = Signature.objects.create(
            agreement=agreement,
            side=side,
            signer=user,
            signer_email=user.email,
            organisation=str(organisation),
            role="admin",
            typed_name=request.typed_name.strip(),
            title=request.title.strip(),
            method=Signature.Method.DRAWN if drawing else Signature.Method.TYPED,
            drawn_image=drawing,
            consent_version=request.consent_version,
            mfa_confirmed=True,
            ip_address=ip,
            user_agent=(user_agent or "")[:500],
            document=document,
            document_sha256=document.sha256,
            signed_at=timezone.now(),
        )
        if side == Signature.Side.VENDOR:
            agreement_transition(agreement=agreement, to_status=S.VENDOR_SIGNED, actor=user, note="Signed by vendor.")
            email_enqueue(
                to=district_recipients(agreement, roles=access.DISTRICT_ADMIN),
                template="vendor_signed",
                context={"agreement": agreement},
                agreement=agreement,
            )
        else:
            from .tasks import execute_agreement

            # Robust: the committed signatures are the record; if the broker is down, `documents_due` finds the
            # agreement for the sweep to seal.
            transaction.on_commit(lambda: execute_agreement.delay(agreement.pk), robust=True)
    return signature


def agreement_execute(*, agreement_id: int) -> AgreementDocument | None:
    """Render the signed DPA with its audit trail, seal it and store it; then the agreement is executed.

    Idempotent: a second run (a retry, a duplicate task) finds the stored document and only completes the status.
    """
    from .documents.render import AuditEvent, render_dpa_pdf
    from .documents.seal import seal_pdf

    agreement = Agreement.objects.select_related("agency", "contractor", "framework").get(pk=agreement_id)
    executed = AgreementDocument.objects.filter(agreement=agreement, kind=AgreementDocument.Kind.EXECUTED).first()
    signatures = list(agreement.signatures.select_related("document").order_by("signed_at"))
    if executed is None:
        if {s.side for s in signatures} != {Signature.Side.VENDOR, Signature.Side.DISTRICT}:
            return None
        signing_copy = signatures[0].document
        blocks = _signature_blocks(signatures, images=True)
        audit = [
            AuditEvent(at=c.created_at, actor=str(c.actor or "DPA Portal"), description=_describe(c))
            for c in agreement.status_changes.select_related("actor")
        ] + [
            AuditEvent(
                at=s.signed_at,
                actor=f"{s.typed_name} <{s.signer_email}>",
                description=f"Signed for {s.organisation} ({s.get_method_display().lower()}, consent version "
                f"{s.consent_version}, confirmed with an authenticator code) from {s.ip_address or 'unknown'}; "
                f"signed document SHA-256 {s.document_sha256}",
            )
            for s in signatures
        ]
        audit.sort(key=lambda e: e.at)
        audit.append(
            AuditEvent(
                at=timezone.now(),
                actor="DPA Portal",
                description=(
                    f"Executed: both signatures apply to the copy {signing_copy.document_id} "
                    f"(SHA-256 {signing_copy.sha256}); this document adds them and is sealed by the portal."
                ),
            )
        )
        executed = _document_make(
            agreement,
            AgreementDocument.Kind.EXECUTED,
            lambda i: seal_pdf(render_dpa_pdf(agreement, signatures=blocks, audit=audit, document_id=i), document_id=i),
        )
    with transaction.atomic():
        agreement.refresh_from_db()
        if agreement.status == S.VENDOR_SIGNED:
            agreement_transition(agreement=agreement, to_status=S.EXECUTED, note=f"Sealed as {executed.document_id}.")
            Agreement.objects.filter(pk=agreement.pk).update(public_copy_due=True)
            # An amendment or renewal supersedes the agreement it follows, in this transaction (issue 11, point 3).
            agreement_supersede_predecessor(agreement=agreement)
            email_enqueue(
                to=vendor_recipients(agreement) + district_recipients(agreement),
                template="executed",
                context={"agreement": agreement, "document": executed},
                agreement=agreement,
            )
    if agreement.status in statuses.POSTED:
        # The public copy is derived data: if it cannot be made now, the execution still stands and the documents
        # sweep makes it later (public_copy_due stays set).
        try:
            public_copy_prepare(agreement_id=agreement.pk)
        except Exception:
            logger.exception("The public copy of agreement %s could not be made; the sweep tries again", agreement.pk)
    return executed


def _signature_blocks(signatures, *, images: bool):
    from .documents.render import SignatureBlock

    return [
        SignatureBlock(
            side=s.side,
            organisation=s.organisation,
            name=s.typed_name,
            title=s.title,
            signed_at=s.signed_at,
            method=s.get_method_display(),
            image_png=bytes(s.drawn_image) if images and s.drawn_image else None,
            document_sha256=s.document_sha256,
        )
        for s in signatures
    ]


def _describe(change) -> str:
    if not change.from_status:
        return f"Agreement created ({change.get_to_status_display().lower()})."
    text = f"{change.get_from_status_display()} to {change.get_to_status_display().lower()}."
    return f"{text} {change.note}".strip()


def documents_due() -> tuple[list[int], list[int]]:
    """Agreements whose document work was lost (a broker outage, a failed task): (need a signing copy, need sealing).

    Not those whose render is running, waiting out a backoff, or given up (render_jobs.blocked): a render that times
    out is tried a bounded number of times, never queued for ever (issue 10). Two queries, whatever the number of
    agreements.
    """
    from .render_jobs import blocked

    copy, executed = AgreementDocument.Kind.SIGNING_COPY, AgreementDocument.Kind.EXECUTED
    # Correlated probes of the documents' and jobs' unique indexes for the few agreements in signing, never a list of
    # every document or job of the kind (issue 13).
    has = lambda kind: Exists(AgreementDocument.objects.filter(agreement=OuterRef("pk"), kind=kind))  # noqa: E731
    district_signed = Exists(Signature.objects.filter(agreement=OuterRef("pk"), side=Signature.Side.DISTRICT))
    need_copy = Agreement.objects.filter(status__in=statuses.SIGNING).filter(~has(copy), ~blocked(copy))
    signed = Agreement.objects.filter(status=S.VENDOR_SIGNED).filter(district_signed)
    need_seal = signed.filter(~has(executed), ~blocked(executed))
    return list(need_copy.values_list("pk", flat=True)), list(need_seal.values_list("pk", flat=True))


# --- the public copy ----------------------------------------------------------------------------------------------


def public_copy_current(agreement: Agreement) -> AgreementDocument | None:
    """The public copy of what the district posts now, without its bytes; None while it is still to be made.

    Reads `agreement.agency` and its redactions (prefetched or not) and one more row."""
    if agreement.status not in statuses.POSTED:
        return None
    scope = PublicScope.of(agreement).key
    copies = AgreementDocument.objects.defer("pdf", "public_source")
    return copies.filter(agreement=agreement, kind=AgreementDocument.Kind.PUBLIC_COPY, public_scope=scope).first()


def public_copy_prepare(*, agreement_id: int) -> AgreementDocument | None:
    """Make, seal and store the public copy of what the district posts now, unless it exists; then it is no longer
    due. Safe to run twice or at once: one copy per scope (a constraint), and the flag is cleared only while the
    scope is still the one the copy was made for."""
    agreement = (
        Agreement.objects.select_related("agency", "contractor").prefetch_related("redactions").get(pk=agreement_id)
    )
    scope = PublicScope.of(agreement)
    executed = AgreementDocument.objects.defer("pdf").filter(agreement=agreement, kind=AgreementDocument.Kind.EXECUTED)
    executed = executed.first()
    copy = None
    # Only a posted agreement sealed by the portal has one (an agreement signed elsewhere has no source to show).
    if agreement.status in statuses.POSTED and executed is not None:
        copy = public_copy_current(agreement) or _public_copy_make(agreement, scope, executed)
    with transaction.atomic():
        locked = Agreement.objects.select_for_update(of=("self",)).select_related("agency").get(pk=agreement_id)
        if copy is None or PublicScope.of(locked) == scope:
            Agreement.objects.filter(pk=agreement_id).update(public_copy_due=False)
    return copy


def _public_copy_make(agreement, scope: PublicScope, executed: AgreementDocument) -> AgreementDocument:
    from .documents.public_copy import public_copy_pdf, render_source
    from .documents.seal import seal_pdf

    kind = AgreementDocument.Kind.PUBLIC_COPY
    stored = (
        AgreementDocument.objects.filter(agreement=agreement, kind=kind, public_source__isnull=False)
        .order_by("created_at")
        .values_list("public_source", flat=True)
        .first()
    )
    if stored is not None:
        source = zlib.decompress(bytes(stored)).decode()
    else:
        signatures = agreement.signatures.order_by("signed_at")
        blocks = _signature_blocks(signatures, images=False)
        source = render_source(agreement, signatures=blocks, executed_document_id=executed.document_id)

    def make(document_id: str) -> bytes:
        pdf = public_copy_pdf(source, exhibit_c=scope.exhibit_c, withheld=scope.withheld, document_id=document_id)
        return seal_pdf(pdf, document_id=document_id, reason=PUBLIC_COPY_REASON)

    return _document_make(
        agreement,
        kind,
        make,
        unique={"public_scope": scope.key},
        public_scope=scope.key,
        public_source=zlib.compress(source.encode(), 9),
    )


def public_copies_schedule(agreements) -> int:
    """The district changed what it posts for these agreements (a queryset): make their public copies again, in a
    worker once the change commits, and let the documents sweep find them if that is lost. Returns how many."""
    from .tasks import prepare_public_copy

    # Not those signed outside the portal (issue 12): it sealed nothing of theirs to make a public copy from.
    posted = agreements.filter(status__in=statuses.POSTED, outside_signing__isnull=True)
    due = list(posted.values_list("pk", flat=True))
    if due:
        Agreement.objects.filter(pk__in=due).update(public_copy_due=True)
    for pk in due:
        transaction.on_commit(lambda pk=pk: prepare_public_copy.delay(pk), robust=True)
    return len(due)


def public_copies_due(limit: int = PUBLIC_COPIES_PER_SWEEP) -> list[int]:
    """Agreements whose public copy is still to be made (for the documents sweep): one query on a partial index.

    Not those whose render is running, waiting out a backoff or given up (render_jobs.blocked), so that the limit
    counts only those the sweep will queue."""
    from .render_jobs import blocked

    due = Agreement.objects.filter(public_copy_due=True, outside_signing__isnull=True)
    due = due.filter(~blocked(AgreementDocument.Kind.PUBLIC_COPY))
    return list(due.order_by("pk").values_list("pk", flat=True)[:limit])


# --- the sealed record of an early termination (issue 11, point 2) ------------------------------------------------

TERMINATION_RECORD_REASON = "Record of the early termination of a Data Privacy Agreement"


def termination_record_schedule(agreement: Agreement) -> None:
    """Seal the record of the agreement's early termination in a worker once the termination commits (called through
    agreements.services). Robust: a broker that is down must not fail the termination; `termination_records_due`
    finds the missing record for the documents sweep."""
    from .tasks import prepare_termination_record

    transaction.on_commit(lambda: prepare_termination_record.delay(agreement.pk), robust=True)


def termination_record_prepare(*, agreement_id: int) -> AgreementDocument | None:
    """Render, seal and store the record of the agreement's early termination, once: the executed DPA (its document
    id and SHA-256), the effective date, basis and reason, who recorded it (name and role, no e-mail) and the duties
    it opened. Safe to run twice: the second run finds the record and does nothing. None without a termination."""
    from .documents.seal import seal_pdf
    from .documents.termination import termination_record_pdf
    from .models import Termination

    kind = AgreementDocument.Kind.TERMINATION_RECORD
    existing = AgreementDocument.objects.defer("pdf").filter(agreement_id=agreement_id, kind=kind).first()
    if existing:
        return existing
    termination = (
        Termination.objects.select_related("agreement__agency", "agreement__contractor", "recorded_by")
        .filter(agreement_id=agreement_id)
        .first()
    )
    if termination is None:
        return None
    agreement = termination.agreement
    # The executed DPA the record names; for an agreement signed outside the portal (issue 12), the signed copy the
    # district uploaded, which the record names as signed outside the portal and not sealed by it.
    signed = (AgreementDocument.Kind.EXECUTED, AgreementDocument.Kind.UPLOADED)
    executed = AgreementDocument.objects.defer("pdf", "public_source")
    executed = executed.filter(agreement=agreement, kind__in=signed).order_by("kind").first()
    # The duties, read through the agreement's reverse relation: signing does not import the deadlines.
    duties = agreement.obligations.filter(status__in=("open", "overdue")).order_by("due_on", "pk")
    destroy = duties.filter(kind="return_destroy").first()
    surviving = list(duties.exclude(kind__in=("return_destroy", "term_end")))
    role = f"district administrator of {agreement.agency.name}" if termination.recorded_by_id else ""

    def make(document_id: str) -> bytes:
        pdf = termination_record_pdf(
            termination,
            executed=executed,
            return_destroy_due=destroy.due_on if destroy else None,
            open_duties=surviving,
            recorded_role=role,
            document_id=document_id,
        )
        return seal_pdf(pdf, document_id=document_id, reason=TERMINATION_RECORD_REASON)

    return _document_make(agreement, kind, make)


def termination_records_due() -> list[int]:
    """Terminated agreements whose sealed record was lost (a broker outage, a failed task), for the documents sweep;
    not those whose render is running, waiting out a backoff or given up (render_jobs.blocked). One query when none is
    missing."""
    from .models import Termination
    from .render_jobs import blocked

    kind = AgreementDocument.Kind.TERMINATION_RECORD
    # From the terminations (a few in a hundred agreements), each probing the documents' and jobs' unique indexes:
    # never a scan of every agreement (issue 13).
    # The jobs only for those without a record (nearly always none), so that they are probed, not scanned.
    record = Exists(AgreementDocument.objects.filter(agreement=OuterRef("agreement"), kind=kind))
    missing = list(Termination.objects.filter(~record).order_by("agreement").values_list("agreement", flat=True))
    if not missing:
        return []
    return list(
        Agreement.objects.filter(pk__in=missing).filter(~blocked(kind)).order_by("pk").values_list("pk", flat=True)
    )
