"""The confirmed import, in the worker (issue 12.2): rows in batches of CHUNK, each batch in one transaction that
writes its agreements together with the rows' outcomes and the job's progress. A worker killed mid-batch leaves
nothing of that batch; the next run (its task queued again by the sweep) starts at the first pending row. The job's
row lock, taken with SKIP LOCKED, keeps two workers from taking the same batch; OutsideSigning.source_key, unique,
is the last guard.
"""

import contextlib
import csv
import hashlib
import io
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from agreements.mail import email_enqueue
from agreements.models import Agreement, OutsideSigning
from agreements.outside import OutsideTerms, outside_agreement_complete, outside_agreement_record
from dpa_portal.errors import EXISTS, ApplicationError
from exhibits.public.services import public_pages_held
from vendors.models import Contractor
from vendors.services import contractor_create

from ..matching import name_key
from ..models import ImportJob, ImportRow
from ..sheet import csv_safe
from .common import CHUNK, STALE_AFTER, STEP_SECONDS, merged_values, opened_archive, source_key
from .reading import SIGNED

log = logging.getLogger(__name__)

Outcome = ImportRow.Outcome


def _terms(values: dict, proposed: list[str], contractor) -> OutsideTerms:
    return OutsideTerms(
        contractor=contractor,
        products=list(values.get("products") or []),
        service_agreement_date=values.get("service_agreement_date"),
        contract_start=values.get("contract_start"),
        contract_end=values.get("contract_end"),
        runs_until_terminated=bool(values.get("runs_until_terminated")),
        review_on=values.get("review_on"),
        purposes=values.get("purposes") or "",
        subcontractors=values.get("subcontractors"),
        subcontractor_terms=values.get("subcontractor_terms") or "",
        data_transition=values.get("data_transition") or "",
        accuracy_challenges=values.get("accuracy_challenges") or "",
        storage_and_security=values.get("storage_and_security") or "",
        encryption=values.get("encryption") or "",
        student_pii=values.get("student_pii"),
        appr_data=values.get("appr_data"),
        vendor_contact_name=values.get("vendor_contact_name") or "",
        vendor_contact_email=values.get("vendor_contact_email") or "",
        read_from_pdf=proposed,
    )


class _Batch:
    """What one batch needs beyond its rows: the vendors this job created so far (by name_key: the same new vendor
    named on several rows, however spelled, is created once), and the ZIP, opened once when a row needs a PDF."""

    def __init__(self, job: ImportJob, opened):
        self.job = job
        self.zip = opened
        made = Contractor.objects.filter(
            agreements__in=Agreement.objects.filter(
                pk__in=job.rows.filter(outcome=Outcome.CREATED)
                .filter(Q(vendor_match__isnull=True) | Q(vendor_is_new=True))
                .values("agreement_id")
            )
        ).distinct()
        self.new_vendors = {name_key(c.legal_name): c for c in made}

    def contractor(self, row: ImportRow, values: dict):
        if row.vendor_match_id and not row.vendor_is_new:
            return row.vendor_match
        key = name_key(values["vendor"])
        if key not in self.new_vendors:
            fields = {"website": values["vendor_website"]} if values.get("vendor_website") else {}
            self.new_vendors[key] = contractor_create(legal_name=values["vendor"], **fields)
        return self.new_vendors[key]

    def pdf(self, row: ImportRow) -> bytes | None:
        if not row.pdf_name:
            return None
        entry = self.zip.find(row.pdf_name) if self.zip is not None else None
        if entry is None:
            raise ApplicationError(f"“{row.pdf_name}” is no longer in the stored ZIP.")
        data = self.zip.read(entry)
        if hashlib.sha256(data).hexdigest() != row.pdf_sha256:
            raise ApplicationError(f"“{row.pdf_name}” differs from the file read in the dry run.")
        return data


