"""The export of a portfolio (issue 12.6): a district's whole register, or a vendor's own agreements and answers, as a
ZIP built by the worker and offered for a week by a link only the owner's admins can use.

The ZIP holds portfolio.json (portfolio/archive_schema.py, docs/portfolio-archive.md), agreements.csv in the import
template's columns, every stored PDF under pdfs/<agreement id>/, and a README.txt. The worker's memory does not grow
with the portfolio: agreements are read in chunks with their related rows prefetched per chunk, each PDF is loaded
alone and written to the ZIP at once, and portfolio.json and the CSV's rows go to files on disk as they are made and
into the ZIP from there. The ZIP itself is written to its place in storage under a temporary name and renamed when
complete, so a half-written archive is never offered.

What a vendor's archive leaves out, and why (the district's own records, which the vendor never sees in the portal):
drafts (statuses.HIDDEN_FROM_VENDOR); the district's review comments and recommendations (the vendor sees the
comments sent back in the workflow, never the recommendations; an archive does not pick among them); parents' requests
(the vendor gets the duties it owes under them, with their dates); breaches the district recorded itself (the vendor's
own reports are in); duties the vendor does not owe (rules.VENDOR_VISIBLE, as on its pages); and the network evidence
(IP address, browser) of the district's signature. Every PDF of the agreement is in: both parties hold them.
"""

import gc
import hashlib
import json
import logging
import os
import shutil
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from agreements.access import (
    DISTRICT_ADMIN,
    VENDOR_ADMIN,
    district_emails,
    require_district_staff,
    require_vendor_staff,
)
from agreements.deadlines import rules
from agreements.deadlines.models import BreachReport, DestructionCertificate, Obligation, ParentRequest
from agreements.mail import email_enqueue
from agreements.models import Agreement, AgreementDocument, Signature, StatusChange, statuses
from exhibits.models import BillOfRights, CsfResponse, ReviewComment
from vendors.models import ContractorMembership

from . import archive_schema
from .models import ExportJob
from .sheet import rows_to_csv

log = logging.getLogger(__name__)

# How long the download link works; then the sweep deletes the file (the page says so).
EXPIRES_AFTER = timedelta(days=7)
# Agreements read per query, with their related rows prefetched for the chunk: what the worker holds at once.
CHUNK_SIZE = 50
# The page's progress is written every this many agreements (one UPDATE), and at the end.
PROGRESS_EVERY = 20
# A build whose worker has been silent this long died: the sweep queues it again (it starts over).
STALE_AFTER = timedelta(minutes=15)
# A district's portfolio of several hundred agreements and their PDFs takes minutes; the default limit is a minute.
EXPORT_SOFT_TIME_LIMIT = 3 * 3600
EXPORT_TIME_LIMIT = EXPORT_SOFT_TIME_LIMIT + 300
ACTIVE = (ExportJob.Status.QUEUED, ExportJob.Status.BUILDING)


# --- requests, reads and the sweep ---------------------------------------------------------------------------------


def export_request(*, actor, agency=None, contractor=None) -> ExportJob:
    """Ask for an archive of a district's portfolio, or of a vendor's own agreements (admins only). An archive that
    is already being built for the same owner is the answer to a second click, not a second job."""
    if agency is not None:
        require_district_staff(actor, agency.pk, DISTRICT_ADMIN)
        owner = {"agency": agency}
    else:
        require_vendor_staff(actor, contractor.pk, VENDOR_ADMIN)
        owner = {"contractor": contractor}
    running = ExportJob.objects.filter(status__in=ACTIVE, **owner).first()
    if running is not None:
        return running
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(requested_by=actor, **owner)
            transaction.on_commit(lambda: export_build_task.delay(job.pk), robust=True)
    except IntegrityError:  # another request made it meanwhile (one active job per owner: ExportJob's constraints)
        return ExportJob.objects.get(status__in=ACTIVE, **owner)
    return job


def export_jobs(*, agency=None, contractor=None, limit: int = 10) -> list[ExportJob]:
    """The owner's latest archives, newest first, for its export page. One query."""
    owner = {"agency": agency} if agency is not None else {"contractor": contractor}
    return list(ExportJob.objects.filter(**owner).select_related("requested_by")[:limit])


