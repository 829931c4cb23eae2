"""The portal's seal on an executed DPA (agreements/documents/seal.py) and `manage.py create_seal_certificate`.

Every verification case is checked against a real certificate made by the command and a real PDF made by
WeasyPrint; the tampering cases also show that pyHanko's own `bottom_line` would have missed them.
"""

import asyncio
import datetime
import hashlib
import io
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest
import weasyprint
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from django.core.management import CommandError, call_command
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, append_signature_field, enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from agreements.documents.seal import SealError, load_sealer, portal_certificate, seal_pdf, verify_pdf

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE_VAR = "TEST_SEAL_P12_PASSPHRASE"
PASSPHRASE = "correct horse battery staple"
DOCUMENT_ID = "DPA-2025-0042"
# The smallest PNG header and image header chunk: a file a person might upload by mistake.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64


def make_certificate(path, *extra, passphrase=None, **options):
    """Run the command; return its output. `passphrase=None` leaves the passphrase variable unset."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        if passphrase is None:
            mp.delenv(PASSPHRASE_VAR, raising=False)
        else:
            mp.setenv(PASSPHRASE_VAR, passphrase)
        call_command(
            "create_seal_certificate",
            "--out",
            str(path),
            "--passphrase-env",
            PASSPHRASE_VAR,
            *extra,
            stdout=out,
            stderr=io.StringIO(),
            **options,
        )
    return out.getvalue()


def read_p12(path, passphrase=None):
    return pkcs12.load_key_and_certificates(path.read_bytes(), passphrase.encode() if passphrase else None)


def make_sealer(directory, *, not_before, not_after, issuer=None, urls=False):
    """A PKCS#12 made here rather than by the command: for validity periods and CA chains the command never makes."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DPA Portal seal")])
    issuer_key, issuer_name = issuer if issuer else (key, name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
    )
    if urls:  # where a validator allowed to go online would look for revocation and issuer information
        crl = x509.UniformResourceIdentifier("http://crl.example.invalid/ca.crl")
        builder = builder.add_extension(
            x509.CRLDistributionPoints([x509.DistributionPoint([crl], None, None, None)]), critical=False
        ).add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier("http://ocsp.example.invalid"),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier("http://ca.example.invalid/ca.cer"),
                    ),
                ]
            ),
            critical=False,
        )
    certificate = builder.sign(issuer_key, hashes.SHA256())
    path = directory / f"{x509.random_serial_number()}.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"seal", key, certificate, None, NoEncryption()))
    return load_sealer(str(path), "")


def signed_range(data):
    """The /ByteRange of the (last) signature: two (start, length) pairs, the signature's hex string between."""
    embedded = PdfFileReader(io.BytesIO(data)).embedded_signatures[-1]
    a, b, c, d = (int(value) for value in embedded.sig_object["/ByteRange"])
    return (a, b), (c, d)


def pyhanko_status(data, certificate):
    """pyHanko's own verdict, to show what a check on `bottom_line` alone would say."""
    embedded = PdfFileReader(io.BytesIO(data)).embedded_signatures[-1]
    context = ValidationContext(trust_roots=[certificate], allow_fetching=False)
    return validate_pdf_signature(embedded, context, skip_diff=True)


def reason_span(data):
    """Where the signature's /Reason entry lies in the file, and the text it decodes to."""
    start = data.index(b"/Reason")
    value_start = start + len(b"/Reason")
    while data[value_start : value_start + 1].isspace():
        value_start += 1
    stream = io.BytesIO(data)
    stream.seek(value_start)
    value = generic.read_object(stream, None)
    return start, stream.tell(), str(value)


def flip(data, position):
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def text_of(data):
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


# --- fixtures: made once per module; key generation and PDF layout are the slow parts -------------------------


@pytest.fixture(scope="module")
def portal_p12(tmp_path_factory):
    path = tmp_path_factory.mktemp("seal") / "portal.p12"
    make_certificate(path, passphrase=PASSPHRASE)
    return path


@pytest.fixture(scope="module")
def sealer(portal_p12):
    return load_sealer(str(portal_p12), PASSPHRASE)


@pytest.fixture(scope="module")
def impostor(tmp_path_factory):
    """Another self-signed certificate with exactly the portal's subject: trust must come from the key, not a name."""
    path = tmp_path_factory.mktemp("impostor") / "impostor.p12"
    make_certificate(path)
    return load_sealer(str(path), "")


