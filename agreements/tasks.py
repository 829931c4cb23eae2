"""Celery tasks of the agreements app."""

from celery import shared_task

from .models import Agreement


@shared_task(name="agreements.ping")
def ping(token: str) -> dict:
    """A health check that goes through the broker, a worker and the database: echoes the token with a count.

    Operators run it with `celery -A dpa_portal call agreements.ping --args='["hello"]'`.
    """
    return {"token": token, "agreements": Agreement.objects.count()}


@shared_task(name="agreements.send_outbound_email", autoretry_for=(Exception,), retry_backoff=30, max_retries=4)
def send_outbound_email(pk: int) -> bool:
    from .mail import outbound_email_send

    return outbound_email_send(pk=pk)


@shared_task(name="agreements.outbox_sweep")
def outbox_sweep() -> int:
    """Periodic: send what a lost task or a failed attempt left behind. Each send still claims its row."""
    from .mail import outbox_due

    due = outbox_due()
    for pk in due:
        send_outbound_email.delay(pk)
    return len(due)


@shared_task(name="agreements.prepare_signing_copy", autoretry_for=(Exception,), retry_backoff=10, max_retries=5)
def prepare_signing_copy(agreement_id: int) -> str | None:
    from .signing import signing_copy_prepare

    document = signing_copy_prepare(agreement_id=agreement_id)
    return document.sha256 if document else None


@shared_task(name="agreements.execute_agreement", autoretry_for=(Exception,), retry_backoff=10, max_retries=5)
def execute_agreement(agreement_id: int) -> str | None:
    """Render, seal and store the executed DPA. Retried on failure; running twice stores one document."""
    from .signing import agreement_execute

    document = agreement_execute(agreement_id=agreement_id)
    return document.sha256 if document else None


@shared_task(name="agreements.prepare_public_copy", autoretry_for=(Exception,), retry_backoff=10, max_retries=5)
def prepare_public_copy(agreement_id: int) -> str | None:
    """Make and seal the public copy of what the district posts now. Running twice stores one copy."""
    from .signing import public_copy_prepare

    document = public_copy_prepare(agreement_id=agreement_id)
    return document.sha256 if document else None


@shared_task(name="agreements.documents_sweep")
def documents_sweep() -> int:
    """Periodic: prepare the signing copies and seal the executed DPAs whose tasks were lost, and make the public
    copies that are due (lost, or agreements posted before there were public copies). All are idempotent."""
    from .signing import documents_due, public_copies_due

    need_copy, need_seal = documents_due()
    for pk in need_copy:
        prepare_signing_copy.delay(pk)
    for pk in need_seal:
        execute_agreement.delay(pk)
    need_public = public_copies_due()
    for pk in need_public:
        prepare_public_copy.delay(pk)
    return len(need_copy) + len(need_seal) + len(need_public)
