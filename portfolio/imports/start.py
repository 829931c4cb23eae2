"""The import's requests: the upload and the job it creates, and the admin's decisions on the rows read."""

import hashlib
import os
import secrets

from django.db import transaction
from django.utils import timezone

from agreements.access import DISTRICT_ADMIN, require_district_staff
from dpa_portal.errors import INVALID, STATE, ApplicationError

from .. import archive, sheet
from ..models import ImportJob, ImportRow

# The stored files get names of the portal's making: what a district calls its files is kept in sheet_name and
# archive_name, never used as a path.
SHEET_SUFFIXES = {".csv", ".xlsx", ".txt", ".tsv"}


def upload_check(*, sheet_file=None, archive_file=None) -> None:
    """Refuse an upload over its limit, or empty, before anything is stored (issue 12.7). Django has streamed a large
    upload to a temporary file by now (FILE_UPLOAD_MAX_MEMORY_SIZE), so its size is known without reading it. The
    limits are read from the readers' modules at each call: they are what the README documents."""
    if sheet_file is not None:
        if sheet_file.size > sheet.SHEET_MAX_BYTES:
            raise ApplicationError(
                f"The sheet “{sheet_file.name}” is {archive.human_size(sheet_file.size)}; the limit is "
                f"{archive.human_size(sheet.SHEET_MAX_BYTES)}. Split it into several sheets and import each.",
                code=INVALID,
            )
        if not sheet_file.size:
            raise ApplicationError(f"The sheet “{sheet_file.name}” is empty.", code=INVALID)
    if archive_file is not None:
        if archive_file.size > archive.ARCHIVE_MAX_BYTES:
            raise ApplicationError(
                f"The ZIP “{archive_file.name}” is {archive.human_size(archive_file.size)}; the limit is "
                f"{archive.human_size(archive.ARCHIVE_MAX_BYTES)}. Split the PDFs into two ZIPs and import each "
                "with a sheet of the rows that name its PDFs.",
                code=INVALID,
            )
        archive_file.seek(0)
        head = archive_file.read(4)
        archive_file.seek(0)
        if head not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise ApplicationError(
                f"“{archive_file.name}” is not a ZIP archive. Put the signed PDFs in a folder and compress it to a "
                ".zip file.",
                code=INVALID,
            )


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _stored_name(agency, original: str, allowed: set[str], default: str) -> str:
    suffix = os.path.splitext(original)[1].lower()
    return f"{agency.pk}-{secrets.token_hex(8)}{suffix if suffix in allowed else default}"


def _actor_name(actor) -> str:
    return (actor.get_full_name() or actor.email)[:200]


def import_start(*, agency, actor, sheet_file, archive_file=None) -> ImportJob:
    """Store the files, create the job and queue its dry run for after the commit. Nothing is read here: the worker
    reads (a 10,000-row sheet and a ZIP of a gigabyte take longer than a request may)."""
    from ..tasks import import_read

    require_district_staff(actor, agency.pk, DISTRICT_ADMIN)
    upload_check(sheet_file=sheet_file, archive_file=archive_file)
    job = ImportJob(
        agency=agency,
        created_by=actor,
        created_by_name=_actor_name(actor),
        sheet_name=os.path.basename(sheet_file.name)[:255],
        sheet_sha256=_sha256(sheet_file),
        heartbeat_at=timezone.now(),
    )
    job.sheet.save(_stored_name(agency, sheet_file.name, SHEET_SUFFIXES, ".csv"), sheet_file, save=False)
    if archive_file is not None:
        job.archive_name = os.path.basename(archive_file.name)[:255]
        job.archive_sha256 = _sha256(archive_file)
        job.archive.save(_stored_name(agency, archive_file.name, {".zip"}, ".zip"), archive_file, save=False)
    with transaction.atomic():
        job.save()
        transaction.on_commit(lambda: import_read.delay(job.pk), robust=True)
    return job


_NOT_READY = {
    ImportJob.Status.READING: "The files are still being read. Confirm once the table of rows is shown.",
    ImportJob.Status.FAILED: "The files could not be read, so there is nothing to import. Correct them and upload "
    "them again.",
    ImportJob.Status.CANCELLED: "This import was cancelled. Upload the files again to start a new one.",
}


def _refuse_unless_ready(job: ImportJob):
    if job.status == ImportJob.Status.READY:
        return
    if job.status in (ImportJob.Status.IMPORTING, ImportJob.Status.DONE):
        when = timezone.localtime(job.confirmed_at).strftime("%b %-d, %Y %H:%M") if job.confirmed_at else ""
        raise ApplicationError(
            f"This import was confirmed already{f' on {when}' if when else ''}; it runs once. Its progress and "
            "report are on this page.",
            code=STATE,
        )
    raise ApplicationError(_NOT_READY[job.status], code=STATE)


def vendor_choices_save(*, job: ImportJob, shown, different) -> int:
    """Record the admin's "this is a different company" on the rows shown on the page (`shown`: row ids; those in
    `different` are ticked). Only rows matched with a score under 100 can be told apart. A row that was to update an
    agreement of the matched vendor creates a new one instead. Returns the number of rows now marked new."""
    _refuse_unless_ready(job)
    eligible = job.rows.filter(pk__in=list(shown), vendor_match__isnull=False, vendor_score__lt=100)
    different = set(different)
    eligible.exclude(pk__in=different).update(vendor_is_new=False)
    marked = eligible.filter(pk__in=different)
    marked.filter(action=ImportRow.Action.UPDATE).update(action=ImportRow.Action.CREATE, agreement_match=None)
    return marked.update(vendor_is_new=True)


def import_confirm(*, job: ImportJob, actor, shown=(), different=()) -> ImportJob:
    """The admin's go: record the vendor choices of the page, and queue the import for after the commit. A second
    confirmation (two tabs, a double click) is refused: the row lock makes the two requests take turns."""
    from ..tasks import import_run

    require_district_staff(actor, job.agency_id, DISTRICT_ADMIN)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        _refuse_unless_ready(locked)
        vendor_choices_save(job=locked, shown=shown, different=different)
        now = timezone.now()
        locked.status = ImportJob.Status.IMPORTING
        locked.confirmed_by = actor
        locked.confirmed_at = now
        locked.heartbeat_at = now
        locked.rows_total = locked.rows.count()
        locked.rows_done = 0
        locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "heartbeat_at", "rows_total", "rows_done"])
        transaction.on_commit(lambda: import_run.delay(locked.pk), robust=True)
    return locked


def import_cancel(*, job: ImportJob, actor) -> ImportJob:
    """Drop a job before it imports anything (while it reads, or waits for confirmation)."""
    require_district_staff(actor, job.agency_id, DISTRICT_ADMIN)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in (ImportJob.Status.READING, ImportJob.Status.READY):
            if locked.status in (ImportJob.Status.IMPORTING, ImportJob.Status.DONE):
                raise ApplicationError(
                    "This import was confirmed; it cannot be cancelled now. What it imported stays in the portal.",
                    code=STATE,
                )
            raise ApplicationError(f"This import is {locked.get_status_display().lower()} already.", code=STATE)
        locked.status = ImportJob.Status.CANCELLED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
    return locked