@pytest.fixture(scope="module")
def roots(sealer):
    return [sealer.certificate]


@pytest.fixture(scope="module")
def plain_pdf():
    return weasyprint.HTML(string="<h1>Test</h1><p>text</p>").write_pdf()


@pytest.fixture(scope="module")
def sealed_pdf(plain_pdf, sealer):
    return seal_pdf(plain_pdf, sealer=sealer, document_id=DOCUMENT_ID)


@pytest.fixture
def portal_settings(settings, portal_p12):
    settings.DPA_SEAL_P12 = str(portal_p12)
    settings.DPA_SEAL_P12_PASSPHRASE = PASSPHRASE
    return settings


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt to reach the network, and record it: verification must work offline."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


# --- the command ----------------------------------------------------------------------------------------------


def test_command_writes_an_owner_only_pkcs12_with_the_seal_certificate(tmp_path):
    path = tmp_path / "seal.p12"
    output = make_certificate(path, passphrase=PASSPHRASE)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key, certificate, others = read_p12(path, PASSPHRASE)
    assert others == []
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 3072
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "DPA Portal development seal"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "DPA Portal"
    assert certificate.issuer == subject
    certificate.verify_directly_issued_by(certificate)  # self-signed
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert not usage.key_cert_sign
    assert certificate.signature_hash_algorithm.name == "sha256"

    fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":").upper()
    assert str(path.resolve()) in output
    assert fingerprint in output


def test_command_passphrase_is_needed_to_open_the_file(tmp_path):
    path = tmp_path / "seal.p12"
    make_certificate(path, passphrase=PASSPHRASE)
    with pytest.raises(ValueError):
        read_p12(path, "wrong")
    with pytest.raises(ValueError):
        read_p12(path, None)


def test_command_without_passphrase_writes_an_unencrypted_file(tmp_path):
    path = tmp_path / "seal.p12"
    make_certificate(path, passphrase=None)
    key, certificate, _ = read_p12(path, None)
    assert key is not None and certificate is not None
    assert load_sealer(str(path), "").certificate.sha256 == certificate.fingerprint(hashes.SHA256())


def test_command_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "seal.p12"
    make_certificate(path)
    before = path.read_bytes()

    with pytest.raises(CommandError, match=r"already exists.*--force"):
        make_certificate(path)
    assert path.read_bytes() == before

    output = make_certificate(path, "--force")
    after = path.read_bytes()
    assert after != before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    new_fingerprint = read_p12(path)[1].fingerprint(hashes.SHA256()).hex(":").upper()
    assert new_fingerprint in output


def test_command_options_common_name_days_and_ec_key(tmp_path):
    path = tmp_path / "seal.p12"
    make_certificate(path, "--common-name", "Hometown CSD seal", "--days", "30", "--key-type", "ec")
    key, certificate, _ = read_p12(path)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Hometown CSD seal"
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime == datetime.timedelta(days=30)


def test_command_rejects_nonsense(tmp_path):
    with pytest.raises(CommandError, match="--days"):
        make_certificate(tmp_path / "a.p12", "--days", "0")
    with pytest.raises(CommandError, match="does not exist"):
        make_certificate(tmp_path / "missing" / "a.p12")
    assert not (tmp_path / "a.p12").exists()


# --- loading the key: clear errors ----------------------------------------------------------------------------


def test_no_certificate_configured_is_a_clear_seal_error(settings, plain_pdf):
    settings.DPA_SEAL_P12 = ""
    with pytest.raises(SealError, match=r"No sealing certificate is configured.*DPA_SEAL_P12"):
        load_sealer()
    with pytest.raises(SealError, match="DPA_SEAL_P12"):
        seal_pdf(plain_pdf)
    with pytest.raises(SealError, match="DPA_SEAL_P12"):
        portal_certificate()


def test_wrong_passphrase_is_a_clear_seal_error(portal_settings, plain_pdf):
    portal_settings.DPA_SEAL_P12_PASSPHRASE = "not the passphrase"
    with pytest.raises(SealError, match=r"passphrase.*DPA_SEAL_P12_PASSPHRASE.*wrong"):
        load_sealer()
    with pytest.raises(SealError, match="passphrase"):
        seal_pdf(plain_pdf)


