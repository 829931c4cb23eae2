"""The dry run, in the worker (issue 12.1): read the sheet and the ZIP, and for each row find what would happen
(create, update, skip, cannot be imported) and why. Nothing of the district's is written: only the job's rows.

A slice reads rows in chunks of CHUNK, each chunk committed with the job's progress; a slice that runs out of time
returns and its task queues the next, which reads the files again (cheap next to the PDFs) and goes on after the
last row stored. Only one PDF is in memory at a time.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from agreements.models import Agreement, OutsideSigning
from agreements.outside import MAX_PDF_BYTES
from dpa_portal.errors import ApplicationError
from vendors.models import Contractor

from .. import archive as archive_reader
from ..matching import VendorIndex
from ..models import ImportJob, ImportRow
from ..pdftext import pdf_read
from ..sheet import ParsedRow, duplicates, row_parse, sheet_read
from .common import (
    CHUNK,
    PDF_DAMAGED,
    PDF_MISSING,
    PDF_NONE,
    PDF_NOT_PDF,
    PDF_SCANNED,
    PDF_TEXT,
    PROPOSABLE,
    STEP_SECONDS,
    is_blank,
    opened_archive,
    row_values,
    source_key,
    to_json,
)

log = logging.getLogger(__name__)

# The agreements of the portal a row may describe already: those that were signed (in the portal or outside it).
SIGNED = (
    Agreement.Status.EXECUTED,
    Agreement.Status.EXPIRED,
    Agreement.Status.TERMINATED,
    Agreement.Status.CLOSED,
)
# How many names a finding lists before "and N more".
LISTED = 20


def _listed(names: list[str]) -> str:
    shown = ", ".join(f"“{name}”" for name in names[:LISTED])
    return shown + (f" and {len(names) - LISTED:,} more" if len(names) > LISTED else "")


def _fail(job_id: int, reason: str) -> None:
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.READING).update(
        status=ImportJob.Status.FAILED, error=reason[:500], finished_at=timezone.now(), heartbeat_at=timezone.now()
    )


def _read_file(field) -> bytes:
    with field.open("rb") as stream:
        return stream.read()


@dataclass
class _Context:
    """What every row of a slice is checked against, each found with one query."""

    agency_id: int
    vendors: VendorIndex
    # (contractor, contract start, product name casefolded) -> (agreement id, imported from outside the portal)
    signed: dict
    repeats: dict[int, int]
    zip: object  # PdfArchive or None


def _context(job: ImportJob, parsed: list[ParsedRow], opened) -> _Context:
    vendors = VendorIndex(list(Contractor.objects.values_list("pk", "legal_name", "website")))
    signed = {}
    rows = (
        Agreement.objects.filter(agency=job.agency_id, status__in=SIGNED)
        .values_list("pk", "contractor_id", "contract_start", "products__name", "outside_signing__pk")
        .order_by("pk")
    )
    for pk, contractor_id, start, product, outside in rows:
        if product:
            signed.setdefault((contractor_id, start, product.casefold()), (pk, outside is not None))
    return _Context(job.agency_id, vendors, signed, duplicates(parsed), opened)


def _findings(sheet, parsed: list[ParsedRow], opened, has_archive: bool) -> list[str]:
    """What the reading found about the files as a whole, one sentence each (ImportJob.findings)."""
    found = []
    separator = {",": "commas", ";": "semicolons", "\t": "tabs"}.get(sheet.delimiter, "")
    if sheet.encoding == "XLSX":
        found.append("The sheet was read as an Excel workbook (XLSX).")
    else:
        found.append(
            f"The sheet was read as CSV in {sheet.encoding}"
            + (f", columns separated by {separator}." if separator else ".")
        )
    if sheet.unknown_columns:
        found.append(f"Columns that are not in the template were ignored: {_listed(sheet.unknown_columns)}.")
    if sheet.missing_columns:
        found.append(
            f"Columns of the template missing from the sheet (read as blank): {_listed(sheet.missing_columns)}."
        )
    found.extend(sheet.problems)
    if opened is not None:
        found.extend(f"In the ZIP: {problem}." for problem in opened.problems)
        unused = opened.unused([row.pdf_file for row in parsed if row.pdf_file])
        if unused:
            found.append(f"PDFs in the ZIP that no row names (not imported): {_listed([e.name for e in unused])}.")
    elif not has_archive and any(row.pdf_file for row in parsed):
        found.append("No ZIP of PDFs was uploaded, but rows name PDFs: those rows cannot be imported without them.")
    return found


def _pdf(row: ImportRow, parsed: ParsedRow, context: _Context, problems: list[str], notes: list[str]) -> None:
    """Find, read and check the row's PDF; what it proposes for the fields the sheet leaves empty."""
    if not parsed.pdf_file:
        row.pdf_text = PDF_NONE
        notes.append("No PDF is named: the agreement is imported without its signed copy, which it lists as missing.")
        return
    if context.zip is None:
        row.pdf_text = PDF_MISSING
        problems.append(f"pdf_file: “{parsed.pdf_file}” is named but no ZIP of PDFs was uploaded")
        return
    entry = context.zip.find(parsed.pdf_file)
    if entry is None:
        row.pdf_text = PDF_MISSING
        problems.append(f"pdf_file: {context.zip.missing_reason(parsed.pdf_file)}")
        return
    row.pdf_name = entry.name[:255]
    try:
        data = context.zip.read(entry)
    except ApplicationError as error:
        row.pdf_text = PDF_DAMAGED
        problems.append(f"pdf_file: {error.message}")
        return
    if len(data) > MAX_PDF_BYTES:
        row.pdf_text = PDF_DAMAGED
        problems.append(
            f"pdf_file: “{entry.name}” is {archive_reader.human_size(len(data))}; a signed PDF may be at most "
            f"{archive_reader.human_size(MAX_PDF_BYTES)}"
        )
        return
    if not archive_reader.looks_like_pdf(data):
        row.pdf_text = PDF_NOT_PDF
        problems.append(f"pdf_file: “{entry.name}” is not a PDF, although its name ends in .pdf")
        return
    row.pdf_sha256 = hashlib.sha256(data).hexdigest()
    reading = pdf_read(data)
    del data  # one PDF at a time
    if reading.problem:
        row.pdf_text = PDF_DAMAGED
        problems.append(f"pdf_file: “{entry.name}”: {reading.problem}")
        return
    row.pdf_text = PDF_TEXT if reading.has_text else PDF_SCANNED
    if not reading.has_text:
        notes.append("The PDF is a scan without text: it is stored as it is, and nothing is read from it.")
        return
    values = row.values
    row.proposals = {
        key: to_json(value)
        for key, value in reading.proposals.items()
        if key in PROPOSABLE and is_blank(values.get(key)) and not is_blank(value)
    }
    if row.proposals:
        notes.append("Read from the PDF, please confirm: " + ", ".join(sorted(row.proposals)) + ".")


