"""The progress of an agreement's documents while a worker makes them (issue 14, point 1): the copy to sign after
approval, the sealed executed DPA after countersigning, its public copy. Approving and countersigning only queue the
work (agreements/signing.py, after the commit); the agreement page and the signing page show a panel
(templates/_progress.html, the portal's one pattern for long work) that asks this module's view for itself every
2 seconds until the document is stored, and says plainly when an attempt failed (the portal tries again by itself, at
a time it gives) or when the portal gave up (the district's admins were told; what can be done next).

What a job is doing is read from its RenderJob (agreements/render_jobs.py): none or no failure yet, under way; the last
attempt failed and the next has not started, retrying after `retry_after`; given up since the agreement last changed
status, failed.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import render_jobs
from ..access import DISTRICT_ADMIN, member_required
from ..models import Agreement, AgreementDocument, OutsideSigning, RenderJob, Signature, Termination, statuses
from ..models.render_job import WHAT
from ..signing import public_copy_current

S = Agreement.Status
K = AgreementDocument.Kind
WORKING, RETRYING, FAILED, READY = "working", "retrying", "failed", "ready"
# The URL's name for each document (as agreements/views/signing.py's download URLs).
SLUGS = {
    K.SIGNING_COPY: "signing-copy",
    K.EXECUTED: "executed",
    K.PUBLIC_COPY: "public-copy",
    K.TERMINATION_RECORD: "termination-record",
}
KINDS = {slug: kind for kind, slug in SLUGS.items()}
# A job under way for longer than this was probably lost (a worker restarted): the documents sweep, every 5 minutes
# (settings.CELERY_BEAT_SCHEDULE), queues it again; the panel says so.
SLOW = timedelta(minutes=2)


@dataclass(frozen=True)
class Progress:
    """The arguments of templates/_progress.html for one job (see there)."""

    pid: str
    state: str
    text: str
    poll_url: str = ""
    heading: str = ""
    error: str = ""
    retry_at: datetime | None = None
    attempt: int = 0
    attempts: int = 0
    next: str = ""
    link_url: str = ""
    link_text: str = ""
    link_detail: str = ""
    reload_url: str = ""

    @property
    def polling(self) -> bool:
        return self.state in (WORKING, RETRYING)

    def context(self) -> dict:
        return asdict(self)


# What each document is, as the panels say it: while it is made, when it is ready (the link and what follows it).
WORKING_TEXT = {
    K.SIGNING_COPY: "The copy to sign is being prepared.",
    K.EXECUTED: "Both parties signed; the portal is sealing the executed DPA.",
    K.PUBLIC_COPY: "The public copy for parents is being made and sealed.",
    K.TERMINATION_RECORD: "The portal is sealing the record of the early termination.",
}


def _owed(agreement: Agreement, kind: str, *, district_signed: bool, terminated: bool) -> bool:
    """Whether the document is due now (whether or not it is stored yet)."""
    if kind == K.TERMINATION_RECORD:
        return terminated
    if kind == K.SIGNING_COPY:
        return agreement.status in statuses.SIGNING
    if kind == K.EXECUTED:
        return (agreement.status == S.VENDOR_SIGNED and district_signed) or agreement.status in statuses.POSTED
    return agreement.status in statuses.POSTED  # the public copy (not for one signed outside the portal: the caller)


def document_progress(
    agreement: Agreement,
    kind: str,
    *,
    side: str,
    role: str,
    document: AgreementDocument | None,
    job: RenderJob | None,
    district_signed_at: datetime | None,
    terminated: bool = False,
    page: str = "agreement",
) -> Progress | None:
    """The panel of one of the agreement's documents, or None when it is not due. `document`: the stored one, if
    any; `job`: its RenderJob, if any; `district_signed_at`: when the district countersigned, if it did;
    `terminated`: whether the agreement was ended early; `page`: "agreement" or "sign" (the signing page reloads once
    the copy to sign is there, to show the form)."""
    owed = _owed(agreement, kind, district_signed=district_signed_at is not None, terminated=terminated)
    if document is None and not owed:
        return None
    slug = SLUGS[kind]
    pid = f"progress-{slug}"
    # The executed DPA is stored a moment before the agreement becomes executed (agreements.signing.agreement_execute):
    # under way until then, so that the page that reloads for it shows the executed agreement.
    if document is not None and not (kind == K.EXECUTED and agreement.status == S.VENDOR_SIGNED):
        return _ready(agreement, kind, document, pid=pid)
    poll_url = reverse("agreement_document_progress", args=[agreement.pk, slug])
    if page == "sign":
        poll_url += "?page=sign"
    common = {
        "pid": pid,
        "poll_url": poll_url,
        "reload_url": reverse("agreement_sign" if page == "sign" else "agreement_detail", args=[agreement.pk]),
    }
    if job and job.given_up_at and job.given_up_at < agreement.status_changed_at:
        job = None  # given up before the agreement last moved: the next attempt starts afresh (render_jobs.job_begin)
    what = WHAT.get(kind, kind)
    if job and job.given_up_at:
        return Progress(
            state=FAILED,
            text=f"The portal could not prepare {what}.",
            error=render_jobs.shown_reason(job),
            next=_given_up_next(agreement, kind, job, side=side, role=role),
            **common,
        )
    if job and job.failed_at and (job.started_at is None or job.failed_at >= job.started_at):
        now = timezone.now()
        return Progress(
            state=RETRYING,
            text=f"Preparing {what} failed.",
            error=render_jobs.shown_reason(job),
            retry_at=job.retry_after if job.retry_after and job.retry_after > now else None,
            attempt=job.attempts,
            attempts=render_jobs.MAX_ATTEMPTS,
            next="If it fails again, the portal stops and tells the district's admins by e-mail."
            if job.attempts + 1 >= render_jobs.MAX_ATTEMPTS
            else "",
            **common,
        )
    text = "The document to sign is being prepared." if page == "sign" else WORKING_TEXT[kind]
    # Since when it is owed: the approval, the countersignature (a public copy is made again whenever the district
    # changes what it posts: no such moment is kept); or the start of the attempt under way.
    since = {K.SIGNING_COPY: agreement.status_changed_at, K.EXECUTED: district_signed_at}.get(kind)
    since = job.started_at if job and job.started_at else since
    slow = since is not None and timezone.now() - since > SLOW
    return Progress(
        state=WORKING,
        text=text,
        next="This is taking longer than usual. If the work was lost (a worker restarted), the portal queues it "
        "again by itself within 5 minutes."
        if slow
        else "It usually takes a few seconds.",
        **common,
    )


# What a ready link says of each sealed document the parties download: its link and what it holds.
_READY_LINKS = {
    K.TERMINATION_RECORD: ("Download the record of the early termination (sealed PDF)", "for the parties only."),
    K.EXECUTED: (
        "Download the executed DPA (sealed PDF)",
        "with the audit trail and every exhibit, for the parties only.",
    ),
}


def _ready(agreement: Agreement, kind: str, document: AgreementDocument, *, pid: str) -> Progress:
    link = reverse("agreement_document", args=[agreement.pk, SLUGS[kind]])
    ready = {
        "pid": pid,
        "state": READY,
        "link_url": link,
        "link_detail": f"{document.document_id}, SHA-256 {document.sha256}",
    }
    if kind == K.SIGNING_COPY:
        signed = agreement.status != S.APPROVED
        return Progress(
            **ready, text="", link_text="Download the copy that was signed" if signed else "Download the copy to sign"
        )
    if kind in _READY_LINKS:
        link_text, text = _READY_LINKS[kind]
        return Progress(**ready, link_text=link_text, text=text)
    exhibit_c = ", Exhibits C and C.1" if agreement.agency.post_exhibit_c else ""
    return Progress(
        **ready,
        link_text="Download the public copy (sealed PDF)",
        text=f"as posted for parents: the DPA, Exhibits A and B and the signers' names and titles{exhibit_c}; no "
        "e-mail or IP addresses, audit trail or withheld parts.",
    )


def _given_up_next(agreement: Agreement, kind: str, job: RenderJob, *, side: str, role: str) -> str:
    """What happens after the portal gave up: who was told, and what the person reading can do."""
    tried = (
        f"It tried {job.attempts} time{'s' if job.attempts != 1 else ''}, the last on "
        f"{timezone.localtime(job.failed_at):%b %-d, %Y %-I:%M %p %Z}, and has stopped trying; "
        f"{agreement.agency}'s admins were told by e-mail."
    )
    if kind != K.SIGNING_COPY:
        return f"{tried} The signatures are recorded and nothing is lost. The portal's operator can try again."
    if side == "district" and role in DISTRICT_ADMIN and agreement.status == S.APPROVED:
        return (
            f"{tried} Nobody can sign until the copy to sign exists. If an answer is unusually long or odd, send the "
            "agreement back to the vendor to change it: approving it again prepares a new copy. Otherwise ask the "
            "portal's operator to try again."
        )
    return f"{tried} Nobody can sign until the copy to sign exists; the district decides what happens next."


def agreement_progress(
    agreement: Agreement,
    *,
    side: str,
    role: str,
    documents: dict,
    district_signed_at: datetime | None,
    terminated: bool,
    signing: bool,
) -> dict:
    """The panels of the agreement page, by kind (those due or stored), from the documents it read already and one
    query for the jobs. `signing`: the page shows the signing's documents (not for an agreement signed outside the
    portal, which has none of them)."""
    # The order of the page: the executed DPA first.
    kinds = [K.EXECUTED, K.PUBLIC_COPY, K.SIGNING_COPY] if signing else []
    if terminated:
        kinds.append(K.TERMINATION_RECORD)  # shown with the termination (agreements/_ending.html)
    jobs = {}
    if any(documents.get(kind) is None for kind in kinds):  # no query once every document is there
        jobs = {job.kind: job for job in RenderJob.objects.filter(agreement=agreement, kind__in=kinds)}
    panels = {}
    for kind in kinds:
        progress = document_progress(
            agreement,
            kind,
            side=side,
            role=role,
            document=documents.get(kind),
            job=jobs.get(kind),
            district_signed_at=district_signed_at,
            terminated=terminated,
        )
        if progress is not None:
            panels[kind] = progress
    return panels


def sign_page_progress(agreement: Agreement, *, side: str, role: str) -> Progress | None:
    """The signing page's panel while the copy to sign is not stored yet: one query for its job."""
    job = RenderJob.objects.filter(agreement=agreement, kind=K.SIGNING_COPY).first()
    return document_progress(
        agreement, K.SIGNING_COPY, side=side, role=role, document=None, job=job, district_signed_at=None, page="sign"
    )


