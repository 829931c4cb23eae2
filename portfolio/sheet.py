"""The import template of a district's portfolio (issue 12), and reading a filled one: one row per agreement the
district signed before the portal, as CSV (as Excel saves it, in any of its encodings and separators) or XLSX.

Reading is in two steps. `sheet_read` turns the file into rows of text keyed by the template's columns, and refuses
only a file it cannot read at all. `row_parse` turns one row into typed values and lists every problem of the row, so
that a dry run can show all of them at once and nothing is lost.

The columns are data (`COLUMNS`): the template, its instructions, the reader and the CSV writer all follow them.
"""

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from dpa_portal.errors import INVALID, ApplicationError
from dpa_portal.lengths import line_count, max_lines
from dpa_portal.spreadsheets import formula_safe, formula_unquoted
from exhibits.models import EXHIBIT_B_LENGTHS

from . import archive

MAX_ROWS = 10_000
SHEET_MAX_BYTES = 20 * 1024 * 1024
# An XLSX is a ZIP of XML: a 20 MB workbook of text is at most a few hundred MB of XML. More is a bomb.
XLSX_MAX_UNCOMPRESSED = 300 * 1024 * 1024
# Names of vendors, people and products, as the vendors' models hold them (CharField of 200).
NAME_LENGTH = 200
EMAIL_LENGTH = 254
URL_LENGTH = 200


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header of the template
    label: str  # the human name; also accepted as a header
    required: bool
    help: str  # the one sentence the template's instructions show
    limit: int | None = None  # characters, for a text


# The six 121.3(c) items as the sheet names them -> their limit (Exhibit B's where it has the field).
ITEM_LIMITS = {
    "purposes": EXHIBIT_B_LENGTHS["purposes"],
    "subcontractor_terms": 2_000,
    "data_transition": EXHIBIT_B_LENGTHS["data_transition_details"],
    "accuracy_challenges": 2_000,
    "storage_and_security": EXHIBIT_B_LENGTHS["security_measures"],
    "encryption": EXHIBIT_B_LENGTHS["encryption_details"],
}
DATE_KEYS = ("service_agreement_date", "contract_start", "contract_end", "review_on")

COLUMNS: tuple[Column, ...] = (
    Column("vendor", "Vendor", True, "The contractor's legal name, as in the signed agreement.", NAME_LENGTH),
    Column("vendor_website", "Vendor website", False, "The contractor's web address, e.g. https://codehs.com.", 200),
    Column("vendor_contact_name", "Vendor contact name", False, "The person to write to at the contractor.", 200),
    Column("vendor_contact_email", "Vendor contact e-mail", False, "That person's e-mail address.", EMAIL_LENGTH),
    Column("products", "Products", False, "The products the agreement covers, separated by semicolons."),
    Column(
        "service_agreement_date",
        "Service agreement date",
        False,
        "The date of the Service Agreement this DPA belongs to (DPA II.1).",
    ),
    Column("contract_start", "Contract start", False, "The first day of the agreement's term."),
    Column("contract_end", "Contract end", False, "The last day of the term; leave blank if it runs until terminated."),
    Column(
        "runs_until_terminated",
        "Runs until terminated",
        False,
        "yes if the agreement has no end date and runs until either party ends it; blank means no.",
    ),
    Column(
        "review_on",
        "Review on",
        False,
        "For an agreement that runs until terminated: the date the district will next review it.",
    ),
    Column(
        "purposes",
        "Purposes",
        False,
        "121.3(c) item 1: the exclusive purposes for which the contractor receives the data.",
        ITEM_LIMITS["purposes"],
    ),
    Column(
        "subcontractors",
        "Subcontractors",
        False,
        "121.3(c) item 2: the subcontractors' names separated by semicolons, or the word none.",
    ),
    Column(
        "subcontractor_terms",
        "Subcontractor terms",
        False,
        "121.3(c) item 2: how the contractor makes its subcontractors abide by the same data protection obligations.",
        ITEM_LIMITS["subcontractor_terms"],
    ),
    Column(
        "data_transition",
        "Data transition",
        False,
        "121.3(c) item 3: what happens to the data when the agreement ends (returned, transferred, destroyed).",
        ITEM_LIMITS["data_transition"],
    ),
    Column(
        "accuracy_challenges",
        "Accuracy challenges",
        False,
        "121.3(c) item 4: how a parent, student, teacher or principal may challenge the accuracy of the data.",
        ITEM_LIMITS["accuracy_challenges"],
    ),
    Column(
        "storage_and_security",
        "Storage and security",
        False,
        "121.3(c) item 5: where the data is stored and the security protections that keep it safe.",
        ITEM_LIMITS["storage_and_security"],
    ),
    Column(
        "encryption",
        "Encryption",
        False,
        "121.3(c) item 6: how the data is encrypted in motion and at rest.",
        ITEM_LIMITS["encryption"],
    ),
    Column(
        "pii_kinds",
        "PII kinds",
        False,
        "The kinds of personally identifiable information: Student PII, APPR data, or both separated by a semicolon.",
    ),
    Column("pdf_file", "PDF file", False, "The signed agreement's file name in the ZIP of PDFs, e.g. CodeHS DPA.pdf."),
)
KEYS = tuple(column.key for column in COLUMNS)
BY_KEY = {column.key: column for column in COLUMNS}

