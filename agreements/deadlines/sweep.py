"""The periodic sweep (Celery beat, agreements.deadlines_sweep): expire ended agreements, open what the end of a
term opens, mark overdue duties, send reminders before due dates and escalate overdue duties to the district admins.

Exactly once: each reminder is claimed by inserting its (obligation, kind) row with INSERT ... ON CONFLICT DO NOTHING
RETURNING id, in the same transaction as the outbox row of its e-mail. Of two sweeps racing, the second one's insert
waits for the first one's transaction and then inserts nothing, so it sends nothing; if the first one fails before
committing, neither the claim nor the e-mail exists and the next sweep tries again. The outbox sends each e-mail
once and retries a failed one (agreements.mail).

The sweep costs what is due, not what exists (issue 13): each step reads its rows through a partial index that holds
only what may need work, so that its time at a million agreements is its time at ten thousand for the same work.

- expiry: executed agreements by the end of their term (agreement_executed_end);
- opening and closing the duties that follow a change of status: the agreements whose status differs from the one
  the sweep last handled (Agreement.swept_status, agreement_sweep_pending), whatever path changed it;
- overdue: open duties by due date (obligation_status_due);
- reminders: open duties whose next reminder day (Obligation.remind_on, worked out by the sweep) has come
  (obligation_remind_on), and those whose day is still to be worked out for their due date (obligation_remind_stale).

Each reads at most a batch; more than a batch waiting (after a migration, an import, a database loaded with SQL) is
first settled in one SQL statement each, so that only what needs work is read into Python. `sweep_plans` shows the
plan PostgreSQL chooses for each step. The number of queries does not depend on how many
agreements or duties are not due, and the recipients of all reminders are read in two queries.
"""

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from exhibits.public.services import public_pages_held
from vendors.models import ContractorMembership

from ..mail import email_enqueue, outbox_due_query
from ..models import Agreement, DistrictMembership, StatusChange, statuses
from . import rules
from .models import DEFAULT_TERM_REMINDERS, REMIND_DUE, REMIND_STALE, DeadlinePolicy, Obligation, Reminder
from .services import agreement_expire, return_destroy_obligation, term_end_obligation

log = logging.getLogger(__name__)
S = Agreement.Status
K = Obligation.Kind
OPEN = Obligation.OPEN_STATUSES


# At most this many agreements whose status changed, and duties whose reminder day is to be worked out, per sweep:
# after a migration or a bulk import the rest wait for the next sweep (soonest due first), and a sweep stays short.
PENDING_BATCH = 5_000
STALE_BATCH = 10_000


@dataclass
class SweepResult:
    expired: list[int] = field(default_factory=list)
    opened: int = 0
    marked_overdue: int = 0
    cancelled: int = 0
    reminders: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def sweep_run(*, today: date | None = None) -> SweepResult:
    today = today or timezone.localdate()
    result = SweepResult()
    _expire_ended(today, result)
    pending = _pending()
    if len(pending) == PENDING_BATCH:
        pending = _settle_agreements()
    if pending:
        _open_missing(pending, result)
        _cancel_orphaned(pending, result)
        _mark_handled(pending)
    result.marked_overdue = _overdue_now(today).update(status=Obligation.Status.OVERDUE)
    _remind(today, result)
    return result


# Each step's rows, as a query of its own, so that sweep_plans shows the plan of exactly what the sweep runs.


# The steps that read rows to work on read their ids first, from the partial index alone, then the rows by id with
# what they need beside them: a plan with the joins of select_related may otherwise prefer a scan of the whole table
# when the statistics are old (PostgreSQL cannot tell how few rows a partial index holds until it analyzes it).


def _ended(today: date):
    ended = Agreement.objects.filter(status=S.EXECUTED, contract_end__lt=today)  # index agreement_executed_end
    return ended.order_by("pk").values_list("pk", flat=True)


def _pending_agreements():
    return Agreement.objects.filter(~Q(status=F("swept_status")))  # index agreement_sweep_pending


def _overdue_now(today: date):
    return Obligation.objects.filter(status=Obligation.Status.OPEN, due_on__lt=today)  # index obligation_status_due


