"""Reading a district's sheet of agreements (portfolio/sheet.py): files as Excel and people write them, built here."""

import io
import time
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from dpa_portal.errors import INVALID, ApplicationError
from portfolio import sheet
from portfolio.sheet import (
    KEYS,
    duplicates,
    parse_date,
    row_parse,
    rows_to_csv,
    sheet_read,
    template_csv,
    template_xlsx,
)

HEADER = ",".join(KEYS)


def refusal(filename, data) -> str:
    with pytest.raises(ApplicationError) as caught:
        sheet_read(filename, data)
    assert caught.value.code == INVALID
    return caught.value.message


def parsed(filename, data):
    return [row_parse(row) for row in sheet_read(filename, data).rows]


# --- The template ------------------------------------------------------------------------------------------------


def test_template_csv_has_a_bom_the_keys_and_an_example_that_reads_back_without_a_problem():
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbfvendor,vendor_website,vendor_contact_name,")
    assert data.count(b"\xef\xbb\xbf") == 1
    read = sheet_read("template.csv", data)
    assert (read.encoding, read.delimiter, read.missing_columns, read.unknown_columns) == (
        "UTF-8 with BOM",
        ",",
        [],
        [],
    )
    [row] = [row_parse(r) for r in read.rows]
    assert row.problems == []
    assert (row.number, row.vendor, row.products) == (2, "CodeHS, Inc.", ["CodeHS"])
    assert (row.contract_start, row.contract_end) == (date(2025, 7, 1), date(2028, 6, 30))
    assert (row.student_pii, row.appr_data, row.subcontractors) == (True, False, ["Amazon Web Services"])


def test_template_xlsx_reads_back_and_its_instructions_give_every_column_the_dates_and_the_limits():
    data = template_xlsx()
    read = sheet_read("template.xlsx", data)
    assert (read.encoding, read.delimiter, read.missing_columns, read.unknown_columns) == ("XLSX", "", [], [])
    [row] = [row_parse(r) for r in read.rows]
    assert row.problems == []
    assert (row.vendor, row.service_agreement_date, row.contract_end) == (
        "CodeHS, Inc.",
        date(2025, 6, 15),
        date(2028, 6, 30),
    )
    assert read.rows[0].values == {key: sheet.csv_safe(sheet.EXAMPLE[key]) for key in KEYS}

    workbook = load_workbook(io.BytesIO(data))
    agreements, instructions = workbook["Agreements"], workbook["Instructions"]
    assert agreements["A1"].font.bold
    assert isinstance(agreements["H2"].value, datetime)  # contract_end, a real date cell
    assert agreements.column_dimensions["A"].width > 10
    lines = [[cell for cell in row if cell is not None] for row in instructions.iter_rows(values_only=True)]
    assert [
        "vendor",
        "Vendor",
        "yes",
        "The contractor's legal name, as in the signed agreement. At most 200 characters.",
    ] in lines
    assert [
        "purposes",
        "Purposes",
        "no",
        "121.3(c) item 1: the exclusive purposes for which the contractor receives the data. At most 2,000 characters.",
    ] in lines
    assert ["Dates", sheet.DATE_HELP] in lines
    assert ["Limits", "At most 10,000 rows; the sheet at most 20 MiB."] in lines
    assert [
        "The ZIP of signed PDFs: at most 1 GiB, 20,000 files and 4 GiB uncompressed; each PDF at most 20 MiB; "
        "a file that expands more than 100 times is refused as a ZIP bomb."
    ] in lines


# --- CSV as Excel writes it --------------------------------------------------------------------------------------


def test_csv_from_excel_on_windows_is_read_as_windows_1252_with_its_smart_quotes_and_accents():
    text = (
        "vendor,products,purposes,contract_start,contract_end\r\n"
        "Éducation Numérique Inc.,Lexia Core5,“Reading” instruction \u2013 grades K-5,7/1/2025,6/30/2027\r\n"
    )
    read = sheet_read("portfolio.csv", text.encode("cp1252"))
    assert read.encoding == "Windows-1252"
    [row] = [row_parse(r) for r in read.rows]
    assert (row.vendor, row.items["purposes"]) == (
        "Éducation Numérique Inc.",
        "“Reading” instruction \u2013 grades K-5",
    )
    assert (row.contract_start, row.contract_end, row.problems) == (date(2025, 7, 1), date(2027, 6, 30), [])


def test_a_bom_semicolons_and_us_dates_as_excel_writes_them_where_the_decimal_mark_is_a_comma():
    text = 'vendor;products;contract_start;contract_end\r\nCodeHS, Inc.;"CodeHS; CodeHS Pro";7/1/2025;06/30/27\r\n'
    read = sheet_read("portfolio.csv", b"\xef\xbb\xbf" + text.encode())
    assert (read.encoding, read.delimiter) == ("UTF-8 with BOM", ";")
    [row] = [row_parse(r) for r in read.rows]
    assert (row.vendor, row.products) == ("CodeHS, Inc.", ["CodeHS", "CodeHS Pro"])
    assert (row.contract_start, row.contract_end, row.problems) == (date(2025, 7, 1), date(2027, 6, 30), [])


