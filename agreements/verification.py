"""Public verification: is this PDF an executed DPA of this portal, the public copy of one or the record of its early
termination; which agreement; and is it intact? Or is it the copy a district uploaded of an agreement signed outside
the portal (issue 12), which the portal keeps byte for byte but never sealed?"""

import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AgreementDocument, statuses

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The sealed kinds anyone may hold: the executed DPA and the record of its early termination (the parties) and its
# public copy (everyone).
SEALED = (
    AgreementDocument.Kind.EXECUTED,
    AgreementDocument.Kind.PUBLIC_COPY,
    AgreementDocument.Kind.TERMINATION_RECORD,
)
# Each sentence whole, per kind of document, so that a translation can agree with its noun (es: "la copia pública").
INTACT = {
    AgreementDocument.Kind.EXECUTED: (
        gettext_lazy("This is the executed DPA of agreement %(pk)s, exactly as the portal sealed it."),
        gettext_lazy("This is the executed DPA of agreement %(pk)s, sealed by this portal."),
    ),
    AgreementDocument.Kind.PUBLIC_COPY: (
        gettext_lazy("This is the public copy of agreement %(pk)s, exactly as the portal sealed it."),
        gettext_lazy("This is the public copy of agreement %(pk)s, sealed by this portal."),
    ),
    AgreementDocument.Kind.TERMINATION_RECORD: (
        gettext_lazy(
            "This is the record of the early termination of agreement %(pk)s, exactly as the portal sealed it."
        ),
        gettext_lazy("This is the record of the early termination of agreement %(pk)s, sealed by this portal."),
    ),
}
ALTERED = {
    AgreementDocument.Kind.EXECUTED: gettext_lazy(
        "This PDF claims to be the executed DPA of agreement %(pk)s below, but it has been changed since the portal "
        "sealed it. Do not rely on it; download the original from the district."
    ),
    AgreementDocument.Kind.PUBLIC_COPY: gettext_lazy(
        "This PDF claims to be the public copy of agreement %(pk)s below, but it has been changed since the portal "
        "sealed it. Do not rely on it; download the original from the district."
    ),
    AgreementDocument.Kind.TERMINATION_RECORD: gettext_lazy(
        "This PDF claims to be the record of the early termination of agreement %(pk)s below, but it has been "
        "changed since the portal sealed it. Do not rely on it; download the original from the district."
    ),
}
# A copy whose seal no longer holds (a changed byte) or that carries none, but which still carries the number of a
# document the portal sealed (issue 14): named by what is public of it, the parties of a posted agreement.
NAMED_ALTERED = {
    AgreementDocument.Kind.EXECUTED: gettext_lazy(
        "This copy of the agreement %(vendor)s \u2013 %(district)s (document number %(number)s) was altered after "
        "it was sealed: it is not the agreement as executed."
    ),
    AgreementDocument.Kind.PUBLIC_COPY: gettext_lazy(
        "This public copy of the agreement %(vendor)s \u2013 %(district)s (document number %(number)s) was altered "
        "after it was sealed: it is not the copy the district posted."
    ),
    AgreementDocument.Kind.TERMINATION_RECORD: gettext_lazy(
        "This record of the early termination of the agreement %(vendor)s \u2013 %(district)s (document number "
        "%(number)s) was altered after it was sealed: it is not the record as sealed."
    ),
}
NAMED_UNSEALED = {
    AgreementDocument.Kind.EXECUTED: gettext_lazy(
        "This copy of the agreement %(vendor)s \u2013 %(district)s (document number %(number)s) carries no seal of "
        "this portal: it was changed or saved again after it was sealed, so it is not the agreement as executed."
    ),
    AgreementDocument.Kind.PUBLIC_COPY: gettext_lazy(
        "This public copy of the agreement %(vendor)s \u2013 %(district)s (document number %(number)s) carries no "
        "seal of this portal: it was changed or saved again after it was sealed, so it is not the copy the district "
        "posted."
    ),
    AgreementDocument.Kind.TERMINATION_RECORD: gettext_lazy(
        "This record of the early termination of the agreement %(vendor)s \u2013 %(district)s (document number "
        "%(number)s) carries no seal of this portal: it was changed or saved again after it was sealed, so it is not "
        "the record as sealed."
    ),
}
UNKNOWN = gettext_lazy(
    "This PDF is not an executed Data Privacy Agreement, nor the public copy of one, sealed by this portal; "
    "nor, byte for byte, a copy a district uploaded of an agreement signed outside the portal."
)
# The number an altered copy carries names no posted agreement: say so, whether or not it is a document of an
# agreement that is not public (which must not be told apart).
UNKNOWN_NUMBER = gettext_lazy("The document number it carries, %(number)s, belongs to no posted agreement.")