REMINDER_RELATED = ("agency__deadline_policy", "contractor", "agreement", "parent_request", "breach_report")


def _reminders_due(today: date):
    due = Obligation.objects.filter(REMIND_DUE, remind_on__lte=today)  # index obligation_remind_on
    return due.values_list("pk", flat=True)


def _reminders_stale():
    # Above all here: PostgreSQL cannot tell how few rows this condition leaves (two columns compared).
    stale = Obligation.objects.filter(REMIND_STALE).order_by("due_on", "pk")  # index obligation_remind_stale
    return stale.values_list("pk", flat=True)[:STALE_BATCH]


def _expire_ended(today: date, result: SweepResult) -> None:
    """Executed agreements past the last day of their term become expired (one query when none is). Their districts'
    public pages are invalidated once at the end, not once per agreement."""
    ids = list(_ended(today))
    if not ids:
        return
    ended = list(Agreement.objects.filter(pk__in=ids).select_related("agency__deadline_policy", "contractor"))
    with public_pages_held(*sorted({agreement.agency.slug for agreement in ended})):
        for agreement in ended:
            try:
                if agreement_expire(agreement=agreement):
                    result.expired.append(agreement.pk)
            except Exception:  # one agreement's failure must not stop the others; the next sweep tries it again
                log.exception("Could not expire agreement %s", agreement.pk)


def _pending() -> dict[int, str]:
    """The agreements whose status changed since the sweep last handled them (any status, by any path: the partial
    index follows the row), with the status read now."""
    rows = _pending_agreements().order_by("pk").values_list("pk", "status")[:PENDING_BATCH]
    return dict(rows)


def _has(kind: str) -> Exists:
    return Exists(Obligation.objects.filter(agreement=OuterRef("pk"), kind=kind))


def _term_end_missing(ids: list[int]):
    return (
        Agreement.objects.filter(pk__in=ids, status=S.EXECUTED)
        .filter(Q(contract_end__isnull=False) | Q(review_on__isnull=False))
        .filter(~_has(K.TERM_END))
        .select_related("agency", "contractor")
        .order_by("pk")  # the same order in every sweep, so that two inserting at once never deadlock
    )


def _return_destroy_missing(ids: list[int]):
    renewed = Exists(Agreement.objects.filter(previous=OuterRef("pk"), status__in=statuses.POSTED))
    # The transition into its status, not a later line that changes none (services.term.timeline_note).
    ended_on = (
        StatusChange.objects.filter(agreement=OuterRef("pk"), to_status=OuterRef("status"))
        .exclude(from_status=OuterRef("status"))
        .order_by("-created_at")
    )
    return (
        Agreement.objects.filter(pk__in=ids, status__in=statuses.ENDED)
        .filter(~_has(K.RETURN_DESTROY), ~renewed)
        .order_by("pk")
        .annotate(ended_at=Subquery(ended_on.values("created_at")[:1]))
        .select_related("agency__deadline_policy", "contractor")
    )


def _term_end_orphaned(ids: list[int]):
    return Obligation.objects.filter(agreement__in=ids, kind=K.TERM_END, status__in=OPEN).exclude(
        agreement__status=S.EXECUTED
    )


def _open_missing(pending: dict[int, str], result: SweepResult) -> None:
    """The end-of-term item of each executed agreement with an end date, and the return-or-destroy duty of each
    agreement terminated (or expired outside the sweep) that has none yet, among those whose status changed. A unique
    constraint keeps a racing sweep from opening a second one."""
    ids = list(pending)
    executed = [pk for pk in ids if pending[pk] == S.EXECUTED]
    new = [term_end_obligation(a) for a in _term_end_missing(executed)] if executed else []
    ended = [pk for pk in ids if pending[pk] in statuses.ENDED]
    for agreement in _return_destroy_missing(ended) if ended else []:
        day = agreement.contract_end if agreement.status == S.EXPIRED and agreement.contract_end else None
        day = day or timezone.localdate(agreement.ended_at or timezone.now())
        new.append(return_destroy_obligation(agreement, ended_on=day, agency=agreement.agency))
    if new:
        result.opened = len(Obligation.objects.bulk_create(new, ignore_conflicts=True))


