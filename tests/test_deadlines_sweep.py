"""The deadline sweep against PostgreSQL from several connections: two sweeps racing send each e-mail exactly once,
and the sweep runs in a real Celery worker."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from agreements.deadlines import services
from agreements.deadlines import sweep as sweep_module
from agreements.deadlines.sweep import sweep_run
from agreements.deadlines.tasks import deadlines_sweep
from agreements.models import Agreement, Obligation, OutboundEmail, Reminder, StatusChange
from dpa_portal.celery import app

from .public_helpers import make_agreement
from .test_celery import celery_worker  # noqa: F401 (a fixture)
from .test_deadlines import breach_facts

S = Agreement.Status
K = Obligation.Kind


@pytest.fixture
def due_work(transactional_db, catalogues, district, district_admin, vendor, vendor_editor, other_district):
    """Agreements ending soon, two that ended yesterday, and a breach's duties due in three days: work for a sweep."""
    assert connection.vendor == "postgresql"
    today = timezone.localdate()
    ending = [make_agreement(agency=district, contractor=vendor) for _ in range(6)]
    Agreement.objects.filter(pk__in=[a.pk for a in ending]).update(contract_end=today + timedelta(days=7))
    ended = [make_agreement(agency=other_district, contractor=vendor) for _ in range(2)]
    Agreement.objects.filter(pk__in=[a.pk for a in ended]).update(contract_end=today - timedelta(days=1))
    report = services.breach_report_file(
        contractor=vendor, actor=vendor_editor, agreements=[ending[0]], **breach_facts(today)
    )
    Obligation.objects.filter(breach_report=report, kind=K.BREACH_NYSED).update(due_on=today + timedelta(days=3))
    OutboundEmail.objects.all().delete()
    return today, ending, ended


def test_two_sweeps_racing_send_each_email_exactly_once(due_work, monkeypatch):
    today, ending, ended = due_work
    barrier = threading.Barrier(2)
    results, errors, attempts = [], [], []
    claim = sweep_module._claim

    def slow_claim(obligation_id, kind):
        # Hold each claim's transaction open a moment, so that the other sweep reaches the same row meanwhile.
        claimed = claim(obligation_id, kind)
        attempts.append((obligation_id, kind, claimed is not None))
        time.sleep(0.1)
        return claimed

    monkeypatch.setattr(sweep_module, "_claim", slow_claim)

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(sweep_run(today=today))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == 2

    # Both sweeps tried to claim the same reminders; the database let one of each pair through.
    assert len(attempts) > 7 and any(not won for *_, won in attempts)
    assert sum(won for *_, won in attempts) == 7
    # 6 term-end reminders (7 days before) and 1 NYSED report reminder (3 days before), claimed once each.
    claimed = [r for result in results for r in result.reminders]
    assert len(claimed) == len(set(claimed)) == 7
    assert Reminder.objects.count() == 7
    reminders = OutboundEmail.objects.filter(template="deadline_reminder")
    assert reminders.count() == 7
    assert set(Reminder.objects.values_list("email", flat=True)) == set(reminders.values_list("pk", flat=True))
    # The two ended agreements expired once each: one status change, one return-or-destroy duty, one e-mail.
    assert sorted(pk for result in results for pk in result.expired) == sorted(a.pk for a in ended)
    for agreement in ended:
        assert StatusChange.objects.filter(agreement=agreement, to_status=S.EXPIRED).count() == 1
        assert Obligation.objects.filter(agreement=agreement, kind=K.RETURN_DESTROY).count() == 1
    assert OutboundEmail.objects.filter(template="deadline_expired").count() == 2
    # One end-of-term item per agreement still in effect, however many sweeps opened them.
    assert Obligation.objects.filter(kind=K.TERM_END).count() == len(ending)
    # And a third sweep finds nothing left to send.
    assert sweep_run(today=today).reminders == []


def test_the_sweep_runs_in_a_real_worker(celery_worker, due_work):  # noqa: F811
    _, log = celery_worker
    _, _, ended = due_work
    assert not app.conf.task_always_eager
    outcome = deadlines_sweep.apply_async().get(timeout=60)
    assert sorted(outcome["expired"]) == sorted(a.pk for a in ended)
    assert len(outcome["reminders"]) == 7
    assert Reminder.objects.count() == 7
    # The reminders' e-mails leave the outbox through the same worker, once each.
    deadline = time.monotonic() + 30
    sent = OutboundEmail.objects.filter(template="deadline_reminder", status=OutboundEmail.Status.SENT)
    while sent.count() < 7:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    assert "Task agreements.deadlines_sweep" in log.read_text()
    assert deadlines_sweep.apply_async().get(timeout=60)["reminders"] == []
