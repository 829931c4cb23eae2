"""E-mail at each hand-off: rendered from templates into an outbox row, sent by Celery after the commit."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboundEmail

log = logging.getLogger(__name__)
# A row left "sending" this long belongs to a worker that died mid-send; send it again.
STALE_CLAIM = timedelta(minutes=30)
# Messages that carry a secret (an invitation's single-use link): once sent, the row keeps no copy of the body.
LINK_BEARING_TEMPLATES = {"invitation"}
SENT_LINK_PLACEHOLDER = "[Sent. The message held a single-use link, which the portal does not keep.]"


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
    email = OutboundEmail.objects.create(
        template=template,
        to=recipients,
        subject=subject[:300],
        body_text=render_to_string(f"emails/{template}.txt", context),
        body_html=render_to_string(f"emails/{template}.html", context),
        agreement=agreement,
    )
    from .tasks import send_outbound_email

    # Robust: the row is the record, so a broker that is down (or an eager task failing on a development server)
    # must not fail the request that committed it; Django logs the error and `outbox_due` finds the row for the
    # sweep. A lambda, not functools.partial: Django names the callback by its __qualname__ when it logs.
    transaction.on_commit(lambda: send_outbound_email.delay(email.pk), robust=True)
    return email


def outbound_email_send(*, pk: int) -> bool:
    """Send one queued e-mail exactly once: claim it with a conditional UPDATE, send, record the outcome.

    Returns True if this call sent it; False if another worker holds it, it was sent already, or it gave up.
    """
    now = timezone.now()
    claimable = Q(status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.FAILED]) | Q(
        status=OutboundEmail.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    )
    claimed = OutboundEmail.objects.filter(claimable, pk=pk, attempts__lt=OutboundEmail.MAX_ATTEMPTS).update(
        status=OutboundEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return False
    email = OutboundEmail.objects.get(pk=pk)
    message = EmailMultiAlternatives(email.subject, email.body_text, settings.DEFAULT_FROM_EMAIL, email.to)
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any transport error: record it, and let the sweep or a retry try again
        log.warning("E-mail %s failed: %s", pk, exc)
        OutboundEmail.objects.filter(pk=pk).update(status=OutboundEmail.Status.FAILED, last_error=str(exc)[:2000])
        raise
    done = {"status": OutboundEmail.Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    if email.template in LINK_BEARING_TEMPLATES:
        done.update(body_text=SENT_LINK_PLACEHOLDER, body_html="")
    OutboundEmail.objects.filter(pk=pk).update(**done)
    return True


def outbox_due_query():
    """The e-mails a sweep should (re)send: failed ones with attempts left, queued ones whose task was lost, and those
    a worker that died was sending. Read through the index on the status, so never the e-mails sent (nearly all)."""
    now = timezone.now()
    unsent = [OutboundEmail.Status.FAILED, OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING]
    return OutboundEmail.objects.filter(status__in=unsent, attempts__lt=OutboundEmail.MAX_ATTEMPTS).filter(
        Q(status=OutboundEmail.Status.FAILED)
        | Q(status=OutboundEmail.Status.QUEUED, created_at__lt=now - timedelta(minutes=5))
        | Q(status=OutboundEmail.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    )


def outbox_due() -> list[int]:
    """The ids of outbox_due_query(), at most 500 a sweep."""
    return list(outbox_due_query().values_list("pk", flat=True)[:500])