def _cancel_orphaned(pending: dict[int, str], result: SweepResult) -> None:
    """An end-of-term item whose agreement ended otherwise (terminated, say) has nothing left to remind of; a
    return-or-destroy duty whose agreement was closed outside the portal (an operator recording a certificate received
    on paper) is met by that closing. Both follow a change of the agreement's status, so only those are read."""
    ids = list(pending)
    result.cancelled = _term_end_orphaned(ids).update(status=Obligation.Status.CANCELLED)
    closed = [pk for pk in ids if pending[pk] == S.CLOSED]
    if closed:
        Obligation.objects.filter(
            agreement__in=closed, kind=K.RETURN_DESTROY, status__in=OPEN, agreement__status=S.CLOSED
        ).update(status=Obligation.Status.MET, met_at=timezone.now(), met_note="The agreement was closed.")


def _mark_handled(pending: dict[int, str]) -> None:
    """The agreements handled leave the pending index, each in the status it was handled in: one whose status changed
    again meanwhile stays for the next sweep."""
    by_status: dict[str, list[int]] = {}
    for pk, status in pending.items():
        by_status.setdefault(status, []).append(pk)
    handled = Q()
    for status, ids in by_status.items():
        handled |= Q(pk__in=ids, status=status)
    Agreement.objects.filter(handled).update(swept_status=F("status"))


# --- reminders --------------------------------------------------------------------------------------------------


def reminder_due(obligation: Obligation, today: date, term_offsets=None) -> str | None:
    """The reminder this duty is due for today, if any: "overdue" once it is late, else "before:N" for the smallest
    offset N with days left <= N (each offset's window runs down to the next smaller one)."""
    if obligation.due_on is None:
        return None
    left = (obligation.due_on - today).days
    # A delayed notice's review date (121.10(e)) moves at each review: its reminders are per date, so the next review
    # is reminded again.
    review = f":{obligation.due_on:%Y%m%d}" if obligation.delay_under_review else ""
    if left < 0:
        return f"overdue{review}"
    for offset in _offsets(obligation, term_offsets):
        if left <= offset:
            return f"before:{offset}{review}"
    return None


def _offsets(obligation: Obligation, term_offsets=None) -> list[int]:
    if obligation.kind == K.TERM_END:
        return sorted(term_offsets or DEFAULT_TERM_REMINDERS)
    return sorted(rules.RULES[obligation.kind].reminders)


def next_reminder_day(obligation: Obligation, today: date, term_offsets=None) -> date | None:
    """The first day after today on which the reminder this duty is due for changes (a smaller offset's window opens,
    or it becomes late), so that the sweep reads it again then and not before; None when nothing more comes unless its
    due date moves (which puts it back in the sweep's index)."""
    if obligation.due_on is None:
        return None
    days = [obligation.due_on - timedelta(days=n) for n in _offsets(obligation, term_offsets)]
    later = [day for day in [*days, obligation.due_on + timedelta(days=1)] if day > today]
    return min(later) if later else None


def _remind(today: date, result: SweepResult) -> None:
    # Only duties whose reminder day has come, and those whose day is still to be worked out (new, or their due date
    # moved): the rest are never read, however many are open (issue 13).
    related = REMINDER_RELATED
    stale = list(_reminders_stale())
    if len(stale) == STALE_BATCH:
        stale = _settle_duties(today)
    ids = {*_reminders_due(today), *stale}
    if not ids:
        return
    candidates = {o.pk: o for o in Obligation.objects.filter(pk__in=ids).select_related(*related)}
    sent = set(Reminder.objects.filter(obligation__in=list(candidates)).values_list("obligation", "kind"))
    due = []
    for obligation in sorted(candidates.values(), key=lambda o: (o.due_on or date.max, o.pk)):
        policy = getattr(obligation.agency, "deadline_policy", None)
        offsets = policy.reminders if policy else None
        kind = reminder_due(obligation, today, offsets)
        if kind and (obligation.pk, kind) not in sent:
            due.append((obligation, kind))
        obligation.remind_basis = obligation.due_on
        obligation.remind_on = next_reminder_day(obligation, today, offsets)
    if due:
        admins, vendors = _recipients({o.agency_id for o, _ in due}, {o.contractor_id for o, _ in due})
    for obligation, kind in due:
        try:
            with transaction.atomic():
                reminder_id = _claim(obligation.pk, kind)
                if reminder_id is None:
                    continue  # another sweep claimed it, and sends its e-mail
                email = email_enqueue(
                    to=_to(obligation, kind, admins, vendors),
                    template="deadline_overdue" if kind.startswith("overdue") else "deadline_reminder",
                    agreement=obligation.agreement,
                    context={"obligation": obligation, "days_left": (obligation.due_on - today).days, "today": today},
                )
                if email is not None:
                    Reminder.objects.filter(pk=reminder_id).update(email=email)
        except Exception:  # one bad reminder must not stop the others; unclaimed, it is tried again next time
            log.exception("Could not send the %s reminder of obligation %s", kind, obligation.pk)
            obligation.remind_on = today
            continue
        result.reminders.append((obligation.pk, kind))
    # One statement for all: only the two columns the sweep owns, with the due date each was worked out for (a due
    # date moved meanwhile still differs from it, so the duty is read again).
    Obligation.objects.bulk_update(candidates.values(), ["remind_on", "remind_basis"])