def test_missing_or_unreadable_pkcs12_is_a_clear_seal_error(tmp_path):
    with pytest.raises(SealError, match="cannot be read"):
        load_sealer(str(tmp_path / "nowhere.p12"), "")
    not_p12 = tmp_path / "not.p12"
    not_p12.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot really\n")
    with pytest.raises(SealError, match="not a PKCS#12 file"):
        load_sealer(str(not_p12), "")


def test_settings_read_the_environment_and_default_to_no_certificate(tmp_path):
    probe = (
        "import json; from dpa_portal import settings as s; "
        "print(json.dumps([s.DPA_SEAL_P12, s.DPA_SEAL_P12_PASSPHRASE]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPA_SEAL_")} | {"DJANGO_DEBUG": "true"}

    def settings_with(**extra):
        run = subprocess.run(
            [sys.executable, "-c", probe], env=env | extra, cwd=ROOT, capture_output=True, text=True, check=True
        )
        return json.loads(run.stdout)

    assert settings_with() == ["", ""]
    path = str(tmp_path / "seal.p12")
    assert settings_with(DPA_SEAL_P12=path, DPA_SEAL_P12_PASSPHRASE="pass") == [path, "pass"]


# --- sealing --------------------------------------------------------------------------------------------------


def test_sealed_pdf_is_a_certified_pades_signature_covering_the_file(sealed_pdf, sealer, plain_pdf):
    assert sealed_pdf.startswith(plain_pdf)  # an incremental update: the rendered bytes are kept as they were
    embedded = PdfFileReader(io.BytesIO(sealed_pdf)).embedded_signatures
    assert len(embedded) == 1
    seal = embedded[0]
    assert seal.field_name == "PortalSeal"
    assert seal.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert seal.docmdp_level == MDPPerm.NO_CHANGES  # certifying: no changes allowed
    assert seal.signer_cert.sha256 == sealer.certificate.sha256
    status = pyhanko_status(sealed_pdf, sealer.certificate)
    assert status.md_algorithm == "sha256"
    assert status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    # Invisible: the signature widget has an empty rectangle.
    widget = seal.sig_field
    assert [float(v) for v in widget["/Rect"]] == [0, 0, 0, 0]


def test_sealed_pdf_still_opens_in_pypdf_with_its_text(sealed_pdf, plain_pdf):
    reader = pypdf.PdfReader(io.BytesIO(sealed_pdf))
    assert len(reader.pages) == len(pypdf.PdfReader(io.BytesIO(plain_pdf)).pages) == 1
    text = text_of(sealed_pdf)
    assert "Test" in text and "text" in text
    assert text == text_of(plain_pdf)


def test_seal_uses_the_configured_certificate_by_default(portal_settings, plain_pdf, sealer):
    sealed = seal_pdf(plain_pdf, document_id="hometown-csd/2025/7")
    result = verify_pdf(sealed)  # trust roots default to the portal's own certificate
    assert result.trusted and result.intact
    assert result.document_id == "hometown-csd/2025/7"
    assert portal_certificate().sha256 == sealer.certificate.sha256


def test_an_executed_document_cannot_be_sealed_again(sealed_pdf, sealer):
    with pytest.raises(SealError):
        seal_pdf(sealed_pdf, sealer=sealer, field_name="SecondSeal")


def test_seal_follows_earlier_approval_signatures(plain_pdf, sealer, impostor, roots):
    """Where the parties' own signatures are already in the PDF, the seal comes last and covers them all."""
    writer = IncrementalPdfFileWriter(io.BytesIO(plain_pdf))
    meta = signers.PdfSignatureMetadata(field_name="VendorSignature", md_algorithm="sha256")
    vendor_signed = signers.PdfSigner(meta, signer=impostor.signer).sign_pdf(writer).getvalue()

    sealed = seal_pdf(vendor_signed, sealer=sealer, document_id=DOCUMENT_ID)
    result = verify_pdf(sealed, trust_roots=roots)
    assert result.trusted and result.intact
    assert result.field_name == "PortalSeal"
    assert result.document_id == DOCUMENT_ID
    assert len(PdfFileReader(io.BytesIO(sealed)).embedded_signatures) == 2


