"""The DPA's duties that set no number of days (issue 11.7): the notices a vendor gives on its own (II.6(c), II.6(e),
II.7, III.1), each recorded as met when given, with what it said; and the reimbursement a district asks for after a
breach attributable to the vendor (II.14), due by the date the district names."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from dpa_portal.errors import FORBIDDEN, ApplicationError

from ... import access
from ...mail import email_enqueue
from ...models import Agreement, statuses
from .. import rules
from ..calendar import long_date
from ..models import OBLIGATION_NOTE_LENGTH, Obligation
from .duties import district_admin_emails, obligation_build

K = Obligation.Kind


def _in_effect(agreement: Agreement) -> None:
    if agreement.status not in statuses.HOLDS_DATA:
        raise ApplicationError("Only an agreement that is or was in effect.", code=FORBIDDEN)


def _details(details: str) -> str:
    details = details.strip()
    if not details:
        raise ApplicationError("Say what the notice says.")
    if len(details) > OBLIGATION_NOTE_LENGTH:
        raise ApplicationError(f"Keep it to {OBLIGATION_NOTE_LENGTH} characters.")
    return details


def dpa_notice_give(*, agreement: Agreement, actor, kind: str, happened_on: date, details: str) -> Obligation:
    """A vendor's admin or editor gives the district one of the DPA's notices. `happened_on` is, by kind: the day the
    subcontractor's access was removed (II.6(c)); the day the PII is or was to be disclosed under the order (II.6(e):
    the notice is due by then, so a later notice is late); the day the confirmed training was completed (II.7); the
    day the parent contacted the vendor (III.1)."""
    access.require_vendor_staff(actor, agreement.contractor_id)
    _in_effect(agreement)
    if kind not in rules.VENDOR_NOTICES:
        raise ApplicationError("Choose which notice this is.")
    details = _details(details)
    today = timezone.localdate()
    if kind != K.SUBPOENA_NOTICE and happened_on > today:
        raise ApplicationError("The date cannot be in the future.")
    now = timezone.now()
    due, explanation = None, "The DPA sets no number of days; recorded when given."
    if kind == K.SUBPOENA_NOTICE:
        due = happened_on
        explanation = f"Due no later than the disclosure, on {long_date(happened_on)} (DPA Article II.6(e))."
    with transaction.atomic():
        notice = obligation_build(
            kind,
            agency=agreement.agency,
            start=min(happened_on, today),
            due=due,
            explanation=explanation,
            contractor=agreement.contractor,
            agreement=agreement,
        )
        notice.status, notice.met_at, notice.met_by, notice.met_note = Obligation.Status.MET, now, actor, details
        notice.save()
        email_enqueue(
            to=[agreement.agency.data_protection_office_email, *district_admin_emails(agreement.agency_id)],
            template="deadline_notice",
            agreement=agreement,
            context={"obligation": notice, "note": details, "happened_on": happened_on},
        )
    return notice


def reimbursement_request(*, agreement: Agreement, actor, details: str, due_on: date, breach_report=None) -> Obligation:
    """A district admin asks the vendor to reimburse the cost of notifying those affected by a breach attributable to
    it (DPA II.14: "promptly"), by the date the district names; the vendor records the payment as done."""
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    _in_effect(agreement)
    details = _details(details)
    today = timezone.localdate()
    if due_on <= today:
        raise ApplicationError("Name a date after today.")
    if breach_report is not None and not breach_report.agreements.filter(pk=agreement.pk).exists():
        raise ApplicationError("That breach is not one of this agreement's.", code=FORBIDDEN)
    if (
        breach_report is not None
        and breach_report.obligations.filter(kind=K.REIMBURSEMENT, agency=agreement.agency_id).exists()
    ):
        raise ApplicationError("The reimbursement of this breach is already asked for.")
    with transaction.atomic():
        duty = obligation_build(
            K.REIMBURSEMENT,
            agency=agreement.agency,
            start=today,
            due=due_on,
            explanation=f'The DPA says "promptly"; the district asked for it by {long_date(due_on)}: {details}',
            contractor=agreement.contractor,
            agreement=agreement,
        )
        duty.breach_report = breach_report
        duty.save()
        email_enqueue(
            to=access.vendor_emails(agreement.contractor_id),
            template="deadline_notice",
            agreement=agreement,
            context={"obligation": duty, "note": details, "happened_on": today},
        )
    return duty