def _signed_match(contractor_id: int, values: dict, agency_id: int):
    """An agreement of the district for the same vendor, product and start (the admin may have said that a "maybe"
    vendor is the matched one after the dry run)."""
    names = [p.casefold() for p in values.get("products") or []]
    if not names:
        return None
    candidates = Agreement.objects.filter(
        agency=agency_id, contractor=contractor_id, contract_start=values.get("contract_start")
    ).filter(status__in=SIGNED)
    for agreement in candidates.prefetch_related("products").select_related("outside_signing"):
        if any(p.name.casefold() in names for p in agreement.products.all()):
            return agreement
    return None


def _apply(row: ImportRow, batch: _Batch) -> tuple[str, str, object]:
    """Import one row: (outcome, reason, agreement)."""
    job = batch.job
    actor = job.confirmed_by
    if row.action == ImportRow.Action.FAIL:
        return Outcome.FAILED, "; ".join(row.problems) or "Cannot be imported.", None
    if row.action == ImportRow.Action.SKIP:
        return Outcome.SKIPPED, row.reason or "Already in the portal.", row.agreement_match
    key = source_key(job.agency_id, row.key)
    earlier = OutsideSigning.objects.filter(source_key=key).select_related("agreement").first()
    if earlier is not None:  # imported since the dry run (another job), or by this batch's earlier run
        when = timezone.localtime(earlier.uploaded_at)
        return Outcome.SKIPPED, f"Already imported on {when:%b %-d, %Y}.", earlier.agreement
    values, proposed = merged_values(row)
    target = row.agreement_match if row.action == ImportRow.Action.UPDATE else None
    if target is None and row.vendor_match_id and not row.vendor_is_new:
        target = _signed_match(row.vendor_match_id, values, job.agency_id)
        if target is not None and not hasattr(target, "outside_signing"):
            return Outcome.SKIPPED, "The same vendor, product and start as an agreement signed in the portal.", target
    if target is not None:
        # The signed PDF too, when the matching agreement was recorded without one (never replacing one it has).
        has_pdf = hasattr(target, "outside_signing") and target.outside_signing.document_id is not None
        pdf = None if has_pdf else batch.pdf(row)
        filled = outside_agreement_complete(
            agreement=target,
            actor=actor,
            terms=_terms(values, proposed, target.contractor),
            pdf=pdf,
            pdf_filename=row.pdf_name.rsplit("/", 1)[-1] if pdf is not None else "",
            pdf_has_text=None if pdf is None else row.pdf_text == "text",
        )
        if not filled:
            return Outcome.SKIPPED, "The matching agreement has all of it already: nothing to add.", target
        return Outcome.UPDATED, "Added to the matching agreement: " + ", ".join(filled) + ".", target
    try:
        contractor = batch.contractor(row, values)
    except ApplicationError as error:
        if error.code != EXISTS:
            raise
        raise ApplicationError(
            f"{error.message} (a vendor of this name joined the portal after the dry run; import the files again)"
        ) from error
    pdf = batch.pdf(row)
    agreement = outside_agreement_record(
        agency=job.agency,
        actor=actor,
        terms=_terms(values, proposed, contractor),
        pdf=pdf,
        pdf_filename=row.pdf_name.rsplit("/", 1)[-1],
        pdf_has_text=None if pdf is None else row.pdf_text == "text",
        source_key=key,
    )
    return Outcome.CREATED, "Imported.", agreement


