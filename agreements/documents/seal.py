"""The portal's seal on an executed DPA: a PAdES signature with the portal's key, and its verification.

The executed agreement is rendered once, sealed once, and its bytes stored (DESIGN.md: never re-render an
executed document). Anyone can later hand a PDF to `verify_pdf` and learn whether it is that document, unchanged.

pyHanko traps this module is written around (DESIGN.md):
- a signature is judged by `status.bottom_line` *and* `status.coverage == ENTIRE_FILE`: `valid` stays true after
  tampering, and bytes appended after the seal (an incremental update, or plain junk) keep `bottom_line` true;
- a corrupted file can make pyHanko raise instead of returning a status, so verification catches everything;
- `trust_roots` is always passed: without it the validator would trust the operating system's CA list.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

logger = logging.getLogger(__name__)

# The document id travels in the signature dictionary's /Reason, after the human reason, e.g.
# "Executed Data Privacy Agreement (document DPA-2025-0042)": every PDF viewer shows it in its signature panel,
# and the signature dictionary (all of it but /Contents, which is the signature itself) lies inside /ByteRange.
_DOCUMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}")
_REASON_WITH_ID = re.compile(r"\(document ([A-Za-z0-9][A-Za-z0-9._:/#-]{0,127})\)\Z")
_ID_MARKER = "(document "

# The PDF header may sit anywhere in the first 1024 bytes (ISO 32000-1, annex H.3).
_HEADER_WINDOW = 1024


class SealError(Exception):
    """The portal cannot seal: no certificate configured, a wrong passphrase, an unreadable PKCS#12 or PDF."""


@dataclass(frozen=True)
class Sealer:
    """The portal's signing key and certificate, loaded from the PKCS#12 file of DPA_SEAL_P12."""

    signer: signers.SimpleSigner
    certificate: asn1_x509.Certificate
    p12_path: str


@dataclass(frozen=True)
class Verification:
    """What `verify_pdf` found. `trusted` is the one answer to "is this an executed DPA sealed by this portal?"."""

    is_pdf: bool
    signed: bool  # a signature could be read (False also when the file is too damaged to find one)
    intact: bool  # the last signature is cryptographically sound and covers every byte of the file
    trusted: bool  # intact, made with a certificate of the trust roots (the portal's), while it was valid
    signer: str  # the signing certificate's subject as the signature claims it; "" when no signature was read
    signed_at: datetime | None  # the signing time the signature declares (/M), as claimed by the signer
    field_name: str
    # The id the portal sealed into the document, read only from bytes that a trusted seal covers: set when
    # trusted, and also when a trusted seal's bytes are intact but something was appended after it (trusted is then
    # False: the file is *derived from* that executed document, not the document). Never from a stranger's seal.
    document_id: str
    problem: str  # a sentence for people when the file is not a trusted, intact seal; "" otherwise


# --- loading the key ----------------------------------------------------------------------------------------------


def load_sealer(p12_path: str | None = None, passphrase: str | None = None) -> Sealer:
    """The portal's signer, from `p12_path` (default settings.DPA_SEAL_P12) and its passphrase."""
    if p12_path is None:
        p12_path = getattr(settings, "DPA_SEAL_P12", "") or ""
    if passphrase is None:
        passphrase = getattr(settings, "DPA_SEAL_P12_PASSPHRASE", "") or ""
    p12_path = str(p12_path).strip()
    if not p12_path:
        raise SealError(
            "No sealing certificate is configured: set DPA_SEAL_P12 to a PKCS#12 file "
            "(`manage.py create_seal_certificate` makes one for development)."
        )
    try:
        stat = os.stat(p12_path)
    except OSError as exc:
        raise SealError(f"The sealing certificate DPA_SEAL_P12={p12_path} cannot be read: {exc.strerror}.") from None
    # Cached per file version and passphrase: verifying a PDF needs the certificate, and PKCS#12 key derivation
    # is deliberately slow. A replaced file (new mtime or size) is read again.
    return _load_sealer_cached(p12_path, stat.st_mtime_ns, stat.st_size, passphrase)


