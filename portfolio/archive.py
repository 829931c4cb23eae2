"""The ZIP of signed PDFs a district uploads with its sheet (issue 12), read safely: never extracted to disk, each PDF
read into memory only when a row needs it.

The limits (the README quotes them):

- `ARCHIVE_MAX_BYTES`: the upload itself, 1 GiB.
- `MAX_ENTRIES`: 20,000 files in the ZIP (a district's few hundred DPAs, with room for other files).
- `MAX_TOTAL_UNCOMPRESSED`: 4 GiB, all files together once uncompressed.
- `PDF_MAX_BYTES`: 20 MiB for one PDF, the most the portal stores of a signed copy (agreements.outside, and what
  /verify/ takes); a larger file is listed as a problem and ignored.
- `MAX_RATIO`: a file over 1 MiB (`RATIO_FLOOR_BYTES`) may expand at most 100 times its compressed size. PDFs barely
  compress, so a higher ratio is a ZIP bomb.

A ZIP that breaks one of the limits (except a single PDF's size), that is not a ZIP, or that has password-protected
files is refused whole with `ApplicationError(INVALID)`. What only concerns one file (a path that climbs out of the
folder, an absolute path, a file that is not a PDF by its name, two files of the same name) is listed in
`PdfArchive.problems` and that file is ignored; `__MACOSX/`, `.DS_Store` and the like are skipped silently.

Sizes the ZIP declares are used to refuse early, never trusted: `PdfArchive.read` reads at most `PDF_MAX_BYTES + 1`
bytes and compares what came out with what the ZIP declared.
"""

import contextlib
import os
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

# Reused rather than copied: the public check of /verify/ and the import agree on what a PDF is. import-linter allows
# it (no contract forbids agreements.verification to another app).
from agreements.outside import MAX_PDF_BYTES
from agreements.verification import looks_like_pdf
from dpa_portal.errors import INVALID, ApplicationError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

ARCHIVE_MAX_BYTES = 1 * GIB
MAX_ENTRIES = 20_000
MAX_TOTAL_UNCOMPRESSED = 4 * GIB
PDF_MAX_BYTES = MAX_PDF_BYTES  # one number for the ZIP, the stored copy and /verify/
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1 * MIB
# The ZIP's table of contents, read before zipfile parses it: 20,000 entries with long paths fit well within it, and
# a table forged to hold millions of tiny entries (which would fill memory while being parsed) does not.
CENTRAL_DIRECTORY_MAX_BYTES = MAX_ENTRIES * 1 * KIB

# Files that archivers and operating systems add by themselves: nobody put them there, so nobody needs to hear of them.
_SILENT_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_SILENT_FOLDERS = {"__macosx"}

__all__ = [
    "ARCHIVE_MAX_BYTES",
    "MAX_ENTRIES",
    "MAX_RATIO",
    "MAX_TOTAL_UNCOMPRESSED",
    "PDF_MAX_BYTES",
    "Entry",
    "PdfArchive",
    "archive_open",
    "human_size",
    "looks_like_pdf",
]


def human_size(size: int) -> str:
    """1,073,741,824 -> "1 GiB"; 52,428,800 -> "50 MiB"; 1,500 -> "1.5 KiB"."""
    for unit, scale in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) or value >= 100 else f"{value:.1f} {unit}"
    return f"{size:,} bytes"


@dataclass(frozen=True)
class Entry:
    name: str  # the path inside the ZIP, with "/" between folders
    basename: str  # the file's name alone
    size: int  # as the ZIP declares it (checked when read)
    compressed_size: int


