"""The import's pages (issue 12, points 1, 3 and 7): who may use them, the upload and its limits, the dry run's page,
and every kind of bad input a district sends, each shown with its exact message and nothing lost.

The dry run is the worker's; here it runs in the test's process (import_read_step), as the task would run it.
tests/portfolio/test_import_worker.py runs it in a real worker."""

import csv
import hashlib
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfWriter

from portfolio import archive, sheet
from portfolio.imports import import_read_step
from portfolio.models import ImportJob, ImportRow

from .. import test_workflow_views

PERSONAS = test_workflow_views.PERSONAS
ADMIN = {"district_admin"}


# --- building a district's files -----------------------------------------------------------------------------------


def blank_pdf(label: str) -> bytes:
    """A real one-page PDF without text (what a scan looks like to the reader), unique by its title."""
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.add_metadata({"/Title": label})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def agreement_row(n: int, **changes) -> dict:
    values = {
        "vendor": f"Vendor {n} Learning",
        "vendor_website": f"https://vendor{n}.example.com",
        "vendor_contact_name": f"Pat {n}",
        "vendor_contact_email": f"pat{n}@vendor{n}.example.com",
        "products": f"Product {n}",
        "service_agreement_date": "2024-07-01",
        "contract_start": "2024-07-01",
        "contract_end": "2027-06-30",
        "purposes": f"Lessons of product {n}.",
        "pii_kinds": "Student PII",
        "pdf_file": f"dpa-{n}.pdf",
    }
    values.update(changes)
    return values


def csv_bytes(rows: list[dict], *, delimiter=",", encoding="utf-8", columns=None) -> bytes:
    columns = columns or list(sheet.KEYS)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue().encode(encoding)


