"""The periodic sweep (Celery beat, agreements.deadlines_sweep): expire ended agreements, open what the end of a
term opens, mark overdue duties, send reminders before due dates and escalate overdue duties to the district admins.

Exactly once: each reminder is claimed by inserting its (obligation, kind) row with INSERT ... ON CONFLICT DO NOTHING
RETURNING id, in the same transaction as the outbox row of its e-mail. Of two sweeps racing, the second one's insert
waits for the first one's transaction and then inserts nothing, so it sends nothing; if the first one fails before
committing, neither the claim nor the e-mail exists and the next sweep tries again. The outbox sends each e-mail
once and retries a failed one (agreements.mail).

The number of queries does not depend on how many agreements or duties are not due: each step selects only the
rows that need work, and the recipients of all reminders are read in two queries.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from vendors.models import ContractorMembership

from ..mail import email_enqueue
from ..models import Agreement, DistrictMembership, StatusChange, statuses
from . import rules
from .models import DEFAULT_TERM_REMINDERS, MAX_REMINDER_DAYS, DeadlinePolicy, Obligation, Reminder
from .services import agreement_expire, return_destroy_obligation, term_end_obligation

log = logging.getLogger(__name__)
S = Agreement.Status
K = Obligation.Kind
OPEN = Obligation.OPEN_STATUSES


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
    _open_missing(result)
    _cancel_orphaned(result)
    result.marked_overdue = Obligation.objects.filter(status=Obligation.Status.OPEN, due_on__lt=today).update(
        status=Obligation.Status.OVERDUE
    )
    _remind(today, result)
    return result


def _expire_ended(today: date, result: SweepResult) -> None:
    """Executed agreements past the last day of their term become expired (one query when none is)."""
    ended = Agreement.objects.filter(status=S.EXECUTED, contract_end__lt=today).select_related(
        "agency__deadline_policy", "contractor"
    )
    for agreement in ended:
        try:
            if agreement_expire(agreement=agreement):
                result.expired.append(agreement.pk)
        except Exception:  # one agreement's failure must not stop the others; the next sweep tries it again
            log.exception("Could not expire agreement %s", agreement.pk)


def _open_missing(result: SweepResult) -> None:
    """The end-of-term item of each executed agreement with an end date, and the return-or-destroy duty of each
    agreement terminated (or expired outside the sweep) that has none yet. A unique constraint keeps a racing sweep
    from opening a second one."""
    has = lambda kind: Exists(Obligation.objects.filter(agreement=OuterRef("pk"), kind=kind))  # noqa: E731
    renewed = Exists(Agreement.objects.filter(previous=OuterRef("pk"), status__in=statuses.POSTED))
    new = [
        term_end_obligation(a)
        for a in Agreement.objects.filter(status=S.EXECUTED)
        .filter(Q(contract_end__isnull=False) | Q(review_on__isnull=False))
        .filter(~has(K.TERM_END))
        .select_related("agency", "contractor")
        .order_by("pk")  # the same order in every sweep, so that two inserting at once never deadlock
    ]
    # The transition into its status, not a later line that changes none (services.term.timeline_note).
    ended_on = (
        StatusChange.objects.filter(agreement=OuterRef("pk"), to_status=OuterRef("status"))
        .exclude(from_status=OuterRef("status"))
        .order_by("-created_at")
    )
    for agreement in (
        Agreement.objects.filter(status__in=statuses.ENDED)
        .filter(~has(K.RETURN_DESTROY), ~renewed)
        .order_by("pk")
        .annotate(ended_at=Subquery(ended_on.values("created_at")[:1]))
        .select_related("agency__deadline_policy", "contractor")
    ):
        day = agreement.contract_end if agreement.status == S.EXPIRED and agreement.contract_end else None
        day = day or timezone.localdate(agreement.ended_at or timezone.now())
        new.append(return_destroy_obligation(agreement, ended_on=day, agency=agreement.agency))
    if new:
        result.opened = len(Obligation.objects.bulk_create(new, ignore_conflicts=True))


def _cancel_orphaned(result: SweepResult) -> None:
    """An end-of-term item whose agreement ended otherwise (terminated, say) has nothing left to remind of; a
    return-or-destroy duty whose agreement was closed outside the portal (an operator recording a certificate received
    on paper) is met by that closing."""
    result.cancelled = (
        Obligation.objects.filter(kind=K.TERM_END, status__in=OPEN)
        .exclude(agreement__status=S.EXECUTED)
        .update(status=Obligation.Status.CANCELLED)
    )
    Obligation.objects.filter(kind=K.RETURN_DESTROY, status__in=OPEN, agreement__status=S.CLOSED).update(
        status=Obligation.Status.MET, met_at=timezone.now(), met_note="The agreement was closed."
    )


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
    if obligation.kind == K.TERM_END:
        offsets = sorted(term_offsets or DEFAULT_TERM_REMINDERS)
    else:
        offsets = sorted(rules.RULES[obligation.kind].reminders)
    for offset in offsets:
        if left <= offset:
            return f"before:{offset}{review}"
    return None


def _remind(today: date, result: SweepResult) -> None:
    # Only duties close enough to their due date to be reminded of, or late: the rest are never read.
    policies = list(DeadlinePolicy.objects.values_list("term_reminder_days", flat=True))
    ahead = max([*DEFAULT_TERM_REMINDERS, *(r for rule in rules.RULES.values() for r in rule.reminders)])
    ahead = min(max([ahead, *(day for days in policies for day in days or [])]), MAX_REMINDER_DAYS)
    window = Q(status__in=OPEN, due_on__lte=today + timedelta(days=ahead)) & ~Q(kind=K.BREACH_NOTICE)
    candidates = Obligation.objects.filter(window).select_related(
        "agency__deadline_policy", "contractor", "agreement", "parent_request", "breach_report"
    )
    sent = set(
        Reminder.objects.filter(obligation__in=Obligation.objects.filter(window)).values_list("obligation", "kind")
    )
    due = []
    for obligation in candidates.order_by("due_on", "pk"):
        policy = getattr(obligation.agency, "deadline_policy", None)
        kind = reminder_due(obligation, today, policy.reminders if policy else None)
        if kind and (obligation.pk, kind) not in sent:
            due.append((obligation, kind))
    if not due:
        return
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
            continue
        result.reminders.append((obligation.pk, kind))


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
