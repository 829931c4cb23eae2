"""/healthz reports each part on its own (issue 15, points 2 and 4), and the sweeps' last runs are recorded by the
process that ran them, shown on /healthz and in the admin. The faults themselves: tests/test_faults_*.py."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from agreements.tasks import documents_sweep
from operations.models import SweepRun
from operations.sweeps import schedule, sweep_recorded
from tests import factories

pytestmark = pytest.mark.django_db


def all_recorded():
    for sweep in schedule():
        sweep_recorded(task=sweep.task, succeeded=True)


def test_every_part_is_reported_on_its_own_and_no_address_is_shown(client):
    all_recorded()
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok"
    assert report["database"] == report["cache"] == report["broker"] == {"status": "ok"}
    assert report["sweeps"]["status"] == "ok" and report["sweeps"]["last_run_age_seconds"] <= 5
    outbox = report["sweeps"]["each"]["outbox-sweep"]
    assert outbox["status"] == "ok" and outbox["age_seconds"] <= 5 and outbox["every_seconds"] == 60
    assert set(report["sweeps"]["each"]) == set(settings.CELERY_BEAT_SCHEDULE)
    # No URL, host or port of a service (a URL may hold a password).
    port = settings.REDIS_URL.rsplit(":", 1)[1].split("/")[0]
    assert "redis" not in response.text.lower() and port not in response.text and "127.0.0.1" not in response.text
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_sweep_that_never_ran_or_is_late_makes_the_portal_degraded_not_down(client):
    report = client.get("/healthz").json()  # a fresh database: no sweep has run yet
    assert report["status"] == "degraded" and report["sweeps"]["status"] == "late"
    assert report["sweeps"]["each"]["documents-sweep"]["status"] == "never"
    all_recorded()
    # The documents sweep ended three intervals ago: beat (or the workers) stopped.
    SweepRun.objects.filter(name="documents-sweep").update(finished_at=timezone.now() - timedelta(seconds=181))
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "degraded" and report["sweeps"]["status"] == "late"
    assert report["sweeps"]["each"]["documents-sweep"] == {"status": "late", "age_seconds": 181, "every_seconds": 60}
    assert report["sweeps"]["each"]["outbox-sweep"]["status"] == "ok"
    assert report["database"] == {"status": "ok"}


def test_a_sweep_records_its_end_where_it_runs_and_a_failed_run_too(monkeypatch):
    """The task itself (Celery's task_postrun signal), in the database; a failure keeps the last success's time."""
    assert documents_sweep.apply().successful()
    run = SweepRun.objects.get(name="documents-sweep")
    assert run.succeeded and run.task == "agreements.documents_sweep" and run.succeeded_at == run.finished_at
    assert timezone.now() - run.finished_at < timedelta(seconds=5)

    def broken():
        raise ConnectionError("the database went away")

    monkeypatch.setattr("agreements.signing.documents_due", broken)
    assert documents_sweep.apply(throw=False).failed()
    failed = SweepRun.objects.get(name="documents-sweep")
    assert not failed.succeeded and failed.error == "ConnectionError" and failed.succeeded_at == run.succeeded_at
    assert failed.finished_at > run.finished_at
    assert SweepRun.objects.count() == 1  # only the sweeps of the schedule, each once


def test_the_admin_warns_the_operator_of_a_late_sweep(client):
    all_recorded()
    SweepRun.objects.filter(name="outbox-sweep").update(finished_at=timezone.now() - timedelta(minutes=30))
    SweepRun.objects.filter(name="exports-sweep").delete()
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:operations_sweeprun_changelist"))
    assert page.status_code == 200
    assert "The sweep outbox-sweep last ran 30\xa0minutes ago, more than 2 times its interval" in page.text
    assert "The sweep exports-sweep has never run: is Celery beat running?" in page.text
    assert "documents-sweep" in page.text and "The sweep documents-sweep" not in page.text
