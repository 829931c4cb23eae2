"""Rendering a document in a worker, in bounded time, a bounded number of times (issue 10).

A render task (agreements/tasks.py) runs under a soft and a hard time limit. Each attempt is counted when it starts
(`job_begin`), so that even a worker killed at the hard limit, which records nothing, has used one. A failure (an
error, or `SoftTimeLimitExceeded` at the soft limit) schedules the next attempt after a backoff (`job_failed`); after
`MAX_ATTEMPTS` the job is given up: the district's admins get an e-mail, the agreement page says so, and the documents
sweep stops queueing it (`blocked`). A later status change (a new approval after the vendor changed its answers)
starts afresh, and an operator can try again from the admin (`job_retry`).
"""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from . import access
from .mail import email_enqueue
from .models import Agreement, RenderJob

logger = logging.getLogger(__name__)

# Time limits of a render task (seconds): rendering and sealing a DPA, and for the executed one its public copy too.
# The worst case (every field at its limit, without a space) renders in about 3 s on a 2-core machine
# (bench/worst_case_render.py), the demo in about 1 s: the soft limit leaves room for a loaded worker, and stops a
# render that something unforeseen makes run away. The hard limit kills the worker process 30 s later.
RENDER_SOFT_TIME_LIMIT = 120
RENDER_TIME_LIMIT = 150
# Attempts before giving up, and the waits after the first and the second failed attempt.
MAX_ATTEMPTS = 3
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=10))
# An attempt that started longer ago than this has ended one way or the other (the hard limit killed it, at worst).
ATTEMPT_OVER = timedelta(seconds=RENDER_TIME_LIMIT + 30)


def blocked(kind: str, agreement: str = "pk") -> Exists:
    """Whether the sweep must not queue the `kind` document of the agreement in the outer query's `agreement` field
    now: an attempt may still be running or a backoff lasts, or the job was given up since the agreement last changed
    status. Correlated (one probe of the job's unique index per agreement the sweep looks at), never a list of every
    job of that kind (issue 13)."""
    now = timezone.now()
    return Exists(
        RenderJob.objects.filter(agreement=OuterRef(agreement), kind=kind).filter(
            Q(retry_after__gt=now) | Q(given_up_at__gte=F("agreement__status_changed_at"))
        )
    )


def job_begin(*, agreement_id: int, kind: str) -> RenderJob | None:
    """Count an attempt before rendering. None: do not render (given up; or out of attempts, which gives it up now)."""
    now = timezone.now()
    with transaction.atomic():
        job, _ = RenderJob.objects.select_for_update().get_or_create(agreement_id=agreement_id, kind=kind)
        if job.given_up_at is not None:
            changed = Agreement.objects.filter(pk=agreement_id).values_list("status_changed_at", flat=True).first()
            if changed is None or changed <= job.given_up_at:
                return None
            # The agreement moved on since (e.g. approved again after the vendor changed its answers): start afresh.
            job.attempts, job.given_up_at, job.failed_at, job.last_error = 0, None, None, ""
        if job.attempts >= MAX_ATTEMPTS:
            # The last attempt never reported back: the worker was killed at the hard time limit, or died.
            _give_up(job, now, job.last_error or f"{WORKER_STOPPED} (time limit {RENDER_TIME_LIMIT} s).")
            return None
        job.attempts += 1
        job.started_at = now
        job.retry_after = now + ATTEMPT_OVER
        job.save()
    return job


def job_failed(job: RenderJob, error: BaseException, *, soft_limit: float | None = None) -> timedelta | None:
    """Record a failed attempt (`soft_limit`: the seconds it was given). The wait before the next one, or None when
    this was the last: then the job is given up and the district's admins are told."""
    now = timezone.now()
    reason = describe(error, soft_limit=soft_limit)
    logger.error(
        "Rendering %s of agreement %s failed (attempt %s): %s", job.kind, job.agreement_id, job.attempts, reason
    )
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().get(pk=job.pk)
        job.failed_at, job.last_error = now, reason
        if job.attempts >= MAX_ATTEMPTS:
            _give_up(job, now, reason)
            return None
        delay = RETRY_DELAYS[min(job.attempts, len(RETRY_DELAYS)) - 1]
        job.retry_after = now + delay
        job.save(update_fields=["failed_at", "last_error", "retry_after"])
    return delay


def job_done(job: RenderJob) -> None:
    """The document is stored: nothing is owed any more."""
    RenderJob.objects.filter(pk=job.pk).delete()


def job_retry(job: RenderJob) -> None:
    """An operator tries again (the admin's action): the attempts start afresh and the sweep queues it."""
    RenderJob.objects.filter(pk=job.pk).update(
        attempts=0, given_up_at=None, retry_after=None, failed_at=None, last_error=""
    )


# The reasons the portal writes itself (a time limit): the parties are shown these as they are, since what they can do
# about them (shorten an unusually long answer) follows from them. Any other reason is an exception's own words.
TOOK_TOO_LONG = "Rendering took longer than"
WORKER_STOPPED = "The worker stopped before finishing"
OWN_REASONS = (TOOK_TOO_LONG, WORKER_STOPPED)


def describe(error: BaseException, *, soft_limit: float | None = None) -> str:
    """Why an attempt failed, for the operator (RenderJob.last_error, in the admin) and the district's e-mail: no
    traceback. The parties' pages show it through `shown_reason`."""
    if isinstance(error, SoftTimeLimitExceeded):
        return f"{TOOK_TOO_LONG} {soft_limit or RENDER_SOFT_TIME_LIMIT:g} seconds and was stopped."
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message}"[:300] if message else type(error).__name__


def shown_reason(job: RenderJob) -> str:
    """Why the job failed, as a district's or vendor's staff see it on the agreement page: the portal's own reasons as
    written; an exception's words (a path, a host, a library's message) only for the operator, who has the details in
    the admin under the job's number."""
    if not job.last_error or job.last_error.startswith(OWN_REASONS):
        return job.last_error
    return f"An error inside the portal stopped it (the operator can read it under document job {job.pk})."


def failures(agreement: Agreement) -> list[RenderJob]:
    """The jobs of the agreement that failed at least once and are still owed, for its page."""
    jobs = RenderJob.objects.filter(agreement=agreement, failed_at__isnull=False).order_by("kind")
    # A job given up before the agreement last moved is started afresh by its next attempt (`job_begin`).
    return list(jobs.exclude(given_up_at__lt=agreement.status_changed_at))


def _give_up(job: RenderJob, now, reason: str) -> None:
    """Stop trying, once: the row is locked by the caller, so one worker tells the district."""
    first = job.given_up_at is None
    job.given_up_at, job.retry_after, job.last_error = now, None, reason
    job.failed_at = job.failed_at or now
    job.save()
    if not first:
        return
    agreement = Agreement.objects.select_related("agency", "contractor").get(pk=job.agreement_id)
    logger.error("Gave up rendering %s of agreement %s after %s attempts", job.kind, job.agreement_id, job.attempts)
    email_enqueue(
        to=access.district_emails(agreement.agency_id, access.DISTRICT_ADMIN),
        template="render_failed",
        context={"agreement": agreement, "job": job, "what": job.what},
        agreement=agreement,
    )