def _vendor(row: ImportRow, parsed: ParsedRow, context: _Context) -> None:
    if not parsed.vendor:
        return
    best = context.vendors.candidates(
        parsed.vendor, website=parsed.vendor_website, email=parsed.vendor_contact_email, limit=1
    )
    if not best:
        return
    candidate = best[0]
    from ..matching import MAYBE, SAME_VENDOR

    if candidate.score < MAYBE:
        return
    row.vendor_match_id = candidate.contractor_id
    row.vendor_score = candidate.score
    row.vendor_reason = candidate.reason[:200]
    # A maybe is a new vendor until the admin says it is the same company: merging two companies is worse than a
    # duplicate a district can see and report.
    row.vendor_is_new = candidate.score < SAME_VENDOR


def _row_check(job: ImportJob, parsed: ParsedRow, context: _Context, imported: dict) -> ImportRow:
    row = ImportRow(job=job, number=parsed.number, values=row_values(parsed), key=parsed.key())
    problems = list(parsed.problems)
    if parsed.vendor and not parsed.products:
        problems.append("products: name at least one product or service the agreement covers")
    notes: list[str] = []
    _vendor(row, parsed, context)
    _pdf(row, parsed, context, problems, notes)
    row.problems, row.notes = problems, notes
    earlier = context.repeats.get(parsed.number)
    found = imported.get(source_key(context.agency_id, row.key))
    if problems:
        row.action = ImportRow.Action.FAIL
    elif earlier is not None:
        row.action = ImportRow.Action.SKIP
        row.reason = f"The same agreement as row {earlier}: imported once."
    elif found is not None:
        row.action = ImportRow.Action.SKIP
        row.agreement_match_id = found[0]
        row.reason = f"Already imported on {timezone.localtime(found[1]):%b %-d, %Y}."
    elif row.vendor_match_id and not row.vendor_is_new:
        start = parsed.contract_start
        for product in parsed.products:
            match = context.signed.get((row.vendor_match_id, start, product.casefold()))
            if match is None:
                continue
            row.agreement_match_id = match[0]
            if match[1]:
                row.action = ImportRow.Action.UPDATE
                row.reason = "The same vendor, product and start as an imported agreement: only what it lacks is added."
            else:
                row.action = ImportRow.Action.SKIP
                row.reason = "The same vendor, product and start as an agreement signed in the portal."
            break
    return row


