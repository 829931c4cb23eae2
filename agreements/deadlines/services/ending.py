"""How an executed agreement ends otherwise than by its term: terminated early by the district (issue 11, point 2), or
superseded by an amendment or renewal that was executed (point 3). Its end of term (agreement_expire) is in term.py.

Each step goes through agreement_transition or writes its own line on the agreement's timeline (StatusChange), so that
what happened and why stays on record beside the sealed DPA, which never changes.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from dpa_portal.errors import STATE, ApplicationError

from ... import access
from ...mail import email_enqueue
from ...models import Agreement, Termination, statuses
from ...services import agreement_transition, termination_record_schedule
from ..calendar import long_date
from ..models import Obligation
from .duties import district_admin_emails
from .term import return_destroy_obligation, successor_in_effect, term_end_obligation, timeline_note

S = Agreement.Status
K = Obligation.Kind
OPEN = Obligation.OPEN_STATUSES
# What the end of a term opens or reminds of: never moved to a successor, which has its own.
TERM_KINDS = (K.TERM_END, K.RETURN_DESTROY)


def _executed_on(agreement) -> date | None:
    # The transition into executed: a change of term, a review or a supersession is a line from executed to executed.
    change = (
        agreement.status_changes.filter(to_status=S.EXECUTED)
        .exclude(from_status=S.EXECUTED)
        .order_by("-created_at")
        .first()
    )
    return timezone.localdate(change.created_at) if change else None


def _term_end_stop(agreement, *, note: str) -> int:
    """The agreement's end-of-term reminders stop (it ended otherwise, or a successor's term counts): how many."""
    return Obligation.objects.filter(agreement=agreement, kind=K.TERM_END, status__in=OPEN).update(
        status=Obligation.Status.CANCELLED, met_note=note
    )


# --- early termination (DPA II.9: "upon expiration or termination") ------------------------------------------------


def agreement_terminate(*, agreement: Agreement, actor, effective_on: date, basis: str, reason: str) -> Termination:
    """A district admin records that an executed agreement ended early, by notice or by mutual agreement as the
    Service Agreement allows: executed -> terminated, the vendor and the district's admins are told, the end-of-term
    reminders stop, and the return-or-destroy duty opens from `effective_on`. Every other open duty survives the
    termination (DPA II.8, II.15: until the vendor certifies destruction) and stays open.

    Recorded on or after the day it takes effect, never ahead: until then the agreement is in effect, with every duty
    that comes with it, and a notice period is the Service Agreement's business, not a state of this one.
    """
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    reason = (reason or "").strip()
    if basis not in Termination.Basis.values:
        raise ApplicationError("Say whether the agreement ends by notice or by mutual agreement.")
    if not reason:
        raise ApplicationError("Say why the agreement ends early.")
    if effective_on is None:
        raise ApplicationError("Give the date the termination takes effect.")
    if effective_on > timezone.localdate():
        raise ApplicationError(
            "Record the termination on or after the day it takes effect: until then the agreement is in effect."
        )
    if agreement.status != S.EXECUTED:
        raise ApplicationError("Only an agreement in effect (executed) can be terminated.", code=STATE)
    executed_on = _executed_on(agreement)
    if executed_on and effective_on < executed_on:
        raise ApplicationError(f"The agreement was executed on {long_date(executed_on)}: it cannot end before that.")
    if agreement.contract_end and effective_on > agreement.contract_end:
        raise ApplicationError(
            f"The term ends on {long_date(agreement.contract_end)}: the agreement expires then, it is not terminated."
        )
    successor = successor_in_effect(agreement)
    if successor:
        raise ApplicationError(
            f"The {successor.get_kind_display().lower()} (agreement {successor.pk}) is the agreement in effect: "
            "terminate that one.",
            code=STATE,
        )
    basis_label = Termination.Basis(basis).label
    with transaction.atomic():
        agreement_transition(
            agreement=agreement,
            to_status=S.TERMINATED,
            actor=actor,
            note=f"Ended early on {long_date(effective_on)}. {basis_label}. Reason: {reason}",
        )
        termination = Termination.objects.create(
            agreement=agreement, effective_on=effective_on, basis=basis, reason=reason, recorded_by=actor
        )
        _term_end_stop(agreement, note=f"The agreement was terminated early, effective {long_date(effective_on)}.")
        duty = return_destroy_obligation(agreement, ended_on=effective_on, agency=agreement.agency)
        duty.save()
        _end_superseded_predecessor(agreement, effective_on=effective_on, basis=basis, actor=actor)
        # The sealed record of what happened, beside the executed DPA that never changes: rendered by a worker.
        termination_record_schedule(agreement=agreement)
        email_enqueue(
            to=access.vendor_emails(agreement.contractor_id) + district_admin_emails(agreement.agency_id),
            template="agreement_terminated",
            agreement=agreement,
            context={"agreement": agreement, "termination": termination, "obligation": duty},
        )
    return termination


def _end_superseded_predecessor(agreement, *, effective_on: date, basis: str, actor) -> None:
    """The agreement this one superseded may still be executed: an amendment's original, or the agreement a renewal
    follows while its term runs. Terminating the successor ends the relationship, so that one ends with it; the data's
    return-or-destroy duty is the successor's alone (the sweep opens none for an agreement with a posted successor)."""
    if agreement.previous_id is None:
        return
    old = Agreement.objects.get(pk=agreement.previous_id)
    if old.status != S.EXECUTED:
        return
    label = agreement.get_kind_display().lower()
    with_it = f"With the {label} that superseded it (agreement {agreement.pk}), which the district terminated"
    agreement_transition(
        agreement=old,
        to_status=S.TERMINATED,
        actor=actor,
        note=f"Ended early on {long_date(effective_on)}. {with_it}; the data is returned or destroyed under that one.",
    )
    Termination.objects.create(
        agreement=old, effective_on=effective_on, basis=basis, reason=f"{with_it}.", recorded_by=actor
    )
    termination_record_schedule(agreement=old)
    _term_end_stop(old, note=f"Terminated with the {label} (agreement {agreement.pk}).")


