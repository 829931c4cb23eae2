"""The confirmed import (issue 12.2): a few hundred rows read, confirmed and imported in batches; a worker killed
mid-way and resumed without duplicates; the same files twice change nothing; a row that matches an imported
agreement completes it; one new vendor named on several rows is created once; what the PDF says is proposed and
recorded as "read from the PDF". The steps run in the test's process, as the worker's tasks run them (one slice
after another); tests/portfolio/test_import_worker.py runs them in a real worker."""

import csv
import hashlib
import io
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement, OutboundEmail, OutsideSigning
from portfolio.imports import (
    import_batch,
    import_confirm,
    import_read_step,
    import_run_step,
    import_start,
    imports_stale,
    report_csv,
)
from portfolio.imports import running as running_module
from portfolio.models import ImportJob, ImportRow
from vendors.models import Contractor

from .test_import_views import agreement_row, blank_pdf, csv_bytes, zip_bytes
from .test_pdftext import HAND_FILLED, weasyprint_pdf

ROWS = 300


@pytest.fixture(scope="module")
def portfolio_files():
    """300 rows and 300 small PDFs, built once for the module."""
    rows = [agreement_row(n) for n in range(1, ROWS + 1)]
    pdfs = {f"dpa-{n}.pdf": blank_pdf(f"DPA {n}") for n in range(1, ROWS + 1)}
    return csv_bytes(rows), zip_bytes(pdfs), pdfs


def start(agency, actor, sheet_data: bytes, zip_data: bytes | None = None, name="agreements.csv") -> ImportJob:
    job = import_start(
        agency=agency,
        actor=actor,
        sheet_file=ContentFile(sheet_data, name=name),
        archive_file=ContentFile(zip_data, name="signed.zip") if zip_data is not None else None,
    )
    while import_read_step(job_id=job.pk, budget=600):
        pass
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY, job.error
    return job


def run(job: ImportJob) -> ImportJob:
    while import_run_step(job_id=job.pk, budget=600):
        pass
    job.refresh_from_db()
    return job


def outcomes(job) -> dict:
    return {o: job.rows.filter(outcome=o).count() for o in ImportRow.Outcome.values if job.rows.filter(outcome=o)}


def test_hundreds_of_rows_read_confirmed_imported_killed_and_resumed_without_duplicates(
    catalogues, district, district_admin, portfolio_files, monkeypatch, django_capture_on_commit_callbacks
):
    sheet_data, zip_data, pdfs = portfolio_files
    job = start(district, district_admin, sheet_data, zip_data)
    assert (job.rows_total, job.rows_done) == (ROWS, ROWS)
    assert job.rows.filter(action="create", pdf_text="scanned").count() == ROWS
    assert not Agreement.objects.filter(agency=district).exists()  # the dry run writes nothing of the district's

    import_confirm(job=job, actor=district_admin)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total) == ("importing", 0, ROWS)

    # Two batches go through; the third dies at its 20th row (a worker killed mid-batch).
    assert import_batch(job_id=job.pk) and import_batch(job_id=job.pk)
    real_record = running_module.outside_agreement_record
    calls = []

    def dying(**kwargs):
        calls.append(1)
        if len(calls) == 20:
            raise SystemExit("the worker is killed")
        return real_record(**kwargs)

    monkeypatch.setattr(running_module, "outside_agreement_record", dying)
    with pytest.raises(SystemExit):
        import_batch(job_id=job.pk)
    monkeypatch.setattr(running_module, "outside_agreement_record", real_record)
    job.refresh_from_db()
    assert job.rows_done == 100 and job.rows.filter(outcome="pending").count() == ROWS - 100
    assert Agreement.objects.filter(agency=district).count() == 100  # nothing of the dead batch stayed

    # The sweep finds the job once its heartbeat is older than a task may live, and claims it once.
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    assert imports_stale() == [(job.pk, "importing")]
    assert imports_stale() == []

    with django_capture_on_commit_callbacks(execute=False):
        job = run(job)
    assert (job.status, job.rows_done, job.rows_total) == ("done", ROWS, ROWS)
    assert job.finished_at is not None
    assert outcomes(job) == {"created": ROWS}
    signings = OutsideSigning.objects.filter(agreement__agency=district)
    assert signings.count() == ROWS == signings.values("source_key").distinct().count()
    assert Agreement.objects.filter(agency=district).count() == ROWS
    assert Contractor.objects.filter(legal_name__startswith="Vendor ").count() == ROWS

    # The PDF as given, byte for byte; the agreement as the row said.
    row = job.rows.select_related("agreement__outside_signing__document").get(number=42)
    document = row.agreement.outside_signing.document
    assert hashlib.sha256(pdfs["dpa-41.pdf"]).hexdigest() == document.sha256 == row.pdf_sha256
    assert row.agreement.contractor.legal_name == "Vendor 41 Learning"
    assert str(row.agreement.contract_end) == "2027-06-30"
    assert [p.name for p in row.agreement.products.all()] == ["Product 41"]

    # The admin who confirmed is told, with the counts and the link.
    email = OutboundEmail.objects.get(template="import_done")
    assert email.to == [district_admin.email]
    assert "Created: 300" in email.body_text and f"/district/{district.slug}/import/{job.pk}/" in email.body_text

    # The end report: one line per row, formula-safe, with the agreement's link.
    lines = list(csv.reader(io.StringIO(b"".join(report_csv(job)).decode("utf-8-sig"))))
    assert lines[0] == ["row", "vendor", "product", "outcome", "reason", "agreement"]
    assert len(lines) == ROWS + 1
    assert lines[41][:5] == ["42", "Vendor 41 Learning", "Product 41", "Created", "Imported."]
    assert lines[41][5].endswith(f"/agreements/{row.agreement_id}/")


