"""Where the district's uploaded breach letters are kept: under the media root, which nothing serves; each file is
read only through a view that checks who asks (access.BREACH_READERS)."""

from django.core.files.storage import FileSystemStorage

# What a district may attach as a vendor's letter (121.10(d)): a scan or a PDF, by its first bytes, never by its name.
LETTER_MAX_BYTES = 10_485_760  # 10 MB
LETTER_KINDS = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
}


def letter_kind(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, PNG or JPEG by its magic bytes; None for anything else."""
    return next((kind for magic, kind in LETTER_KINDS.items() if head.startswith(magic)), None)


def letter_file_kind(file) -> tuple[str, str] | None:
    """letter_kind of an open file (an upload, or a stored letter), read from its start and left there."""
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    return letter_kind(head)


class PrivateStorage(FileSystemStorage):
    """Files with no public address: `url()` refuses, so that no template can link to one by mistake."""

    def url(self, name):
        raise ValueError("Private files are served by a view that checks who asks, never by URL.")


_private = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _private
