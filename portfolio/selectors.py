"""Reads of the portfolio's pages: a district's imports, one import's rows and counts."""

from django.core.paginator import Paginator
from django.db.models import Count

from .models import ImportJob, ImportRow

ROWS_PER_PAGE = 200
JOBS_LISTED = 20


def import_jobs_of(agency) -> list[ImportJob]:
    """The district's latest imports, newest first (the import page lists them)."""
    return list(ImportJob.objects.filter(agency=agency).select_related("confirmed_by")[:JOBS_LISTED])


def import_job_of(agency, pk: int) -> ImportJob | None:
    """One import of the district, or None (another district's is not found either)."""
    return ImportJob.objects.filter(agency=agency, pk=pk).select_related("agency", "confirmed_by").first()


def same_files_imported(job: ImportJob) -> ImportJob | None:
    """The district's latest earlier import of the same files (by their SHA-256) that went through, if any."""
    if not job.sheet_sha256:
        return None
    earlier = ImportJob.objects.filter(
        agency=job.agency_id,
        sheet_sha256=job.sheet_sha256,
        archive_sha256=job.archive_sha256,
        status=ImportJob.Status.DONE,
        pk__lt=job.pk,
    )
    return earlier.order_by("-pk").first()


def import_rows_page(job: ImportJob, page_number):
    """A page of the job's rows with their vendor and agreements: the same number of queries for any page."""
    rows = job.rows.select_related("vendor_match").order_by("number")
    return Paginator(rows, ROWS_PER_PAGE).get_page(page_number)


def import_counts(job: ImportJob) -> dict:
    """Rows per action (the dry run) and per outcome (the import), in one query."""
    counts = {
        "action": dict.fromkeys(ImportRow.Action.values, 0),
        "outcome": dict.fromkeys(ImportRow.Outcome.values, 0),
    }
    grouped = job.rows.order_by().values("action", "outcome").annotate(n=Count("pk"))
    for group in grouped:
        counts["action"][group["action"]] += group["n"]
        counts["outcome"][group["outcome"]] += group["n"]
    return counts
