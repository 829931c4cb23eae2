"""A district admin imports its portfolio in the browser (issue 12): downloads nothing (the template is tested in
tests/portfolio), uploads a sheet and a ZIP, watches the progress bar move to the end while a real Celery worker
reads the files, checks the rows, confirms, watches the import, and downloads the report. axe checks each page;
screenshots go to /tmp/shots-import/."""

import signal
import time
from pathlib import Path

from playwright.sync_api import expect

from agreements.models import Agreement
from portfolio.models import ImportJob
from tests.test_celery import celery_worker  # noqa: F401 - a fixture: the real worker that reads and imports

from ..portfolio.test_import_views import agreement_row, blank_pdf, csv_bytes, zip_bytes
from .conftest import assert_accessible
from .test_signing import signed_in

# Where a person looks at the pages after a run (the brief of issue 12 asks for them there).
SHOTS = Path("/tmp/shots-import")  # noqa: S108
ROWS = 300  # six batches of the import (portfolio/imports/common.py CHUNK)


def watch_the_bar(page, until: str) -> list[int]:
    """The progress bar's values as the page polls (htmx, every 2 s), until the page reloads into `until`."""
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        bar = page.locator("#import-progress progress")
        if bar.count():
            value = bar.get_attribute("value")
            if value is not None and (not seen or seen[-1] != int(value)):
                seen.append(int(value))
        if page.locator("#import-status").inner_text() == until:
            return seen
        time.sleep(0.25)
    raise AssertionError(f"the page never showed {until}: {seen}")


def pause_part_way(worker) -> int:
    """Stop the worker (SIGSTOP) once the import has committed a batch but not its last, and return the rows done.

    Where htmx's 2-second polls fall against a one-second import is chance; paused part-way, the page must show the
    bar there whatever the machine's speed (an import of 300 rows once finished between two polls)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if 0 < ImportJob.objects.values_list("rows_done", flat=True).get() < ROWS:
            worker.send_signal(signal.SIGSTOP)
            return ImportJob.objects.values_list("rows_done", flat=True).get()  # one more batch may have committed
        time.sleep(0.005)
    raise AssertionError("the import never committed a batch")


def test_upload_watch_confirm_and_get_the_report(
    browser,
    live_server,
    transactional_db,
    catalogues,
    district,
    people,
    celery_worker,  # noqa: F811 - the fixture imported above
):
    SHOTS.mkdir(exist_ok=True)
    rows = [agreement_row(n) for n in range(1, ROWS + 1)]
    rows[4]["contract_end"] = "soon"  # one row a district has to correct
    rows[7]["pdf_file"] = "missing.pdf"
    pdfs = zip_bytes({f"dpa-{n}.pdf": blank_pdf(f"DPA {n}") for n in range(1, ROWS + 1)})
    context, page = signed_in(browser, live_server, people["district_admin"])
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"/district/{district.slug}/")
        page.get_by_role("link", name="Import agreements").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Import the agreements")
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / "1-import-page.png"), full_page=True)

        page.get_by_label("The filled-in template (CSV or XLSX)").set_input_files(
            files=[{"name": "agreements.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}]
        )
        page.get_by_label("The signed PDFs, in one ZIP (optional)").set_input_files(
            files=[{"name": "signed.zip", "mimeType": "application/zip", "buffer": pdfs}]
        )
        page.get_by_role("button", name="Upload and read").click()
        expect(page.get_by_role("status").first).to_contain_text("The files are uploaded.")
        page.screenshot(path=str(SHOTS / "2-reading.png"), full_page=True)
        assert_accessible(page)
        read = watch_the_bar(page, "Read: waiting for confirmation")
        assert read[-1] <= ROWS

        expect(page.locator("#import-counts")).to_contain_text(f"Create: {ROWS - 2}")
        expect(page.locator("#import-counts")).to_contain_text("Cannot be imported: 2")
        expect(page.locator("#row-6")).to_contain_text("contract_end: “soon” is not a date")
        expect(page.locator("#row-9")).to_contain_text("pdf_file: “missing.pdf” is not in the ZIP")
        expect(page.locator("#import-findings")).to_contain_text("PDFs in the ZIP that no row names")
        expect(page.locator("#import-rows caption")).to_have_text(f"Rows 1 to {min(ROWS, 200)} of {ROWS}")
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / "3-ready.png"), full_page=False)

        page.get_by_role("button", name="Confirm the import").click()
        expect(page.locator("#import-status")).to_have_text("Importing")
        worker, _ = celery_worker
        part_way = pause_part_way(worker)
        try:
            assert 0 < part_way < ROWS
            expect(page.locator("#import-progress progress")).to_have_attribute("value", str(part_way), timeout=10_000)
            page.screenshot(path=str(SHOTS / "4-importing.png"), full_page=False)
            assert_accessible(page)
        finally:
            worker.send_signal(signal.SIGCONT)
        imported = watch_the_bar(page, "Done")
        assert imported == sorted(imported) and imported[0] >= part_way, imported

        expect(page.locator("#import-counts")).to_contain_text(f"Created: {ROWS - 2}")
        expect(page.locator("#import-counts")).to_contain_text("Failed: 2")
        expect(page.locator("#row-2")).to_contain_text("Created: agreement of row 2")
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / "5-done.png"), full_page=False)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the report (CSV)").click()
        report = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert report.startswith("row,vendor,product,outcome,reason,agreement")
        assert report.count("\n") == ROWS + 1
        job = ImportJob.objects.get(agency=district)
        assert job.status == "done"
        assert Agreement.objects.filter(agency=district).count() == ROWS - 2
    finally:
        context.close()
