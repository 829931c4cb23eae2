"""The deadline sweep costs what is due, not what exists (issue 13, point 5): filled with SQL to tens of thousands of
agreements and their duties, the sweep with the same due items reads them through partial indexes (no sequential
scan of the agreements or the duties) and takes about the time it takes at two thousand."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from agreements.deadlines import sweep as sweep_module
from agreements.deadlines.sweep import sweep_run
from agreements.models import Agreement, Obligation, OutboundEmail, Reminder
from exhibits.models import Framework

S = Agreement.Status
K = Obligation.Kind
BIG_TABLES = ("agreements_agreement", "agreements_obligation")

# The rows a sweep has already handled, as it leaves them: agreements in effect with their end-of-term item (its next
# reminder day worked out), expired ones whose duties are met, drafts; none of them due today.
FILL = """
WITH made AS (
    INSERT INTO agreements_agreement (
        contract_start, contract_end, status, status_changed_at, kind, created_at, updated_at, contractor_id,
        framework_id, agency_id, public_copy_due, runs_until_terminated, posted_at, swept_status)
    SELECT %(today)s::date - 400, %(today)s::date + 200 + (i %% 900),
           CASE WHEN i %% 20 = 0 THEN 'draft' WHEN i %% 7 = 0 THEN 'expired' ELSE 'executed' END,
           now(), 'new', now(), now(), %(contractor)s, %(framework)s, %(agency)s, false, false,
           CASE WHEN i %% 20 = 0 THEN NULL ELSE now() END,
           CASE WHEN i %% 20 = 0 THEN 'draft' WHEN i %% 7 = 0 THEN 'expired' ELSE 'executed' END
    FROM generate_series(1, %(n)s) AS i
    RETURNING id, status, contract_end
)
INSERT INTO agreements_obligation (
    kind, title, owed_by, owed_to, rule, source, day_kind, clock_started_on, due_on, due_explanation, status,
    met_at, met_note, delay_reason, delay_note, created_at, agency_id, agreement_id, contractor_id, remind_on,
    remind_basis)
SELECT k.kind, 'Filled', 'district', 'District', '', 'DPA', 'calendar', %(today)s::date - 400, made.contract_end,
       '', CASE WHEN made.status = 'executed' THEN 'open' ELSE 'met' END,
       CASE WHEN made.status = 'executed' THEN NULL ELSE now() END, '', '', '', now(), %(agency)s, made.id,
       %(contractor)s,
       CASE WHEN made.status = 'executed' THEN made.contract_end - 90 END,
       CASE WHEN made.status = 'executed' THEN made.contract_end END
FROM made
JOIN (VALUES ('term_end', 'executed'), ('term_end', 'expired'), ('return_destroy', 'expired')) AS k(kind, status)
  ON k.status = made.status
"""


def fill(n: int, *, agency, contractor, framework, today) -> None:
    with connection.cursor() as cursor:
        params = {"n": n, "today": today, "agency": agency.pk, "contractor": contractor.pk, "framework": framework}
        cursor.execute(FILL, params)
        cursor.execute("ANALYZE agreements_agreement; ANALYZE agreements_obligation")


def make_due(agreements, *, today, reminders: int, ended: int) -> None:
    """`reminders` agreements whose term ends in a week (their 7-day reminder is due), `ended` that ended yesterday."""
    ids = list(agreements.filter(status=S.EXECUTED).order_by("pk").values_list("pk", flat=True)[: reminders + ended])
    soon, gone = ids[:reminders], ids[reminders:]
    Agreement.objects.filter(pk__in=soon).update(contract_end=today + timedelta(days=7))
    Obligation.objects.filter(agreement__in=soon, kind=K.TERM_END).update(
        due_on=today + timedelta(days=7), remind_on=today - timedelta(days=23), remind_basis=today + timedelta(days=7)
    )
    Agreement.objects.filter(pk__in=gone).update(contract_end=today - timedelta(days=1))


def timed_sweep(today) -> tuple[float, object]:
    start = time.perf_counter()
    result = sweep_run(today=today)
    return time.perf_counter() - start, result


def seq_scans(plans) -> list[str]:
    return [
        f"{name}: {line.strip()}"
        for name, plan in plans
        for line in plan.splitlines()
        if "Seq Scan" in line and any(table in line for table in BIG_TABLES)
    ]


@pytest.mark.django_db(transaction=False)
def test_the_sweep_reads_what_is_due_not_what_exists(catalogues, district, vendor, district_admin, vendor_editor):
    today = timezone.localdate()
    framework = Framework.objects.order_by("pk").values_list("pk", flat=True).first()
    rows = {"agency": district, "contractor": vendor, "framework": framework, "today": today}

    # Small: 2,000 agreements, 60 reminders due and 10 agreements to expire.
    fill(2_000, **rows)
    first = set(Agreement.objects.values_list("pk", flat=True))
    make_due(Agreement.objects.filter(pk__in=first), today=today, reminders=60, ended=10)
    small, result = timed_sweep(today)
    assert len(result.reminders) == 60 and len(result.expired) == 10, result
    assert sweep_run(today=today).reminders == []  # sent once

    # Large: 50,000 more, and the same due items among the new ones.
    fill(50_000, **rows)
    make_due(Agreement.objects.exclude(pk__in=first), today=today, reminders=60, ended=10)
    plans = sweep_module.sweep_plans(today)
    large, result = timed_sweep(today)
    assert len(result.reminders) == 60 and len(result.expired) == 10, result
    print(f"\nsweep with 70 due items: {small:.3f} s at 2,000 agreements, {large:.3f} s at 52,000")
    for name, plan in plans:
        print(f"--- {name}\n{plan}")

    # Each step reads its rows through an index: no sequential scan of the agreements or of the duties.
    assert {name for name, _ in plans} >= {"expire", "pending", "overdue", "reminders due", "reminders to work out"}
    assert not seq_scans(plans), seq_scans(plans)
    # And it takes about the time it took at 2,000 (generous: a shared machine is noisy).
    assert large < 3 * small + 0.5, (small, large)
    assert Reminder.objects.count() == 120
    assert OutboundEmail.objects.filter(template="deadline_expired").count() == 20