def test_the_same_files_twice_change_nothing(catalogues, district, district_admin, portfolio_files, client, with_totp):
    sheet_data, zip_data, _ = portfolio_files
    rows = [agreement_row(n) for n in range(1, 21)]
    sheet_data = csv_bytes(rows)
    first = run(import_confirm(job=start(district, district_admin, sheet_data, zip_data), actor=district_admin))
    assert outcomes(first) == {"created": 20}
    before = (Agreement.objects.count(), Contractor.objects.count(), OutsideSigning.objects.count())

    again = start(district, district_admin, sheet_data, zip_data)
    assert set(again.rows.values_list("action", flat=True)) == {"skip"}
    today = timezone.localtime().strftime("%b %-d, %Y")
    assert set(again.rows.values_list("reason", flat=True)) == {f"Already imported on {today}."}
    assert all(row.vendor_score == 100 for row in again.rows.all())  # the vendors are the ones it created
    with_totp(district_admin)
    client.force_login(district_admin)
    page = client.get(reverse("portfolio_import_job", args=[district.slug, again.pk])).content.decode()
    assert "The same files were imported on " in page and "Skip: <strong>20</strong>" in page
    again = run(import_confirm(job=again, actor=district_admin))
    assert outcomes(again) == {"skipped": 20}
    assert (Agreement.objects.count(), Contractor.objects.count(), OutsideSigning.objects.count()) == before


def test_a_row_that_matches_an_imported_agreement_completes_it(catalogues, district, district_admin):
    bare = agreement_row(1, purposes="", pdf_file="")
    first = run(import_confirm(job=start(district, district_admin, csv_bytes([bare])), actor=district_admin))
    agreement = first.rows.get().agreement
    assert agreement.supplemental_information.purposes == ""

    fuller = agreement_row(1, purposes="Reading lessons.", pdf_file="")
    job = start(district, district_admin, csv_bytes([fuller]))
    row = job.rows.get()
    assert (row.action, row.agreement_match_id) == ("update", agreement.pk)
    job = run(import_confirm(job=job, actor=district_admin))
    row.refresh_from_db()
    assert row.outcome == "updated" and row.agreement_id == agreement.pk
    assert row.reason.startswith("Added to the matching agreement: ") and "purposes" in row.reason
    agreement.supplemental_information.refresh_from_db()
    assert agreement.supplemental_information.purposes == "Reading lessons."
    assert Agreement.objects.filter(agency=district).count() == 1


