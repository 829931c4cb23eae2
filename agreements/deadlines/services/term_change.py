"""Changing the term of an executed agreement, and reviewing one that runs until terminated (issue 11.1 and 11.4).

An executed agreement's answers never change, but its term may: the parties extend or shorten the Service Agreement.
The change goes through this service only (the Django admin shows the term read-only once executed): a district admin
gives the new end date and why; it is logged on the timeline as a StatusChange from executed to executed with the old
and new dates and the reason, and both parties are e-mailed. The end-of-term duty moves to the new date, and the
reminders claimed for the old date are released, so that the new date's reminders go out (agreements.deadlines.sweep
claims each (duty, kind) once).
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from dpa_portal.errors import STATE, ApplicationError

from ... import access
from ...mail import email_enqueue
from ...models import Agreement, StatusChange
from ..calendar import long_date
from ..models import Obligation, Reminder
from .duties import district_admin_emails
from .term import successor_in_effect, term_end_obligation, timeline_note

S = Agreement.Status
K = Obligation.Kind


def _term_duty_follow(agreement: Agreement) -> None:
    """The open end-of-term duty takes the agreement's (new) end or review date; reminders sent for the old date no
    longer count. With no such duty yet, the next sweep opens it at the new date."""
    fresh = term_end_obligation(agreement)
    duties = Obligation.objects.select_for_update().filter(
        agreement=agreement, kind=K.TERM_END, status__in=Obligation.OPEN_STATUSES
    )
    for duty in duties:
        duty.due_on, duty.due_explanation = fresh.due_on, fresh.due_explanation
        duty.status = Obligation.Status.OPEN  # the sweep marks it overdue again if the new date has passed
        duty.save(update_fields=["due_on", "due_explanation", "status"])
        Reminder.objects.filter(obligation=duty).delete()


def _tell_both(agreement: Agreement, context: dict) -> None:
    email_enqueue(
        to=access.vendor_emails(agreement.contractor_id) + district_admin_emails(agreement.agency_id),
        template="term_changed",
        agreement=agreement,
        context={"agreement": agreement, **context},
    )


def agreement_term_change(*, agreement: Agreement, actor, contract_end: date, reason: str) -> StatusChange:
    """A district admin changes the end date of an executed agreement, saying why; an agreement that ran until
    terminated gets a fixed end. Ending it before today is an early termination, not a change of term."""
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the term changes (for example, the amendment of the Service Agreement).")
    if contract_end is None:
        raise ApplicationError("Give the new contract end date.")
    today = timezone.localdate()
    if contract_end < today:
        raise ApplicationError("The new end date cannot be in the past: to end the agreement now, terminate it.")
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status != S.EXECUTED:
            raise ApplicationError("Only the term of an executed agreement in effect can be changed.", code=STATE)
        if successor_in_effect(locked) is not None:
            raise ApplicationError(
                "An amendment or renewal of this agreement is in effect: change the term there.", code=STATE
            )
        if locked.contract_start and contract_end < locked.contract_start:
            raise ApplicationError("The contract cannot end before it starts.")
        if not locked.runs_until_terminated and locked.contract_end == contract_end:
            raise ApplicationError("That is already the contract end date.", code=STATE)
        before = (
            f"until terminated (next review {long_date(locked.review_on)})"
            if locked.runs_until_terminated
            else (long_date(locked.contract_end) if locked.contract_end else "no end date")
        )
        locked.contract_end, locked.runs_until_terminated, locked.review_on = contract_end, False, None
        locked.save(update_fields=["contract_end", "runs_until_terminated", "review_on", "updated_at"])
        change = timeline_note(
            locked,
            actor=actor,
            note=f"Contract term changed: the end date was {before}, now {long_date(contract_end)}. Reason: {reason}",
        )
        _term_duty_follow(locked)
        _tell_both(locked, {"before": before, "reason": reason, "change": change})
    agreement.contract_end, agreement.runs_until_terminated, agreement.review_on = contract_end, False, None
    return change


def agreement_review_record(*, agreement: Agreement, actor, next_review_on: date, note: str = "") -> StatusChange:
    """A district admin records the review of an agreement that runs until terminated and names the next review
    date: the end-of-term item moves to it (the review met it), logged on the timeline; the vendor hears of it."""
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    today = timezone.localdate()
    if next_review_on is None or next_review_on <= today:
        raise ApplicationError("The next review date must be after today.")
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status != S.EXECUTED or not locked.runs_until_terminated:
            raise ApplicationError(
                "Only an executed agreement that runs until terminated has reviews to record.", code=STATE
            )
        before = locked.review_on
        locked.review_on = next_review_on
        locked.save(update_fields=["review_on", "updated_at"])
        text = (
            f"Reviewed on {long_date(today)} (review was due {long_date(before)}); the agreement stays in effect "
            f"until terminated; next review {long_date(next_review_on)}."
        )
        note = (note or "").strip()
        change = timeline_note(locked, actor=actor, note=f"{text} {note}".strip())
        _term_duty_follow(locked)
        _tell_both(locked, {"before": f"until terminated (review due {long_date(before)})", "reason": note or text})
    agreement.review_on = next_review_on
    return change
