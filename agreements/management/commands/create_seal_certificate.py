"""Create a self-signed sealing certificate for development, as a PKCS#12 file.

The portal seals every executed DPA with this key (agreements.documents.seal). A production deployment should
use a certificate from a CA the districts already trust; this command is for development, tests and demos.
"""

import datetime
import os
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.management.base import BaseCommand, CommandError

DEFAULT_COMMON_NAME = "DPA Portal development seal"
ORGANIZATION = "DPA Portal"


def _private_key(key_type: str):
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def build_certificate(*, key, common_name: str, days: int) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
    # A few minutes of slack for clocks that disagree about "now".
    not_before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + datetime.timedelta(days=days))
        # An end-entity certificate that is its own trust anchor: it signs documents, never other certificates.
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation, which pyHanko's validator requires by default
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def _write_private_file(path: Path, data: bytes, *, force: bool) -> None:
    """Write `data` readable by the owner only, never through a moment where the key is world-readable."""
    if not force:
        # O_EXCL: refuse an existing file even if it appears between a check and the write.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{path} already exists; pass --force to replace it.") from None
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
        return
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


class Command(BaseCommand):
    help = (
        "Create a self-signed sealing certificate for development and write it with its private key to a "
        "PKCS#12 file (mode 0600). Point DPA_SEAL_P12 at the file and DPA_SEAL_P12_PASSPHRASE at its passphrase."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="path of the PKCS#12 file to write")
        parser.add_argument(
            "--passphrase-env",
            default="DPA_SEAL_P12_PASSPHRASE",
            metavar="VAR",
            help="environment variable holding the passphrase (default DPA_SEAL_P12_PASSPHRASE; unset or empty "
            "writes an unencrypted file)",
        )
        parser.add_argument("--days", type=int, default=3650, help="validity in days (default 3650)")
        parser.add_argument(
            "--common-name", default=DEFAULT_COMMON_NAME, help=f"subject CN (default {DEFAULT_COMMON_NAME!r})"
        )
        parser.add_argument("--key-type", choices=["rsa", "ec"], default="rsa", help="RSA 3072 (default) or EC P-256")
        parser.add_argument("--force", action="store_true", help="replace an existing file")

    def handle(self, *args, out, passphrase_env, days, common_name, key_type, force, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        common_name = common_name.strip()
        if not common_name:
            raise CommandError("--common-name must not be empty.")
        path = Path(out).expanduser()
        if not path.parent.is_dir():
            raise CommandError(f"The directory {path.parent} does not exist.")
        if path.exists() and not force:
            raise CommandError(f"{path} already exists; pass --force to replace it.")

        # The passphrase never goes on the command line, where `ps` and shell history would show it.
        passphrase = os.environ.get(passphrase_env, "")
        if passphrase:
            encryption = serialization.BestAvailableEncryption(passphrase.encode())
        else:
            encryption = serialization.NoEncryption()
            self.stderr.write(f"{passphrase_env} is empty: the private key is stored without a passphrase.")

        key = _private_key(key_type)
        certificate = build_certificate(key=key, common_name=common_name, days=days)
        data = pkcs12.serialize_key_and_certificates(
            name=common_name.encode(), key=key, cert=certificate, cas=None, encryption_algorithm=encryption
        )
        _write_private_file(path, data, force=force)

        self.stdout.write(f"Wrote {path.resolve()}")
        self.stdout.write(f"SHA-256 fingerprint: {fingerprint(certificate)}")
        self.stdout.write(f"Valid until {certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