def import_batch(*, job_id: int) -> bool:
    """Import the next CHUNK pending rows in one transaction. True when rows are left; False when the job is done,
    not importing, or held by another worker (which goes on with it)."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("agency", "confirmed_by")
            .filter(pk=job_id, status=ImportJob.Status.IMPORTING)
            .first()
        )
        if job is None:
            return False
        rows = list(
            job.rows.filter(outcome=Outcome.PENDING)
            .select_related("vendor_match", "agreement_match", "agreement_match__contractor")
            .order_by("number")[:CHUNK]
        )
        if not rows:
            _finish(job)
            return False
        with (
            opened_archive(job) if any(r.pdf_name for r in rows) else contextlib.nullcontext() as opened,
            public_pages_held(job.agency.slug),  # the district's public pages are invalidated once per batch
        ):
            batch = _Batch(job, opened)
            for row in rows:
                try:
                    with transaction.atomic():  # a savepoint: a row refused writes nothing, the batch goes on
                        row.outcome, row.reason, row.agreement = _apply(row, batch)
                except ApplicationError as error:
                    row.outcome, row.reason, row.agreement = Outcome.FAILED, error.message, None
                row.reason = row.reason[:500]
        ImportRow.objects.bulk_update(rows, ["outcome", "reason", "agreement"])
        job.rows_done = min(job.rows_done + len(rows), job.rows_total)
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["rows_done", "heartbeat_at"])
    return True


def import_run_step(*, job_id: int, budget: float = STEP_SECONDS) -> bool:
    """Import batches for up to `budget` seconds. True when rows are left (queue the next run)."""
    deadline = time.monotonic() + budget
    while import_batch(job_id=job_id):
        if time.monotonic() > deadline:
            return True
    return False


def outcome_counts(job: ImportJob) -> dict[str, int]:
    found = dict(job.rows.order_by().values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n"))
    return {outcome.value: found.get(outcome.value, 0) for outcome in Outcome}


def _finish(job: ImportJob) -> None:
    """The last batch found nothing pending: the job is done; the admin who confirmed it is told, with the counts."""
    now = timezone.now()
    job.status = ImportJob.Status.DONE
    job.finished_at = now
    job.heartbeat_at = now
    job.rows_done = job.rows_total
    job.save(update_fields=["status", "finished_at", "heartbeat_at", "rows_done"])
    if job.confirmed_by is not None:
        path = reverse("portfolio_import_job", args=[job.agency.slug, job.pk])
        email_enqueue(
            to=[job.confirmed_by.email],
            template="import_done",
            context={"job": job, "agency": job.agency, "counts": outcome_counts(job), "url": settings.SITE_URL + path},
        )
    log.info("Import %s done", job.pk)


def imports_stale(now=None) -> list[tuple[int, str]]:
    """The jobs whose worker fell silent (killed, or its task lost): (job id, status), each claimed by moving its
    heartbeat to now with a conditional UPDATE, so two sweeps never both queue it."""
    now = now or timezone.now()
    stale = ImportJob.objects.filter(
        status__in=[ImportJob.Status.READING, ImportJob.Status.IMPORTING], heartbeat_at__lt=now - STALE_AFTER
    ).values_list("pk", "status", "heartbeat_at")
    claimed = []
    for pk, status, heartbeat in stale[:100]:
        if ImportJob.objects.filter(pk=pk, status=status, heartbeat_at=heartbeat).update(heartbeat_at=now) == 1:
            claimed.append((pk, status))
    return claimed


def report_rows(job: ImportJob):
    """The end report, a row at a time: row, vendor, product, outcome, reason, agreement link (issue 12.2)."""
    rows = job.rows.order_by("number").only("number", "values", "outcome", "reason", "problems", "agreement")
    for row in rows.iterator(chunk_size=500):
        link = settings.SITE_URL + reverse("agreement_detail", args=[row.agreement_id]) if row.agreement_id else ""
        reason = row.reason or "; ".join(row.problems)
        yield {
            "row": row.number,
            "vendor": row.values.get("vendor", ""),
            "product": "; ".join(row.values.get("products") or []),
            "outcome": row.get_outcome_display(),
            "reason": reason,
            "agreement": link,
        }


REPORT_COLUMNS = ("row", "vendor", "product", "outcome", "reason", "agreement")


def report_csv(job: ImportJob):
    """The end report as CSV, a line at a time: UTF-8 with a BOM (Excel), every cell safe from formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells) -> bytes:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_safe(cell) for cell in cells])
        return buffer.getvalue().encode("utf-8")

    yield "\ufeff".encode() + line(REPORT_COLUMNS)
    for row in report_rows(job):
        yield line(row[column] for column in REPORT_COLUMNS)