def test_seal_fills_a_pre_created_empty_field_and_leaves_the_others(plain_pdf, sealer, roots):
    writer = IncrementalPdfFileWriter(io.BytesIO(plain_pdf))
    for name in ("DistrictSignature", "VendorSignature", "PortalSeal"):
        append_signature_field(writer, SigFieldSpec(sig_field_name=name))
    buffer = io.BytesIO()
    writer.write(buffer)

    sealed = seal_pdf(buffer.getvalue(), sealer=sealer, document_id=DOCUMENT_ID)
    assert verify_pdf(sealed, trust_roots=roots).trusted
    filled = {name: value is not None for name, value, _ in enumerate_sig_fields(PdfFileReader(io.BytesIO(sealed)))}
    assert filled == {"DistrictSignature": False, "VendorSignature": False, "PortalSeal": True}


def test_seal_rejects_a_document_id_it_could_not_read_back(plain_pdf, sealer):
    with pytest.raises(ValueError, match="document_id"):
        seal_pdf(plain_pdf, sealer=sealer, document_id="DPA 42 (draft)")
    with pytest.raises(ValueError, match="reason"):
        seal_pdf(plain_pdf, sealer=sealer, reason="Forged (document DPA-1)")


def test_seal_refuses_what_is_not_a_pdf(sealer):
    with pytest.raises(SealError, match="not a readable PDF"):
        seal_pdf(PNG, sealer=sealer)


def test_seal_and_verify_work_inside_a_running_event_loop(plain_pdf, sealer, roots):
    """pyHanko's synchronous calls use asyncio.run(), which fails inside a loop (an async view, Playwright)."""

    async def inside_a_loop():
        sealed = seal_pdf(plain_pdf, sealer=sealer, document_id=DOCUMENT_ID)
        return verify_pdf(sealed, trust_roots=roots)

    result = asyncio.run(inside_a_loop())
    assert result.trusted and result.document_id == DOCUMENT_ID


# --- verifying: the good case ---------------------------------------------------------------------------------


def test_portal_seal_is_intact_and_trusted(sealed_pdf, roots, no_network):
    result = verify_pdf(sealed_pdf, trust_roots=roots)
    assert result.is_pdf and result.signed and result.intact and result.trusted
    assert result.problem == ""
    assert result.signer == "DPA Portal development seal (DPA Portal)"
    assert result.field_name == "PortalSeal"
    assert result.document_id == DOCUMENT_ID
    now = datetime.datetime.now(datetime.UTC)
    assert result.signed_at is not None and now - datetime.timedelta(minutes=10) < result.signed_at <= now
    assert no_network == []


def test_document_id_is_in_the_signed_bytes(sealed_pdf):
    (start1, length1), (start2, length2) = signed_range(sealed_pdf)
    start, end, reason = reason_span(sealed_pdf)
    assert reason == f"Executed Data Privacy Agreement (document {DOCUMENT_ID})"
    # Inside one of the two signed ranges, not in the gap that holds the signature value (/Contents) itself.
    assert start1 <= start < end <= start1 + length1 or start2 <= start < end <= start2 + length2
    assert start1 == 0 and start2 + length2 == len(sealed_pdf)


def test_seal_without_document_id_reads_back_empty(plain_pdf, sealer, roots):
    result = verify_pdf(seal_pdf(plain_pdf, sealer=sealer), trust_roots=roots)
    assert result.trusted and result.document_id == ""


# --- verifying: what is not an executed DPA of this portal ----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        PNG,
        hashlib.shake_256(b"noise").digest(4096),
        b"",
        b"%PD",
        "%PDF-1.7 a string, not bytes",
        None,
    ],
    ids=["png", "random", "empty", "almost-a-header", "str", "none"],
)
def test_not_a_pdf(data, roots):
    result = verify_pdf(data, trust_roots=roots)
    assert not result.is_pdf
    assert not (result.signed or result.intact or result.trusted)
    assert result.problem == "This file is not a PDF."


def test_pdf_without_a_signature(plain_pdf, roots):
    result = verify_pdf(plain_pdf, trust_roots=roots)
    assert result.is_pdf and not result.signed
    assert not (result.intact or result.trusted)
    assert "no digital seal" in result.problem
    assert result.document_id == ""