def test_a_row_that_matches_an_imported_agreement_without_its_pdf_adds_the_pdf(catalogues, district, district_admin):
    first = run(
        import_confirm(
            job=start(district, district_admin, csv_bytes([agreement_row(1, pdf_file="")])), actor=district_admin
        )
    )
    agreement = first.rows.get().agreement
    assert agreement.outside_signing.document is None
    pdf = blank_pdf("The signed copy, found later")
    job = start(
        district, district_admin, csv_bytes([agreement_row(1, pdf_file="late.pdf")]), zip_bytes({"late.pdf": pdf})
    )
    job = run(import_confirm(job=job, actor=district_admin))
    row = job.rows.get()
    assert (row.outcome, row.agreement_id) == ("updated", agreement.pk)
    signing = OutsideSigning.objects.get(agreement=agreement)
    assert bytes(signing.document.pdf) == pdf
    assert signing.document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert Agreement.objects.filter(agency=district).count() == 1


def test_an_xlsx_sheet_with_date_cells_is_imported_as_a_csv_one_is(catalogues, district, district_admin):
    """Excel's own format, through the whole pipeline: date cells, a number of the sheet's rows, the PDFs."""
    import openpyxl

    from portfolio.sheet import KEYS

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Agreements"
    sheet.append(list(KEYS))
    for n in (1, 2):
        row = agreement_row(n)
        for key in ("service_agreement_date", "contract_start", "contract_end"):
            row[key] = date.fromisoformat(row[key])  # a real date cell, as Excel stores it
        sheet.append([row.get(key, "") for key in KEYS])
    data = io.BytesIO()
    book.save(data)
    pdfs = {f"dpa-{n}.pdf": blank_pdf(f"DPA {n}") for n in (1, 2)}
    job = run(
        import_confirm(
            job=start(district, district_admin, data.getvalue(), zip_bytes(pdfs), name="agreements.xlsx"),
            actor=district_admin,
        )
    )
    assert outcomes(job) == {"created": 2}
    agreement = job.rows.get(number=2).agreement
    assert (agreement.contract_start, agreement.contract_end) == (date(2024, 7, 1), date(2027, 6, 30))
    assert bytes(agreement.outside_signing.document.pdf) == pdfs["dpa-1.pdf"]


def test_one_new_vendor_named_on_several_rows_is_created_once(catalogues, district, district_admin):
    rows = [
        agreement_row(1, vendor="Brightpath Learning, LLC", products="Phonics", pdf_file=""),
        agreement_row(2, vendor="Brightpath Learning", products="Reading", pdf_file=""),
        agreement_row(3, vendor="BRIGHTPATH LEARNING LLC", products="Maths", pdf_file=""),
    ]
    job = run(import_confirm(job=start(district, district_admin, csv_bytes(rows)), actor=district_admin))
    assert outcomes(job) == {"created": 3}
    assert Contractor.objects.filter(legal_name__icontains="brightpath").count() == 1
    contractor = Contractor.objects.get(legal_name__icontains="brightpath")
    assert contractor.legal_name == "Brightpath Learning, LLC"
    assert contractor.agreements.count() == 3


def test_a_different_company_gets_its_own_vendor(catalogues, district, district_admin, vendor):
    """The admin says that "Learning Toolbox" (a maybe of "Learning Tools, Inc.") is another company, and that
    "Lerning Tools Inc" (96) is not: the first gets a new vendor, the second the existing one."""
    rows = [
        agreement_row(1, vendor="Learning Toolbox", pdf_file=""),
        agreement_row(2, vendor="Lerning Tools Inc", pdf_file=""),
    ]
    job = start(district, district_admin, csv_bytes(rows))
    maybe, misspelt = job.rows.order_by("number")
    job = run(import_confirm(job=job, actor=district_admin, shown=[maybe.pk, misspelt.pk], different=[maybe.pk]))
    maybe.refresh_from_db()
    misspelt.refresh_from_db()
    assert maybe.agreement.contractor.legal_name == "Learning Toolbox"
    assert misspelt.agreement.contractor == vendor