def test_tabs_human_labels_in_any_case_and_quoted_cells_with_line_breaks_keep_excels_row_numbers():
    text = (
        "\ufeffVendor\tPRODUCTS\tContract-End\tvendor contact e-mail\tPDF File\n"
        'CodeHS\tCodeHS\t2028-06-30\tprivacy@codehs.com\t"CodeHS DPA.pdf"\n'
        "\t\t\t\t\n"
        'Lexia\t"Core5;\nPowerUp"\tJune 30, 2027\t\tlexia.pdf\n'
        "Brightpath Reading, Inc.\tBrightpath\t30-Jun-2027\t\tbrightpath.pdf\n"
    )
    read = sheet_read("portfolio.txt", text.encode())
    assert (read.encoding, read.delimiter, read.unknown_columns) == ("UTF-8 with BOM", "\t", [])
    rows = [row_parse(r) for r in read.rows]
    assert [(r.number, r.vendor, r.products, r.contract_end) for r in rows] == [
        (2, "CodeHS", ["CodeHS"], date(2028, 6, 30)),
        (4, "Lexia", ["Core5", "PowerUp"], date(2027, 6, 30)),
        (5, "Brightpath Reading, Inc.", ["Brightpath"], date(2027, 6, 30)),
    ]
    assert rows[0].vendor_contact_email == "privacy@codehs.com"
    assert rows[0].pdf_file == "CodeHS DPA.pdf"


def test_extra_columns_are_reported_and_ignored_and_missing_optional_columns_are_blank():
    text = "Notes,vendor,Owner,contract_end\nrenewed by phone,CodeHS,Pat,2028-06-30\n"
    read = sheet_read("portfolio.csv", text.encode())
    assert read.unknown_columns == ["Notes", "Owner"]
    assert read.missing_columns == [key for key in KEYS if key not in ("vendor", "contract_end")]
    assert read.rows[0].values == dict.fromkeys(KEYS, "") | {"vendor": "CodeHS", "contract_end": "2028-06-30"}
    row = row_parse(read.rows[0])
    assert (row.items["purposes"], row.subcontractors, row.student_pii, row.problems) == ("", None, None, [])


def test_values_under_no_header_and_a_column_written_twice_are_said():
    text = "vendor,products,vendor\nCodeHS,CodeHS,Other,stray value\nLexia,Core5,\n"
    read = sheet_read("portfolio.csv", text.encode())
    assert read.problems == [
        "The column vendor appears twice; the first one is read.",
        "Row 2 has values in columns without a header; those values are ignored.",
    ]
    assert [r.values["vendor"] for r in read.rows] == ["CodeHS", "Lexia"]


def test_a_sheet_without_a_vendor_column_is_refused():
    assert refusal("portfolio.csv", b"name,products\nCodeHS,CodeHS\n") == (
        "“portfolio.csv” has no vendor column. Its first row must be the template's header row "
        "(vendor, vendor_website, vendor_contact_name, ...); start from the template."
    )


def test_an_empty_file_and_a_header_without_rows():
    assert (
        refusal("portfolio.csv", b"\r\n,,\r\n")
        == "“portfolio.csv” is empty: it has no header row. Start from the template."
    )
    read = sheet_read("portfolio.csv", HEADER.encode() + b"\r\n,,,\r\n")
    assert (read.rows, read.problems) == ([], ["“portfolio.csv” has no agreements below its header row (row 1)."])


def test_a_binary_file_named_csv_an_old_xls_and_a_zip_named_xlsx_are_refused_by_what_they_hold():
    noise = bytes(range(256)) * 16
    assert refusal("portfolio.csv", noise) == (
        "“portfolio.csv” is not a CSV or XLSX file. Start from the template and save it as CSV or XLSX."
    )
    assert refusal("portfolio.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)) == (
        "“portfolio.xls” is an old Excel workbook (.xls). Save it as .xlsx or as CSV and upload it again."
    )
    pdfs = io.BytesIO()
    with zipfile.ZipFile(pdfs, "w") as archive:
        archive.writestr("CodeHS DPA.pdf", b"%PDF-1.7\n")
    assert refusal("portfolio.xlsx", pdfs.getvalue()) == (
        "“portfolio.xlsx” is a ZIP archive, not a spreadsheet. Upload the sheet here and the ZIP of PDFs below."
    )