def test_one_flipped_byte_in_the_page_content_breaks_the_seal(sealer, roots):
    # Uncompressed, so that the byte flipped is a glyph of the visible text, as a forger would change it.
    original = weasyprint.HTML(string="<h1>Test</h1><p>text</p>").write_pdf(uncompressed_pdf=True)
    sealed = seal_pdf(original, sealer=sealer, document_id=DOCUMENT_ID)
    assert verify_pdf(sealed, trust_roots=roots).trusted
    position = sealed.index(b"] TJ") - 3  # inside the last glyph code of a text-showing operator
    (start1, length1), _ = signed_range(sealed)
    assert start1 <= position < start1 + length1

    tampered = flip(sealed, position)
    assert text_of(tampered) != text_of(sealed)  # the reader sees other text
    result = verify_pdf(tampered, trust_roots=roots)
    assert result.signed and not result.intact and not result.trusted
    assert "changed after it was sealed" in result.problem
    assert result.document_id == ""


def test_any_flipped_byte_in_the_signed_range_breaks_the_seal(sealed_pdf, roots):
    (start1, length1), (start2, length2) = signed_range(sealed_pdf)
    signed_positions = [*range(start1, start1 + length1), *range(start2, start2 + length2)]
    # Every 13th byte (with the first and last of each range): headers, objects, the signature dictionary and
    # its /ByteRange, /Reason and document id, the xref and the trailer. All of them, one by one, take ~30 s.
    sample = sorted(
        {*signed_positions[::13], start1, start1 + length1 - 1, start2, start2 + length2 - 1}
        | set(range(*reason_span(sealed_pdf)[:2]))  # every byte of /Reason, which carries the document id
    )
    survived = []
    for position in sample:
        result = verify_pdf(flip(sealed_pdf, position), trust_roots=roots)
        if result.intact or result.trusted or result.document_id or not result.problem:
            survived.append((position, result))
    assert len(sample) > 400
    assert survived == []


def test_a_page_added_by_an_incremental_update_breaks_the_seal(sealed_pdf, sealer, roots):
    writer = pypdf.PdfWriter(io.BytesIO(sealed_pdf), incremental=True)
    writer.add_blank_page()
    buffer = io.BytesIO()
    writer.write(buffer)
    updated = buffer.getvalue()
    assert updated.startswith(sealed_pdf)
    assert len(pypdf.PdfReader(io.BytesIO(updated)).pages) == 2

    # The trap: pyHanko's bottom line still says yes, because the signed bytes themselves are untouched.
    assert pyhanko_status(updated, sealer.certificate).bottom_line
    result = verify_pdf(updated, trust_roots=roots)
    assert result.signed and not result.intact and not result.trusted
    assert "added to the PDF after it was sealed" in result.problem
    # Which executed document this copy was made from: the portal's seal over the original bytes says so.
    assert result.document_id == DOCUMENT_ID


def test_text_changed_by_an_incremental_update_breaks_the_seal(sealed_pdf, sealer, roots):
    writer = pypdf.PdfWriter(io.BytesIO(sealed_pdf), incremental=True)
    page = writer.pages[0]
    contents = page.get_contents()
    data = contents.get_data()
    glyph_x = b"<005b>"  # the "x" of "text" in this font subset
    assert glyph_x in data
    contents.set_data(data.replace(glyph_x, b"<0048>"))  # "text" -> "teet"
    page.replace_contents(contents)
    buffer = io.BytesIO()
    writer.write(buffer)
    updated = buffer.getvalue()
    assert "teet" in text_of(updated) and "text" not in text_of(updated)

    assert pyhanko_status(updated, sealer.certificate).bottom_line  # the trap again
    result = verify_pdf(updated, trust_roots=roots)
    assert not result.intact and not result.trusted
    assert "added to the PDF after it was sealed" in result.problem
    assert result.document_id == DOCUMENT_ID


def test_an_appended_update_cannot_change_the_document_id(sealed_pdf, sealer, roots):
    """An update may redefine the signature dictionary; the id must come from the bytes the seal signs."""
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed_pdf))
    signature_ref = writer.root["/AcroForm"]["/Fields"][0].get_object().raw_get("/V")
    signature = signature_ref.get_object()
    signature["/Reason"] = generic.TextStringObject("Executed Data Privacy Agreement (document DPA-2025-9999)")
    writer.mark_update(signature_ref)
    buffer = io.BytesIO()
    writer.write(buffer)
    updated = buffer.getvalue()
    # A reader of the whole file now sees the forged id, and the signature itself is still sound...
    assert "DPA-2025-9999" in str(PdfFileReader(io.BytesIO(updated)).embedded_signatures[-1].sig_object["/Reason"])
    status = pyhanko_status(updated, sealer.certificate)
    assert status.intact and status.valid

    result = verify_pdf(updated, trust_roots=roots)
    assert not result.intact and not result.trusted
    assert result.document_id == DOCUMENT_ID  # ...but the id reported is the one the portal signed