@dataclass
class PdfArchive:
    """An open ZIP of PDFs. Use it as a context manager, or call `close()`."""

    entries: list[Entry]
    problems: list[str]
    _zip: zipfile.ZipFile = field(repr=False)
    _infos: dict[str, zipfile.ZipInfo] = field(repr=False)
    _owned_file: object = field(default=None, repr=False)
    # Basenames (casefolded) -> the entries of that name; more than one makes the basename ambiguous.
    _by_basename: dict[str, list[Entry]] = field(default_factory=dict, repr=False)
    # Paths (casefolded) -> the entry; also without the one folder that holds everything, when the ZIP was made by
    # compressing a folder (Windows' "Send to > Compressed folder" and a Mac's "Compress" both keep it).
    _by_path: dict[str, Entry] = field(default_factory=dict, repr=False)
    # Paths (casefolded) of the files that were ignored, and why: to tell a row why its PDF was not found.
    _ignored: dict[str, str] = field(default_factory=dict, repr=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def owning(self, fileobj) -> "PdfArchive":
        """This archive closes `fileobj` (the file archive_open opened for a path) when it closes."""
        self._owned_file = fileobj
        return self

    def close(self):
        self._zip.close()
        if self._owned_file is not None:
            self._owned_file.close()

    def find(self, pdf_file: str) -> Entry | None:
        """The entry a sheet's pdf_file names: a bare file name matches any folder's file of that name (any case) when
        only one has it; a name with a folder must match that path (any case), from the ZIP's root or from inside the
        one folder that holds everything."""
        wanted = _clean_path(pdf_file).casefold()
        if not wanted:
            return None
        if "/" in wanted:
            return self._by_path.get(wanted)
        matches = self._by_basename.get(wanted, [])
        return matches[0] if len(matches) == 1 else None

    def missing_reason(self, pdf_file: str) -> str:
        """Why `find(pdf_file)` found nothing, as a sentence for the row."""
        wanted = _clean_path(pdf_file)
        key = wanted.casefold()
        if key in self._ignored:
            return f"“{pdf_file}” is in the ZIP but ignored: {self._ignored[key]}"
        matches = [] if "/" in key else self._by_basename.get(key, [])
        if len(matches) > 1:
            paths = ", ".join(e.name for e in matches)
            return f"“{pdf_file}” names several files in the ZIP ({paths}); write the path of the one you mean"
        return f"“{pdf_file}” is not in the ZIP"

    def read(self, entry: Entry) -> bytes:
        """The bytes of one file: at most PDF_MAX_BYTES, and exactly what the ZIP declared (size and checksum)."""
        info = self._infos[entry.name]
        forged = (
            f"{entry.name}: the file does not match what the ZIP declares of it (its size or checksum); "
            "the ZIP is damaged or forged. Compress the PDFs again."
        )
        try:
            with self._zip.open(info) as stream:
                data = stream.read(PDF_MAX_BYTES + 1)
        except (zipfile.BadZipFile, EOFError, zlib.error) as error:
            raise ApplicationError(forged, code=INVALID) from error
        except NotImplementedError as error:  # a compression method zipfile does not know
            raise ApplicationError(
                f"{entry.name}: compressed in a way the portal cannot read ({error}). Make the ZIP with the "
                'computer\'s own "Compress" or "Send to > Compressed folder".',
                code=INVALID,
            ) from error
        if len(data) > PDF_MAX_BYTES:
            raise ApplicationError(
                f"{entry.name}: larger than {human_size(PDF_MAX_BYTES)}, the limit for one PDF.", code=INVALID
            )
        if len(data) != info.file_size:
            raise ApplicationError(forged, code=INVALID)
        return data

    def read_pdf(self, entry: Entry) -> bytes:
        """`read`, refusing a file whose content is not a PDF whatever its name says."""
        data = self.read(entry)
        if not looks_like_pdf(data):
            raise ApplicationError(
                f"{entry.name}: named .pdf but is not a PDF (it does not start with %PDF-).", code=INVALID
            )
        return data

    def unused(self, names_used: Iterable[str]) -> list[Entry]:
        """The PDFs of the ZIP that no row names, in the ZIP's order."""
        used = {entry.name for entry in map(self.find, names_used) if entry is not None}
        return [entry for entry in self.entries if entry.name not in used]


def archive_open(path_or_fileobj) -> PdfArchive:
    """Open the uploaded ZIP and check it; refuse it whole (ApplicationError) if it breaks a limit."""
    owned = None
    if isinstance(path_or_fileobj, str | os.PathLike):
        owned = fileobj = open(path_or_fileobj, "rb")  # noqa: SIM115 (closed by PdfArchive.close, or below)
    else:
        fileobj = path_or_fileobj
    try:
        archive = _open(fileobj)
    except BaseException:
        if owned is not None:
            owned.close()
        raise
    return archive.owning(owned)


def _refuse(message: str):
    raise ApplicationError(message, code=INVALID)


def _open(fileobj) -> PdfArchive:
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > ARCHIVE_MAX_BYTES:
        _refuse(f"The ZIP is larger than {human_size(ARCHIVE_MAX_BYTES)}, the limit for one upload. Split it in two.")
    _check_directory(fileobj, size)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        _refuse("This file is not a ZIP archive. Put the signed PDFs in a folder and compress it to a .zip file.")
    try:
        return _checked(archive)
    except BaseException:
        archive.close()
        raise


def _check_directory(fileobj, size: int):
    """Read the ZIP's end record before zipfile does: refuse too many entries, or a table of contents too large, before
    anything is parsed. A file without an end record is left to zipfile to refuse."""
    tail_size = min(size, 22 + 65_535)
    fileobj.seek(size - tail_size)
    tail = fileobj.read(tail_size)
    fileobj.seek(0)
    # The end record is the last one whose comment runs exactly to the end of the file (a comment may hold its marker).
    at = tail.rfind(b"PK\x05\x06")
    while at >= 0 and (len(tail) - at < 22 or struct.unpack("<H", tail[at + 20 : at + 22])[0] != len(tail) - at - 22):
        at = tail.rfind(b"PK\x05\x06", 0, at)
    if at < 0:
        return
    entries, directory_size = struct.unpack("<10xHI", tail[at : at + 16])
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:  # ZIP64: the real numbers are in the ZIP64 end record
        locator = tail[at - 20 : at] if at >= 20 else b""
        if locator[:4] == b"PK\x06\x07":
            (record_at,) = struct.unpack("<Q", locator[8:16])
            if record_at + 56 <= size:
                fileobj.seek(record_at)
                record = fileobj.read(56)
                fileobj.seek(0)
                if record[:4] == b"PK\x06\x06":
                    entries, directory_size = struct.unpack("<Q Q", record[32:48])
    if entries > MAX_ENTRIES:
        _refuse(f"The ZIP holds {entries:,} files; the limit is {MAX_ENTRIES:,}.")
    if directory_size > CENTRAL_DIRECTORY_MAX_BYTES:
        _refuse(f"The ZIP's list of files is {human_size(directory_size)}, more than {MAX_ENTRIES:,} files need.")


def _display_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its author wrote it: Windows' and older Macs' archivers write UTF-8 names without the flag
    that says so, which zipfile then reads as CP437 ("Ã©" for "é")."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return name


def _clean_path(name: str) -> str:
    """ "  .\\2023\\CodeHS.pdf " -> "2023/CodeHS.pdf": Windows' separators, no empty or "." parts."""
    return "/".join(part for part in name.strip().replace("\\", "/").split("/") if part not in ("", "."))


def _checked(archive: zipfile.ZipFile) -> PdfArchive:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        _refuse(f"The ZIP holds {len(infos):,} files; the limit is {MAX_ENTRIES:,}.")
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_UNCOMPRESSED:
        _refuse(
            f"The files in the ZIP add up to {human_size(total)} once uncompressed; "
            f"the limit is {human_size(MAX_TOTAL_UNCOMPRESSED)}."
        )
    for info in infos:
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            _refuse(
                f"The ZIP is refused: {_display_name(info)} would expand to {ratio:,} times its compressed size "
                f"(more than {MAX_RATIO} times is how a ZIP bomb looks; signed PDFs barely compress)."
            )
    locked = [_display_name(info) for info in infos if info.flag_bits & 0x1]
    if locked:
        shown = ", ".join(locked[:3]) + (f" and {len(locked) - 3:,} more" if len(locked) > 3 else "")
        _refuse(f"The ZIP has password-protected files ({shown}). Compress the PDFs again without a password.")

    entries: list[Entry] = []
    by_name: dict[str, zipfile.ZipInfo] = {}
    problems: list[str] = []
    ignored: dict[str, str] = {}

    def ignore(name: str, reason: str):
        problems.append(f"{name}: {reason}; ignored")
        path = _clean_path(name)
        ignored[path.casefold()] = reason
        ignored.setdefault(path.rsplit("/", 1)[-1].casefold(), reason)

    for info in infos:
        raw = _display_name(info)
        name = raw.strip().replace("\\", "/")
        if info.is_dir() or name.endswith("/"):
            continue
        parts = _clean_path(name).split("/")
        basename = parts[-1] if parts else ""
        if any(part.casefold() in _SILENT_FOLDERS for part in parts[:-1]) or basename.casefold() in _SILENT_NAMES:
            continue
        if basename.startswith("._"):  # a Mac's resource fork beside the file
            continue
        if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            ignore(raw, "an absolute path")
            continue
        if ".." in parts:
            ignore(raw, "a path that leaves the folder")
            continue
        if not basename.casefold().endswith(".pdf"):
            ignore(raw, "not a PDF file name")
            continue
        if info.file_size > PDF_MAX_BYTES:
            ignore(raw, f"{human_size(info.file_size)}, over the {human_size(PDF_MAX_BYTES)} limit for one PDF")
            continue
        path = "/".join(parts)
        if path in by_name:
            problems.append(f"{path}: in the ZIP twice; the first is read")
            continue
        by_name[path] = info
        entries.append(Entry(path, basename, info.file_size, info.compress_size))

    by_basename: dict[str, list[Entry]] = {}
    for entry in entries:
        by_basename.setdefault(entry.basename.casefold(), []).append(entry)
    for same in by_basename.values():
        if len(same) > 1:
            paths = ", ".join(e.name for e in same)
            problems.append(
                f"{same[0].basename}: {len(same)} files have this name ({paths}); "
                "a row must give the path of the one it means"
            )
    by_path: dict[str, Entry] = {}
    tops = {entry.name.split("/", 1)[0] for entry in entries}
    wrapped = len(tops) == 1 and all("/" in entry.name for entry in entries)
    for entry in entries:
        by_path.setdefault(entry.name.casefold(), entry)
        if wrapped:
            by_path.setdefault(entry.name.split("/", 1)[1].casefold(), entry)
    return PdfArchive(
        entries=entries,
        problems=problems,
        _zip=archive,
        _infos=by_name,
        _by_basename=by_basename,
        _by_path=by_path,
        _ignored=ignored,
    )
