"""The outbox: a row with a status before it is a message, claimed once, retried when the transport fails."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agreements.mail import email_enqueue, outbound_email_send, outbox_due
from agreements.models import OutboundEmail


@pytest.fixture
def queued(agreement, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agreement.contractor.legal_name = '<script>alert("x")</script> & Co'
    return email_enqueue(
        to=["Vendor@Example.org", "vendor@example.org", ""],
        template="agreement_sent",
        context={"agreement": agreement, "note": "Line one\n<b>bold?</b>"},
        agreement=agreement,
    )


def test_enqueue_renders_and_stores_the_message(queued, agreement):
    assert queued.status == OutboundEmail.Status.QUEUED and queued.attempts == 0
    assert queued.to == ["vendor@example.org"]  # normalised, deduplicated, blanks dropped
    assert "\n" not in queued.subject and agreement.agency.name in queued.subject
    assert f"/agreements/{agreement.pk}/" in queued.body_text


def test_user_text_is_escaped_in_html_and_plain_in_text(queued):
    assert "<script>" not in queued.body_html and "&lt;script&gt;" in queued.body_html
    assert "<b>bold?</b>" not in queued.body_html
    assert '<script>alert("x")</script> & Co' in queued.body_text  # plain text is not HTML


def test_nobody_to_write_to_queues_nothing(agreement):
    assert email_enqueue(to=["", "  "], template="approved", context={"agreement": agreement}) is None
    assert not OutboundEmail.objects.exists()


def test_send_claims_once(queued):
    assert outbound_email_send(pk=queued.pk) is True
    assert outbound_email_send(pk=queued.pk) is False  # a second task, or a sweep, does not send it again
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["vendor@example.org"] and message.alternatives[0][1] == "text/html"
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.SENT and queued.sent_at and queued.attempts == 1


def test_a_transport_failure_is_recorded_then_swept_and_retried(queued, settings):
    settings.EMAIL_BACKEND = "tests.test_outbox.BrokenBackend"
    with pytest.raises(ConnectionRefusedError):
        outbound_email_send(pk=queued.pk)
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.FAILED and "refused" in queued.last_error
    assert outbox_due() == [queued.pk]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbound_email_send(pk=queued.pk) is True
    assert outbox_due() == []


def test_gives_up_after_max_attempts(queued):
    OutboundEmail.objects.filter(pk=queued.pk).update(
        status=OutboundEmail.Status.FAILED, attempts=OutboundEmail.MAX_ATTEMPTS
    )
    assert outbound_email_send(pk=queued.pk) is False
    assert outbox_due() == []


def test_lost_tasks_and_dead_workers_are_swept(queued):
    old = timezone.now() - timedelta(hours=1)
    OutboundEmail.objects.filter(pk=queued.pk).update(created_at=old)
    assert outbox_due() == [queued.pk]  # queued long ago: its task was lost
    OutboundEmail.objects.filter(pk=queued.pk).update(status=OutboundEmail.Status.SENDING, claimed_at=old)
    assert outbox_due() == [queued.pk]  # claimed by a worker that died
    assert outbound_email_send(pk=queued.pk) is True


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("connection refused by the mail server")


def test_an_invitation_body_is_not_kept_once_sent(agreement, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email = email_enqueue(to=["x@example.org"], template="approved", context={"agreement": agreement})
    OutboundEmail.objects.filter(pk=email.pk).update(template="invitation", body_text="link /accounts/invitations/T/")
    assert outbound_email_send(pk=email.pk)
    assert "/accounts/invitations/T/" in mail.outbox[0].body  # the invitee got the link
    email.refresh_from_db()
    assert "/accounts/invitations/" not in email.body_text and email.body_html == ""