@functools.lru_cache(maxsize=4)
def _load_sealer_cached(p12_path: str, _mtime_ns: int, _size: int, passphrase: str) -> Sealer:
    try:
        with open(p12_path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SealError(f"The sealing certificate DPA_SEAL_P12={p12_path} cannot be read: {exc.strerror}.") from None
    password = passphrase.encode() if passphrase else None
    try:
        key, certificate, _others = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError):
        # OpenSSL cannot tell a wrong passphrase from a file that is not PKCS#12 at all.
        raise SealError(
            f"The sealing certificate DPA_SEAL_P12={p12_path} cannot be opened: the passphrase "
            "(DPA_SEAL_P12_PASSPHRASE) is wrong, or the file is not a PKCS#12 file."
        ) from None
    if key is None or certificate is None:
        raise SealError(
            f"The sealing certificate DPA_SEAL_P12={p12_path} must hold both a private key and its certificate."
        )
    try:
        loaded = signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password)
    except ValueError as exc:
        raise SealError(f"The sealing certificate DPA_SEAL_P12={p12_path} cannot be used: {exc}.") from None
    signer = _SignerWithLoadedKey(
        private_key=key,
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
        signature_mechanism=loaded.signature_mechanism,
    )
    return Sealer(signer=signer, certificate=signer.signing_cert, p12_path=p12_path)


class _SignerWithLoadedKey(signers.SimpleSigner):
    """pyHanko's SimpleSigner, with the private key parsed once instead of for every signature.

    SimpleSigner.sign_raw parses its key from DER each time it signs (pyHanko 0.38), and cryptography checks an RSA
    key's consistency on every parse: about 85 ms for the development certificate's 3072-bit key, twice per seal
    (pyHanko signs once to size the signature's placeholder, then for real). That was most of the cost of a seal.
    Here the key read from the PKCS#12 file is kept (the Sealer is cached per process by `load_sealer`)."""

    def __init__(self, *, private_key, **kwargs):
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algorithm = mechanism.signature_algo
        except ValueError:
            algorithm = mechanism["algorithm"].native
        key = self._private_key
        if algorithm == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algorithm == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        # Any other mechanism (PSS, EdDSA...): pyHanko's own code, key parsed again.
        return super().sign_raw(data, digest_algorithm)


def portal_certificate(sealer: Sealer | None = None) -> asn1_x509.Certificate:
    """The certificate the portal seals with, which is also the trust root its seals are verified against."""
    return (sealer or load_sealer()).certificate


# --- sealing ------------------------------------------------------------------------------------------------------


def seal_pdf(
    pdf_bytes: bytes,
    *,
    sealer: Sealer | None = None,
    field_name: str = "PortalSeal",
    reason: str = "Executed Data Privacy Agreement",
    location: str = "",
    document_id: str = "",
) -> bytes:
    """Seal `pdf_bytes` with the portal's key and return the sealed PDF.

    A PAdES baseline (B-B) signature, SHA-256, invisible, in a new field `field_name`. When the document has no
    signature yet the seal *certifies* it with "no changes allowed" (DocMDP P=1): an executed DPA never changes.
    PDF allows only the first signature to certify, so a document already signed gets an approval seal instead;
    `verify_pdf` demands that the seal cover the whole file either way.
    """
    if document_id and not _DOCUMENT_ID.fullmatch(document_id):
        raise ValueError(
            "document_id must be 1-128 letters, digits or . _ : / # - (starting with a letter or digit), "
            f"not {document_id!r}"
        )
    if _ID_MARKER in reason:
        raise ValueError(f"reason must not contain {_ID_MARKER!r}: that marks the document id")
    if not field_name or "." in field_name:
        raise ValueError("field_name must be a non-empty name without dots")
    sealer = sealer or load_sealer()

    full_reason = f"{reason} {_ID_MARKER}{document_id})" if document_id else reason
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(bytes(pdf_bytes)))
        if writer.prev.encrypted:
            raise SealError("The document to seal is encrypted; the portal seals only its own, unencrypted PDFs.")
        already_signed = bool(writer.prev.embedded_signatures)
    except SealError:
        raise
    except Exception as exc:
        raise SealError(f"The document to seal is not a readable PDF ({exc}).") from exc

    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=full_reason,
        location=location or None,
        certify=not already_signed,
        docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=sealer.signer,
        # No box: an invisible signature. An existing empty field of that name is used instead, if there is one.
        new_field_spec=SigFieldSpec(sig_field_name=field_name),
    )
    try:
        output = _run_outside_event_loop(pdf_signer.sign_pdf, writer)
    except Exception as exc:
        raise SealError(f"The document could not be sealed: {exc}") from exc
    return output.getvalue()


# --- verifying ----------------------------------------------------------------------------------------------------