def test_too_many_rows_and_too_large_a_file_are_refused():
    rows = b"".join(b"V%d,\n" % i for i in range(sheet.MAX_ROWS + 1))
    assert refusal("portfolio.csv", b"vendor,products\n" + rows) == (
        "“portfolio.csv” has more than 10,000 rows of agreements. Split it into several sheets."
    )
    big = b"vendor\n" + b"x" * sheet.SHEET_MAX_BYTES
    assert refusal("portfolio.csv", big) == (
        "“portfolio.csv” is larger than 20 MiB, the limit for a sheet. Split it into several sheets."
    )


def test_ten_thousand_full_rows_read_and_parse_within_two_seconds():
    rows = [sheet.EXAMPLE | {"vendor": f"Vendor {i}", "pdf_file": f"{i}.pdf"} for i in range(sheet.MAX_ROWS)]
    data = b"".join(rows_to_csv(rows))
    started = time.perf_counter()
    read = sheet_read("portfolio.csv", data)
    problems = [p for row in read.rows for p in row_parse(row).problems]
    elapsed = time.perf_counter() - started
    assert (len(read.rows), read.rows[-1].number, problems) == (10_000, 10_001, [])
    assert elapsed < 2, elapsed


# --- XLSX as people make it --------------------------------------------------------------------------------------


def test_an_xlsx_with_date_cells_serial_numbers_and_blank_rows_on_a_sheet_named_agreements():
    workbook = Workbook()
    workbook.active.title = "Read me"
    workbook.active.append(["This sheet is not read."])
    agreements = workbook.create_sheet("Agreements")
    agreements.append(["Vendor", "Products", "Contract start", "Contract end", "Runs until terminated", "Review on"])
    agreements.append(["CodeHS", "CodeHS", datetime(2025, 7, 1), date(2028, 6, 30), False, None])
    agreements.append([None, None, None, None, None, None])
    # A date typed into a cell formatted as a number: Excel keeps its serial, 45839 for 2025-07-01.
    agreements.append(["Lexia  Learning ", 1234, 45839, None, True, datetime(2026, 6, 30, 0, 0)])
    out = io.BytesIO()
    workbook.save(out)

    read = sheet_read("portfolio.xlsx", out.getvalue())
    assert read.encoding == "XLSX"
    assert [r.values["contract_start"] for r in read.rows] == ["2025-07-01", "2025-07-01"]
    rows = [row_parse(r) for r in read.rows]
    assert [(r.number, r.vendor, r.products, r.contract_end, r.runs_until_terminated, r.review_on) for r in rows] == [
        (2, "CodeHS", ["CodeHS"], date(2028, 6, 30), False, None),
        (4, "Lexia Learning", ["1234"], None, True, date(2026, 6, 30)),
    ]
    assert [r.problems for r in rows] == [[], []]


# --- Dates -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2027-06-30",
        "6/30/2027",
        "06/30/27",
        "June 30, 2027",
        "Jun 30 2027",
        "30-Jun-2027",
        "30 June 2027",
        " JUN. 30, 2027 ",
    ],
)
def test_dates_in_the_forms_a_district_writes_them(text):
    assert parse_date(text) == date(2027, 6, 30)


def test_blank_is_no_date_and_a_wrong_one_says_how_to_write_it():
    assert parse_date("  ") is None
    for text in ("31/06/2027", "6/31/2027", "2027-13-01", "next June", "Jun 31 2027"):
        with pytest.raises(ValueError) as caught:
            parse_date(text)
        assert str(caught.value) == f"“{text}” is not a date; write it as 2027-06-30 or 6/30/2027"


# --- One row -----------------------------------------------------------------------------------------------------


def row_of(**values) -> sheet.SheetRow:
    return sheet.SheetRow(7, dict.fromkeys(KEYS, "") | values)


def test_every_problem_of_a_row_is_listed_each_naming_its_column():
    row = row_parse(
        row_of(
            vendor_website="not a site",
            vendor_contact_email="x@",
            contract_start="2027-07-01",
            contract_end="6/31/2027",
            service_agreement_date="2027-06-30",
            runs_until_terminated="maybe",
            review_on="2028-01-01",
            pii_kinds="Student PII; SSN",
            purposes="p" * 2_001,
            encryption="TLS\n" * 30,
            pdf_file="agreement.docx",
        )
    )
    assert row.problems == [
        "vendor is required",
        "vendor_website: “not a site” is not a web address",
        "vendor_contact_email: “x@” is not an e-mail address",
        "contract_end: “6/31/2027” is not a date; write it as 2027-06-30 or 6/30/2027",
        "runs_until_terminated: “maybe” is not yes or no",
        "review_on is only for an agreement that runs until terminated (runs_until_terminated: yes)",
        "purposes: 2,001 characters; the limit is 2,000",
        "encryption: 31 lines; the limit is 20",
        "pii_kinds: “SSN” is not one of Student PII, APPR data",
        "pdf_file: “agreement.docx” is not a PDF file name (it must end in .pdf)",
    ]
    assert (row.number, row.student_pii, row.appr_data) == (7, True, False)