def _claim(obligation_id: int, kind: str) -> int | None:
    """Insert the (obligation, kind) reminder row unless it exists: its id if this call inserted it, else None."""
    table = Reminder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (obligation_id, kind, claimed_at) VALUES (%s, %s, %s) "  # noqa: S608 (table name)
            "ON CONFLICT (obligation_id, kind) DO NOTHING RETURNING id",
            [obligation_id, kind, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _recipients(agency_ids, contractor_ids) -> tuple[dict, dict]:
    admins: dict[int, list[str]] = {}
    for agency_id, email in DistrictMembership.objects.filter(
        agency__in=agency_ids, role=DistrictMembership.Role.ADMIN
    ).values_list("agency_id", "user__email"):
        admins.setdefault(agency_id, []).append(email)
    vendors: dict[int, list[str]] = {}
    for contractor_id, email in ContractorMembership.objects.filter(
        contractor__in=[c for c in contractor_ids if c]
    ).values_list("contractor_id", "user__email"):
        vendors.setdefault(contractor_id, []).append(email)
    return admins, vendors


def _to(obligation: Obligation, kind: str, admins: dict, vendors: dict) -> list[str]:
    """Who hears: the party that owes the duty; an overdue duty is escalated to the district's admins as well; the
    end of a term concerns both sides."""
    district = admins.get(obligation.agency_id, [])
    vendor = vendors.get(obligation.contractor_id, []) if obligation.contractor_id else []
    if obligation.kind == K.TERM_END:
        return district + vendor
    if obligation.owed_by == Obligation.Party.VENDOR:
        return vendor + (district if kind.startswith("overdue") else [])
    return district


# --- a backlog: after a migration, an import or a database loaded with SQL ----------------------------------------
# More than a batch is waiting: what needs nothing is settled in one statement each, in SQL, so that the sweep goes on
# with only what needs work (read in batches as above) instead of reading every row into Python.


def _settle_agreements() -> dict[int, str]:
    """The agreements whose status changed and that need nothing of the sweep count as handled; the rest, pending."""
    executed, ended, closed = Q(status=S.EXECUTED), Q(status__in=statuses.ENDED), Q(status=S.CLOSED)
    renewed = Exists(Agreement.objects.filter(previous=OuterRef("pk"), status__in=statuses.POSTED))
    open_ = lambda kind: Exists(Obligation.objects.filter(agreement=OuterRef("pk"), kind=kind, status__in=OPEN))  # noqa: E731
    needs = (
        (executed & (Q(contract_end__isnull=False) | Q(review_on__isnull=False)) & ~_has(K.TERM_END))
        | (ended & ~_has(K.RETURN_DESTROY) & ~renewed)
        | (~executed & open_(K.TERM_END))
        | (closed & open_(K.RETURN_DESTROY))
    )
    _pending_agreements().exclude(needs).update(swept_status=F("status"))
    return _pending()


SETTLE_DUTIES = """
UPDATE {obligation} o SET remind_basis = o.due_on, remind_on = CASE
        -- A delayed notice's reminders are per review date: the sweep works those out itself, today.
        WHEN o.kind = 'breach_parents' AND o.delay_reason IN ('law_enforcement', 'vulnerability')
             AND o.delay_ended_on IS NULL THEN %(today)s
        -- The reminder of the window it is in today is not sent yet: today.
        WHEN now_.kind IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {reminder} r WHERE r.obligation_id = o.id AND r.kind = now_.kind) THEN %(today)s
        ELSE next_.day END
FROM {obligation} d
LEFT JOIN {policy} p ON p.agency_id = d.agency_id
CROSS JOIN LATERAL (
    SELECT ARRAY(SELECT jsonb_array_elements_text(CASE
        WHEN d.kind = 'term_end' AND jsonb_array_length(coalesce(p.term_reminder_days, '[]'::jsonb)) > 0
        THEN p.term_reminder_days ELSE coalesce(%(offsets)s::jsonb -> d.kind, '[]'::jsonb) END)::int) AS offsets
) k
CROSS JOIN LATERAL (
    SELECT CASE WHEN d.due_on < %(today)s THEN 'overdue'
                ELSE (SELECT 'before:' || min(n) FROM unnest(k.offsets) n WHERE n >= d.due_on - %(today)s) END AS kind
) now_
CROSS JOIN LATERAL (
    SELECT min(day) AS day FROM (
        SELECT d.due_on - n AS day FROM unnest(k.offsets) n UNION ALL SELECT d.due_on + 1) days
    WHERE day > %(today)s
) next_
WHERE o.id = d.id
  -- REMIND_STALE, as its partial index reads it
  AND d.status IN ('open', 'overdue') AND NOT d.kind = 'breach_notice' AND d.due_on IS NOT NULL
  AND (d.remind_basis IS NULL OR d.remind_basis < d.due_on OR d.remind_basis > d.due_on)
"""


def _settle_duties(today: date) -> list[int]:
    """Every duty whose reminder day is to be worked out gets it in one statement, as _remind and reminder_due would
    (the day its next reminder is due, or today when the reminder of the window it is in today is not sent yet); the
    ids of any left to work out."""
    offsets = {kind: list(rule.reminders) for kind, rule in rules.RULES.items()}
    offsets[K.TERM_END] = list(DEFAULT_TERM_REMINDERS)
    sql = SETTLE_DUTIES.format(
        obligation=Obligation._meta.db_table, reminder=Reminder._meta.db_table, policy=DeadlinePolicy._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"today": today, "offsets": json.dumps(offsets)})
    return list(_reminders_stale())


