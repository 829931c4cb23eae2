"""Public verification: is this PDF an executed DPA of this portal, which one, and is it intact?"""

import hashlib
from dataclasses import dataclass

from .models import AgreementDocument

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ALTERED = (
    "This PDF claims to be the executed agreement below, but it has been changed since the portal sealed it. "
    "Do not rely on it; download the original from the district."
)


@dataclass(frozen=True)
class Outcome:
    verdict: str  # "intact", "altered", "unknown", "not_pdf"
    message: str
    document: AgreementDocument | None = None
    sha256: str = ""

    @property
    def intact(self) -> bool:
        return self.verdict == "intact"


def looks_like_pdf(data: bytes) -> bool:
    """A PDF starts with %PDF- (readers allow a little leading whitespace)."""
    return data[:1024].lstrip().startswith(b"%PDF-")


def _executed(**lookup) -> AgreementDocument | None:
    return (
        AgreementDocument.objects.defer("pdf")
        .select_related("agreement__agency", "agreement__contractor")
        .filter(kind=AgreementDocument.Kind.EXECUTED, **lookup)
        .first()
    )


def document_verify(data: bytes) -> Outcome:
    """Judge an uploaded file. The stored bytes decide first; the seal explains what happened to a changed copy."""
    from .documents.seal import verify_pdf

    sha256 = hashlib.sha256(data).hexdigest()
    if not looks_like_pdf(data):
        return Outcome("not_pdf", "This file is not a PDF.", sha256=sha256)
    stored = _executed(sha256=sha256)
    if stored is not None:
        return Outcome(
            "intact",
            "This is an executed Data Privacy Agreement of this portal, exactly as it was sealed.",
            stored,
            sha256,
        )
    original = _original_prefix_of(data)
    if original is not None:
        return Outcome("altered", ALTERED, original, sha256)
    seal = verify_pdf(data)
    if not seal.is_pdf:
        return Outcome("not_pdf", "This file is not a readable PDF.", sha256=sha256)
    # verify_pdf reads a document id only from bytes the portal's seal covers, so a changed copy (say, edited and
    # saved again) still names the agreement it came from.
    claimed = _executed(document_id=seal.document_id) if seal.document_id else None
    if claimed is None:
        return Outcome(
            "unknown", "This PDF is not an executed Data Privacy Agreement sealed by this portal.", sha256=sha256
        )
    if seal.intact and seal.trusted and claimed.sha256 == sha256:
        return Outcome("intact", "This is an executed Data Privacy Agreement of this portal.", claimed, sha256)
    return Outcome("altered", ALTERED, claimed, sha256)


def _original_prefix_of(data: bytes) -> AgreementDocument | None:
    """The executed document that this file begins with, when something was appended after its end.

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
    return _executed(sha256__in=candidates) if candidates else None