EXAMPLE = {
    "vendor": "CodeHS, Inc.",
    "vendor_website": "https://codehs.com",
    "vendor_contact_name": "Privacy Team",
    "vendor_contact_email": "privacy@codehs.com",
    "products": "CodeHS",
    "service_agreement_date": date(2025, 6, 15),
    "contract_start": date(2025, 7, 1),
    "contract_end": date(2028, 6, 30),
    "runs_until_terminated": "no",
    "review_on": "",
    "purposes": "To provide the CodeHS computer science curriculum and learning platform to the district's students "
    "and teachers: student and teacher accounts, assignments, progress and grades.",
    "subcontractors": "Amazon Web Services",
    "subcontractor_terms": "CodeHS will require any subcontractors to uphold privacy policies and procedures that are "
    "of an equal or greater standard than the terms of this agreement.",
    "data_transition": "All district data will be securely destroyed.",
    "accuracy_challenges": "A parent, student, teacher or principal asks the district, which forwards the request; "
    "CodeHS corrects the data within 21 days.",
    "storage_and_security": "All data and traffic are encrypted using HTTPS. Data is stored with AWS in encrypted "
    "databases. Access to PII is limited to trained employees who need it to provide the service.",
    "encryption": "HTTPS (TLS) for all data in motion; encrypted databases at rest.",
    "pii_kinds": "Student PII",
    "pdf_file": "CodeHS DPA 2025.pdf",
}

DATE_FORMS = ("2027-06-30", "6/30/2027", "06/30/27", "June 30, 2027", "Jun 30 2027", "30-Jun-2027")
DATE_HELP = "Dates may be written " + ", ".join(DATE_FORMS) + " (month before day), or be date cells in Excel."
PII_KINDS = {"student pii": "student", "student data": "student", "appr data": "appr", "appr": "appr"}
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
UTF8_BOM = b"\xef\xbb\xbf"


# --- Headers ---------------------------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    """ "Vendor contact e-mail", "VENDOR_CONTACT_EMAIL", "\ufeffvendor-contact email" -> one spelling."""
    return re.sub(r"[^0-9a-z]+", "_", text.replace("\ufeff", "").casefold()).strip("_").replace("e_mail", "email")


HEADER_NAMES = {_header_key(c.key): c.key for c in COLUMNS} | {_header_key(c.label): c.key for c in COLUMNS}


# --- Reading a sheet -------------------------------------------------------------------------------------------


@dataclass
class SheetRow:
    number: int  # the row as Excel numbers it: the header is row 1
    values: dict[str, str]  # every template key, stripped; "" when absent


@dataclass
class Sheet:
    rows: list[SheetRow]
    encoding: str  # "UTF-8", "UTF-8 with BOM", "Windows-1252" or "XLSX"
    delimiter: str  # ",", ";", "\t"; "" for an XLSX
    unknown_columns: list[str] = field(default_factory=list)  # as written; ignored
    missing_columns: list[str] = field(default_factory=list)  # template keys absent; fine unless required
    problems: list[str] = field(default_factory=list)  # about the sheet as a whole


