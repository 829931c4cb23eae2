"""The deadlines of an agreement signed outside the portal and imported by its district (issue 12).

They open from its dates as a portal agreement's would: the end of the term (or the next review) while it is in
effect; for one that had ended before the import, the end of the term as met and the return-or-destroy duty counted
from the end date. But a reminder before a date, or an escalation after it, that would have gone out before the
agreement was in the portal is not sent late: its Reminder row is claimed at import without an e-mail (the sweep's
own claim, agreements.deadlines.sweep._claim, then finds it taken), and a duty whose date had already passed says
so and is listed for the district to review (agreements.selectors.outside_review_duties) rather than e-mailed as
overdue.
"""

from datetime import date, datetime, time

from django.utils import timezone

from ...models import Agreement
from .. import rules
from ..calendar import long_date
from ..models import Obligation, Reminder
from .duties import policy_of
from .term import return_destroy_obligation, term_end_obligation

S = Agreement.Status
K = Obligation.Kind
OVERDUE = "overdue"


def past_at_import_note(imported_on: date) -> str:
    """The words that mark a duty whose date had passed when its agreement was imported."""
    return f"Past when the agreement was imported on {long_date(imported_on)}: review it."


def _offsets(obligation: Obligation) -> list[int]:
    if obligation.kind == K.TERM_END:
        return policy_of(obligation.agency).reminders
    return list(rules.RULES[obligation.kind].reminders)


def _claims_for_the_past(obligation: Obligation, today: date) -> list[str]:
    """The reminder kinds of `obligation` whose day is before `today` (the sweep sends "before:N" from N days before
    the due date, and "overdue" once it is late): each would reach people late, or as a false alarm."""
    left = (obligation.due_on - today).days
    kinds = [f"before:{offset}" for offset in _offsets(obligation) if offset > left]
    if left < 0:
        kinds.append(OVERDUE)
    return kinds


def _with_past_noted(obligation: Obligation, today: date, imported_on: date) -> list[str]:
    """Note on the duty what the import leaves unsent; return the reminder kinds to claim."""
    claims = _claims_for_the_past(obligation, today)
    if obligation.due_on < today:
        obligation.due_explanation = f"{obligation.due_explanation} {past_at_import_note(imported_on)}".strip()
    elif claims:
        days = sorted(int(kind.split(":")[1]) for kind in claims)
        said = " and ".join(str(d) for d in days)
        obligation.due_explanation = (
            f"{obligation.due_explanation} The reminder{'s' if len(days) > 1 else ''} {said} days before fell before "
            f"the agreement was imported on {long_date(imported_on)} and {'were' if len(days) > 1 else 'was'} not "
            "sent."
        ).strip()
    return claims


def imported_deadlines_open(*, agreement: Agreement, imported_on: date, today: date | None = None) -> list[Obligation]:
    """Open the deadlines of an imported agreement that it lacks (in the caller's transaction), from its dates and
    status: the end of the term (open while executed; met for an agreement that had expired) and, once it has ended,
    the return-or-destroy duty. Reminders already past are claimed without an e-mail. Safe to call again (after the
    district completes a date): a kind the agreement has is left alone, and a unique constraint keeps a racing sweep
    from opening a second one. Returns the duties it opened."""
    today = today or timezone.localdate()
    existing = set(Obligation.objects.filter(agreement=agreement).values_list("kind", flat=True))
    opened: list[tuple[Obligation, list[str]]] = []
    end_day = agreement.term_end_day
    if K.TERM_END not in existing and end_day and agreement.status in (S.EXECUTED, S.EXPIRED):
        duty = term_end_obligation(agreement)
        if agreement.status == S.EXPIRED:
            duty.status = Obligation.Status.MET
            # Met when the term ended, on its last day: not "late" because the portal learned of it later.
            duty.met_at = timezone.make_aware(datetime.combine(end_day, time(23, 59)))
            duty.met_note = f"The term ended on {long_date(end_day)}, before the agreement was imported."
            opened.append((duty, []))
        else:
            opened.append((duty, _with_past_noted(duty, today, imported_on)))
    if K.RETURN_DESTROY not in existing and agreement.status == S.EXPIRED and agreement.contract_end:
        duty = return_destroy_obligation(agreement, ended_on=agreement.contract_end, agency=agreement.agency)
        opened.append((duty, _with_past_noted(duty, today, imported_on)))
    if not opened:
        return []
    created = Obligation.objects.bulk_create([duty for duty, _ in opened], ignore_conflicts=True)
    saved = {o.kind: o for o in Obligation.objects.filter(agreement=agreement, kind__in=[d.kind for d, _ in opened])}
    claims = [
        Reminder(obligation=saved[duty.kind], kind=kind, email=None)
        for duty, kinds in opened
        for kind in kinds
        if duty.kind in saved
    ]
    Reminder.objects.bulk_create(claims, ignore_conflicts=True)
    return created
