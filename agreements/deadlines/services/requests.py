"""Requests from parents and eligible students (DPA III.1, Exhibit B) and complaints (8 NYCRR 121.4(c))."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from dpa_portal.errors import STATE, ApplicationError

from ... import access
from ...mail import email_enqueue
from ...models import statuses
from .. import rules
from ..calendar import add_calendar_days, long_date
from ..models import Obligation, ParentRequest
from .duties import due_after, obligation_build

K = Obligation.Kind


def parent_request_record(
    *, agency, actor, kind: str, requester: str, received_on: date, details: str, agreement=None, reference: str = ""
) -> ParentRequest:
    """The district records a request. Access (DPA III.1) and correction (Exhibit B, its correction days) go to the
    vendor, whose clock starts today, when the district sends its written request; a complaint is the district's to
    answer within the limit of 121.4(c) from the day it was received."""
    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    today = timezone.localdate()
    if received_on > today:
        raise ApplicationError("The date received cannot be in the future.")
    if agreement is not None and (agreement.agency_id != agency.pk or agreement.status not in statuses.HOLDS_DATA):
        raise ApplicationError("Choose one of this district's agreements that is or was in effect.")
    if kind in ParentRequest.VENDOR_ACTS and agreement is None:
        raise ApplicationError("Choose the vendor's agreement: the vendor must act on this request.")
    with transaction.atomic():
        request = ParentRequest.objects.create(
            agency=agency,
            agreement=agreement,
            kind=kind,
            requester=requester,
            reference=reference,
            received_on=received_on,
            details=details,
            recorded_by=actor,
        )
        links = {
            "parent_request": request,
            "agreement": agreement,
            "contractor": agreement.contractor if agreement else None,
        }
        if kind == ParentRequest.Kind.ACCESS:
            obligation = obligation_build(K.ACCESS, agency=agency, start=today, due=due_after(K.ACCESS, today), **links)
        elif kind == ParentRequest.Kind.CORRECTION:
            days = _correction_days(agreement)
            obligation = obligation_build(
                K.CORRECTION,
                agency=agency,
                start=today,
                due=add_calendar_days(today, days),
                explanation=f"{days} days, as written in Exhibit B of the agreement.",
                **links,
            )
        else:
            obligation = obligation_build(
                K.COMPLAINT, agency=agency, start=received_on, due=due_after(K.COMPLAINT, received_on), **links
            )
        obligation.save()
        if kind in ParentRequest.VENDOR_ACTS:
            email_enqueue(
                to=access.vendor_emails(agreement.contractor_id),
                template="deadline_parent_request",
                agreement=agreement,
                context={"parent_request": request, "obligation": obligation, "agreement": agreement},
            )
    return request


def _correction_days(agreement) -> int:
    from exhibits.models import SupplementalInformation

    info = SupplementalInformation.objects.filter(agreement=agreement).only("correction_days").first()
    return info.correction_days if info else rules.RULES[K.CORRECTION].default_days


def parent_request_close(*, request: ParentRequest, actor, outcome: str) -> ParentRequest:
    """The district closes the request with what was done; a duty still open is met by the district's word."""
    access.require_district_staff(actor, request.agency_id, access.DISTRICT_ADMIN)
    if not outcome.strip():
        raise ApplicationError("Say what was done.")
    now = timezone.now()
    with transaction.atomic():
        closed = ParentRequest.objects.filter(pk=request.pk, closed_at__isnull=True).update(
            closed_at=now, closed_by=actor, outcome=outcome.strip()
        )
        if closed != 1:
            raise ApplicationError("This request is already closed.", code=STATE)
        Obligation.objects.filter(parent_request=request, status__in=Obligation.OPEN_STATUSES).update(
            status=Obligation.Status.MET,
            met_at=now,
            met_by=actor,
            met_note=f"Closed by the district: {outcome.strip()}",
        )
    request.refresh_from_db()
    return request


def complaint_extend(*, obligation: Obligation, actor, new_due_on: date, explanation: str):
    """121.4(c): findings later than the rule's limit only with a written explanation and an approximate date."""
    if obligation.kind != K.COMPLAINT:
        raise ApplicationError("Only complaint findings can be extended.")
    if not explanation.strip():
        raise ApplicationError("Give the written explanation that 121.4(c) asks for.")
    access.require_district_staff(actor, obligation.agency_id, access.DISTRICT_ADMIN)
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        if not locked.is_open:
            raise ApplicationError("This duty is no longer open.", code=STATE)
        if locked.due_on and new_due_on <= locked.due_on:
            raise ApplicationError("The new date must be after the current due date.")
        locked.delay_reason, locked.delay_note = Obligation.Delay.EXTENSION, explanation.strip()
        locked.delay_recorded_at = timezone.now()
        locked.due_explanation = (
            f"Extended from {long_date(locked.due_on)} to about {long_date(new_due_on)} with a written explanation "
            "(8 NYCRR 121.4(c))."
        )
        locked.due_on = new_due_on
        if new_due_on >= timezone.localdate():
            locked.status = Obligation.Status.OPEN
        locked.save()
    return locked
