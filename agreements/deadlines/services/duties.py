"""What every duty shares: who hears of it, the district's days, a duty built from its rule, meeting it."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from dpa_portal.errors import STATE, ApplicationError

from ... import access
from ...mail import email_enqueue
from .. import rules
from ..calendar import add_calendar_days
from ..models import DEFAULT_DESTRUCTION_DAYS, DeadlinePolicy, DistrictClosure, Obligation


def district_admin_emails(agency_id: int) -> list[str]:
    return access.district_emails(agency_id, access.DISTRICT_ADMIN)


def closures_of(agency_id: int) -> set[date]:
    return set(DistrictClosure.objects.filter(agency=agency_id).values_list("date", flat=True))


def policy_of(agency) -> DeadlinePolicy:
    """The district's policy, or an unsaved one with the defaults."""
    try:
        return agency.deadline_policy
    except DeadlinePolicy.DoesNotExist:
        return DeadlinePolicy(agency=agency, term_reminder_days=[], destruction_days=DEFAULT_DESTRUCTION_DAYS)


def obligation_build(kind: str, *, agency, start: date, due: date | None, explanation: str = "", **links) -> Obligation:
    """An unsaved obligation of `kind` with its rule's words filled in."""
    rule = rules.RULES[kind]
    return Obligation(
        kind=kind,
        agency=agency,
        title=rule.title,
        owed_by=rule.owed_by,
        owed_to=rule.owed_to.format(agency=agency.name),
        rule=rule.text,
        source=rule.source,
        day_kind=rule.day_kind,
        clock_started_on=start,
        due_on=due,
        due_explanation=explanation,
        **links,
    )


def due_after(kind: str, start: date) -> date:
    """The due date of a duty whose rule sets a fixed number of calendar days, counted from `start`."""
    return add_calendar_days(start, rules.limit(kind))


# --- meeting a duty -----------------------------------------------------------------------------------------------


def obligation_meet(*, obligation: Obligation, actor, note: str) -> Obligation:
    """The party that owes the duty records that it is done, and what was done. A district's admins and a vendor's
    staff act for their side. The return-or-destroy duty is met only by an accepted destruction certificate."""
    if obligation.kind in rules.MET_BY_PORTAL:
        raise ApplicationError("This duty is met by the portal itself, not by hand.", code=STATE)
    if not note.strip():
        raise ApplicationError("Say what was done.")
    if obligation.owed_by == Obligation.Party.VENDOR:
        access.require_vendor_staff(actor, obligation.contractor_id)
    else:
        access.require_district_staff(actor, obligation.agency_id, access.DISTRICT_ADMIN)
    with transaction.atomic():
        met = obligation_mark_met(obligation, actor=actor, note=note.strip())
        if obligation.owed_by == Obligation.Party.VENDOR:
            email_enqueue(
                to=district_admin_emails(obligation.agency_id),
                template="deadline_done",
                agreement=obligation.agreement,
                context={"obligation": met, "note": note.strip()},
            )
    return met


def obligation_mark_met(obligation: Obligation, *, actor, note: str, certificate=None) -> Obligation:
    """Claim the duty as met with a conditional UPDATE; a second click or a second person gets an error."""
    now = timezone.now()
    done = Obligation.objects.filter(pk=obligation.pk, status__in=Obligation.OPEN_STATUSES).update(
        status=Obligation.Status.MET, met_at=now, met_by=actor, met_note=note, certificate=certificate
    )
    if done != 1:
        raise ApplicationError("This duty was already met or cancelled.", code=STATE)
    obligation.refresh_from_db()
    return obligation