@dataclass(frozen=True)
class Outcome:
    verdict: str  # "intact", "altered", "unknown", "not_pdf"; "uploaded": a copy signed outside the portal
    message: str
    document: AgreementDocument | None = None
    sha256: str = ""
    # The document was found only by the number the file carries, not through a seal that holds (a changed byte, or
    # no seal left): the page shows only what is public of it, and the posted agreement's public page (issue 14).
    named: bool = False

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


def _intact(document: AgreementDocument, sha256: str, *, exactly: bool) -> Outcome:
    exact, sealed = INTACT[document.kind]
    message = (exact if exactly else sealed) % {"pk": document.agreement_id}
    return Outcome("intact", message, document, sha256)


def _altered(document: AgreementDocument, sha256: str) -> Outcome:
    return Outcome("altered", ALTERED[document.kind] % {"pk": document.agreement_id}, document, sha256)


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
        return Outcome("not_pdf", _("This file is not a PDF."), sha256=sha256)
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
        return Outcome("not_pdf", _("This file is not a readable PDF."), sha256=sha256)
    # verify_pdf reads a document id only from bytes the portal's seal covers, so a changed copy (say, edited and
    # saved again) still names the agreement it came from.
    claimed = _sealed(document_id=seal.document_id) if seal.document_id else None
    if claimed is None:
        return _named_by_number(data, sha256, sealed=seal.signed or b"/ByteRange" in data)
    if seal.intact and seal.trusted and claimed.sha256 == sha256:
        return _intact(claimed, sha256, exactly=False)
    return _altered(claimed, sha256)


# --- a changed copy named by the number it carries (issue 14) -----------------------------------------------------
# A changed byte anywhere in the signed bytes breaks the seal, and verify_pdf then reads nothing from them. But the
# number the portal gave the document is written in three places that no one byte can all reach: the seal's /Reason
# ("... (document DPA-7K2M9QX4TB)"), and the /ID of the trailer that WeasyPrint wrote and of the one the seal added.
# They are read from the raw bytes, which needs no PDF library to make sense of a damaged file. Read from bytes no
# seal vouches for, the number is only the file's claim: it names the agreement only if that agreement is posted
# (its parties are public then), and never tells an unposted one from a number that does not exist.
# A string token, literal or hexadecimal, of a bounded length: the reason and the ids are short, and a scan of a large
# file stays linear whatever it holds.
_PDF_STRING = rb"\((?:[^()\\]|\\.|\([^()]{0,256}\)){0,512}\)|<[0-9A-Fa-f\s]{0,512}>"
_REASON = re.compile(rb"/Reason\s*(" + _PDF_STRING + rb")", re.S)
_TRAILER_ID = re.compile(rb"/ID\s*\[\s*(" + _PDF_STRING + rb")", re.S)
_NUMBER_IN_REASON = re.compile(r"\(document ([A-Za-z0-9][A-Za-z0-9._:/#-]{0,39})\)\s*\Z")
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,39}")
# The form of the numbers the portal gives (signing.document_id_new): one read elsewhere than in a seal's /Reason is
# named back to the visitor only in this form, so an ordinary PDF's /ID (a hash) is not called a document number.
_PORTAL_NUMBER = re.compile(r"DPA-[2-9A-HJ-NP-Z]{10}")
# A file of 20 MB may hold many strings; a seal or a trailer is looked for in the first few hundred found.
_MAX_CANDIDATES = 200
# The title page as the portal prints it (templates/dpa/*.html), read only when the file's structure names nothing.
_PRINTED_NUMBER = re.compile(r"Document ID:\s*(DPA-[2-9A-HJ-NP-Z]{10})\b")
# A title page's drawing instructions are a few kB; pypdf reads about 1 MB of them a second (portfolio/pdftext.py).
_MAX_PAGE_DRAWING = 2_000_000
# A literal string's escapes (ISO 32000-1, 7.3.4.2): \n and the like, \ddd in octal, a backslash before an end of
# line continues the string, and before any other character stands for that character.
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|[\s\S])")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"\n": b"", b"\r": b"", b"\r\n": b""}


def _unescape(match: re.Match) -> bytes:
    escaped = match.group(1)
    if escaped[:1] in b"01234567":
        return bytes([int(escaped, 8) & 0xFF])
    return _ESCAPES.get(escaped, escaped)


def _pdf_string(token: bytes) -> str:
    """The text of a PDF string token, literal "(...)" with its escapes, or hexadecimal "<...>"."""
    if token.startswith(b"<"):
        digits = re.sub(rb"\s", b"", token[1:-1])
        try:
            raw = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
        except ValueError:
            return ""
    else:
        raw = _ESCAPE.sub(_unescape, token[1:-1])
    return raw.decode("latin-1")


