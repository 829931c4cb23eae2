"""E-mail at each hand-off: rendered from templates into an outbox row, sent by Celery after the commit.

Retries come from one place (issue 15): a failed attempt writes the row's `next_attempt_at` from the schedule
(models/outbox.py RETRY_DELAYS), the task `send_outbound_email` sends once and never retries, and the outbox sweep
(`outbox_sweep`, run by beat every minute or so) queues what is due. The conditional UPDATE in `outbound_email_send`
is the single gate: however many tasks, sweeps or "Send again" clicks meet on a row, it is sent once.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from dpa_portal.errors import FORBIDDEN, STATE, ApplicationError

from . import access
from .models import OutboundEmail
from .models.outbox import RETRY_DELAYS

log = logging.getLogger(__name__)
Status = OutboundEmail.Status
About = OutboundEmail.About
# A queued row whose task has not claimed it this long after it was queued: the task was lost (the broker was down
# when it was sent, or lost it); the next sweep sends it. A sweep every minute finds it within two.
LOST_TASK_AFTER = timedelta(minutes=1)
# How long one attempt may talk to the mail server before it counts as failed, unless settings.EMAIL_TIMEOUT says
# (Django's default is to wait forever).
SEND_TIMEOUT = 30
# A row left "sending" this long belongs to a worker that died mid-send (an attempt lasts at most SEND_TIMEOUT plus
# the task's time limit); the sweep sends it again, or gives it to a person if that was its last attempt.
STALE_CLAIM = timedelta(minutes=10)
# At most this many e-mails a sweep; the rest wait for the next one (oldest first).
SWEEP_BATCH = 500
# Messages that carry a secret (an invitation's single-use link): once sent, the row keeps no copy of the body.
LINK_BEARING_TEMPLATES = {"invitation", "apprequest_sign_up"}
SENT_LINK_PLACEHOLDER = "[Sent. The message held a single-use link, which the portal does not keep.]"
# Duty-bearing e-mails: what each is about, read from the context it is rendered with, so that the page of that thing
# can say whether the e-mail went out (outbox_status.py).
DUTY_BEARING = {
    "deadline_breach_reported": ("report", About.BREACH_REPORT),
    "invitation": ("invitation", About.INVITATION),
    "deadline_reminder": ("obligation", About.OBLIGATION),
    "deadline_overdue": ("obligation", About.OBLIGATION),
}


def retry_delays() -> tuple[timedelta, ...]:
    """The waits after each failed attempt: RETRY_DELAYS, or settings.OUTBOX_RETRY_DELAYS (seconds) where set."""
    seconds = getattr(settings, "OUTBOX_RETRY_DELAYS", None)
    return RETRY_DELAYS if seconds is None else tuple(timedelta(seconds=s) for s in seconds)


def max_attempts() -> int:
    """The first attempt and one after each wait of the schedule."""
    return len(retry_delays()) + 1


def email_enqueue(*, to, template: str, context: dict, agreement=None) -> OutboundEmail | None:
    """Render templates/emails/<template>.{subject.txt,txt,html} and queue the message; sent after commit.

    Rendering happens now, so the row records exactly what goes out; user text is escaped in the HTML part.
    Returns None when there is nobody to write to.
    """
    recipients = sorted({address.strip().lower() for address in to if address and address.strip()})
    if not recipients:
        return None
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}.subject.txt", context).split())
    about_key, about_kind = DUTY_BEARING.get(template, (None, ""))
    about = context.get(about_key) if about_key else None
    email = OutboundEmail.objects.create(
        template=template,
        to=recipients,
        subject=subject[:300],
        body_text=render_to_string(f"emails/{template}.txt", context),
        body_html=render_to_string(f"emails/{template}.html", context),
        agreement=agreement,
        about_kind=about_kind if about is not None else "",
        about_id=getattr(about, "pk", None),
        next_attempt_at=timezone.now() + LOST_TASK_AFTER,
    )
    from .tasks import send_outbound_email

    # Robust: the row is the record, so a broker that is down (or an eager task failing on a development server)
    # must not fail the request that committed it; Django logs the error and `outbox_due` finds the row for the
    # sweep once LOST_TASK_AFTER has passed. A lambda, not functools.partial: Django names the callback by its
    # __qualname__ when it logs.
    transaction.on_commit(lambda: send_outbound_email.delay(email.pk), robust=True)
    return email


def outbound_email_send(*, pk: int) -> bool:
    """Make one attempt at a queued e-mail, exactly once: claim it with a conditional UPDATE, send, record the outcome.

    A failure is recorded on the row with the time of the next attempt (or, after the last, the row is given to a
    person); nothing here retries. Returns True if this call sent it; False if another worker holds it, it was sent
    already, it is not due, or the attempt failed.
    """
    now = timezone.now()
    delays = retry_delays()
    claimable = (
        Q(status=Status.QUEUED)
        | Q(status=Status.FAILED, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    )
    claimed = OutboundEmail.objects.filter(claimable, pk=pk, attempts__lt=len(delays) + 1).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, next_attempt_at=None
    )
    if claimed != 1:
        return False
    email = OutboundEmail.objects.get(pk=pk)
    ours = OutboundEmail.objects.filter(pk=pk, status=Status.SENDING, claimed_at=now)  # unless the claim went stale
    message = EmailMultiAlternatives(
        email.subject,
        email.body_text,
        settings.DEFAULT_FROM_EMAIL,
        email.to,
        connection=get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT),
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any transport error: recorded, and the sweep tries again when the schedule says
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if email.attempts >= len(delays) + 1:
            log.error("E-mail %s not sent after %s attempts, left for a person: %s", pk, email.attempts, error)
            ours.update(status=Status.GIVEN_UP, last_error=error)
        else:
            retry_at = timezone.now() + delays[email.attempts - 1]
            log.warning("E-mail %s failed (attempt %s), next at %s: %s", pk, email.attempts, retry_at, error)
            ours.update(status=Status.FAILED, last_error=error, next_attempt_at=retry_at)
        return False
    done = {"status": Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    if email.template in LINK_BEARING_TEMPLATES:
        done.update(body_text=SENT_LINK_PLACEHOLDER, body_html="")
    OutboundEmail.objects.filter(pk=pk).update(**done)
    return True


def outbox_due_query():
    """The e-mails a sweep should send now: queued or failed ones whose next attempt is due (a queued one is due once
    its task has had LOST_TASK_AFTER to claim it), and those a worker that died was sending. Read through the index on
    the status, so never the e-mails sent (nearly all)."""
    now = timezone.now()
    unsent = [Status.FAILED, Status.QUEUED, Status.SENDING]
    return OutboundEmail.objects.filter(status__in=unsent, attempts__lt=max_attempts()).filter(
        Q(status__in=[Status.FAILED, Status.QUEUED], next_attempt_at__lte=now)
        | Q(status__in=[Status.FAILED, Status.QUEUED], next_attempt_at__isnull=True)
        | Q(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    )


def outbox_due() -> list[int]:
    """The ids of outbox_due_query(), at most SWEEP_BATCH, oldest first."""
    return list(outbox_due_query().order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH])


def outbox_sweep_due() -> list[int]:
    """One sweep: give to a person the rows whose last attempt died with its worker, then the ids to send now.

    The rows returned are marked queued again, due LOST_TASK_AFTER from now: a later sweep sends one again only if
    this sweep's task was lost too, so a worker busy for a while does not find a copy of each task for every sweep.
    """
    now = timezone.now()
    OutboundEmail.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM, attempts__gte=max_attempts()
    ).update(status=Status.GIVEN_UP, last_error="The worker sending it stopped during its last attempt.")
    with transaction.atomic():  # locked until marked, so that no task claims a row between the two statements
        due = list(
            outbox_due_query()
            .select_for_update(skip_locked=True)
            .order_by("created_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        OutboundEmail.objects.filter(pk__in=due).update(status=Status.QUEUED, next_attempt_at=now + LOST_TASK_AFTER)
    return due


def outbox_send_again(emails) -> list[int]:
    """Start the schedule afresh for the undelivered e-mails among `emails` (a queryset): queued now, sent after the
    commit. Rows being sent or sent already are left alone, so a second click, or two people at once, send nothing
    twice (the claim in outbound_email_send stays the gate). Returns the ids queued."""
    from .tasks import send_outbound_email

    with transaction.atomic():
        ids = list(emails.filter(status__in=OutboundEmail.UNDELIVERED).select_for_update().values_list("pk", flat=True))
        OutboundEmail.objects.filter(pk__in=ids, status__in=OutboundEmail.UNDELIVERED).update(
            status=Status.QUEUED, attempts=0, claimed_at=None, next_attempt_at=timezone.now() + LOST_TASK_AFTER
        )
        for pk in ids:
            transaction.on_commit(lambda pk=pk: send_outbound_email.delay(pk), robust=True)
    return ids


def district_email_send_again(*, actor, agency, pk: int) -> OutboundEmail:
    """A district admin sends again an undelivered e-mail about one of the district's agreements."""
    access.require_district_staff(actor, agency.pk, roles=access.DISTRICT_ADMIN)
    email = OutboundEmail.objects.filter(pk=pk, agreement__agency=agency).first()
    if email is None:
        raise ApplicationError("That e-mail is not about one of this district's agreements.", code=FORBIDDEN)
    if not outbox_send_again(OutboundEmail.objects.filter(pk=pk)):
        raise ApplicationError(
            "That e-mail is not waiting to be sent again: it was sent, or is being sent.", code=STATE
        )
    return email