def test_term_rules_of_the_agreement():
    assert row_parse(row_of(vendor="A", contract_start="2027-07-01", contract_end="2027-06-30")).problems == [
        "contract_end is before contract_start"
    ]
    assert row_parse(row_of(vendor="A", runs_until_terminated="Yes", contract_end="2027-06-30")).problems == [
        "contract_end is given but runs_until_terminated is yes; leave one of them blank",
        "review_on is required when runs_until_terminated is yes: the date the district will review it",
    ]
    ongoing = row_parse(row_of(vendor="A", runs_until_terminated="YES", review_on="6/30/2027"))
    assert (ongoing.runs_until_terminated, ongoing.review_on, ongoing.problems) == (True, date(2027, 6, 30), [])


def test_names_lists_and_kinds():
    row = row_parse(
        row_of(
            vendor="  CodeHS,   Inc. ",
            vendor_website="codehs.com",
            products="CodeHS; codehs ;; CodeHS Pro",
            subcontractors="Amazon Web Services; Google Cloud",
            pii_kinds="appr data; STUDENT PII",
            pdf_file=r"2025\CodeHS DPA.pdf",
        )
    )
    assert (row.vendor, row.vendor_website, row.products) == (
        "CodeHS, Inc.",
        "https://codehs.com",
        ["CodeHS", "CodeHS Pro"],
    )
    assert (row.subcontractors, row.student_pii, row.appr_data) == (["Amazon Web Services", "Google Cloud"], True, True)
    assert (row.pdf_file, row.problems) == ("2025/CodeHS DPA.pdf", [])
    assert row_parse(row_of(vendor="A", subcontractors="None")).subcontractors == []
    assert row_parse(row_of(vendor="A", products="x" * 201)).problems == [
        f"products: “{'x' * 40}...” is 201 characters; the limit is 200"
    ]


def test_the_same_agreement_written_twice_is_found_and_a_different_one_is_not():
    text = (
        "vendor,products,contract_end,purposes,pdf_file\n"
        "CodeHS Inc,CodeHS,2028-06-30,Teaching,codehs.pdf\n"
        "Lexia,Core5,2027-06-30,Reading,lexia.pdf\n"
        "  codehs   INC ,codehs,6/30/2028,Teaching ,CodeHS.pdf\n"
        "CodeHS Inc,CodeHS,2029-06-30,Teaching,codehs.pdf\n"
    )
    rows = parsed("portfolio.csv", text.encode())
    assert duplicates(rows) == {4: 2}
    assert rows[0].key() == rows[2].key() != rows[3].key()


# --- Writing -----------------------------------------------------------------------------------------------------


def test_rows_to_csv_writes_a_bom_once_defuses_formulas_and_reads_back_as_written():
    rows = [
        {"vendor": '=HYPERLINK("http://evil")', "products": ["CodeHS", "+Pro"], "contract_end": date(2028, 6, 30)},
        {"vendor": "@Lexia", "runs_until_terminated": True, "review_on": date(2027, 1, 1), "purposes": "-10% off"},
    ]
    chunks = list(rows_to_csv(rows, extra=["outcome"]))
    assert len(chunks) == 3 and chunks[0] == b"\xef\xbb\xbf" + HEADER.encode() + b",outcome\r\n"
    assert b"".join(chunks).count(b"\xef\xbb\xbf") == 1
    assert chunks[1].startswith(b'"\'=HYPERLINK(""http://evil"")",,,,CodeHS; +Pro,,,2028-06-30,')
    read = sheet_read("export.csv", b"".join(chunks))
    assert read.unknown_columns == ["outcome"]
    assert [r.values["vendor"] for r in read.rows] == ['=HYPERLINK("http://evil")', "@Lexia"]
    assert read.rows[1].values["purposes"] == "-10% off"
    assert read.rows[1].values["runs_until_terminated"] == "yes"


def test_an_xlsx_whose_xml_is_a_billion_laughs_bomb_is_refused_quickly():
    """openpyxl parses the rows with the standard library's expat, which stops entity amplification."""
    laughs = '<!DOCTYPE lolz [<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    template = zipfile.ZipFile(io.BytesIO(template_xlsx()))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w") as built:
        for info in template.infolist():
            data = template.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = (laughs + "]>").encode() + data.replace(b">vendor<", b">&lol9;<", 1)
            built.writestr(info, data)
    started = time.perf_counter()
    assert refusal("portfolio.xlsx", bomb.getvalue()) == (
        "“portfolio.xlsx” cannot be read as an Excel workbook. Save it again from Excel as .xlsx."
    )
    assert time.perf_counter() - started < 5
