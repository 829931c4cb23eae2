"""What the import's steps share: their sizes and time limits, a row's key in the portal, a row's values as stored."""

import contextlib
import hashlib
from datetime import date, timedelta

from .. import archive as archive_reader
from ..models import ImportJob, ImportRow
from ..sheet import DATE_KEYS, ParsedRow

# Rows read, or imported, per transaction: the page's progress moves by this much, and a killed worker loses at most
# this much work.
CHUNK = 50
# Each run of a task works this long, then queues itself again (the job's progress is in the database).
STEP_SECONDS = 30.0
# The tasks' limits: a slice of STEP_SECONDS plus the slowest chunk (50 PDFs of up to 60 pages each read for text).
TASK_SOFT_TIME_LIMIT = 180
TASK_TIME_LIMIT = 210
# A job whose heartbeat is older than this has lost its worker (killed, or its task lost): the sweep queues it again.
# Longer than a task may live, so a worker that is only slow is never doubled.
STALE_AFTER = timedelta(seconds=TASK_TIME_LIMIT + 90)

# What a row's PDF turned out to be (ImportRow.pdf_text): the page's words for each.
PDF_TEXT = "text"
PDF_SCANNED = "scanned"
PDF_NONE = "none"  # the row names no PDF
PDF_MISSING = "missing"  # named, but not in the ZIP (or no ZIP was uploaded)
PDF_NOT_PDF = "notpdf"  # a file under a .pdf name that is not a PDF
PDF_DAMAGED = "damaged"  # a PDF that cannot be read (damaged, encrypted, too large)
PDF_LABELS = {
    PDF_TEXT: "text, read",
    PDF_SCANNED: "scanned, no text",
    PDF_NONE: "none named",
    PDF_MISSING: "missing from the ZIP",
    PDF_NOT_PDF: "not a PDF",
    PDF_DAMAGED: "cannot be read",
}

# The fields of a row that the PDF's text may propose when the sheet leaves them empty (issue 12.4): the template's
# column names, as pdftext gives them and OutsideTerms takes them. The vendor is not among them: the sheet names it.
PROPOSABLE = (
    "service_agreement_date",
    "contract_start",
    "contract_end",
    "purposes",
    "subcontractors",
    "subcontractor_terms",
    "data_transition",
    "accuracy_challenges",
    "storage_and_security",
    "encryption",
    "student_pii",
    "appr_data",
)
ITEM_KEYS = (
    "purposes",
    "subcontractor_terms",
    "data_transition",
    "accuracy_challenges",
    "storage_and_security",
    "encryption",
)


def source_key(agency_id: int, row_key: str) -> str:
    """The key of an imported agreement in the portal (OutsideSigning.source_key): the district and the row's content.
    The same row imported again, by another job or by a restarted batch, has the same key."""
    return hashlib.sha256(f"{agency_id}:{row_key}".encode()).hexdigest()


def row_values(parsed: ParsedRow) -> dict:
    """A parsed row as ImportRow.values holds it (JSON: dates as ISO text)."""
    values = {
        "vendor": parsed.vendor,
        "vendor_website": parsed.vendor_website,
        "vendor_contact_name": parsed.vendor_contact_name,
        "vendor_contact_email": parsed.vendor_contact_email,
        "products": parsed.products,
        "runs_until_terminated": parsed.runs_until_terminated,
        **{key: parsed.items.get(key, "") for key in ITEM_KEYS},
        "subcontractors": parsed.subcontractors,
        "student_pii": parsed.student_pii,
        "appr_data": parsed.appr_data,
        "pdf_file": parsed.pdf_file,
    }
    for key in DATE_KEYS:
        day = getattr(parsed, key)
        values[key] = day.isoformat() if day else None
    return values


def is_blank(value) -> bool:
    """A value the sheet did not give: an empty text, no date, "not said" (None). An empty list of subcontractors
    ("none") is an answer."""
    return value is None or value == ""


def to_json(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def from_json(key: str, value):
    if key in DATE_KEYS and isinstance(value, str) and value:
        return date.fromisoformat(value)
    return value


def merged_values(row: ImportRow) -> tuple[dict, list[str]]:
    """The row's values with the PDF's proposals filling what the sheet left empty, typed; and the proposed keys."""
    values = {key: from_json(key, value) for key, value in row.values.items()}
    proposed = []
    for key, value in (row.proposals or {}).items():
        if key in PROPOSABLE and is_blank(values.get(key)):
            values[key] = from_json(key, value)
            proposed.append(key)
    return values, proposed


@contextlib.contextmanager
def opened_archive(job: ImportJob):
    """The job's ZIP opened for reading (None when the district sent none); refused whole by archive_open."""
    if not job.archive:
        yield None
        return
    try:
        source = job.archive.path  # a file on disk: archive_open opens and closes it
    except NotImplementedError:  # a storage without paths: a file object, closed here
        source = job.archive.storage.open(job.archive.name, "rb")
    try:
        with archive_reader.archive_open(source) as opened:
            yield opened
    finally:
        if not isinstance(source, str):
            source.close()