def test_what_the_pdf_says_fills_what_the_sheet_leaves_empty(catalogues, district, district_admin):
    row = agreement_row(
        1,
        vendor="Brightpath Learning, LLC",
        purposes="",
        contract_end="",
        service_agreement_date="",
        pii_kinds="",
        pdf_file="brightpath.pdf",
    )
    job = start(district, district_admin, csv_bytes([row]), zip_bytes({"brightpath.pdf": weasyprint_pdf(HAND_FILLED)}))
    read = job.rows.get()
    assert read.pdf_text == "text" and read.action == "create"
    assert read.proposals["purposes"] == "Phonics lessons and reading assessments for grades K-2."
    assert read.proposals["contract_end"] == "2028-06-30"
    assert "contract_start" not in read.proposals  # the sheet gives it: the sheet wins
    assert read.notes == [
        "Read from the PDF, please confirm: accuracy_challenges, appr_data, contract_end, data_transition, "
        "encryption, purposes, service_agreement_date, storage_and_security, student_pii, subcontractor_terms, "
        "subcontractors."
    ]
    job = run(import_confirm(job=job, actor=district_admin))
    read.refresh_from_db()
    assert read.outcome == "created", read.reason
    agreement = read.agreement
    assert str(agreement.contract_end) == "2028-06-30" and str(agreement.contract_start) == "2024-07-01"
    assert agreement.supplemental_information.purposes == "Phonics lessons and reading assessments for grades K-2."
    assert "purposes" in agreement.outside_signing.read_from_pdf
    assert "contract_start" not in agreement.outside_signing.read_from_pdf
    assert agreement.outside_signing.pdf_text == "text"


def test_a_job_that_is_not_importing_is_left_alone(catalogues, district, district_admin):
    job = start(district, district_admin, csv_bytes([agreement_row(1, pdf_file="")]))
    assert import_batch(job_id=job.pk) is False  # read, not confirmed: the import does not start by itself
    assert job.rows.get().outcome == "pending"
    assert not Agreement.objects.exists()


def test_a_dry_run_cut_short_goes_on_after_its_last_stored_row(catalogues, district, district_admin):
    """Each slice stores its rows in chunks of 50 with the job's progress; the next slice (the task queued again, or
    the sweep after a killed worker) reads the files again and goes on after the last stored row."""
    rows = [agreement_row(n, pdf_file="") for n in range(1, 131)]
    job = import_start(
        agency=district, actor=district_admin, sheet_file=ContentFile(csv_bytes(rows), name="agreements.csv")
    )
    assert import_read_step(job_id=job.pk, budget=0) is True  # one chunk, then out of time
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.rows.count()) == ("reading", 50, 130, 50)
    assert import_read_step(job_id=job.pk, budget=0) is True
    assert import_read_step(job_id=job.pk, budget=0) is False  # the last 30 rows, and the job is read
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows.count()) == ("ready", 130, 130)
    assert list(job.rows.values_list("number", flat=True)) == list(range(2, 132))


def test_the_sweep_queues_each_silent_job_once_with_its_step(catalogues, district, district_admin, monkeypatch):
    from portfolio import tasks

    queued = []
    monkeypatch.setattr(tasks.import_read, "delay", lambda pk: queued.append(("read", pk)))
    monkeypatch.setattr(tasks.import_run, "delay", lambda pk: queued.append(("run", pk)))
    old = timezone.now() - timedelta(minutes=10)
    common = {"agency": district, "created_by_name": "Dana", "sheet": "x.csv", "sheet_name": "x.csv"}
    reading = ImportJob.objects.create(status="reading", heartbeat_at=old, **common)
    importing = ImportJob.objects.create(status="importing", heartbeat_at=old, **common)
    ImportJob.objects.create(status="importing", heartbeat_at=timezone.now(), **common)  # its worker is alive
    ImportJob.objects.create(status="ready", heartbeat_at=old, **common)  # waits for a person, not a worker
    assert tasks.imports_sweep() == 2
    assert sorted(queued) == [("read", reading.pk), ("run", importing.pk)]
    assert tasks.imports_sweep() == 0  # claimed: its heartbeat moved on


def test_the_report_is_safe_to_open_in_a_spreadsheet(catalogues, district, district_admin):
    rows = [agreement_row(1, vendor='=HYPERLINK("http://evil.example","click")', pdf_file="")]
    job = run(import_confirm(job=start(district, district_admin, csv_bytes(rows)), actor=district_admin))
    lines = list(csv.reader(io.StringIO(b"".join(report_csv(job)).decode("utf-8-sig"))))
    assert lines[1][1] == '\'=HYPERLINK("http://evil.example","click")'