def zip_bytes(files: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as built:
        for name, data in files.items():
            built.writestr(name, data)
    return out.getvalue()


def upload(client, agency, sheet_data: bytes, zip_data: bytes | None = None, sheet_name="agreements.csv"):
    files = {"sheet": ContentFile(sheet_data, name=sheet_name)}
    if zip_data is not None:
        files["archive"] = ContentFile(zip_data, name="signed.zip")
    return client.post(reverse("portfolio_import", args=[agency.slug]), files)


def read_all(job: ImportJob) -> ImportJob:
    """The dry run to its end, as the worker's task would run it slice after slice."""
    while import_read_step(job_id=job.pk, budget=600):
        pass
    job.refresh_from_db()
    return job


def uploaded_and_read(client, agency, sheet_data, zip_data=None, **kwargs):
    response = upload(client, agency, sheet_data, zip_data, **kwargs)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.filter(agency=agency).latest("pk")
    assert response["Location"] == reverse("portfolio_import_job", args=[agency.slug, job.pk])
    return read_all(job)


def page_of(client, job) -> str:
    response = client.get(reverse("portfolio_import_job", args=[job.agency.slug, job.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def admin_client(client, people):
    client.force_login(people["district_admin"])
    return client


# --- who may use the pages -------------------------------------------------------------------------------------


@pytest.fixture
def world(district, people):
    """A read import of the district, waiting for confirmation, with one row."""
    job = ImportJob.objects.create(
        agency=district,
        created_by=people["district_admin"],
        created_by_name="Dana Admin",
        sheet="portfolio/imports/test.csv",
        sheet_name="agreements.csv",
        status=ImportJob.Status.READY,
        rows_total=1,
        rows_done=1,
    )
    ImportRow.objects.create(job=job, number=2, values={"vendor": "Acme", "products": ["Acme Reader"]}, key="0" * 64)
    return {"job": job, "agency": district}


def _j(w):
    return [w["agency"].slug, w["job"].pk]


# (URL name, method, arguments): every import page is the district's admins' only. tests/test_authorization.py
# reads this table to know that these URLs have their persona test.
PAGES = [
    ("portfolio_import", "get", lambda w: [w["agency"].slug]),
    ("portfolio_import", "post", lambda w: [w["agency"].slug]),
    ("portfolio_import_template_csv", "get", lambda w: [w["agency"].slug]),
    ("portfolio_import_template_xlsx", "get", lambda w: [w["agency"].slug]),
    ("portfolio_import_job", "get", _j),
    ("portfolio_import_progress", "get", _j),
    ("portfolio_import_report", "get", _j),
    ("portfolio_import_cancel", "post", _j),
    ("portfolio_import_confirm", "post", _j),
]


@pytest.mark.parametrize(("name", "method", "args"), PAGES, ids=[f"{p[1]}-{p[0]}" for p in PAGES])
def test_each_import_page_refuses_every_wrong_persona(client, world, people, name, method, args):
    url = reverse(name, args=args(world))
    for persona in PERSONAS:
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        response = getattr(client, method)(url, {})
        if persona == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], persona
        elif persona in ADMIN:
            assert response.status_code in (200, 302), (persona, response.status_code)
            assert "/accounts/" not in response.get("Location", ""), persona
        else:  # reviewer, viewer, vendor staff, another district's admin: as if it did not exist
            assert response.status_code == 404, (persona, response.status_code)


def test_another_districts_import_is_not_found_through_ones_own_district(client, world, people, other_district):
    """The other district's admin, at their own district's URL, cannot reach this district's job by its number."""
    client.force_login(people["other_district"])
    for name in ("portfolio_import_job", "portfolio_import_progress", "portfolio_import_report"):
        assert client.get(reverse(name, args=[other_district.slug, world["job"].pk])).status_code == 404
    assert (
        client.post(reverse("portfolio_import_confirm", args=[other_district.slug, world["job"].pk])).status_code == 404
    )
    world["job"].refresh_from_db()
    assert world["job"].status == ImportJob.Status.READY


# --- the import page ----------------------------------------------------------------------------------------------


def test_the_import_page_explains_links_the_templates_and_states_the_limits(admin_client, district):
    page = admin_client.get(reverse("portfolio_import", args=[district.slug])).content.decode()
    assert "Nothing is imported until you confirm." in page
    assert reverse("portfolio_import_template_csv", args=[district.slug]) in page
    assert reverse("portfolio_import_template_xlsx", args=[district.slug]) in page
    assert "at most 10,000 rows and 20 MiB" in page
    assert "The ZIP: at most 1 GiB, 20,000 files and 4 GiB once" in page
    assert "each PDF at most 20 MiB" in page
    assert 'enctype="multipart/form-data"' in page


def test_the_templates_download_as_csv_and_xlsx(admin_client, district):
    as_csv = admin_client.get(reverse("portfolio_import_template_csv", args=[district.slug]))
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv.content == sheet.template_csv()
    assert as_csv.content.startswith(b"\xef\xbb\xbfvendor,vendor_website,")
    as_xlsx = admin_client.get(reverse("portfolio_import_template_xlsx", args=[district.slug]))
    assert as_xlsx["Content-Disposition"] == 'attachment; filename="dpa-import-template.xlsx"'
    assert as_xlsx.content.startswith(b"PK\x03\x04")
    read = sheet.sheet_read("template.xlsx", as_xlsx.content)
    assert read.encoding == "XLSX" and len(read.rows) == 1


def test_an_upload_creates_the_job_stores_the_files_and_nothing_else(admin_client, district, people):
    data = csv_bytes([agreement_row(1)])
    pdfs = zip_bytes({"dpa-1.pdf": blank_pdf("1")})
    response = upload(admin_client, district, data, pdfs)
    job = ImportJob.objects.get(agency=district)
    assert response.status_code == 302
    assert (job.status, job.sheet_name, job.archive_name) == ("reading", "agreements.csv", "signed.zip")
    assert job.created_by == people["district_admin"]
    assert job.sheet_sha256 == hashlib.sha256(data).hexdigest()
    assert job.archive_sha256 == hashlib.sha256(pdfs).hexdigest()
    with job.sheet.open("rb") as stored:
        assert stored.read() == data
    assert "agreements" not in job.sheet.name  # the stored name is the portal's, not the district's
    assert not job.rows.exists()  # the request reads nothing: the worker does
    page = page_of(admin_client, job)
    assert 'hx-trigger="every 2s"' in page and "vendor/htmx/htmx.min.js" in page
    assert "Reading the files" in page


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(admin_client, district, monkeypatch):
    """The limits are lowered for the test (the real ones are 20 MiB and 1 GiB): a file over its limit is refused with
    the sizes, both files are checked at once, and no job or file is made."""
    monkeypatch.setattr(sheet, "SHEET_MAX_BYTES", 1024)
    monkeypatch.setattr(archive, "ARCHIVE_MAX_BYTES", 2048)
    big_sheet = csv_bytes([agreement_row(n) for n in range(1, 20)])
    big_zip = zip_bytes({f"dpa-{n}.pdf": blank_pdf(str(n)) for n in range(1, 10)}, method=zipfile.ZIP_STORED)
    response = upload(admin_client, district, big_sheet, big_zip)
    assert response.status_code == 200
    page = response.content.decode()
    sheet_size = archive.human_size(len(big_sheet))
    zip_size = archive.human_size(len(big_zip))
    assert (
        escape(
            f"The sheet “agreements.csv” is {sheet_size}; the limit is 1 KiB. "
            "Split it into several sheets and import each."
        )
        in page
    )
    assert (
        escape(
            f"The ZIP “signed.zip” is {zip_size}; the limit is 2 KiB. Split the PDFs into two ZIPs and import "
            "each with a sheet of the rows that name its PDFs."
        )
        in page
    )
    assert "Choose the files again" in page
    assert not ImportJob.objects.exists()


def test_a_zip_that_is_not_a_zip_is_refused_at_the_upload(admin_client, district):
    response = upload(admin_client, district, csv_bytes([agreement_row(1)]), b"%PDF-1.7 not a zip")
    assert (
        escape("“signed.zip” is not a ZIP archive. Put the signed PDFs in a folder and compress it to a .zip file.")
        in response.content.decode()
    )
    assert not ImportJob.objects.exists()


# --- the dry run's page ------------------------------------------------------------------------------------------


def test_the_dry_run_shows_each_row_vendor_pdf_action_and_the_counts(admin_client, district, vendor, people):
    rows = [
        agreement_row(1),
        agreement_row(2, vendor="Learning Tools", products="Reading Coach", pdf_file=""),  # the vendor fixture
        agreement_row(3, vendor="Learning Toolbox", pdf_file="dpa-3.pdf"),  # a maybe (87)
        agreement_row(4, contract_end="2023-01-01"),  # ends before it starts
        agreement_row(5, vendor="Lerning Tools Inc", pdf_file=""),  # the same vendor, misspelt (96)
    ]
    pdfs = zip_bytes({f"dpa-{n}.pdf": blank_pdf(str(n)) for n in (1, 3, 4)})
    job = uploaded_and_read(admin_client, district, csv_bytes(rows), pdfs)
    assert (job.status, job.rows_done, job.rows_total) == ("ready", 5, 5)
    by_number = {row.number: row for row in job.rows.all()}  # the header is row 1
    assert by_number[3].action == "create" and by_number[3].vendor_match == vendor
    assert (by_number[3].vendor_score, by_number[3].vendor_is_new) == (100, False)
    assert by_number[4].vendor_match == vendor and by_number[4].vendor_score < 95 and by_number[4].vendor_is_new
    assert by_number[5].action == "fail"
    assert (by_number[6].vendor_match, by_number[6].vendor_score, by_number[6].vendor_is_new) == (vendor, 96, False)
    page = page_of(admin_client, job)
    assert escape("matches Learning Tools, Inc. (score 100: same name once case, accents, punctuation and") in page
    assert "new vendor (closest: Learning Tools, Inc., score" in page
    assert escape("matches Learning Tools, Inc. (score 96: similar name (96%))") in page
    assert "this is a different company" in page  # for a score under 100: ticked for the maybe, not for the 96
    assert page.count('name="different"') == 2
    maybe = by_number[4].pk
    assert page.count(f'name="different" value="{maybe}" id="different-{maybe}" checked') == 1
    assert "scanned, no text" in page and "none named" in page
    assert "<li>contract_end is before contract_start</li>" in page
    assert "Create: <strong>4</strong>" in page and "Cannot be imported: <strong>1</strong>" in page
    assert "Confirm the import" in page and "Cancel this import" in page
    assert "htmx.min.js" not in page  # nothing to poll once read


def test_a_second_confirmation_is_refused_with_a_clear_message(admin_client, district):
    job = uploaded_and_read(admin_client, district, csv_bytes([agreement_row(1, pdf_file="")]))
    url = reverse("portfolio_import_confirm", args=[district.slug, job.pk])
    admin_client.post(url, {"step": "confirm"})
    job.refresh_from_db()
    assert job.status == "importing"
    response = admin_client.post(url, {"step": "confirm"}, follow=True)
    assert "This import was confirmed already on " in response.content.decode()
    assert "it runs once. Its progress and report are on this page." in response.content.decode()
    job.refresh_from_db()
    assert job.status == "importing"


def test_the_different_company_ticks_are_saved_per_page(admin_client, district, vendor):
    rows = [agreement_row(1, vendor="Learning Toolbox", pdf_file="")]
    job = uploaded_and_read(admin_client, district, csv_bytes(rows))
    row = job.rows.get()
    assert row.vendor_is_new  # a maybe is a new vendor until the admin says otherwise
    url = reverse("portfolio_import_confirm", args=[district.slug, job.pk])
    admin_client.post(url, {"step": "save", "shown": [row.pk]})  # unticked: the same company
    row.refresh_from_db()
    assert not row.vendor_is_new
    admin_client.post(url, {"step": "save", "shown": [row.pk], "different": [row.pk]})
    row.refresh_from_db()
    assert row.vendor_is_new


def test_cancel_drops_the_job_and_imports_nothing(admin_client, district):
    job = uploaded_and_read(admin_client, district, csv_bytes([agreement_row(1, pdf_file="")]))
    admin_client.post(reverse("portfolio_import_cancel", args=[district.slug, job.pk]))
    job.refresh_from_db()
    assert job.status == "cancelled"
    response = admin_client.post(reverse("portfolio_import_confirm", args=[district.slug, job.pk]), follow=True)
    assert "This import was cancelled. Upload the files again to start a new one." in response.content.decode()


def test_the_progress_partial_polls_until_the_step_ends_then_reloads_the_page(admin_client, district):
    response = upload(admin_client, district, csv_bytes([agreement_row(1, pdf_file="")]))
    job = ImportJob.objects.get(agency=district)
    url = reverse("portfolio_import_progress", args=[district.slug, job.pk])
    polling = admin_client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in polling.content.decode() and "HX-Refresh" not in polling
    assert response.status_code == 302
    read_all(job)
    done = admin_client.get(url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    assert '<progress class="w-100" max="1" value="1"' in done.content.decode()


def test_the_rows_table_pages_with_a_constant_number_of_queries(admin_client, district, vendor):
    """200 rows a page; page 1 of 450 rows, page 3, and a job of 3 rows cost the same number of queries."""
    job = ImportJob.objects.create(
        agency=district, created_by_name="Dana", sheet="x.csv", sheet_name="x.csv", status="ready", rows_total=450
    )
    job.rows_done = 450
    job.save()
    ImportRow.objects.bulk_create(
        ImportRow(
            job=job,
            number=n,
            values={"vendor": f"V{n}", "products": [f"P{n}"], "contract_start": "2024-07-01"},
            key=f"{n:064x}",
            vendor_match=vendor if n % 2 else None,
            vendor_score=100 if n % 2 else None,
            problems=["contract_end: “soon” is not a date"] if n % 7 == 0 else [],
            proposals={"purposes": "read"} if n % 5 == 0 else {},
        )
        for n in range(2, 452)
    )
    small = ImportJob.objects.create(
        agency=district, created_by_name="Dana", sheet="y.csv", sheet_name="y.csv", status="ready", rows_total=3
    )
    ImportRow.objects.bulk_create(ImportRow(job=small, number=n, values={}, key=f"{n:064x}") for n in (2, 3, 4))

    def queries(target, page=None):
        url = reverse("portfolio_import_job", args=[district.slug, target.pk]) + (f"?page={page}" if page else "")
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(url)
        assert response.status_code == 200
        return len(captured), response.content.decode()

    first, page = queries(job)
    third, last_page = queries(job, 3)
    few, _ = queries(small)
    assert first == third == few
    assert first <= 12
    assert page.count('<tr id="row-') == 200 and "Page 1 of 3" in page
    assert last_page.count('<tr id="row-') == 50


# --- bad input (issue 12.7), end to end through the upload view ----------------------------------------------------


def test_excel_csv_in_windows_1252_with_semicolons_and_us_dates(admin_client, district):
    rows = [
        agreement_row(1, vendor="Académie Français Learning", contract_start="7/1/2024", contract_end="6/30/2027"),
        agreement_row(2, service_agreement_date="June 30, 2024"),
    ]
    pdfs = zip_bytes({"dpa-1.pdf": blank_pdf("1"), "dpa-2.pdf": blank_pdf("2")})
    job = uploaded_and_read(admin_client, district, csv_bytes(rows, delimiter=";", encoding="cp1252"), pdfs)
    assert job.findings[0] == "The sheet was read as CSV in Windows-1252, columns separated by semicolons."
    first = job.rows.get(number=2)
    assert first.values["vendor"] == "Académie Français Learning"
    assert (first.values["contract_start"], first.values["contract_end"]) == ("2024-07-01", "2027-06-30")
    assert job.rows.get(number=3).values["service_agreement_date"] == "2024-06-30"
    assert not first.problems
    page = page_of(admin_client, job)
    assert "Académie Français Learning" in page and "2024-07-01 to 2027-06-30" in page
    assert escape(job.findings[0]) in page


def test_a_bom_and_extra_and_missing_columns_are_said(admin_client, district):
    columns = [key for key in sheet.KEYS if key not in ("encryption", "review_on")] + ["Notes", "Internal id"]
    data = b"\xef\xbb\xbf" + csv_bytes([agreement_row(1, pdf_file="", Notes="call Pat")], columns=columns)
    job = uploaded_and_read(admin_client, district, data)
    assert job.findings[:3] == [
        "The sheet was read as CSV in UTF-8 with BOM, columns separated by commas.",
        "Columns that are not in the template were ignored: “Notes”, “Internal id”.",
        "Columns of the template missing from the sheet (read as blank): “review_on”, “encryption”.",
    ]
    page = page_of(admin_client, job)
    assert escape(job.findings[1]) in page and escape(job.findings[2]) in page
    assert job.rows.get().action == "create"


def test_duplicate_rows_are_imported_once(admin_client, district):
    rows = [agreement_row(1, pdf_file=""), agreement_row(2, pdf_file=""), agreement_row(1, pdf_file="")]
    job = uploaded_and_read(admin_client, district, csv_bytes(rows))
    repeat = job.rows.get(number=4)
    assert (repeat.action, repeat.reason) == ("skip", "The same agreement as row 2: imported once.")
    assert "The same agreement as row 2: imported once." in page_of(admin_client, job)


def test_a_pdf_missing_from_the_zip_and_a_pdf_no_row_names(admin_client, district):
    rows = [agreement_row(1), agreement_row(2, pdf_file="missing.pdf")]
    pdfs = zip_bytes({"dpa-1.pdf": blank_pdf("1"), "DPAs/extra.pdf": blank_pdf("x")})
    job = uploaded_and_read(admin_client, district, csv_bytes(rows), pdfs)
    missing = job.rows.get(number=3)
    assert missing.action == "fail" and missing.pdf_text == "missing"
    assert missing.problems == ["pdf_file: “missing.pdf” is not in the ZIP"]
    assert "PDFs in the ZIP that no row names (not imported): “DPAs/extra.pdf”." in job.findings
    page = page_of(admin_client, job)
    assert escape("pdf_file: “missing.pdf” is not in the ZIP") in page and "missing from the ZIP" in page
    assert escape("PDFs in the ZIP that no row names (not imported): “DPAs/extra.pdf”.") in page


def test_rows_that_name_pdfs_without_a_zip(admin_client, district):
    job = uploaded_and_read(admin_client, district, csv_bytes([agreement_row(1)]))
    assert job.rows.get().problems == ["pdf_file: “dpa-1.pdf” is named but no ZIP of PDFs was uploaded"]
    assert (
        "No ZIP of PDFs was uploaded, but rows name PDFs: those rows cannot be imported without them." in job.findings
    )


def test_a_file_that_is_not_a_pdf_under_a_pdf_name(admin_client, district):
    pdfs = zip_bytes({"dpa-1.pdf": b"PK\x03\x04 a Word document renamed"})
    job = uploaded_and_read(admin_client, district, csv_bytes([agreement_row(1)]), pdfs)
    row = job.rows.get()
    assert (row.action, row.pdf_text) == ("fail", "notpdf")
    assert row.problems == ["pdf_file: “dpa-1.pdf” is not a PDF, although its name ends in .pdf"]
    page = page_of(admin_client, job)
    assert escape(row.problems[0]) in page and "not a PDF</td>" not in page  # label then the file name
    assert "not a PDF<br>" in page


def test_a_zip_with_paths_that_climb_out_of_the_folder(admin_client, district):
    pdfs = zip_bytes({"../../evil.pdf": blank_pdf("e"), "dpa-1.pdf": blank_pdf("1")})
    rows = [agreement_row(1), agreement_row(2, pdf_file="evil.pdf")]
    job = uploaded_and_read(admin_client, district, csv_bytes(rows), pdfs)
    assert "In the ZIP: ../../evil.pdf: a path that leaves the folder; ignored." in job.findings
    evil = job.rows.get(number=3)
    assert evil.problems == ["pdf_file: “evil.pdf” is in the ZIP but ignored: a path that leaves the folder"]
    assert job.rows.get(number=2).action == "create"
    page = page_of(admin_client, job)
    assert escape("In the ZIP: ../../evil.pdf: a path that leaves the folder; ignored.") in page


def test_a_zip_bomb_fails_the_job_with_the_reason_and_nothing_else(admin_client, district):
    bomb = zip_bytes({"dpa-1.pdf": b"\0" * (20 * 1024 * 1024)})
    job = uploaded_and_read(admin_client, district, csv_bytes([agreement_row(1)]), bomb)
    assert job.status == "failed"
    assert job.error.startswith("The ZIP is refused: dpa-1.pdf would expand to ")
    assert job.error.endswith(
        "times its compressed size (more than 100 times is how a ZIP bomb looks; signed PDFs barely compress)."
    )
    assert not job.rows.exists() and job.findings == []
    page = page_of(admin_client, job)
    assert "The files could not be read." in page and escape(job.error) in page
    assert "Confirm the import" not in page


def test_a_sheet_that_cannot_be_read_fails_the_job(admin_client, district):
    job = uploaded_and_read(admin_client, district, b"\xd0\xcf\x11\xe0old excel", sheet_name="agreements.xls")
    assert job.status == "failed"
    assert (
        job.error == "“agreements.xls” is an old Excel workbook (.xls). Save it as .xlsx or as CSV and upload it again."
    )
    assert escape(job.error) in page_of(admin_client, job)


def test_hostile_text_in_the_sheet_is_escaped(admin_client, district):
    hostile = '<script>alert("pwned")</script>'
    job = uploaded_and_read(admin_client, district, csv_bytes([agreement_row(1, vendor=hostile, pdf_file="")]))
    page = page_of(admin_client, job)
    assert hostile not in page and escape(hostile) in page
