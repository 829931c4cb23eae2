"""Breach reports (DPA II.12; 8 NYCRR 121.10): the vendor's notice and the duties it opens for the district."""

from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from dpa_portal.errors import FORBIDDEN, STATE, ApplicationError

from ... import access
from ...mail import email_enqueue
from ...models import Agreement, statuses
from .. import rules
from ..calendar import add_calendar_days, earlier_governs, long_date
from ..models import BreachReport, Obligation
from ..storage import LETTER_MAX_BYTES, letter_file_kind
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
            governing = _breach_duties_open(report=report, agreement=agreement, actor=actor, notice_given_at=now)
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


def _breach_duties_open(*, report: BreachReport, agreement: Agreement, actor, notice_given_at=None):
    """The duties a breach opens for one district, from the day the district learned of it
    (`report.district_clock_start`): report to NYSED's Chief Privacy Officer (121.10(b), (d)) and notify those
    affected (121.10(e)); and, where the vendor's notice came (in the portal or by letter) at `notice_given_at`, the
    vendor's notice duty recorded as met then, on time or late against the governing date (121.10(a); DPA II.12(a)).
    Returns the governing date of the vendor's notice, or None where no notice came."""
    agency = agreement.agency
    start = report.district_clock_start
    links = {"contractor": report.contractor, "agreement": agreement, "breach_report": report}
    how = f"The clock started on {long_date(start)}, when {report.learned_how}."
    duties = [
        obligation_build(K.BREACH_NYSED, agency=agency, start=start, due=due_after(K.BREACH_NYSED, start), **links),
        obligation_build(K.BREACH_PARENTS, agency=agency, start=start, due=due_after(K.BREACH_PARENTS, start), **links),
    ]
    if report.recorded_by_district:
        for duty in duties:
            duty.due_explanation = how
    governing = None
    if notice_given_at is not None:
        governing = breach_notice_due(discovered_on=report.discovery_date, closures=closures_of(agency.pk))
        notice = obligation_build(
            K.BREACH_NOTICE,
            agency=agency,
            start=report.discovery_date,
            due=governing.due,
            explanation=governing.explanation,
            **links,
        )
        notice.status, notice.met_at, notice.met_by = Obligation.Status.MET, notice_given_at, actor
        notice.met_note = (
            f"Notice received outside the portal on {long_date(start)}, recorded by the district."
            if report.recorded_by_district
            else "Notice given through the portal."
        )
        duties.insert(0, notice)
    Obligation.objects.bulk_create(duties)
    return governing


def breach_record(*, agency, actor, agreement: Agreement, source: str, learned_on: date, letter=None, **facts):
    """A district admin records a breach it learned of without a report in the portal (8 NYCRR 121.10(d)): one it
    discovered itself, one a third party told it of, or the vendor's notice received outside the portal (the letter
    attached). Its duties open from the day it learned of it; a vendor's letter also records the vendor's notice as
    given that day."""
    S = BreachReport.Source
    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    if agreement.agency_id != agency.pk or agreement.status not in statuses.HOLDS_DATA:
        raise ApplicationError("Choose one of the district's agreements that is or was in effect.", code=FORBIDDEN)
    if source not in (S.DISTRICT, S.THIRD_PARTY, S.VENDOR_LETTER):
        raise ApplicationError("Say how the district learned of the breach.")
    if source == S.VENDOR_LETTER and not letter:
        raise ApplicationError("Attach the vendor's letter.")
    if source != S.VENDOR_LETTER:
        letter = None
    told_by = (facts.pop("told_by", "") or "").strip()
    if source == S.THIRD_PARTY and not told_by:
        raise ApplicationError("Say who told the district of the breach.")
    today = timezone.localdate()
    if learned_on > today:
        raise ApplicationError("The date the district learned of the breach cannot be in the future.")
    facts["discovery_date"] = facts.get("discovery_date") or learned_on
    if facts["discovery_date"] < facts["incident_date"]:
        raise ApplicationError("The breach cannot be discovered before it happened.")
    if facts["discovery_date"] > learned_on:
        raise ApplicationError("The district cannot learn of a breach before it was discovered.")
    kind = None
    if letter is not None:
        kind = letter_file_kind(letter)
        if kind is None or letter.size > LETTER_MAX_BYTES:
            raise ApplicationError(
                f"Attach the letter as a PDF, PNG or JPEG of at most {LETTER_MAX_BYTES // 1_048_576} MB."
            )
    with transaction.atomic():
        report = BreachReport(
            contractor=agreement.contractor,
            filed_by=actor,
            filed_at=timezone.now(),
            source=source,
            learned_on=learned_on,
            told_by=told_by if source == S.THIRD_PARTY else "",
            **facts,
        )
        if kind is not None:
            report.letter.save(f"breach-letter.{kind[1]}", letter, save=False)
        report.save()
        report.agreements.set([agreement])
        received_at = None
        if source == S.VENDOR_LETTER:  # the notice was given the day it was received; noon, so the day is the day
            received_at = timezone.make_aware(datetime.combine(learned_on, time(12)))
        _breach_duties_open(report=report, agreement=agreement, actor=actor, notice_given_at=received_at)
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
