"""Breach reports (DPA II.12; 8 NYCRR 121.10): the vendor's notice and the duties it opens for the district."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from dpa_portal.errors import FORBIDDEN, STATE, ApplicationError

from ... import access
from ...mail import email_enqueue
from ...models import Agreement, statuses
from .. import rules
from ..calendar import add_calendar_days, earlier_governs, long_date
from ..models import BreachReport, Obligation
from .duties import closures_of, district_admin_emails, due_after, obligation_build

K = Obligation.Kind


def breach_notice_due(*, discovered_on: date, closures=()):
    """The contractor's notice: calendar days (121.10(a)) or business days (DPA II.12(a)); the earlier governs.

    Business days skip weekends, New York State holidays and the district's closures; seven of them always span at
    least nine calendar days, so in practice the regulation's date governs, and the page says so.
    """
    clocks = rules.RULES[K.BREACH_NOTICE].clocks
    return earlier_governs([(c.source, c.days, c.day_kind) for c in clocks], discovered_on, closures)


def breach_eligible_agreements(contractor):
    """The vendor's agreements it can report a breach under: those in effect, expired or terminated (the data may still
    be held until its destruction is certified), by district."""
    return (
        Agreement.objects.filter(contractor=contractor, status__in=statuses.HOLDS_DATA)
        .select_related("agency")
        .prefetch_related("products")
        .order_by("agency__name", "agency_id", "-pk")
    )


def breach_report_file(*, contractor, actor, agreements, **facts) -> BreachReport:
    """A vendor's admin or editor files a breach report for one or more districts (DPA II.12(a)).

    For each district: the vendor's notice duty is recorded as met now, on time or late against the governing date;
    the district's II.12(b) recipient, Data Protection Office and admins are told; the district's duties open: report
    to NYSED's Chief Privacy Officer in 10 calendar days (121.10(b)) and notify those affected in 60 (121.10(e)).
    """
    access.require_vendor_staff(actor, contractor.pk)
    agreements = list(agreements)
    if not agreements:
        raise ApplicationError("Choose at least one district.")
    eligible = set(breach_eligible_agreements(contractor).values_list("pk", flat=True))
    if any(a.pk not in eligible for a in agreements):
        raise ApplicationError(
            "You can only report to districts whose agreement with you is or was in effect.", code=FORBIDDEN
        )
    if facts["discovery_date"] < facts["incident_date"]:
        raise ApplicationError("The breach cannot be discovered before it happened.")
    now = timezone.now()
    received = timezone.localdate(now)
    nysed_due, parents_due = due_after(K.BREACH_NYSED, received), due_after(K.BREACH_PARENTS, received)
    if facts["discovery_date"] > received:
        raise ApplicationError("The date of discovery cannot be in the future.")
    with transaction.atomic():
        report = BreachReport.objects.create(contractor=contractor, filed_by=actor, filed_at=now, **facts)
        report.agreements.set(agreements)
        by_district: dict[int, Agreement] = {}
        for agreement in agreements:  # one notice and one set of duties per district, however many of its agreements
            by_district.setdefault(agreement.agency_id, agreement)
        for agreement in by_district.values():
            agency = agreement.agency
            governing = breach_notice_due(discovered_on=report.discovery_date, closures=closures_of(agency.pk))
            links = {"contractor": contractor, "agreement": agreement, "breach_report": report}
            notice = obligation_build(
                K.BREACH_NOTICE,
                agency=agency,
                start=report.discovery_date,
                due=governing.due,
                explanation=governing.explanation,
                **links,
            )
            notice.status, notice.met_at, notice.met_by = Obligation.Status.MET, now, actor
            notice.met_note = "Notice given through the portal."
            Obligation.objects.bulk_create(
                [
                    notice,
                    obligation_build(K.BREACH_NYSED, agency=agency, start=received, due=nysed_due, **links),
                    obligation_build(K.BREACH_PARENTS, agency=agency, start=received, due=parents_due, **links),
                ]
            )
            email_enqueue(
                to=[agency.breach_notice_email, agency.data_protection_office_email, *district_admin_emails(agency.pk)],
                template="deadline_breach_reported",
                agreement=agreement,
                context={
                    "agreement": agreement,
                    "agency": agency,
                    "report": report,
                    "on_time": received <= governing.due,
                    "governing": governing,
                    "nysed_due": nysed_due,
                    "parents_due": parents_due,
                },
            )
    return report


def parent_notice_delay(
    *,
    obligation: Obligation,
    actor,
    reason: str,
    note: str,
    remedied_on: date | None = None,
    review_on: date | None = None,
):
    """121.10(e): the district delays notice for law enforcement or an unfixed vulnerability. A delayed notice always
    has a date: until the remedy date is recorded, the date the district names to review the delay again
    (`Rule.review_days` ahead unless it names one), which is reminded and on the calendar feed like a due date;
    recording the delay again with a new date is the review. Once remedied it is due `Rule.delayed_days` calendar
    days after the remedy date."""
    if obligation.kind != K.BREACH_PARENTS:
        raise ApplicationError("Only the notice to those affected by a breach can be delayed.")
    if reason not in (Obligation.Delay.LAW_ENFORCEMENT, Obligation.Delay.VULNERABILITY):
        raise ApplicationError("Choose why the notice is delayed.")
    if not note.strip():
        raise ApplicationError("Say why the notice is delayed.")
    access.require_district_staff(actor, obligation.agency_id, access.DISTRICT_ADMIN)
    today = timezone.localdate()
    if remedied_on is None:
        review_on = review_on or add_calendar_days(today, rules.RULES[K.BREACH_PARENTS].review_days)
        if review_on <= today:
            raise ApplicationError("The next review of the delay must be after today.")
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        if not locked.is_open:
            raise ApplicationError("This duty is no longer open.", code=STATE)
        locked.delay_reason, locked.delay_note = reason, note.strip()
        locked.delay_recorded_at = locked.delay_recorded_at or timezone.now()
        _apply_remedy(locked, remedied_on, review_on=review_on)
        locked.save()
    return locked


def parent_notice_remedied(*, obligation: Obligation, actor, remedied_on: date):
    """The delay ended (vulnerability remedied, or no more risk to the investigation): due a few calendar days later
    (`Rule.delayed_days`)."""
    access.require_district_staff(actor, obligation.agency_id, access.DISTRICT_ADMIN)
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        if not locked.is_open or not locked.delay_reason or locked.kind != K.BREACH_PARENTS:
            raise ApplicationError("Record a delay first.", code=STATE)
        _apply_remedy(locked, remedied_on)
        locked.save()
    return locked


def _apply_remedy(obligation: Obligation, remedied_on: date | None, *, review_on: date | None = None) -> None:
    why = obligation.get_delay_reason_display().split(" (")[0].lower()
    days = rules.RULES[K.BREACH_PARENTS].delayed_days
    today = timezone.localdate()
    if remedied_on is None:
        obligation.due_on, obligation.delay_ended_on = review_on, None
        obligation.due_explanation = (
            f"Delayed for {why} (8 NYCRR 121.10(e)). The district reviews the delay by {long_date(review_on)}: "
            f"record the date the risk ended or the vulnerability was remedied (notice is then due within {days} "
            f"calendar days), or the next review date."
        )
    else:
        if remedied_on > today:
            raise ApplicationError("The remedy date cannot be in the future.")
        obligation.delay_ended_on = remedied_on
        obligation.due_on = add_calendar_days(remedied_on, days)
        obligation.due_explanation = (
            f"Delayed for {why}; remedied on {long_date(remedied_on)}. 8 NYCRR 121.10(e): notice is due within "
            f"{days} calendar days after that, on {long_date(obligation.due_on)}."
        )
    if obligation.status == Obligation.Status.OVERDUE and obligation.due_on >= today:
        obligation.status = Obligation.Status.OPEN
