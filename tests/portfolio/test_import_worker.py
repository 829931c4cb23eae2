"""The import end to end in a real Celery worker (issue 12.2): uploaded through the page, read by the worker while the
page's progress partial says how far it is, confirmed, imported in batches, and the admin e-mailed."""

import time

from django.urls import reverse

from agreements.models import Agreement, OutboundEmail
from portfolio.models import ImportJob

from ..test_celery import celery_worker  # noqa: F401 (a fixture)
from .test_import_views import agreement_row, blank_pdf, csv_bytes, upload, zip_bytes

ROWS = 60


def wait_for(job: ImportJob, status: str, log) -> ImportJob:
    deadline = time.monotonic() + 90
    while True:
        job.refresh_from_db()
        if job.status == status:
            return job
        assert job.status not in ("failed", "cancelled"), job.error
        assert time.monotonic() < deadline, f"still {job.status} at {job.rows_done}/{job.rows_total}\n{log.read_text()}"
        time.sleep(0.2)


def test_an_import_runs_in_the_worker_from_upload_to_e_mail(celery_worker, catalogues, district, people, client):  # noqa: F811
    _, log = celery_worker
    admin = people["district_admin"]
    client.force_login(admin)
    rows = [agreement_row(n) for n in range(1, ROWS + 1)]
    pdfs = zip_bytes({f"dpa-{n}.pdf": blank_pdf(f"DPA {n}") for n in range(1, ROWS + 1)})
    assert upload(client, district, csv_bytes(rows), pdfs).status_code == 302
    job = ImportJob.objects.get(agency=district)

    job = wait_for(job, "ready", log)
    assert (job.rows_done, job.rows_total) == (ROWS, ROWS)
    page = client.get(reverse("portfolio_import_job", args=[district.slug, job.pk])).content.decode()
    assert f"Create: <strong>{ROWS}</strong>" in page

    client.post(reverse("portfolio_import_confirm", args=[district.slug, job.pk]), {"step": "confirm"})
    job = wait_for(job, "done", log)
    assert job.rows.filter(outcome="created").count() == ROWS
    assert Agreement.objects.filter(agency=district, outside_signing__isnull=False).count() == ROWS

    deadline = time.monotonic() + 30
    while not OutboundEmail.objects.filter(template="import_done", status=OutboundEmail.Status.SENT).exists():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    text = log.read_text()
    assert "Task portfolio.import_read[" in text and "Task portfolio.import_run[" in text
    report = client.get(reverse("portfolio_import_report", args=[district.slug, job.pk]))
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(report.streaming_content).decode("utf-8-sig").count("\r\n") == ROWS + 1


def test_two_workers_never_take_the_same_batch(transactional_db, catalogues, district, district_admin):
    """While one worker holds the job (its batch's transaction has the job's row locked), another's batch finds it
    taken (SKIP LOCKED) and leaves at once, importing nothing; once the first commits, the next batch goes on."""
    import threading

    from django.core.files.base import ContentFile
    from django.db import connection, transaction

    from portfolio.imports import import_batch, import_confirm, import_read_step, import_start

    rows = [agreement_row(n, pdf_file="") for n in range(1, 4)]
    job = import_start(agency=district, actor=district_admin, sheet_file=ContentFile(csv_bytes(rows), name="a.csv"))
    while import_read_step(job_id=job.pk, budget=60):
        pass
    job.refresh_from_db()
    import_confirm(job=job, actor=district_admin)
    held, release = threading.Event(), threading.Event()

    def first_worker():
        try:
            with transaction.atomic():
                ImportJob.objects.select_for_update().get(pk=job.pk)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert held.wait(30)
        assert import_batch(job_id=job.pk) is False
        assert job.rows.filter(outcome="pending").count() == 3
    finally:
        release.set()
        thread.join(30)
    assert import_batch(job_id=job.pk) is True
    assert job.rows.filter(outcome="created").count() == 3