def export_is_expired(job: ExportJob, now=None) -> bool:
    return job.status == ExportJob.Status.EXPIRED or (
        job.expires_at is not None and job.expires_at <= (now or timezone.now())
    )


def exports_sweep(now=None) -> dict:
    """Periodic: delete the files of archives whose link has expired, and queue again the builds whose worker died.
    Each row is claimed by a conditional UPDATE, so two sweeps at once do each thing once."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.READY, expires_at__lte=now).only("pk", "file"):
        if ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.READY).update(
            status=ExportJob.Status.EXPIRED, file=""
        ):
            if job.file.name:
                job.file.storage.delete(job.file.name)
            expired += 1
    cut = now - STALE_AFTER
    silent = Q(heartbeat_at__lt=cut) | Q(heartbeat_at__isnull=True, created_at__lt=cut)
    stale = Q(status__in=ACTIVE) & silent
    requeued = 0
    for pk in ExportJob.objects.filter(stale).values_list("pk", flat=True):
        # Back to queued with a fresh heartbeat, so the next sweep waits for this attempt before trying again.
        if ExportJob.objects.filter(stale, pk=pk).update(status=ExportJob.Status.QUEUED, heartbeat_at=now):
            export_build_task.delay(pk)
            requeued += 1
    return {"expired": expired, "requeued": requeued}


# --- the build ------------------------------------------------------------------------------------------------------


def export_build(job_id: int) -> str | None:
    """Build the archive of one job (the worker's task). Claims the job first: a job that another worker builds, or
    that is done, is left alone. Returns the archive's SHA-256, or None when there was nothing to do."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.BUILDING, heartbeat_at=now, items_done=0
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("agency", "contractor", "requested_by").get(pk=job_id)
    try:
        name, size, sha256 = _write_archive(job)
    except (Exception, SoftTimeLimitExceeded) as error:
        log.exception("Export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED,
            error=f"The archive could not be built ({type(error).__name__}). Ask for a new one; if it fails again, "
            "tell the portal's operator.",
            finished_at=timezone.now(),
        )
        return None
    finished = timezone.now()
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.READY,
        file=name,
        size=size,
        sha256=sha256,
        items_done=job.items_total,
        heartbeat_at=finished,
        finished_at=finished,
        expires_at=finished + EXPIRES_AFTER,
    )
    job.refresh_from_db()
    _tell_ready(job)
    return sha256


def _tell_ready(job: ExportJob) -> None:
    owner = job.agency or job.contractor
    if job.agency_id:
        to = district_emails(job.agency_id, DISTRICT_ADMIN)
    else:
        to = list(
            ContractorMembership.objects.filter(contractor=job.contractor_id, role__in=VENDOR_ADMIN).values_list(
                "user__email", flat=True
            )
        )
    if job.requested_by_id and job.requested_by.email in to:
        to = [job.requested_by.email]  # the admin who asked; the others see it on the page
    side = "district" if job.agency_id else "vendor"
    email_enqueue(
        to=to, template="export_ready", context={"job": job, "owner": owner, "page": f"/{side}/{owner.slug}/export/"}
    )