@member_required("agreement")
@require_GET
def document_status(request, agreement, side, role, kind):
    """One document's panel: what the agreement page and the signing page ask for every 2 seconds while it is made.
    For the parties' members only (anyone else: 404). Once it is ready or has failed, a page that must show more than
    the panel is told to reload (HX-Refresh): the signing page shows its form; the agreement page its new status and
    buttons after the seal, or the form that sends back a copy that cannot be made. Not for the public copy or the
    record of a termination, which change nothing else on the page (and a reload would lose what someone is typing
    there)."""
    if kind not in KINDS:
        raise Http404
    kind = KINDS[kind]
    if kind != K.TERMINATION_RECORD and OutsideSigning.objects.filter(agreement=agreement).exists():
        raise Http404  # an agreement signed outside the portal has none of the signing's documents (issue 12)
    if kind == K.PUBLIC_COPY:
        document = public_copy_current(agreement)
    else:
        document = AgreementDocument.objects.defer("pdf", "public_source").filter(agreement=agreement, kind=kind)
        document = document.first()
    job = None if document else RenderJob.objects.filter(agreement=agreement, kind=kind).first()
    district_signed_at = None
    terminated = kind == K.TERMINATION_RECORD and Termination.objects.filter(agreement=agreement).exists()
    if kind == K.EXECUTED:
        countersigned = Signature.objects.filter(agreement=agreement, side=Signature.Side.DISTRICT)
        district_signed_at = countersigned.values_list("signed_at", flat=True).first()
    page = "sign" if request.GET.get("page") == "sign" else "agreement"
    progress = document_progress(
        agreement,
        kind,
        side=side,
        role=role,
        document=document,
        job=job,
        district_signed_at=district_signed_at,
        terminated=terminated,
        page=page,
    )
    if progress is None:
        raise Http404
    response = render(request, "_progress.html", progress.context())
    if not progress.polling and request.headers.get("HX-Request") and _reloads(kind, page):
        response["HX-Refresh"] = "true"
    return response


def _reloads(kind: str, page: str) -> bool:
    return page == "sign" or kind in (K.SIGNING_COPY, K.EXECUTED)
