"""Celery tasks of the agreements app.

Every task has a soft and a hard time limit (issue 10): settings.CELERY_TASK_SOFT_TIME_LIMIT and
CELERY_TASK_TIME_LIMIT by default, and the render tasks their own (render_jobs.RENDER_SOFT_TIME_LIMIT and
RENDER_TIME_LIMIT). A render is tried at most render_jobs.MAX_ATTEMPTS times with a backoff, then given up and the
district told; the documents sweep does not queue it again.
"""

from celery import shared_task

from .models import Agreement, AgreementDocument
from .render_jobs import MAX_ATTEMPTS, RENDER_SOFT_TIME_LIMIT, RENDER_TIME_LIMIT

RENDER_LIMITS = {"soft_time_limit": RENDER_SOFT_TIME_LIMIT, "time_limit": RENDER_TIME_LIMIT}


@shared_task(name="agreements.ping")
def ping(token: str) -> dict:
    """A health check that goes through the broker, a worker and the database: echoes the token with a count.

    Operators run it with `celery -A dpa_portal call agreements.ping --args='["hello"]'`.
    """
    return {"token": token, "agreements": Agreement.objects.count()}


@shared_task(name="agreements.send_outbound_email")
def send_outbound_email(pk: int) -> bool:
    """One attempt at one e-mail, never retried here: a failure is written on the row with the time of its next
    attempt, and the outbox sweep sends it then (agreements/mail.py, issue 15: retries from one place)."""
    from .mail import outbound_email_send

    return outbound_email_send(pk=pk)


@shared_task(name="agreements.outbox_sweep")
def outbox_sweep() -> int:
    """Periodic: send what is due (a failed attempt's next one, a lost task, a worker that died mid-send); rows past
    their last attempt are left for a person. Each send still claims its row, so any interval works."""
    from .mail import outbox_sweep_due

    due = outbox_sweep_due()
    for pk in due:
        send_outbound_email.delay(pk)
    return len(due)


def _render(task, agreement_id: int, kind: str, step) -> str | None:
    """Run one attempt of a render `step` as a counted, time-limited attempt (agreements/render_jobs.py): retried
    after a backoff when it fails or times out, given up (and the district told) after the last attempt."""
    from .render_jobs import job_begin, job_done, job_failed

    job = job_begin(agreement_id=agreement_id, kind=kind)
    if job is None:
        return None
    try:
        document = step(agreement_id=agreement_id)
    except Exception as error:  # SoftTimeLimitExceeded too: the soft limit is how a runaway render ends
        # The limit this attempt had: the task's, or one given when it was sent ((hard, soft) in the request).
        soft_limit = (task.request.timelimit or (None, None))[1] or task.soft_time_limit
        delay = job_failed(job, error, soft_limit=soft_limit)
        if delay is None:
            return None  # given up: recorded, and the district is told
        raise task.retry(exc=error, countdown=delay.total_seconds()) from error
    job_done(job)
    return document.sha256 if document else None


@shared_task(bind=True, name="agreements.prepare_signing_copy", max_retries=MAX_ATTEMPTS, **RENDER_LIMITS)
def prepare_signing_copy(self, agreement_id: int) -> str | None:
    from .signing import signing_copy_prepare

    return _render(self, agreement_id, AgreementDocument.Kind.SIGNING_COPY, signing_copy_prepare)


@shared_task(bind=True, name="agreements.execute_agreement", max_retries=MAX_ATTEMPTS, **RENDER_LIMITS)
def execute_agreement(self, agreement_id: int) -> str | None:
    """Render, seal and store the executed DPA. Running twice stores one document."""
    from .signing import agreement_execute

    return _render(self, agreement_id, AgreementDocument.Kind.EXECUTED, agreement_execute)


@shared_task(bind=True, name="agreements.prepare_public_copy", max_retries=MAX_ATTEMPTS, **RENDER_LIMITS)
def prepare_public_copy(self, agreement_id: int) -> str | None:
    """Make and seal the public copy of what the district posts now. Running twice stores one copy."""
    from .signing import public_copy_prepare

    return _render(self, agreement_id, AgreementDocument.Kind.PUBLIC_COPY, public_copy_prepare)


@shared_task(bind=True, name="agreements.prepare_termination_record", max_retries=MAX_ATTEMPTS, **RENDER_LIMITS)
def prepare_termination_record(self, agreement_id: int) -> str | None:
    """Render and seal the record of an early termination (issue 11, point 2). Running twice stores one record."""
    from .signing import termination_record_prepare

    return _render(self, agreement_id, AgreementDocument.Kind.TERMINATION_RECORD, termination_record_prepare)


@shared_task(name="agreements.documents_sweep")
def documents_sweep() -> int:
    """Periodic: prepare the signing copies and seal the executed DPAs whose tasks were lost, and make the public
    copies that are due (lost, or agreements posted before there were public copies), and the sealed records of early
    terminations that were lost. All are idempotent. A render
    that is running, waiting out its backoff or given up is not queued (render_jobs.blocked)."""
    from .signing import documents_due, public_copies_due, termination_records_due

    need_copy, need_seal = documents_due()
    for pk in need_copy:
        prepare_signing_copy.delay(pk)
    for pk in need_seal:
        execute_agreement.delay(pk)
    need_public = public_copies_due()
    for pk in need_public:
        prepare_public_copy.delay(pk)
    need_record = termination_records_due()
    for pk in need_record:
        prepare_termination_record.delay(pk)
    return len(need_copy) + len(need_seal) + len(need_public) + len(need_record)