def _refuse(message: str):
    raise ApplicationError(message, code=INVALID)


def sheet_read(filename: str, data: bytes) -> Sheet:
    """Read an uploaded sheet, CSV or XLSX, by what it holds rather than by its name."""
    if len(data) > SHEET_MAX_BYTES:
        _refuse(
            f"“{filename}” is larger than {archive.human_size(SHEET_MAX_BYTES)}, the limit for a sheet. "
            "Split it into several sheets."
        )
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(filename, data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        _refuse(f"“{filename}” is an old Excel workbook (.xls). Save it as .xlsx or as CSV and upload it again.")
    return _read_csv(filename, data)


def _not_a_sheet(filename: str):
    _refuse(f"“{filename}” is not a CSV or XLSX file. Start from the template and save it as CSV or XLSX.")


def _decode(filename: str, data: bytes) -> tuple[str, str]:
    head = data[:65_536]
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0D))
    if b"\x00" in head or controls > len(head) // 100:
        _not_a_sheet(filename)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        try:
            return data.decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            pass
    try:
        # Excel on Windows saves "CSV (Comma delimited)" in the machine's code page: Windows-1252 in the US.
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        _not_a_sheet(filename)


def _delimiter(text: str) -> str:
    """The separator of the header line: the most frequent of comma, semicolon (Excel where the decimal mark is a
    comma) and tab (a "Text" export), outside quotes."""
    header = ""
    for line in text[:65_536].splitlines():
        if line.strip(" ,;\t"):
            header = line
            break
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(filename: str, data: bytes) -> Sheet:
    text, encoding = _decode(filename, data)
    delimiter = _delimiter(text)
    try:
        records = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)
        return _build(filename, records, encoding, delimiter)
    except csv.Error as error:
        _refuse(f"“{filename}” cannot be read as CSV ({error}). Save it again from Excel as CSV.")


def _read_xlsx(filename: str, data: bytes) -> Sheet:
    from openpyxl import load_workbook  # only an XLSX upload pays for importing openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            unpacked = sum(info.file_size for info in package.infolist())
    except zipfile.BadZipFile:
        _not_a_sheet(filename)
    if "xl/workbook.xml" not in names:
        _refuse(f"“{filename}” is a ZIP archive, not a spreadsheet. Upload the sheet here and the ZIP of PDFs below.")
    if unpacked > XLSX_MAX_UNCOMPRESSED:
        _refuse(f"“{filename}” holds {archive.human_size(unpacked)} once uncompressed; that is not a sheet of DPAs.")
    broken = f"“{filename}” cannot be read as an Excel workbook. Save it again from Excel as .xlsx."
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any failure to open a workbook (bad XML, missing parts...) means this is not one we can read
        _refuse(broken)
    try:
        names = {name.casefold(): name for name in workbook.sheetnames}
        worksheet = workbook[names["agreements"]] if "agreements" in names else workbook.worksheets[0]
        # Workbooks not written by Excel often declare a wrong size; read every row there is.
        worksheet.reset_dimensions()
        records = enumerate(worksheet.iter_rows(values_only=True), start=1)
        return _build(filename, records, "XLSX", "")
    except ApplicationError:
        raise
    except Exception:  # the rows are parsed as they are read: bad XML (or an XML bomb, which expat stops) shows here
        _refuse(broken)
    finally:
        workbook.close()