# --- supersession by an amendment or a renewal ----------------------------------------------------------------------


def predecessor_supersede(*, agreement: Agreement) -> Agreement | None:
    """Through agreements.services.agreement_supersede_predecessor, in the transaction that executes `agreement`: the
    agreement it amends or renews is superseded by it (= it has a successor in a posted status; no status of its own).

    - Its end-of-term reminders stop: the successor's term is the one that counts.
    - An amendment replaces it now: its open duties (a breach notice, a parent's request) move to the amendment.
    - A renewal follows it: while it is in effect its duties stay its own; when its term ends it expires without a
      return-or-destroy duty, since the data carries over (term.agreement_expire).
    - If it had already ended, its return-or-destroy duty stays open until the district confirms that the data
      carried over (data_carry_over_confirm): never closed silently.

    Returns the predecessor, or None for a new agreement."""
    if agreement.previous_id is None:
        return None
    with transaction.atomic():
        return _supersede(agreement)


def _supersede(agreement: Agreement) -> Agreement:
    old = Agreement.objects.select_for_update().select_related("agency", "contractor").get(pk=agreement.previous_id)
    label = agreement.get_kind_display().lower()
    executed = long_date(timezone.localdate())
    lines = [f"Superseded by the {label} (agreement {agreement.pk}), executed on {executed}."]
    stop = f"Superseded by the {label} (agreement {agreement.pk}) executed on {executed}: its term counts now."
    stopped = _term_end_stop(old, note=stop)
    if (
        old.status == S.EXECUTED
        and old.term_end_day
        and not Obligation.objects.filter(agreement=old, kind=K.TERM_END).exists()
    ):
        # The sweep has not opened its end of term yet: record it as stopped, so that the sweep never opens it.
        item = term_end_obligation(old)
        item.status, item.met_note = Obligation.Status.CANCELLED, stop
        item.save()
        stopped += 1
    if stopped:
        lines.append("Its end-of-term reminders stop.")
    if agreement.kind == Agreement.Kind.AMENDMENT:
        moving = list(
            Obligation.objects.filter(agreement=old, status__in=OPEN).exclude(kind__in=TERM_KINDS).order_by("pk")
        )
        if moving:
            Obligation.objects.filter(pk__in=[o.pk for o in moving]).update(agreement=agreement)
            titles = "; ".join(f"{o.title} (due {long_date(o.due_on)})" if o.due_on else o.title for o in moving)
            if len(titles) > 1_200:  # the note holds 2,000 characters (StatusChange.note): then only how many
                titles = f"{len(moving)} duties, listed on the amendment's page"
            lines.append(f"Its open duties move to the amendment: {titles}.")
    if Obligation.objects.filter(agreement=old, kind=K.RETURN_DESTROY, status__in=OPEN).exists():
        lines.append(
            "It had ended: its return-or-destroy duty stays open until the district confirms that the data carried "
            f"over to the {label}."
        )
    timeline_note(old, actor=None, note=" ".join(lines))
    verb = "amends" if agreement.kind == Agreement.Kind.AMENDMENT else "renews"
    timeline_note(agreement, actor=None, note=f"Supersedes agreement {old.pk}, which it {verb}.")
    return old


def carry_over_pending(agreement: Agreement) -> Agreement | None:
    """The successor to which this ended agreement's data may have carried over, while its return-or-destroy duty is
    open: the district confirms it (data_carry_over_confirm) or the vendor returns or destroys the data."""
    if agreement.status not in statuses.ENDED:
        return None
    if not Obligation.objects.filter(agreement=agreement, kind=K.RETURN_DESTROY, status__in=OPEN).exists():
        return None
    return successor_in_effect(agreement)


def data_carry_over_confirm(*, agreement: Agreement, actor) -> Obligation:
    """A district admin confirms that the data of an ended agreement carried over to its executed renewal (or
    amendment): the return-or-destroy duty is met as "data carried over", and the successor's own end will open one.
    The agreement stays ended (not closed): closing says that destruction was certified, which it was not."""
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    successor = carry_over_pending(agreement)
    if successor is None:
        raise ApplicationError(
            "There is nothing to confirm: no executed renewal or amendment, or no open return-or-destroy duty.",
            code=STATE,
        )
    label = successor.get_kind_display().lower()
    note = f"Data carried over to the {label} (agreement {successor.pk}); confirmed by the district."
    with transaction.atomic():
        now = timezone.now()
        duty = Obligation.objects.select_for_update().get(agreement=agreement, kind=K.RETURN_DESTROY, status__in=OPEN)
        Obligation.objects.filter(pk=duty.pk).update(
            status=Obligation.Status.MET, met_at=now, met_by=actor, met_note=note
        )
        timeline_note(agreement, actor=actor, note=note + " No return or destruction is due under this agreement.")
        email_enqueue(
            to=access.vendor_emails(agreement.contractor_id),
            template="data_carried_over",
            agreement=agreement,
            context={"agreement": agreement, "successor": successor},
        )
        duty.refresh_from_db()
    return duty
