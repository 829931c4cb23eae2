"""The outbox against a real mail server that is down, then back (issue 15.1 and 15.5): a real Celery worker whose SMTP
points at a closed port; the sweep is driven past every attempt of the schedule (each attempt made due by moving its
time, not by waiting for it); the e-mails are left for a person; a small SMTP server then listens on that port, they
are sent again, and each arrives exactly once however many sweeps and clicks follow."""

import socket
import socketserver
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.utils import timezone

from agreements.mail import email_enqueue, outbox_send_again
from agreements.models import OutboundEmail
from agreements.tasks import outbox_sweep
from tests.test_celery import running_worker

S = OutboundEmail.Status
RECIPIENTS = ["one@example.org", "two@example.org", "three@example.org"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 fake ESMTP")
        recipients = []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self.reply("250-fake")
                self.reply("250 8BITMIME")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(data)
                self.server.received.append((tuple(recipients), b"".join(body)))
                recipients = []
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # HELO, MAIL, RSET, NOOP
                self.reply("250 OK")


@contextmanager
def smtp_server(port: int):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), SMTPHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.received
    finally:
        server.shutdown()
        server.server_close()


def wait_for(condition, log, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, log.read_text()[-4000:]
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_smtp_down_past_every_retry_then_back_sends_each_email_once(tmp_path, agreement):
    port = free_port()  # nothing listens here until the mail server "comes back"
    smtp = {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(port),
    }
    with running_worker(tmp_path, extra_env=smtp) as (_, log):
        # Committed at once (no transaction here), so each task goes to the worker straight away.
        emails = [
            email_enqueue(to=[to], template="approved", context={"agreement": agreement}, agreement=agreement)
            for to in RECIPIENTS
        ]
        rows = OutboundEmail.objects.filter(pk__in=[e.pk for e in emails])

        def all_at(attempts, status):
            return list(rows.values_list("attempts", "status")) == [(attempts, status)] * len(emails)

        wait_for(lambda: all_at(1, S.FAILED), log)  # the first attempt, by the task email_enqueue queued
        assert all("ConnectionRefusedError" in r.last_error for r in rows)
        assert outbox_sweep() == 0  # not due yet: the task did not retry, and the sweep waits for the schedule
        for attempt in range(2, OutboundEmail.MAX_ATTEMPTS + 1):
            rows.update(next_attempt_at=timezone.now() - timedelta(seconds=1))  # as if the wait had passed
            assert outbox_sweep() == len(emails)
            status = S.GIVEN_UP if attempt == OutboundEmail.MAX_ATTEMPTS else S.FAILED
            wait_for(lambda attempt=attempt, status=status: all_at(attempt, status), log)
        # Every attempt failed: left for a person, and no sweep sends them again by itself.
        assert all(r.next_attempt_at is None and r.last_error for r in rows)
        rows.update(claimed_at=timezone.now() - timedelta(days=1))
        assert outbox_sweep() == 0

        with smtp_server(port) as received:
            assert len(outbox_send_again(rows)) == len(emails)  # the admin's or the district's "Send again"
            wait_for(lambda: all_at(1, S.SENT), log)
            # More clicks and sweeps after the sending: nothing goes twice.
            assert outbox_send_again(rows) == []
            for _ in range(3):
                assert outbox_sweep() == 0
            time.sleep(0.5)  # anything a duplicate task would send has had time to arrive
        delivered = sorted(to for recipients, _ in received for to in recipients)
        assert delivered == sorted(RECIPIENTS)  # each e-mail exactly once
        subjects = {" ".join(message_from_bytes(body)["Subject"].split()) for _, body in received}
        assert subjects == {emails[0].subject}
        assert "Task agreements.send_outbound_email" in log.read_text()
