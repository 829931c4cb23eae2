"""A real Celery round trip: a task enqueued on Redis, run by a worker process that the test starts and stops."""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from agreements.tasks import ping
from dpa_portal.celery import app

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database), for the worker."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@contextmanager
def running_worker(tmp_path, pool: str = "solo", extra_env: dict | None = None):
    """A Celery worker in its own process on the test database and Redis, stopped afterwards: (process, log path).

    `pool`: "solo" runs each task in the worker's process; "prefork" (Celery's default, and production's) in a child
    process, which is what enforces the tasks' time limits (issue 10). `extra_env`: more of the worker's environment
    (e.g. DJANGO_EMAIL_PORT for a mail server that is down, issue 15)."""
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "make test runs the suite with REDIS_URL set"
    assert connection.vendor == "postgresql"
    # Earlier transactional tests may have queued tasks after their commits; this worker must not inherit them.
    app.control.purge()
    name = f"test-{uuid.uuid4().hex[:8]}@localhost"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "dpa_portal.settings",
        "DPA_SEAL_P12": settings.DPA_SEAL_P12,  # the test session's sealing certificate
        "DPA_SEAL_P12_PASSPHRASE": settings.DPA_SEAL_P12_PASSPHRASE,
        **(extra_env or {}),
    }
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "dpa_portal",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-n",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not any(name in reply for reply in app.control.ping(destination=[name], timeout=0.5) or []):
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the worker did not answer within 60 s:\n" + log.read_text()
        yield worker, log
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    with running_worker(tmp_path) as worker:
        yield worker


def test_task_runs_in_the_worker_against_the_database(celery_worker, agreement):
    worker, log = celery_worker
    assert not app.conf.task_always_eager
    token = uuid.uuid4().hex
    result = ping.apply_async(args=[token])
    assert result.get(timeout=30) == {"token": token, "agreements": 1}
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    # The worker's own log shows that it, not this process, ran the task.
    assert f"Task agreements.ping[{result.id}] succeeded" in log.read_text()


def test_outbox_email_is_sent_by_the_worker_after_commit(celery_worker, agreement):
    """email_enqueue inside a transaction: the worker sends it only once the transaction commits."""
    from django.db import transaction

    from agreements.mail import email_enqueue
    from agreements.models import OutboundEmail

    _, log = celery_worker
    with transaction.atomic():
        email = email_enqueue(to=["vendor@example.org"], template="approved", context={"agreement": agreement})
    deadline = time.monotonic() + 30
    while OutboundEmail.objects.get(pk=email.pk).status != OutboundEmail.Status.SENT:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    assert "Task agreements.send_outbound_email" in log.read_text()