@pytest.mark.parametrize("tail", [b"junk", b"\n", bytes(range(256))], ids=["junk", "newline", "binary"])
def test_bytes_appended_after_the_seal_break_it(sealed_pdf, sealer, roots, tail):
    appended = sealed_pdf + tail
    assert pyhanko_status(appended, sealer.certificate).bottom_line  # the trap: pyHanko alone would accept it
    result = verify_pdf(appended, trust_roots=roots)
    assert result.signed and not result.intact and not result.trusted
    assert result.problem and result.document_id == DOCUMENT_ID


def test_bytes_put_before_the_pdf_break_the_seal(sealed_pdf, roots):
    result = verify_pdf(b"junk\n" + sealed_pdf, trust_roots=roots)
    assert not result.intact and not result.trusted and result.problem


def test_a_seal_by_another_certificate_with_the_same_name_is_not_trusted(plain_pdf, impostor, roots, no_network):
    assert impostor.certificate.subject == roots[0].subject  # same name, other key
    forged = seal_pdf(plain_pdf, sealer=impostor, document_id=DOCUMENT_ID)
    result = verify_pdf(forged, trust_roots=roots)
    assert result.signed and result.intact  # a sound signature...
    assert not result.trusted  # ...but not this portal's
    assert "not made with this portal's certificate" in result.problem
    assert result.document_id == ""  # never hand out an id a stranger wrote
    assert verify_pdf(forged + b"junk", trust_roots=roots).document_id == ""  # nor with bytes appended
    assert result.signer == "DPA Portal development seal (DPA Portal)"
    # Against its own certificate the same file verifies, so it is the trust root that decides.
    assert verify_pdf(forged, trust_roots=[impostor.certificate]).trusted
    assert no_network == []


@pytest.fixture(scope="module")
def example_ca():
    """A CA, as a production deployment's certificate would come from one: (key, name, certificate for trust_roots)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Document Signing CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=365))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, name, asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


def test_verification_stays_offline_for_a_ca_issued_certificate_that_names_revocation_servers(
    tmp_path, plain_pdf, example_ca, no_network
):
    """A certificate from a CA lists CRL, OCSP and issuer URLs; verifying must neither try them nor hang."""
    ca_key, ca_name, ca_certificate = example_ca
    now = datetime.datetime.now(datetime.UTC)
    portal = make_sealer(
        tmp_path,
        not_before=now - datetime.timedelta(days=1),
        not_after=now + datetime.timedelta(days=30),
        issuer=(ca_key, ca_name),
        urls=True,
    )
    sealed = seal_pdf(plain_pdf, sealer=portal, document_id=DOCUMENT_ID)
    started = time.monotonic()
    for roots in ([ca_certificate], [portal.certificate]):  # trusting the CA, or the portal's certificate itself
        result = verify_pdf(sealed, trust_roots=roots)
        assert result.trusted and result.document_id == DOCUMENT_ID
    assert no_network == []
    assert time.monotonic() - started < 5


def test_a_seal_made_while_the_certificate_was_valid_still_verifies_after_it_expires(tmp_path, plain_pdf, example_ca):
    """Judged at the signing time the seal declares (as Acrobat does), so executed DPAs outlive the certificate."""
    ca_key, ca_name, ca_certificate = example_ca
    now = datetime.datetime.now(datetime.UTC)
    not_after = now + datetime.timedelta(seconds=1.5)
    self_signed = make_sealer(tmp_path, not_before=now - datetime.timedelta(days=1), not_after=not_after)
    ca_issued = make_sealer(
        tmp_path, not_before=now - datetime.timedelta(days=1), not_after=not_after, issuer=(ca_key, ca_name)
    )
    sealed_self = seal_pdf(plain_pdf, sealer=self_signed, document_id=DOCUMENT_ID)
    sealed_ca = seal_pdf(plain_pdf, sealer=ca_issued, document_id=DOCUMENT_ID)
    # pyHanko allows one second of clock tolerance; wait until the certificates are expired beyond it.
    time.sleep(max(0.0, (not_after - datetime.datetime.now(datetime.UTC)).total_seconds()) + 1.5)
    assert datetime.datetime.now(datetime.UTC) > not_after + datetime.timedelta(seconds=1)

    for sealed, roots in ((sealed_self, [self_signed.certificate]), (sealed_ca, [ca_certificate])):
        result = verify_pdf(sealed, trust_roots=roots)
        assert result.intact and result.trusted, result.problem
        assert result.document_id == DOCUMENT_ID


def test_a_seal_made_with_an_expired_certificate_is_not_trusted(tmp_path, plain_pdf):
    now = datetime.datetime.now(datetime.UTC)
    expired = make_sealer(
        tmp_path, not_before=now - datetime.timedelta(days=30), not_after=now - datetime.timedelta(days=1)
    )
    result = verify_pdf(seal_pdf(plain_pdf, sealer=expired), trust_roots=[expired.certificate])
    assert result.intact and not result.trusted
    assert "certificate was not valid" in result.problem


def test_no_trust_roots_means_nothing_is_trusted(portal_settings, sealed_pdf):
    """An empty list is no trust root at all: neither the configured certificate nor the system's CA list."""
    result = verify_pdf(sealed_pdf, trust_roots=[])
    assert result.intact and not result.trusted