def import_read_step(*, job_id: int, budget: float = STEP_SECONDS) -> bool:
    """Read the job's files for up to `budget` seconds. True when rows are left to read (queue the next slice)."""
    job = ImportJob.objects.select_related("agency").filter(pk=job_id, status=ImportJob.Status.READING).first()
    if job is None:
        return False
    deadline = time.monotonic() + budget
    try:
        sheet = sheet_read(job.sheet_name, _read_file(job.sheet))
    except ApplicationError as error:
        _fail(job_id, error.message)
        return False
    parsed = [row_parse(row) for row in sheet.rows]
    if not parsed:
        _fail(job_id, " ".join(sheet.problems) or "The sheet has no agreements below its header row.")
        return False
    try:
        with opened_archive(job) as opened:
            return _read_rows(job, sheet, parsed, opened, deadline)
    except ApplicationError as error:  # the ZIP, refused whole: the job fails and nothing else happens
        _fail(job_id, error.message)
        return False


def _read_rows(job: ImportJob, sheet, parsed: list[ParsedRow], opened, deadline: float) -> bool:
    if not job.rows_total:  # the first slice: what the files hold as a whole
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READING).update(
            rows_total=len(parsed),
            findings=_findings(sheet, parsed, opened, bool(job.archive)),
            heartbeat_at=timezone.now(),
        )
    context = _context(job, parsed, opened)
    while True:
        with transaction.atomic():
            locked = (
                ImportJob.objects.select_for_update(skip_locked=True)
                .filter(pk=job.pk, status=ImportJob.Status.READING)
                .first()
            )
            if locked is None:  # cancelled, or another worker holds it: that one goes on
                return False
            last = locked.rows.order_by("-number").values_list("number", flat=True).first() or 0
            pending = [row for row in parsed if row.number > last][:CHUNK]
            if pending:
                keys = {source_key(job.agency_id, row.key()) for row in pending}
                imported = {
                    key: (agreement, uploaded)
                    for key, agreement, uploaded in OutsideSigning.objects.filter(
                        source_key__in=keys, agreement__agency=job.agency_id
                    ).values_list("source_key", "agreement_id", "uploaded_at")
                }
                ImportRow.objects.bulk_create([_row_check(locked, row, context, imported) for row in pending])
            locked.rows_done = min(locked.rows.count(), locked.rows_total)
            locked.heartbeat_at = timezone.now()
            fields = ["rows_done", "heartbeat_at"]
            if not pending or locked.rows_done >= locked.rows_total:
                locked.status = ImportJob.Status.READY
                fields.append("status")
            locked.save(update_fields=fields)
            if locked.status == ImportJob.Status.READY:
                log.info("Import %s read: %s rows", job.pk, locked.rows_total)
                return False
        if time.monotonic() > deadline:
            return True
