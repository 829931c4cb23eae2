"""The ZIP of signed PDFs (portfolio/archive.py): real ZIPs built here, including hostile ones."""

import io
import struct
import zipfile

import pytest

from dpa_portal.errors import INVALID, ApplicationError
from portfolio import archive
from portfolio.archive import Entry, archive_open, looks_like_pdf

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 100 + b"%%EOF\n"


def zip_of(files: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as built:
        for name, data in files.items():
            built.writestr(name, data)
    out.seek(0)
    return out


def refusal(fileobj) -> str:
    with pytest.raises(ApplicationError) as caught:
        archive_open(fileobj)
    assert caught.value.code == INVALID
    return caught.value.message


def central_directory(raw: bytearray, name: bytes) -> int:
    """Where the central directory's record of `name` starts."""
    at = raw.rfind(b"PK\x01\x02", 0, raw.rfind(name))
    assert at > 0
    return at


@pytest.fixture(scope="module")
def district_zip():
    return zip_of(
        {
            "DPAs/CodeHS DPA 2025.pdf": PDF,
            "DPAs/Lexia.PDF": PDF,
            "DPAs/2024/Brightpath.pdf": PDF,
            "DPAs/2023/Brightpath.pdf": PDF,
            "DPAs/scanned letter.pdf": b"Dear district, please find our agreement attached.",
            "DPAs/notes.txt": b"call Pat",
            "../../etc/passwd": b"root:x:0:0",
            "/Users/pat/evil.pdf": PDF,
            "__MACOSX/DPAs/._Lexia.PDF": b"\x00\x05\x16\x07",
            "DPAs/.DS_Store": b"\x00\x00\x00\x01Bud1",
            "Unused DPA.pdf": PDF,
        }
    ).getvalue()


def test_a_districts_zip_lists_its_pdfs_and_says_what_it_ignores(district_zip):
    with archive_open(io.BytesIO(district_zip)) as pdfs:
        assert [e.name for e in pdfs.entries] == [
            "DPAs/CodeHS DPA 2025.pdf",
            "DPAs/Lexia.PDF",
            "DPAs/2024/Brightpath.pdf",
            "DPAs/2023/Brightpath.pdf",
            "DPAs/scanned letter.pdf",
            "Unused DPA.pdf",
        ]
        assert pdfs.entries[0] == Entry(
            "DPAs/CodeHS DPA 2025.pdf", "CodeHS DPA 2025.pdf", len(PDF), pdfs.entries[0].compressed_size
        )
        assert pdfs.problems == [
            "DPAs/notes.txt: not a PDF file name; ignored",
            "../../etc/passwd: a path that leaves the folder; ignored",
            "/Users/pat/evil.pdf: an absolute path; ignored",
            "Brightpath.pdf: 2 files have this name (DPAs/2024/Brightpath.pdf, DPAs/2023/Brightpath.pdf); "
            "a row must give the path of the one it means",
        ]


def test_a_row_finds_its_pdf_by_name_in_any_case_or_by_its_path(district_zip, tmp_path):
    path = tmp_path / "pdfs.zip"
    path.write_bytes(district_zip)
    with archive_open(path) as pdfs:
        assert pdfs.find("codehs dpa 2025.PDF").name == "DPAs/CodeHS DPA 2025.pdf"
        assert pdfs.find("lexia.pdf").name == "DPAs/Lexia.PDF"
        assert pdfs.read(pdfs.find("Lexia.pdf")) == PDF
        assert pdfs.find(r"dpas\2023\BRIGHTPATH.pdf").name == "DPAs/2023/Brightpath.pdf"
        assert pdfs.find("2023/Brightpath.pdf") is None  # a path must be the whole path
        assert pdfs.find("Brightpath.pdf") is None
        assert pdfs.find("") is None
        assert pdfs.missing_reason("Brightpath.pdf") == (
            "“Brightpath.pdf” names several files in the ZIP (DPAs/2024/Brightpath.pdf, DPAs/2023/Brightpath.pdf); "
            "write the path of the one you mean"
        )
        assert pdfs.missing_reason("Missing DPA.pdf") == "“Missing DPA.pdf” is not in the ZIP"
        assert pdfs.missing_reason("evil.pdf") == "“evil.pdf” is in the ZIP but ignored: an absolute path"
    assert pdfs._zip.fp is None  # closed with the block, the file it opened too


def test_pdfs_no_row_names_are_listed(district_zip):
    with archive_open(io.BytesIO(district_zip)) as pdfs:
        used = ["CodeHS DPA 2025.pdf", "LEXIA.pdf", "DPAs/2024/Brightpath.pdf", "scanned letter.pdf", "gone.pdf"]
        assert [e.name for e in pdfs.unused(used)] == ["DPAs/2023/Brightpath.pdf", "Unused DPA.pdf"]


def test_a_file_named_pdf_that_is_not_one_is_found_out(district_zip):
    with archive_open(io.BytesIO(district_zip)) as pdfs:
        letter = pdfs.find("scanned letter.pdf")
        assert not looks_like_pdf(pdfs.read(letter))
        assert looks_like_pdf(pdfs.read(pdfs.find("Unused DPA.pdf")))
        with pytest.raises(ApplicationError) as caught:
            pdfs.read_pdf(letter)
        assert (
            caught.value.message
            == "DPAs/scanned letter.pdf: named .pdf but is not a PDF (it does not start with %PDF-)."
        )
        assert pdfs.read_pdf(pdfs.find("Unused DPA.pdf")) == PDF


def test_names_written_in_utf8_without_the_zip_flag_read_as_written():
    """As Windows' archiver writes them: UTF-8 bytes without the flag that says so (zipfile reads them as CP437)."""
    raw = zip_of({"Xeducation.pdf": PDF}).getvalue()
    raw = raw.replace(b"Xeducation.pdf", "Éducation.pdf".encode())  # as many bytes: the ZIP stays whole
    with archive_open(io.BytesIO(raw)) as pdfs:
        assert [(e.name, e.basename) for e in pdfs.entries] == [("Éducation.pdf", "Éducation.pdf")]
        assert pdfs.read(pdfs.find("éducation.pdf")) == PDF


# --- Refused whole -----------------------------------------------------------------------------------------------


def test_what_is_not_a_zip_is_refused():
    assert refusal(io.BytesIO(PDF)) == (
        "This file is not a ZIP archive. Put the signed PDFs in a folder and compress it to a .zip file."
    )


def test_a_zip_bomb_is_refused_whole():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as built:
        built.writestr("CodeHS DPA.pdf", PDF)
        with built.open("Lexia DPA.pdf", "w") as bomb:
            for _ in range(20):
                bomb.write(bytes(1024 * 1024))
    assert len(out.getvalue()) < 100_000
    assert refusal(out) == (
        "The ZIP is refused: Lexia DPA.pdf would expand to 1,028 times its compressed size "
        "(more than 100 times is how a ZIP bomb looks; signed PDFs barely compress)."
    )


def test_password_protected_files_are_refused():
    raw = bytearray(zip_of({"CodeHS DPA.pdf": PDF, "Lexia.pdf": PDF}).getvalue())
    record = central_directory(raw, b"Lexia.pdf")
    (flags,) = struct.unpack("<H", raw[record + 8 : record + 10])
    raw[record + 8 : record + 10] = struct.pack("<H", flags | 0x1)
    assert refusal(io.BytesIO(bytes(raw))) == (
        "The ZIP has password-protected files (Lexia.pdf). Compress the PDFs again without a password."
    )


def test_the_limits_on_the_upload_the_count_and_the_total(monkeypatch):
    files = {f"{n}.pdf": PDF for n in range(5)}
    monkeypatch.setattr(archive, "ARCHIVE_MAX_BYTES", 1_000)
    assert (
        refusal(zip_of(files, zipfile.ZIP_STORED))
        == "The ZIP is larger than 1,000 bytes, the limit for one upload. Split it in two."
    )
    monkeypatch.undo()
    monkeypatch.setattr(archive, "MAX_ENTRIES", 4)
    assert refusal(zip_of(files)) == "The ZIP holds 5 files; the limit is 4."
    monkeypatch.undo()
    monkeypatch.setattr(archive, "MAX_TOTAL_UNCOMPRESSED", 4 * len(PDF))
    assert refusal(zip_of(files)) == "The files in the ZIP add up to 17.7 KiB once uncompressed; the limit is 14.1 KiB."


def test_the_documented_limits():
    assert (archive.ARCHIVE_MAX_BYTES, archive.MAX_ENTRIES, archive.MAX_TOTAL_UNCOMPRESSED) == (2**30, 20_000, 2**32)
    assert (archive.PDF_MAX_BYTES, archive.MAX_RATIO) == (20 * 2**20, 100)
    assert archive.human_size(archive.ARCHIVE_MAX_BYTES) == "1 GiB"
    assert archive.human_size(archive.PDF_MAX_BYTES) == "20 MiB"


# --- One file at a time ------------------------------------------------------------------------------------------


def test_a_pdf_over_its_limit_is_ignored_and_the_row_told_why(monkeypatch):
    monkeypatch.setattr(archive, "PDF_MAX_BYTES", 1_024)
    with archive_open(zip_of({"Big DPA.pdf": PDF, "Small.pdf": b"%PDF-1.7\n"})) as pdfs:
        assert [e.name for e in pdfs.entries] == ["Small.pdf"]
        assert pdfs.problems == ["Big DPA.pdf: 3.5 KiB, over the 1 KiB limit for one PDF; ignored"]
        assert pdfs.missing_reason("big dpa.pdf") == (
            "“big dpa.pdf” is in the ZIP but ignored: 3.5 KiB, over the 1 KiB limit for one PDF"
        )


@pytest.mark.parametrize("declared", [100, 50_000])
def test_a_size_header_that_lies_is_caught_when_the_file_is_read(declared):
    """The central directory declares a size the data does not have: smaller (zipfile stops there and the checksum
    fails) or larger (the data ends early)."""
    raw = bytearray(zip_of({"CodeHS DPA.pdf": PDF}).getvalue())
    record = central_directory(raw, b"CodeHS DPA.pdf")
    raw[record + 24 : record + 28] = struct.pack("<I", declared)
    raw[22:26] = struct.pack("<I", declared)  # and the local header, as a forger would
    with archive_open(io.BytesIO(bytes(raw))) as pdfs:
        [entry] = pdfs.entries
        assert entry.size == declared
        with pytest.raises(ApplicationError) as caught:
            pdfs.read(entry)
    assert caught.value.message == (
        "CodeHS DPA.pdf: the file does not match what the ZIP declares of it (its size or checksum); "
        "the ZIP is damaged or forged. Compress the PDFs again."
    )


def test_paths_may_start_inside_the_folder_that_was_compressed():
    """Compressing a folder keeps it as the top of every path; a district writes paths from inside it."""
    with archive_open(zip_of({"DPAs/2024/CodeHS.pdf": PDF, "DPAs/2023/CodeHS.pdf": PDF})) as pdfs:
        assert pdfs.find("2024/codehs.pdf").name == "DPAs/2024/CodeHS.pdf"
        assert pdfs.find(r".\DPAs\2023\CodeHS.pdf").name == "DPAs/2023/CodeHS.pdf"
        assert pdfs.find("CodeHS.pdf") is None
        assert pdfs.unused(["2024/CodeHS.pdf", "DPAs/2023/CodeHS.pdf"]) == []


def test_the_count_of_files_is_checked_from_the_zips_end_record_before_its_list_is_parsed():
    raw = bytearray(zip_of({"CodeHS DPA.pdf": PDF}).getvalue())
    end = raw.rfind(b"PK\x05\x06")
    raw[end + 10 : end + 12] = struct.pack("<H", 30_000)
    assert refusal(io.BytesIO(bytes(raw))) == "The ZIP holds 30,000 files; the limit is 20,000."
    raw[end + 10 : end + 12] = struct.pack("<H", 1)
    raw[end + 12 : end + 16] = struct.pack("<I", 50_000_000)
    assert refusal(io.BytesIO(bytes(raw))) == "The ZIP's list of files is 47.7 MiB, more than 20,000 files need."