def _agreements(job: ExportJob):
    """The owner's agreements with what each record needs, prefetched chunk by chunk by iterator(chunk_size)."""
    vendor = job.contractor_id is not None
    if vendor:
        agreements = Agreement.objects.filter(contractor=job.contractor_id).exclude(
            status__in=statuses.HIDDEN_FROM_VENDOR
        )
    else:
        agreements = Agreement.objects.filter(agency=job.agency_id)
    documents = AgreementDocument.objects.defer("pdf", "public_source").order_by("created_at", "pk")
    signatures = (
        Signature.objects.select_related("document")
        .defer("drawn_image", "document__pdf", "document__public_source")
        .order_by("signed_at")
    )
    obligations = Obligation.objects.order_by("due_on", "pk")
    breaches = BreachReport.objects.prefetch_related(Prefetch("agreements", queryset=Agreement.objects.only("pk")))
    if vendor:
        obligations = obligations.filter(kind__in=rules.VENDOR_VISIBLE)
        breaches = breaches.filter(source=BreachReport.Source.PORTAL)
    prefetches = [
        "products",
        "supplemental_information__subcontractors",
        "redactions",
        Prefetch(
            "csf_responses",
            queryset=CsfResponse.objects.select_related("category__function").order_by("category__position"),
        ),
        Prefetch("status_changes", queryset=StatusChange.objects.select_related("actor").order_by("created_at", "pk")),
        Prefetch("signatures", queryset=signatures),
        Prefetch("documents", queryset=documents),
        Prefetch("obligations", queryset=obligations),
        Prefetch("breach_reports", queryset=breaches.order_by("filed_at", "pk")),
        Prefetch("destruction_certificates", queryset=DestructionCertificate.objects.order_by("certified_at", "pk")),
    ]
    if not vendor:
        prefetches += [
            Prefetch("parent_requests", queryset=ParentRequest.objects.order_by("received_on", "pk")),
            Prefetch(
                "review_comments",
                queryset=ReviewComment.objects.select_related("author", "category", "subcontractor").order_by(
                    "created_at", "pk"
                ),
            ),
        ]
    return (
        agreements.select_related(
            "agency",
            "contractor",
            "framework",
            "supplemental_information",
            "security_plan",
            "termination",
            "outside_signing__document",
            "bill_of_rights_acknowledgement__bill_of_rights",
        )
        .defer("outside_signing__document__pdf", "outside_signing__document__public_source")
        .prefetch_related(*prefetches)
        .order_by("pk")
    )


def _write_archive(job: ExportJob) -> tuple[str, int, str]:
    """Write the ZIP into storage; returns its name in storage, its size and its SHA-256."""
    owner = job.agency or job.contractor
    stamp = timezone.localtime(job.created_at).strftime("%Y-%m-%d")
    name = f"portfolio/exports/{owner.slug}-{stamp}-{job.pk}.zip"
    agreements = _agreements(job)
    total = agreements.count()
    ExportJob.objects.filter(pk=job.pk).update(items_total=total)
    job.items_total = total
    try:
        target = Path(default_storage.path(name))  # a file system: write the ZIP in place
    except NotImplementedError:
        target = None
    with tempfile.TemporaryDirectory(prefix="dpa-export-") as work:
        work = Path(work)
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.part")
        else:
            partial = work / "archive.zip"
        try:
            _write_zip(job, agreements, partial, work)
            size, sha256 = _size_and_sha256(partial)
            if target is not None:
                os.replace(partial, target)
            else:  # another storage: hand it the finished file
                with partial.open("rb") as data:
                    name = default_storage.save(name, File(data))
        finally:
            if target is not None and partial.exists():
                partial.unlink()
    return name, size, sha256


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return path.stat().st_size, digest.hexdigest()