# --- the plans, for the benchmark -----------------------------------------------------------------------------------


def sweep_plans(today: date | None = None) -> list[tuple[str, str]]:
    """(step, EXPLAIN ANALYZE text) for each query the sweep reads its rows with, as it would run them `today`: what
    shows that it costs what is due, not what exists (index scans on the partial indexes above, no sequential scan of
    the agreements or the duties). For the statewide benchmark (bench/) and tests/test_sweep_scale.py:

        from agreements.deadlines.sweep import sweep_plans
        for name, plan in sweep_plans(today):
            print(name, plan, sep="\n")

    Read-only: the statements are run inside a transaction that is rolled back. The steps that follow a change of
    status are shown for the agreements pending now.
    """
    today = today or timezone.localdate()
    pending = list(_pending()) or [0]  # none pending: the plan of the same statement for one id that is none
    steps = [
        ("expire", _ended(today)),
        ("pending", _pending_agreements().order_by("pk").values_list("pk", "status")[:PENDING_BATCH]),
        ("term-end items to open", _term_end_missing(pending)),
        ("return-or-destroy duties to open", _return_destroy_missing(pending)),
        ("term-end items to cancel", _term_end_orphaned(pending)),
        ("overdue", _overdue_now(today)),
        ("reminders due", _reminders_due(today)),
        ("reminders to work out", _reminders_stale()),
        ("outbox", outbox_due_query()),
    ]
    plans = []
    with transaction.atomic():
        for name, query in steps:
            plans.append((name, query.explain(analyze=True)))
        transaction.set_rollback(True)
    return plans
