"""The outbox: a row with a status before it is a message, claimed once, retried on its own schedule when the transport
fails, then left for a person (issue 15)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agreements.mail import (
    LOST_TASK_AFTER,
    STALE_CLAIM,
    email_enqueue,
    max_attempts,
    outbound_email_send,
    outbox_due,
    outbox_send_again,
    outbox_sweep_due,
    retry_delays,
)
from agreements.models import OutboundEmail
from agreements.models.outbox import RETRY_DELAYS


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


def test_a_transport_failure_is_recorded_and_tried_again_when_the_schedule_says(queued, settings):
    settings.EMAIL_BACKEND = "tests.test_outbox.BrokenBackend"
    before = timezone.now()
    assert outbound_email_send(pk=queued.pk) is False  # recorded on the row; the task does not retry
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.FAILED and "refused" in queued.last_error
    assert before + RETRY_DELAYS[0] <= queued.next_attempt_at <= timezone.now() + RETRY_DELAYS[0]
    assert outbox_due() == []  # not before its time, however often the sweep runs
    assert outbound_email_send(pk=queued.pk) is False  # nor by a task that comes early (a duplicate message)
    queued.refresh_from_db()
    assert queued.attempts == 1
    _due_now(queued)
    assert outbox_due() == [queued.pk]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbound_email_send(pk=queued.pk) is True
    assert outbox_due() == []
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.SENT and queued.last_error == "" and queued.next_attempt_at is None


def _due_now(email):
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_the_schedule_spans_a_long_outage_then_leaves_the_email_for_a_person(queued, settings):
    settings.EMAIL_BACKEND = "tests.test_outbox.BrokenBackend"
    waits = []
    for attempt in range(1, OutboundEmail.MAX_ATTEMPTS + 1):
        started = timezone.now()
        assert outbound_email_send(pk=queued.pk) is False
        queued.refresh_from_db()
        assert queued.attempts == attempt
        if attempt < OutboundEmail.MAX_ATTEMPTS:
            assert queued.status == OutboundEmail.Status.FAILED
            waits.append(queued.next_attempt_at - started)
            _due_now(queued)
    assert [round(w.total_seconds() / 60) for w in waits] == [1, 5, 15, 60, 180, 360, 720, 720]
    assert timedelta(hours=24) < sum(waits, timedelta()) < timedelta(hours=48)
    assert queued.status == OutboundEmail.Status.GIVEN_UP and queued.next_attempt_at is None
    assert "refused" in queued.last_error
    assert outbox_due() == []  # the sweep leaves it to a person
    assert outbound_email_send(pk=queued.pk) is False


def test_a_setting_shortens_the_schedule(queued, settings):
    settings.OUTBOX_RETRY_DELAYS = [0, 0]
    assert retry_delays() == (timedelta(0), timedelta(0)) and max_attempts() == 3
    settings.EMAIL_BACKEND = "tests.test_outbox.BrokenBackend"
    for _ in range(3):
        assert outbound_email_send(pk=queued.pk) is False
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.GIVEN_UP and queued.attempts == 3


def test_send_again_starts_afresh_and_never_sends_twice(queued, settings):
    OutboundEmail.objects.filter(pk=queued.pk).update(
        status=OutboundEmail.Status.GIVEN_UP, attempts=OutboundEmail.MAX_ATTEMPTS, last_error="refused"
    )
    emails = OutboundEmail.objects.filter(pk=queued.pk)
    assert outbox_send_again(emails) == [queued.pk]
    assert outbox_send_again(emails) == []  # a second click: it is queued already
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.QUEUED and queued.attempts == 0
    assert outbound_email_send(pk=queued.pk) is True
    assert outbound_email_send(pk=queued.pk) is False
    assert outbox_send_again(emails) == []  # sent: left alone
    assert len(mail.outbox) == 1


def test_lost_tasks_and_dead_workers_are_swept(queued):
    assert outbox_due() == []  # just queued: its task has a minute to claim it
    old = timezone.now() - LOST_TASK_AFTER - timedelta(seconds=1)
    OutboundEmail.objects.filter(pk=queued.pk).update(next_attempt_at=old)
    assert outbox_due() == [queued.pk]  # queued over a minute ago and unclaimed: its task was lost
    stale = timezone.now() - STALE_CLAIM - timedelta(seconds=1)
    OutboundEmail.objects.filter(pk=queued.pk).update(status=OutboundEmail.Status.SENDING, claimed_at=stale)
    assert outbox_due() == [queued.pk]  # claimed by a worker that died
    assert outbound_email_send(pk=queued.pk) is True


def test_a_worker_that_died_on_the_last_attempt_leaves_the_email_for_a_person(queued):
    stale = timezone.now() - STALE_CLAIM - timedelta(seconds=1)
    OutboundEmail.objects.filter(pk=queued.pk).update(
        status=OutboundEmail.Status.SENDING, claimed_at=stale, attempts=OutboundEmail.MAX_ATTEMPTS
    )
    assert outbox_sweep_due() == []
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.GIVEN_UP and "worker" in queued.last_error


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


def test_a_sweep_sends_each_due_email_once_until_its_task_is_lost_too(queued, settings):
    settings.EMAIL_BACKEND = "tests.test_outbox.BrokenBackend"
    assert outbound_email_send(pk=queued.pk) is False
    _due_now(queued)
    assert outbox_sweep_due() == [queued.pk]
    assert outbox_sweep_due() == []  # the next sweep, a minute later: the task is on its way, no second copy
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.QUEUED and queued.attempts == 1
    _due_now(queued)
    assert outbox_sweep_due() == [queued.pk]  # that task was lost as well: sent once more
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbound_email_send(pk=queued.pk) is True
    assert outbound_email_send(pk=queued.pk) is False  # the lost task turns up after all: nothing twice
    assert len(mail.outbox) == 1