def _numbers_in(data: bytes) -> tuple[list[str], set[str]]:
    """The document numbers the file carries, each once per place it was found, and those of them written in a
    seal's /Reason (each the number a seal gave, whatever its form)."""
    found, in_reason = [], set()
    for pattern, from_reason in ((_REASON, True), (_TRAILER_ID, False)):
        for i, match in enumerate(pattern.finditer(data)):
            if i >= _MAX_CANDIDATES:
                break
            text = _pdf_string(match.group(1))
            if from_reason:
                number = _NUMBER_IN_REASON.search(text)
                if number:
                    found.append(number.group(1))
                    in_reason.add(number.group(1))
            elif _NUMBER.fullmatch(text):
                found.append(text)
    return found, in_reason


def _number_on_first_page(data: bytes) -> str:
    """The number printed on the first page ("Document ID: DPA-7K2M9QX4TB" under the title), for a copy saved again
    by another program, which keeps neither the seal nor the trailer. An untrusted upload: one page, a bounded amount
    of drawing to read, and whatever pypdf raises means no number."""
    try:
        from pypdf import PdfReader

        page = PdfReader(io.BytesIO(data), strict=False).pages[0]
        contents = page.get_contents()
        if contents is None or len(contents.get_data()) > _MAX_PAGE_DRAWING:
            return ""
        match = _PRINTED_NUMBER.search(page.extract_text())
    except Exception:
        return ""
    return match.group(1) if match else ""


def _named_by_number(data: bytes, sha256: str, *, sealed: bool) -> Outcome:
    """A PDF whose seal does not hold (or that has none): the sealed document whose number it carries, named by what
    is public of it, or "unknown". One query, or two when the number is read from the first page's text."""
    numbers, in_reason = _numbers_in(data)
    documents = _documents_numbered(numbers)
    if not documents:
        printed = _number_on_first_page(data)
        numbers += [printed] if printed else []
        documents = _documents_numbered([printed]) if printed else {}
    counts = Counter(numbers)
    # Where the places disagree (the changed byte fell in one of them), the number most of them carry.
    number = max(documents, key=lambda n: (counts[n], -numbers.index(n)), default="")
    document = documents.get(number)
    if document is not None and document.agreement.status in statuses.POSTED:
        agreement = document.agreement
        message = (NAMED_ALTERED if sealed else NAMED_UNSEALED)[document.kind] % {
            "vendor": agreement.contractor.legal_name,
            "district": agreement.agency.name,
            "number": document.document_id,
        }
        return Outcome("altered", message, document, sha256, named=True)
    shown = [n for n in counts if n in in_reason or _PORTAL_NUMBER.fullmatch(n)]
    if shown:
        number = max(shown, key=lambda n: (counts[n], -numbers.index(n)))
        return Outcome("unknown", f"{UNKNOWN} {UNKNOWN_NUMBER % {'number': number}}", sha256=sha256)
    return Outcome("unknown", str(UNKNOWN), sha256=sha256)


def _documents_numbered(numbers: list[str]) -> dict[str, AgreementDocument]:
    if not numbers:
        return {}
    documents = (
        AgreementDocument.objects.defer("pdf", "public_source")
        .select_related("agreement__agency", "agreement__contractor")
        .filter(kind__in=SEALED, document_id__in=set(numbers))
    )
    return {document.document_id: document for document in documents}


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
    message = _(
        "This is the copy of the agreement between %(district)s and %(vendor)s that the district uploaded on "
        "%(day)s. It was signed outside the portal and is not sealed by it."
    ) % {
        "district": agreement.agency.name,
        "vendor": agreement.contractor.legal_name,
        # The date as each language writes it: "December 1, 2026", "1 de diciembre de 2026".
        "day": formats.date_format(day, _("F j, Y")),
    }
    return Outcome("uploaded", message, document, sha256)


def _original_prefix_of(data: bytes) -> AgreementDocument | None:
    """The sealed document (executed DPA or public copy) that this file begins with, when something was appended
    after its end.

    An edit saved as an incremental update, or junk, follows the original's last %%EOF; hashing the file up to
    each of its last few %%EOF markers finds the original in one query, even when the addition makes the file
    unreadable to a PDF library.
    """
    candidates, end = set(), len(data)
    for _attempt in range(10):
        end = data.rfind(b"%%EOF", 0, end)
        if end < 0:
            break
        for tail in (b"", b"\n", b"\r\n", b"\r"):
            cut = end + 5 + len(tail)
            if cut < len(data) and data[end + 5 : cut] == tail:
                candidates.add(hashlib.sha256(data[:cut]).hexdigest())
    return _sealed(sha256__in=candidates) if candidates else None