_NOT_PDF = "This file is not a PDF."
_DAMAGED = "The PDF is damaged, so its seal cannot be checked; ask the district for the executed copy."
_UNSIGNED = "This PDF carries no digital seal, so it is not an executed agreement sealed by this portal."
_CHANGED = (
    "The PDF was changed after it was sealed: its content no longer matches the seal, "
    "so it is not the executed agreement."
)
_APPENDED = (
    "Something was added to the PDF after it was sealed (a change or an extra part at its end), "
    "so it is not the executed agreement as sealed."
)
_UNCHECKED = "The seal in this PDF could not be checked; the file may be damaged or use an unsupported signature."
_UNTRUSTED = (
    "The seal is intact but was not made with this portal's certificate, "
    "so this is not an executed agreement of this portal."
)
_OUT_OF_PERIOD = (
    "The seal was made when its certificate was not valid (expired or not yet valid), "
    "so it is not an executed agreement of this portal."
)
_NO_TRUST_ROOT = (
    "The seal is intact, but this portal has no sealing certificate configured to compare it with, "
    "so it cannot say who made it."
)


def verify_pdf(data: bytes, *, trust_roots: list | None = None) -> Verification:
    """Check whether `data` is a PDF sealed by the portal (or by one of `trust_roots`) and unchanged since.

    Never raises: whatever the input, the answer is a `Verification` whose `problem` says what is wrong.
    """
    try:
        return _verify(data, trust_roots)
    except Exception:
        # A last line of defence: pyHanko raising on a file we did not foresee.
        logger.warning("Seal verification failed unexpectedly", exc_info=True)
        return _result(is_pdf=_looks_like_pdf(data), problem=_DAMAGED)


def _result(**fields) -> Verification:
    defaults = {
        "is_pdf": False,
        "signed": False,
        "intact": False,
        "trusted": False,
        "signer": "",
        "signed_at": None,
        "field_name": "",
        "document_id": "",
        "problem": "",
    }
    return Verification(**(defaults | fields))


def _looks_like_pdf(data) -> bool:
    try:
        return b"%PDF-" in bytes(data[:_HEADER_WINDOW])
    except Exception:
        return False


def _verify(data, trust_roots, _prefix_only: bool = False) -> Verification:
    """What `verify_pdf` answers, step by step: find the seal, validate it against the trust roots, judge what the
    validation says, and read the document id only from bytes a trusted seal covers."""
    if isinstance(data, str) or not _looks_like_pdf(data):
        return _result(problem=_NOT_PDF)
    data = bytes(data)
    embedded, problem = _last_signature(data)
    if embedded is None:
        return _result(is_pdf=True, problem=problem)
    claims = _claims(embedded)
    trust_roots, roots_problem = _trust_roots(trust_roots)
    try:
        status = _validate(embedded, trust_roots, moment=claims["signed_at"])
    except Exception:
        logger.debug("pyHanko could not validate the signature given to verify_pdf", exc_info=True)
        return _result(**claims, problem=_UNCHECKED)
    judgement = _judge(status, embedded, claims["signed_at"], roots_problem)
    document_id = ""
    if judgement.trusted:
        document_id = _document_id(embedded)
    elif judgement.sound and not judgement.intact and not _prefix_only:
        document_id = _document_id_before_addition(data, embedded, trust_roots)
    return _result(
        **claims,
        intact=judgement.intact,
        trusted=judgement.trusted,
        document_id=document_id,
        problem=judgement.problem,
    )


def _last_signature(data: bytes):
    """(the seal, "") or (None, why there is none). The seal is the last signature: it alone can cover the whole
    file (earlier ones end where it begins)."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = [sig for sig in reader.embedded_signatures if sig.sig_object_type == "/Sig"]
    except Exception:
        logger.debug("Unreadable PDF given to verify_pdf", exc_info=True)
        return None, _DAMAGED
    if not signatures:
        # A signature's /ByteRange in the bytes but none found: damage hid it, rather than a PDF never signed.
        return None, _DAMAGED if b"/ByteRange" in data else _UNSIGNED
    return signatures[-1], ""


def _claims(embedded) -> dict:
    """What the seal says of itself (field, signing time, signer), before anything is checked; blank if unreadable."""
    signed_at = _safe(lambda: embedded.self_reported_timestamp, None)
    if signed_at is not None:
        signed_at = signed_at.astimezone(UTC)  # /M carries the signing machine's offset
    return {
        "is_pdf": True,
        "signed": True,
        "field_name": _safe(lambda: str(embedded.field_name), ""),
        "signed_at": signed_at,
        "signer": _safe(lambda: _subject(embedded.signer_cert), ""),
    }


def _trust_roots(trust_roots) -> tuple[list, str]:
    """(the roots to validate against, a problem to report if the seal is otherwise fine). By default the portal's
    own certificate; without one configured, no root at all: never the operating system's CA list, which is what
    pyHanko uses with trust_roots=None (DESIGN.md: always pass trust_roots)."""
    if trust_roots is not None:
        return list(trust_roots), ""
    try:
        return [portal_certificate()], ""
    except SealError:
        # Still say whether the file is intact; without a root nothing can be trusted.
        return [], _NO_TRUST_ROOT


def _validate(embedded, trust_roots: list, *, moment: datetime | None):
    """pyHanko's status for the seal, offline. May raise on a file pyHanko cannot handle."""
    context = ValidationContext(
        trust_roots=trust_roots,
        allow_fetching=False,  # offline: no OCSP, CRL or AIA fetching, so no network and no hang
        revocation_mode="soft-fail",  # a self-signed seal has no revocation information to find
        # The certificate is judged as of the signing time the seal declares, as Acrobat does by default, so an
        # executed DPA still verifies after the certificate expires. That time is inside the signed bytes.
        moment=moment,
    )
    return _run_outside_event_loop(validate_pdf_signature, embedded, context, skip_diff=True)