def _cell_text(value, key: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if key in DATE_KEYS and 1 <= value < 2_958_466:  # a date typed into a cell formatted as a number
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date().isoformat()
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


def _unprotect(text: str) -> str:
    """A cell the export wrote as '=... (so that a spreadsheet shows it as text) reads back as =..."""
    return formula_unquoted(text)


def _build(filename: str, records, encoding: str, delimiter: str) -> Sheet:
    header = None
    for number, cells in records:
        if any(_cell_text(c).strip() for c in cells):
            header = (number, cells)
            break
    if header is None:
        _refuse(f"“{filename}” is empty: it has no header row. Start from the template.")
    header_number, header_cells = header
    positions: dict[str, int] = {}
    unknown: list[str] = []
    problems: list[str] = []
    for index, cell in enumerate(header_cells):
        written = _cell_text(cell).replace("\ufeff", "").strip()
        if not written:
            continue
        key = HEADER_NAMES.get(_header_key(written))
        if key is None:
            unknown.append(written)
        elif key in positions:
            problems.append(f"The column {key} appears twice; the first one is read.")
        else:
            positions[key] = index
    if "vendor" not in positions:
        _refuse(
            f"“{filename}” has no vendor column. Its first row must be the template's header row "
            f"({', '.join(KEYS[:3])}, ...); start from the template."
        )
    headed = {i for i, cell in enumerate(header_cells) if _cell_text(cell).replace("\ufeff", "").strip()}
    key_at = {index: key for key, index in positions.items()}
    rows: list[SheetRow] = []
    stray: list[int] = []
    for number, cells in records:
        texts = [_cell_text(cell, key_at.get(i)).strip() for i, cell in enumerate(cells)]
        if not any(texts):
            continue
        if len(rows) >= MAX_ROWS:
            _refuse(f"“{filename}” has more than {MAX_ROWS:,} rows of agreements. Split it into several sheets.")
        if any(text and i not in headed for i, text in enumerate(texts)):
            stray.append(number)
        values = dict.fromkeys(KEYS, "")
        for key, index in positions.items():
            if index < len(texts):
                values[key] = _unprotect(texts[index])
        rows.append(SheetRow(number, values))
    if stray:
        shown = ", ".join(map(str, stray[:10])) + (" ..." if len(stray) > 10 else "")
        rows_have = f"Row {shown} has" if len(stray) == 1 else f"Rows {shown} have"
        problems.append(f"{rows_have} values in columns without a header; those values are ignored.")
    if not rows:
        problems.append(f"“{filename}” has no agreements below its header row (row {header_number}).")
    return Sheet(
        rows=rows,
        encoding=encoding,
        delimiter=delimiter,
        unknown_columns=unknown,
        missing_columns=[key for key in KEYS if key not in positions],
        problems=problems,
    )


# --- Dates ------------------------------------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_US = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
_MONTH_FIRST = re.compile(r"([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_DAY_FIRST = re.compile(r"(\d{1,2})[-\s]([a-z]+)\.?[-\s,]+(\d{4}|\d{2})")


def _year(text: str) -> int:
    """Two digits as Excel reads them: 00-29 are 2000-2029, 30-99 are 1930-1999."""
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 30 else 1900
    return year


def parse_date(text: str) -> date | None:
    """A date as a district writes it; None when blank. Month before day, as in the US."""
    text = (text or "").strip()
    if not text:
        return None
    lowered = text.casefold()
    parts = None
    if match := _ISO.fullmatch(lowered):
        parts = (int(match[1]), int(match[2]), int(match[3]))
    elif match := _US.fullmatch(lowered):
        parts = (_year(match[4]), int(match[1]), int(match[3]))
    elif (match := _MONTH_FIRST.fullmatch(lowered)) and match[1] in MONTHS:
        parts = (int(match[3]), MONTHS[match[1]], int(match[2]))
    elif (match := _DAY_FIRST.fullmatch(lowered)) and match[2] in MONTHS:
        parts = (_year(match[3]), MONTHS[match[2]], int(match[1]))
    if parts is not None:
        try:
            return date(*parts)
        except ValueError:
            pass
    raise ValueError(f"“{text}” is not a date; write it as 2027-06-30 or 6/30/2027")


# --- One row ----------------------------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    vendor: str
    vendor_website: str
    vendor_contact_name: str
    vendor_contact_email: str
    products: list[str]
    service_agreement_date: date | None
    contract_start: date | None
    contract_end: date | None
    runs_until_terminated: bool
    review_on: date | None
    items: dict[str, str]  # the ITEM_LIMITS keys -> text, "" when not given
    subcontractors: list[str] | None  # None: not said; []: "none"
    student_pii: bool | None  # None when pii_kinds is blank
    appr_data: bool | None
    pdf_file: str
    problems: list[str] = field(default_factory=list)

    def key(self) -> str:
        """The same agreement written twice has the same key: names compared without case or extra spaces."""

        def norm(text: str) -> str:
            return " ".join(text.split()).casefold()

        content = {
            "vendor": norm(self.vendor),
            "products": sorted(norm(p) for p in self.products),
            "dates": [
                d.isoformat() if d else ""
                for d in (self.service_agreement_date, self.contract_start, self.contract_end, self.review_on)
            ],
            "runs_until_terminated": self.runs_until_terminated,
            "items": {k: " ".join(v.split()) for k, v in sorted(self.items.items())},
            "subcontractors": None if self.subcontractors is None else sorted(map(norm, self.subcontractors)),
            "pii": [self.student_pii, self.appr_data],
            "pdf_file": norm(self.pdf_file),
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _names(text: str) -> list[str]:
    """ "CodeHS; codehs ;; CodeHS Pro" -> ["CodeHS", "CodeHS Pro"]: order kept, repeats (any case) dropped."""
    seen: dict[str, str] = {}
    for part in text.split(";"):
        name = " ".join(part.split())
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


_url = URLValidator(schemes=["http", "https"])


def row_parse(row: SheetRow) -> ParsedRow:
    """Typed values of one row and every problem in it, each a sentence that starts with the column's key."""
    v = row.values
    problems: list[str] = []

    def limited(key: str, text: str, limit: int) -> str:
        if len(text) > limit:
            problems.append(f"{key}: {len(text):,} characters; the limit is {limit:,}")
        elif (lines := line_count(text)) > max_lines(limit):
            problems.append(f"{key}: {lines:,} lines; the limit is {max_lines(limit):,}")
        return text

    def day(key: str) -> date | None:
        try:
            return parse_date(v[key])
        except ValueError as error:
            problems.append(f"{key}: {error}")
            return None

    vendor = limited("vendor", " ".join(v["vendor"].split()), NAME_LENGTH)
    if not vendor:
        problems.append("vendor is required")
    website = v["vendor_website"]
    if website:
        if "://" not in website:
            website = f"https://{website}"
        try:
            _url(website)
        except ValidationError:
            problems.append(f"vendor_website: “{v['vendor_website']}” is not a web address")
        limited("vendor_website", website, URL_LENGTH)
    contact_name = limited("vendor_contact_name", v["vendor_contact_name"], NAME_LENGTH)
    email = v["vendor_contact_email"]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"vendor_contact_email: “{email}” is not an e-mail address")
    products = _names(v["products"])
    for product in products:
        if len(product) > NAME_LENGTH:
            problems.append(f"products: “{product[:40]}...” is {len(product):,} characters; the limit is {NAME_LENGTH}")

    service_date, start, end, review_on = (day(key) for key in DATE_KEYS)
    if start and end and end < start:
        problems.append("contract_end is before contract_start")
    until = v["runs_until_terminated"].casefold()
    if until not in YES | NO:
        problems.append(f"runs_until_terminated: “{v['runs_until_terminated']}” is not yes or no")
    runs_until_terminated = until in YES
    if runs_until_terminated and end:
        problems.append("contract_end is given but runs_until_terminated is yes; leave one of them blank")
    if runs_until_terminated and not review_on and not v["review_on"]:
        problems.append("review_on is required when runs_until_terminated is yes: the date the district will review it")
    if review_on and not runs_until_terminated:
        problems.append("review_on is only for an agreement that runs until terminated (runs_until_terminated: yes)")

    items = {key: limited(key, v[key], limit) for key, limit in ITEM_LIMITS.items()}

    subcontractors: list[str] | None = None
    if v["subcontractors"]:
        subcontractors = [] if v["subcontractors"].casefold() == "none" else _names(v["subcontractors"])
        for name in subcontractors:
            if len(name) > NAME_LENGTH:
                problems.append(
                    f"subcontractors: “{name[:40]}...” is {len(name):,} characters; the limit is {NAME_LENGTH}"
                )

    student_pii = appr_data = None
    if v["pii_kinds"]:
        kinds = set()
        for part in re.split(r"[;,]", v["pii_kinds"]):
            name = " ".join(part.split())
            if not name:
                continue
            kind = PII_KINDS.get(name.casefold())
            if kind is None:
                problems.append(f"pii_kinds: “{name}” is not one of Student PII, APPR data")
            kinds.add(kind)
        student_pii, appr_data = "student" in kinds, "appr" in kinds

    pdf_file = v["pdf_file"].replace("\\", "/")
    if pdf_file and not pdf_file.casefold().endswith(".pdf"):
        problems.append(f"pdf_file: “{pdf_file}” is not a PDF file name (it must end in .pdf)")

    return ParsedRow(
        number=row.number,
        vendor=vendor,
        vendor_website=website,
        vendor_contact_name=contact_name,
        vendor_contact_email=email,
        products=products,
        service_agreement_date=service_date,
        contract_start=start,
        contract_end=end,
        runs_until_terminated=runs_until_terminated,
        review_on=review_on,
        items=items,
        subcontractors=subcontractors,
        student_pii=student_pii,
        appr_data=appr_data,
        pdf_file=pdf_file,
        problems=problems,
    )


def duplicates(parsed: list[ParsedRow]) -> dict[int, int]:
    """Row number -> the number of the earlier row it repeats."""
    first: dict[str, int] = {}
    repeats: dict[int, int] = {}
    for row in parsed:
        key = row.key()
        if key in first:
            repeats[row.number] = first[key]
        else:
            first[key] = row.number
    return repeats


# --- Writing ----------------------------------------------------------------------------------------------------


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text (dpa_portal.spreadsheets, the open data's rule too)."""
    return formula_safe(_text(value))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    return str(value)


def rows_to_csv(rows: Iterable[dict], extra: Sequence[str] = ()) -> Iterator[bytes]:
    """The template's CSV, a line at a time: UTF-8 with a BOM, the template's columns (then `extra` ones, e.g. an end
    report's outcome), every cell safe from formula injection. Missing keys are blank; lists join with "; "."""
    columns = (*KEYS, *extra)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells) -> bytes:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue().encode("utf-8")

    yield UTF8_BOM + line(columns)
    for row in rows:
        yield line(csv_safe(row.get(key)) for key in columns)


def template_csv() -> bytes:
    return b"".join(rows_to_csv([EXAMPLE]))


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Agreements"
    bold = Font(bold=True)
    sheet.append(list(KEYS))
    sheet.append([EXAMPLE[key] for key in KEYS])
    for index, key in enumerate(KEYS, start=1):
        sheet.cell(1, index).font = bold
        cell = sheet.cell(2, index)
        if isinstance(EXAMPLE[key], date):
            cell.number_format = "yyyy-mm-dd"
        width = max(len(key), min(len(_text(EXAMPLE[key])), 50)) + 2
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("Instructions")
    notes.append(["Import of agreements signed before the portal: one row per agreement, on the sheet Agreements."])
    notes.append(["Keep the header row (row 1); delete the example row (row 2) before importing."])
    notes.append([])
    notes.append(["column", "label", "required", "what to write"])
    for cell in notes[4]:
        cell.font = bold
    for column in COLUMNS:
        help_text = column.help + (f" At most {column.limit:,} characters." if column.limit else "")
        notes.append([column.key, column.label, "yes" if column.required else "no", help_text])
    notes.append([])
    notes.append(["Dates", DATE_HELP])
    notes.append(["Limits", f"At most {MAX_ROWS:,} rows; the sheet at most {archive.human_size(SHEET_MAX_BYTES)}."])
    notes.append(
        [
            "",
            f"The ZIP of signed PDFs: at most {archive.human_size(archive.ARCHIVE_MAX_BYTES)}, "
            f"{archive.MAX_ENTRIES:,} files and {archive.human_size(archive.MAX_TOTAL_UNCOMPRESSED)} uncompressed; "
            f"each PDF at most {archive.human_size(archive.PDF_MAX_BYTES)}; a file that expands more than "
            f"{archive.MAX_RATIO} times is refused as a ZIP bomb.",
        ]
    )
    for letter, width in zip("ABCD", (24, 26, 10, 110), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_col=4, max_col=4):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