def test_default_trust_root_without_a_configured_certificate(settings, sealed_pdf):
    settings.DPA_SEAL_P12 = ""
    result = verify_pdf(sealed_pdf)
    assert result.intact and not result.trusted
    assert "no sealing certificate configured" in result.problem


def test_default_trust_root_is_the_configured_certificate(portal_settings, sealed_pdf, plain_pdf, impostor):
    assert verify_pdf(sealed_pdf).trusted
    assert not verify_pdf(seal_pdf(plain_pdf, sealer=impostor)).trusted


def _garble_signature_contents(data):
    start = data.index(b"/Contents <") + len(b"/Contents <")
    return data[:start] + b"zz" + data[start + 2 :]


def _garble_signing_time(data):
    # /M (D:20261128...) as pyHanko writes it, with ":" escaped: the year's first digit becomes "X".
    match = re.search(rb"/M \(D(?:\\072|:)(\d)", data)
    return data[: match.start(1)] + b"X" + data[match.end(1) :]


@pytest.mark.parametrize(
    ("corrupt", "problem"),
    [
        (_garble_signature_contents, "damaged"),
        (lambda data: data[: len(data) // 2], "damaged"),
        (lambda data: data[:-30], "damaged"),
        (lambda data: data.replace(b"/ByteRange", b"/ByteRanqe"), "damaged"),
        # Readable, with a signature, but a signing time (/M) that pyHanko fails on while validating.
        (_garble_signing_time, "could not be checked"),
    ],
    ids=["garbled-signature", "half", "no-trailer", "byterange-key", "garbled-signing-time"],
)
def test_a_corrupted_file_that_makes_pyhanko_raise(sealed_pdf, roots, corrupt, problem):
    damaged = corrupt(sealed_pdf)

    def pyhanko_alone():
        reader = PdfFileReader(io.BytesIO(damaged), strict=False)
        embedded = reader.embedded_signatures[-1]
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        return validate_pdf_signature(embedded, context)

    with pytest.raises(Exception):  # noqa: B017 - which exception depends on the damage
        pyhanko_alone()
    result = verify_pdf(damaged, trust_roots=roots)
    assert result.is_pdf
    assert result.signed == (problem == "could not be checked")
    assert not result.intact and not result.trusted
    assert problem in result.problem
    assert result.document_id == ""


def test_verification_never_raises_even_when_something_unforeseen_does(monkeypatch, sealed_pdf, roots):
    from agreements.documents import seal

    def unforeseen(*args, **kwargs):
        raise RecursionError("a PDF nested deeper than anyone expected")

    monkeypatch.setattr(seal, "_verify", unforeseen)
    result = verify_pdf(sealed_pdf, trust_roots=roots)
    assert result.is_pdf and not result.intact and not result.trusted
    assert "damaged" in result.problem
