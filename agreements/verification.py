"""Public verification: is this PDF an executed DPA of this portal, the public copy of one or the record of its early
termination; which agreement; and is it intact? Or is it the copy a district uploaded of an agreement signed outside
the portal (issue 12), which the portal keeps byte for byte but never sealed?"""

import hashlib
from dataclasses import dataclass

from django.utils import timezone

from .models import AgreementDocument

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The sealed kinds anyone may hold: the executed DPA and the record of its early termination (the parties) and its
# public copy (everyone).
SEALED = (
    AgreementDocument.Kind.EXECUTED,
    AgreementDocument.Kind.PUBLIC_COPY,
    AgreementDocument.Kind.TERMINATION_RECORD,
)
ALTERED = (
    "This PDF claims to be {what} below, but it has been changed since the portal sealed it. "
    "Do not rely on it; download the original from the district."
)


@dataclass(frozen=True)
class Outcome:
    verdict: str  # "intact", "altered", "unknown", "not_pdf"; "uploaded": a copy signed outside the portal
    message: str
    document: AgreementDocument | None = None
    sha256: str = ""

    @property
    def intact(self) -> bool:
        return self.verdict == "intact"

    @property
    def uploaded(self) -> bool:
        """The district's upload of an agreement signed outside the portal: known, never sealed (issue 12)."""
        return self.verdict == "uploaded"

    @property
    def public_copy(self) -> bool:
        return self.document is not None and self.document.kind == AgreementDocument.Kind.PUBLIC_COPY


def describe(document: AgreementDocument) -> str:
    """Which document it is, for people: "the executed DPA of agreement 12" or "the public copy of agreement 12"."""
    if document.kind == AgreementDocument.Kind.PUBLIC_COPY:
        return f"the public copy of agreement {document.agreement_id}"
    if document.kind == AgreementDocument.Kind.TERMINATION_RECORD:
        return f"the record of the early termination of agreement {document.agreement_id}"
    return f"the executed DPA of agreement {document.agreement_id}"


def _intact(document: AgreementDocument, sha256: str, *, exactly: bool) -> Outcome:
    how = ", exactly as the portal sealed it" if exactly else ", sealed by this portal"
    return Outcome("intact", f"This is {describe(document)}{how}.", document, sha256)


def _altered(document: AgreementDocument, sha256: str) -> Outcome:
    return Outcome("altered", ALTERED.format(what=describe(document)), document, sha256)


def looks_like_pdf(data: bytes) -> bool:
    """A PDF starts with %PDF- (readers allow a little leading whitespace)."""
    return data[:1024].lstrip().startswith(b"%PDF-")


def _sealed(**lookup) -> AgreementDocument | None:
    return (
        AgreementDocument.objects.defer("pdf", "public_source")
        .select_related("agreement__agency", "agreement__contractor")
        .filter(kind__in=SEALED, **lookup)
        .first()
    )


def document_verify(data: bytes) -> Outcome:
    """Judge an uploaded file. The stored bytes decide first; the seal explains what happened to a changed copy."""
    from .documents.seal import verify_pdf

    sha256 = hashlib.sha256(data).hexdigest()
    if not looks_like_pdf(data):
        return Outcome("not_pdf", "This file is not a PDF.", sha256=sha256)
    stored = _sealed(sha256=sha256)
    if stored is not None:
        return _intact(stored, sha256, exactly=True)
    uploaded = _uploaded(sha256)
    if uploaded is not None:
        return uploaded
    original = _original_prefix_of(data)
    if original is not None:
        return _altered(original, sha256)
    seal = verify_pdf(data)
    if not seal.is_pdf:
        return Outcome("not_pdf", "This file is not a readable PDF.", sha256=sha256)
    # verify_pdf reads a document id only from bytes the portal's seal covers, so a changed copy (say, edited and
    # saved again) still names the agreement it came from.
    claimed = _sealed(document_id=seal.document_id) if seal.document_id else None
    if claimed is None:
        return Outcome(
            "unknown",
            "This PDF is not an executed Data Privacy Agreement, nor the public copy of one, sealed by this portal; "
            "nor, byte for byte, a copy a district uploaded of an agreement signed outside the portal.",
            sha256=sha256,
        )
    if seal.intact and seal.trusted and claimed.sha256 == sha256:
        return _intact(claimed, sha256, exactly=False)
    return _altered(claimed, sha256)


def _uploaded(sha256: str) -> Outcome | None:
    """A copy a district uploaded of an agreement signed outside the portal (issue 12), byte for byte. The portal
    sealed nothing of it, so it says which copy this is and no more; a changed copy of it matches nothing and reads
    as unknown (there is no seal to tell what changed). One query."""
    document = (
        AgreementDocument.objects.defer("pdf", "public_source")
        .select_related("agreement__agency", "agreement__contractor", "outside_signing")
        .filter(kind=AgreementDocument.Kind.UPLOADED, sha256=sha256)
        .first()
    )
    if document is None:
        return None
    agreement = document.agreement
    signing = getattr(document, "outside_signing", None)
    day = timezone.localdate(signing.uploaded_at if signing else document.created_at)
    message = (
        f"This is the copy of the agreement between {agreement.agency.name} and {agreement.contractor.legal_name} "
        f"that the district uploaded on {day:%B} {day.day}, {day.year}. It was signed outside the portal and is not "
        "sealed by it."
    )
    return Outcome("uploaded", message, document, sha256)


def _original_prefix_of(data: bytes) -> AgreementDocument | None:
    """The sealed document (executed DPA or public copy) that this file begins with, when something was appended
    after its end.

    An edit saved as an incremental update, or junk, follows the original's last %%EOF; hashing the file up to
    each of its last few %%EOF markers finds the original in one query, even when the addition makes the file
    unreadable to a PDF library.
    """
    candidates, end = set(), len(data)
    for _ in range(10):
        end = data.rfind(b"%%EOF", 0, end)
        if end < 0:
            break
        for tail in (b"", b"\n", b"\r\n", b"\r"):
            cut = end + 5 + len(tail)
            if cut < len(data) and data[end + 5 : cut] == tail:
                candidates.add(hashlib.sha256(data[:cut]).hexdigest())
    return _sealed(sha256__in=candidates) if candidates else None