def _dumps(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _write_zip(job: ExportJob, agreements, path: Path, work: Path) -> None:
    vendor = job.contractor_id is not None
    owner = job.agency or job.contractor
    json_path, rows_path = work / "portfolio.json", work / "rows.jsonl"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
        json_path.open("w", encoding="utf-8") as portfolio,
        rows_path.open("w", encoding="utf-8") as rows,
    ):
        archive.writestr("README.txt", _readme(job, owner))
        head = {
            "schema": archive_schema.SCHEMA_NAME,
            "version": archive_schema.VERSION,
            "generated_at": timezone.now(),
            "portal": settings.SITE_URL,
            "owner": _owner(owner, vendor),
        }
        # The object's head, then the agreements one by one, then its tail: never the whole document in memory.
        portfolio.write(_dumps(head)[:-1] + ', "agreements": [\n')
        letters = set()  # the breach reports whose letter is in the ZIP already (a few ids)
        for done, agreement in enumerate(agreements.iterator(chunk_size=CHUNK_SIZE), 1):
            if done % CHUNK_SIZE == 1 and done > 1:
                # The previous chunk is garbage now, but in reference cycles (each prefetched row points back at its
                # agreement), which only the cycle collector frees, and it runs late: free it before going on, or the
                # worker's memory grows with the portfolio after all.
                gc.collect()
            record = agreement_record(agreement, vendor=vendor)
            for document in record["documents"]:
                _write_pdf(archive, document)
            for signature in record["signatures"]:
                if signature["drawing"]:
                    _write_drawing(archive, record["id"], signature)
            for breach in record["breach_reports"]:
                if breach["letter"] and breach["id"] not in letters:  # a report of several agreements: once
                    _write_letter(archive, breach)
                    letters.add(breach["id"])
            portfolio.write((",\n" if done > 1 else "") + _dumps(record))
            rows.write(_dumps(csv_row(record)) + "\n")
            if done % PROGRESS_EVERY == 0:
                ExportJob.objects.filter(pk=job.pk).update(items_done=done, heartbeat_at=timezone.now())
        portfolio.write('\n], "parent_requests_without_agreement": ')
        if vendor:
            portfolio.write("null")
        else:
            portfolio.write("[")
            unlinked = ParentRequest.objects.filter(agency=job.agency_id, agreement__isnull=True).order_by("pk")
            for n, request in enumerate(unlinked.iterator(chunk_size=500)):
                portfolio.write(("," if n else "") + _dumps(_parent_request(request)))
            portfolio.write("]")
        portfolio.write("}\n")
        portfolio.flush()
        rows.flush()
        archive.write(json_path, "portfolio.json")  # copied from the disk in blocks
        with rows_path.open(encoding="utf-8") as lines, archive.open("agreements.csv", "w", force_zip64=True) as csv:
            for chunk in rows_to_csv(json.loads(line) for line in lines):
                csv.write(chunk)


def _write_pdf(archive: zipfile.ZipFile, document: dict) -> None:
    """One PDF from the database into the ZIP: loaded alone, stored as it is (PDFs are compressed already)."""
    pdf = AgreementDocument.objects.filter(document_id=document["document_id"]).values_list("pdf", flat=True).get()
    with archive.open(_stored(archive, document["file"]), "w", force_zip64=True) as out:
        out.write(bytes(pdf))
    del pdf