@dataclass(frozen=True)
class _Judgement:
    sound: bool  # cryptographically sound over the bytes it signs
    intact: bool  # sound, and those bytes are the whole file
    trusted: bool  # intact, by a trust root, made while its certificate was valid
    problem: str


def _judge(status, embedded, signed_at: datetime | None, roots_problem: str) -> _Judgement:
    """Read pyHanko's status the way DESIGN.md says: `bottom_line` and ENTIRE_FILE coverage together, plus the
    certificate's validity period, which pyHanko skips for a trust root."""
    sound = bool(status.intact and status.valid)
    # `bottom_line` stays true when bytes are appended after the seal: only ENTIRE_FILE proves nothing was added.
    intact = sound and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    # pyHanko does not check the validity period of a certificate that is itself a trust root (RFC 5280 trust
    # anchors have none), which the portal's own certificate is; so check that the seal was made within it.
    in_period = _valid_at(embedded.signer_cert, signed_at or datetime.now(UTC))
    trusted = intact and bool(status.bottom_line) and in_period
    if not sound:
        problem = _CHANGED
    elif not intact:
        problem = _APPENDED
    elif not status.bottom_line:
        problem = roots_problem or _UNTRUSTED
    elif not in_period:
        problem = _OUT_OF_PERIOD
    else:
        problem = ""
    return _Judgement(sound=sound, intact=intact, trusted=trusted, problem=problem)


def _document_id(embedded) -> str:
    """The id the portal sealed into /Reason. Call only for a trusted seal that covers the entire file: then no byte
    of its signature dictionary is unsigned."""
    reason = _safe(lambda: str(embedded.sig_object.get("/Reason", "")), "")
    match = _REASON_WITH_ID.search(reason)
    return match.group(1) if match else ""


def _document_id_before_addition(data: bytes, embedded, trust_roots: list) -> str:
    """For a sound seal with something appended: the id in the bytes it signs, if those alone are a trusted seal.

    The signed bytes end where the seal's /ByteRange ends, and the id in them is the portal's word on which document
    this copy was made from. Never the id read from the whole file: an appended update can redefine the signature
    dictionary's /Reason.
    """
    prefix = _signed_prefix(data, embedded)
    if prefix is None:
        return ""
    original = _verify(prefix, trust_roots, _prefix_only=True)
    return original.document_id if original.trusted else ""


def _signed_prefix(data: bytes, embedded) -> bytes | None:
    try:
        start1, _length1, start2, length2 = (int(value) for value in embedded.sig_object["/ByteRange"])
    except Exception:
        return None
    end = start2 + length2
    return data[:end] if start1 == 0 and 0 < end < len(data) else None


def _valid_at(certificate: asn1_x509.Certificate, moment: datetime) -> bool:
    validity = certificate["tbs_certificate"]["validity"]
    return validity["not_before"].native <= moment <= validity["not_after"].native


def _subject(certificate: asn1_x509.Certificate) -> str:
    """The certificate's common name and organisation for people: "DPA Portal development seal (DPA Portal)"."""
    subject = certificate.subject.native
    common_name, organization = subject.get("common_name"), subject.get("organization_name")
    if not common_name:
        return certificate.subject.human_friendly
    return f"{common_name} ({organization})" if organization else str(common_name)


def _safe(read, default):
    try:
        return read()
    except Exception:
        return default


def _run_outside_event_loop(function, *args, **kwargs):
    """Call one of pyHanko's synchronous wrappers, which use asyncio.run() and so fail inside a running loop
    (an async view, or a test driving Playwright); there, run it on a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()