def _stored(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED  # PDFs, PNGs and scans are compressed already
    return info


def _write_drawing(archive: zipfile.ZipFile, agreement_id: int, signature: dict) -> None:
    image = (
        Signature.objects.filter(agreement=agreement_id, side=signature["side"])
        .values_list("drawn_image", flat=True)
        .get()
    )
    with archive.open(_stored(archive, signature["drawing"]), "w") as out:
        out.write(bytes(image))


def _write_letter(archive: zipfile.ZipFile, breach: dict) -> None:
    """A breach letter from the district's private storage into the ZIP, copied in blocks."""
    letter = BreachReport.objects.only("letter").get(pk=breach["id"]).letter
    with letter.open("rb") as data, archive.open(_stored(archive, breach["letter"]), "w", force_zip64=True) as out:
        shutil.copyfileobj(data, out, 1 << 20)


# --- one agreement as a record of the archive -------------------------------------------------------------------------


def _name(user) -> str:
    return str(user) if user else ""


def _owner(owner, vendor: bool) -> dict:
    bills = None
    if not vendor:
        bills = [
            {
                "version": b.version,
                "title": b.title,
                "preamble": b.preamble,
                "items": list(b.items),
                "effective_date": b.effective_date,
            }
            for b in BillOfRights.objects.filter(agency=owner).order_by("-version")
        ]
    details = None
    if not vendor:
        details = {field: getattr(owner, field) for field in archive_schema.DISTRICT_DETAILS}
        details["post_exhibit_c"] = owner.post_exhibit_c
    return {
        "kind": "vendor" if vendor else "district",
        "name": owner.legal_name if vendor else owner.name,
        "slug": owner.slug,
        "website": owner.website,
        "details": details,
        "bills_of_rights": bills,
    }


def _exhibit_b(agreement) -> dict | None:
    info = getattr(agreement, "supplemental_information", None)
    if info is None:
        return None
    return {
        "purposes": info.purposes,
        "receives_student_pii": info.receives_student_pii,
        "receives_appr_data": info.receives_appr_data,
        "subcontractor_use": info.subcontractor_use,
        "subcontractors": [
            {
                "name": s.name,
                "purpose": s.purpose,
                "receives_pii": s.receives_pii,
                "written_agreement": s.written_agreement,
            }
            for s in sorted(info.subcontractors.all(), key=lambda s: s.name)
        ],
        "data_transition_details": info.data_transition_details,
        "correction_days": info.correction_days,
        "storage_third_party_cloud": info.storage_third_party_cloud,
        "storage_contractor_hosted": info.storage_contractor_hosted,
        "storage_other": info.storage_other,
        "storage_other_description": info.storage_other_description,
        "security_measures": info.security_measures,
        "encryption_details": info.encryption_details,
    }


def _exhibit_c(agreement) -> dict | None:
    plan = getattr(agreement, "security_plan", None)
    if plan is None:
        return None
    return {field: getattr(plan, field) for field in archive_schema.EXHIBIT_C_FIELDS}


def _parent_request(request) -> dict:
    return {
        "id": request.pk,
        "agreement": request.agreement_id,
        "kind": request.kind,
        "requester": request.requester,
        "reference": request.reference,
        "received_on": request.received_on,
        "details": request.details,
        "created_at": request.created_at,
        "closed_at": request.closed_at,
        "outcome": request.outcome,
    }


def document_file(agreement_id: int, document) -> str:
    """A PDF's path in the ZIP."""
    return f"pdfs/{agreement_id}/{document.filename}"


def agreement_record(agreement, *, vendor: bool = False) -> dict:
    """One agreement as portfolio.json holds it (archive_schema.AGREEMENT), from `_agreements()`'s prefetches: no
    query of its own. `vendor`: the vendor's archive (see the module's docstring for what it leaves out)."""
    ack = getattr(agreement, "bill_of_rights_acknowledgement", None)
    outside = getattr(agreement, "outside_signing", None)
    termination = getattr(agreement, "termination", None)
    own_side = "vendor" if vendor else None
    return {
        "id": agreement.pk,
        "district": {"name": agreement.agency.name, "slug": agreement.agency.slug},
        "vendor": {
            "legal_name": agreement.contractor.legal_name,
            "slug": agreement.contractor.slug,
            "website": agreement.contractor.website,
            "privacy_policy_url": agreement.contractor.privacy_policy_url,
            "incident_response_plan_url": agreement.contractor.incident_response_plan_url,
        },
        "products": [{"name": p.name, "slug": p.slug, "website": p.website} for p in agreement.products.all()],
        "kind": agreement.kind,
        "previous": agreement.previous_id,
        "status": agreement.status,
        "status_changed_at": agreement.status_changed_at,
        "created_at": agreement.created_at,
        "term": {
            "service_agreement_date": agreement.service_agreement_date,
            "contract_start": agreement.contract_start,
            "contract_end": agreement.contract_end,
            "runs_until_terminated": agreement.runs_until_terminated,
            "review_on": agreement.review_on,
        },
        "framework": {"code": agreement.framework.code, "version": agreement.framework.version},
        "exhibit_b": _exhibit_b(agreement),
        "redactions": [{"field": r.field, "reason": r.reason} for r in agreement.redactions.all()],
        "exhibit_c": _exhibit_c(agreement),
        "exhibit_c1": [
            {
                "function": r.category.function.identifier,
                "category": r.category.identifier,
                "category_name": r.category.name,
                "narrative": r.narrative,
                "tier": r.tier,
            }
            for r in agreement.csf_responses.all()
        ],
        "bill_of_rights": ack
        and {
            "version": ack.bill_of_rights.version,
            "title": ack.bill_of_rights.title,
            "effective_date": ack.bill_of_rights.effective_date,
            "acknowledged_at": ack.acknowledged_at,
        },
        "timeline": [
            {
                "from_status": c.from_status,
                "to_status": c.to_status,
                "note": c.note,
                "at": c.created_at,
                "by": _name(c.actor),
            }
            for c in agreement.status_changes.all()
        ],
        "signatures": [_signature(s, evidence=own_side in (None, s.side)) for s in agreement.signatures.all()],
        "documents": [
            {
                "kind": d.kind,
                "document_id": d.document_id,
                "sha256": d.sha256,
                "size": d.size,
                "created_at": d.created_at,
                "public_scope": d.public_scope,
                "file": document_file(agreement.pk, d),
            }
            for d in agreement.documents.all()
        ],
        "deadlines": [_obligation(o) for o in agreement.obligations.all()],
        "breach_reports": [_breach(b) for b in agreement.breach_reports.all()],
        "parent_requests": None if vendor else [_parent_request(r) for r in agreement.parent_requests.all()],
        "review_comments": None if vendor else [_comment(c) for c in agreement.review_comments.all()],
        "termination": termination
        and {
            "effective_on": termination.effective_on,
            "basis": termination.basis,
            "reason": termination.reason,
            "recorded_at": termination.recorded_at,
        },
        "destruction_certificates": [_certificate(c) for c in agreement.destruction_certificates.all()],
        "outside_signing": outside
        and {
            "uploaded_at": outside.uploaded_at,
            "uploaded_by": outside.uploaded_by_name,
            "source_filename": outside.source_filename,
            "pdf_text": outside.pdf_text,
            "read_from_pdf": list(outside.read_from_pdf),
            "subcontractor_terms": outside.subcontractor_terms,
            "accuracy_challenges": outside.accuracy_challenges,
            "accuracy_model_wording": outside.accuracy_model_wording,
            "vendor_contact_name": outside.vendor_contact_name,
            "vendor_contact_email": outside.vendor_contact_email,
            "document_id": outside.document.document_id if outside.document_id else None,
        },
    }


def _signature(s, *, evidence: bool) -> dict:
    return {
        "side": s.side,
        "organisation": s.organisation,
        "name": s.typed_name,
        "title": s.title,
        "role": s.role,
        "email": s.signer_email if evidence else None,
        "method": s.method,
        "consent_version": s.consent_version,
        "mfa_confirmed": s.mfa_confirmed,
        "signed_at": s.signed_at,
        "ip_address": s.ip_address if evidence else None,
        "user_agent": s.user_agent if evidence else None,
        "document_id": s.document.document_id,
        "document_sha256": s.document_sha256,
        "drawing": f"signatures/{s.agreement_id}/{s.side}.png" if s.method == Signature.Method.DRAWN else None,
    }


def _obligation(o) -> dict:
    return {
        "kind": o.kind,
        "title": o.title,
        "owed_by": o.owed_by,
        "owed_to": o.owed_to,
        "rule": o.rule,
        "source": o.source,
        "day_kind": o.day_kind,
        "clock_started_on": o.clock_started_on,
        "due_on": o.due_on,
        "due_explanation": o.due_explanation,
        "status": o.status,
        "met_at": o.met_at,
        "met_note": o.met_note,
        "delay_reason": o.delay_reason,
        "delay_note": o.delay_note,
        "delay_ended_on": o.delay_ended_on,
    }


def _breach(b) -> dict:
    return {
        "id": b.pk,
        "source": b.source,
        "learned_on": b.learned_on,
        "told_by": b.told_by,
        "letter": f"breach-letters/{b.pk}/{Path(b.letter.name).name}" if b.letter else None,
        "filed_at": b.filed_at,
        "incident_date": b.incident_date,
        "discovery_date": b.discovery_date,
        "pii_kinds": b.pii_kinds,
        "records_affected": b.records_affected,
        "investigation": b.investigation,
        "contact_name": b.contact_name,
        "contact_title": b.contact_title,
        "contact_email": b.contact_email,
        "contact_phone": b.contact_phone,
        "agreements": sorted(a.pk for a in b.agreements.all()),
    }


def _comment(c) -> dict:
    return {
        "section": c.section,
        "category": c.category.identifier if c.category_id else None,
        # The one place it is about (issue 14.5): an Exhibit B item or Exhibit C question, or a subcontractor.
        "field": c.field,
        "subcontractor": c.subcontractor.name if c.subcontractor_id else None,
        "body": c.body,
        "recommendation": c.recommendation,
        "by": _name(c.author),
        "created_at": c.created_at,
        "resolved_at": c.resolved_at,
    }


def _certificate(c) -> dict:
    return {
        "certified_at": c.certified_at,
        "signer_name": c.signer_name,
        "signer_title": c.signer_title,
        "data_description": c.data_description,
        "returned_first": c.returned_first,
        "return_details": c.return_details,
        "method": c.method,
        "method_details": c.method_details,
        "destroyed_on": c.destroyed_on,
        "subcontractors_included": c.subcontractors_included,
        "subcontractor_details": c.subcontractor_details,
        "status": c.status,
        "reviewed_at": c.reviewed_at,
        "review_note": c.review_note,
    }


def csv_row(record: dict) -> dict:
    """An agreement of the archive in the import template's columns (portfolio.sheet.COLUMNS)."""
    info = record["exhibit_b"] or {}
    outside = record["outside_signing"] or {}
    term = record["term"]
    signed = archive_schema.archive_signed_document(record)
    kinds = (("receives_student_pii", "Student PII"), ("receives_appr_data", "APPR data"))
    return {
        "vendor": record["vendor"]["legal_name"],
        "vendor_website": record["vendor"]["website"],
        "vendor_contact_name": outside.get("vendor_contact_name", ""),
        "vendor_contact_email": outside.get("vendor_contact_email", ""),
        "products": [p["name"] for p in record["products"]],
        "service_agreement_date": term["service_agreement_date"] or "",
        "contract_start": term["contract_start"] or "",
        "contract_end": term["contract_end"] or "",
        "runs_until_terminated": "yes" if term["runs_until_terminated"] else "",
        "review_on": term["review_on"] or "",
        **archive_schema.items_as_text(record),
        "pii_kinds": [label for key, label in kinds if info.get(key)],
        "pdf_file": signed["file"] if signed else "",
    }


def _readme(job: ExportJob, owner) -> str:
    whose = f"the vendor {owner.legal_name}" if job.contractor_id else f"the district {owner.name}"
    made = timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")
    vendor_note = "A vendor's archive holds its own agreements and answers, not the district's internal records."
    return f"""Archive of the Data Privacy Agreements of {whose},
made by the DPA portal ({settings.SITE_URL}) on {made}.

portfolio.json   Every agreement with all it holds, in the JSON schema "{archive_schema.SCHEMA_NAME}",
                 version {archive_schema.VERSION}: the parties and products, the term, Exhibit B (with the
                 subcontractors), Exhibits C and C.1, the Bill of Rights acknowledged, the timeline, the signatures'
                 evidence, the documents, the deadlines, breach reports, parents' requests (district archives only),
                 the termination, destruction certificates, and how an agreement signed outside the portal came in.
                 The schema is documented field by field in docs/portfolio-archive.md of the portal's source.
agreements.csv   One row per agreement in the columns of the portal's import template (UTF-8), the six items of
                 8 NYCRR 121.3(c) as text; pdf_file names the signed PDF in this ZIP.
pdfs/<id>/       The PDFs of agreement <id>, byte for byte as stored: the sealed executed DPA, its sealed public
                 copies, the sealed record of an early termination, the copy both parties signed, and the copy
                 uploaded for an agreement signed outside the portal. Each one's SHA-256 is in portfolio.json.
signatures/<id>/ The images of drawn signatures.
breach-letters/  Vendors' breach notices received outside the portal, as the district attached them.

{vendor_note if job.contractor_id else ""}
"""


# --- the worker's tasks ---------------------------------------------------------------------------------------------


@shared_task(name="portfolio.export_build", soft_time_limit=EXPORT_SOFT_TIME_LIMIT, time_limit=EXPORT_TIME_LIMIT)
def export_build_task(job_id: int) -> str | None:
    return export_build(job_id)


@shared_task(name="portfolio.exports_sweep")
def exports_sweep_task() -> dict:
    """Periodic (CELERY_BEAT_SCHEDULE): expired archives' files deleted, dead builds queued again."""
    return exports_sweep()
