"""Business rules of deadlines. Writes take keyword-only arguments and are named <thing>_<verb>.

Every duty is an Obligation opened here with its rule, source, clock start and due date; e-mail goes through the
outbox (agreements.mail.email_enqueue); status changes of an agreement go through agreement_transition.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import token_hash
from dpa_portal.errors import EXISTS, FORBIDDEN, STATE, ApplicationError

from .. import access
from ..mail import email_enqueue
from ..models import Agreement, EducationalAgency, statuses
from ..services import agreement_transition
from . import rules
from .calendar import add_calendar_days, earlier_governs, long_date
from .models import (
    DEFAULT_DESTRUCTION_DAYS,
    BreachReport,
    CalendarFeed,
    DeadlinePolicy,
    DestructionCertificate,
    DistrictClosure,
    Obligation,
    ParentRequest,
)

S = Agreement.Status
K = Obligation.Kind


# --- who may act, and who hears about it ------------------------------------------------------------------------


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


def _obligation(kind: str, *, agency, start: date, due: date | None, explanation: str = "", **links) -> Obligation:
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


# --- breach reports (DPA II.12; 8 NYCRR 121.10) -------------------------------------------------------------------


def breach_notice_due(*, discovered_on: date, closures=()):
    """The contractor's notice: calendar days (121.10(a)) or business days (DPA II.12(a)); the earlier governs.

    Business days skip weekends, New York State holidays and the district's closures; seven of them always span at
    least nine calendar days, so in practice the regulation's date governs, and the page says so.
    """
    clocks = rules.RULES[K.BREACH_NOTICE].clocks
    return earlier_governs([(c.source, c.days, c.day_kind) for c in clocks], discovered_on, closures)


def due_after(kind: str, start: date) -> date:
    """The due date of a duty whose rule sets a fixed number of calendar days, counted from `start`."""
    return add_calendar_days(start, rules.limit(kind))


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
            notice = _obligation(
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
                    _obligation(K.BREACH_NYSED, agency=agency, start=received, due=nysed_due, **links),
                    _obligation(K.BREACH_PARENTS, agency=agency, start=received, due=parents_due, **links),
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


def parent_notice_delay(*, obligation: Obligation, actor, reason: str, note: str, remedied_on: date | None = None):
    """121.10(e): the district delays notice for law enforcement or an unfixed vulnerability. Until the remedy date is
    recorded the duty has no due date; then it is due `Rule.delayed_days` calendar days after that date."""
    if obligation.kind != K.BREACH_PARENTS:
        raise ApplicationError("Only the notice to those affected by a breach can be delayed.")
    if reason not in (Obligation.Delay.LAW_ENFORCEMENT, Obligation.Delay.VULNERABILITY):
        raise ApplicationError("Choose why the notice is delayed.")
    if not note.strip():
        raise ApplicationError("Say why the notice is delayed.")
    access.require_district_staff(actor, obligation.agency_id, access.DISTRICT_ADMIN)
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        if not locked.is_open:
            raise ApplicationError("This duty is no longer open.", code=STATE)
        locked.delay_reason, locked.delay_note = reason, note.strip()
        locked.delay_recorded_at = locked.delay_recorded_at or timezone.now()
        _apply_remedy(locked, remedied_on)
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


def _apply_remedy(obligation: Obligation, remedied_on: date | None) -> None:
    why = obligation.get_delay_reason_display().split(" (")[0].lower()
    days = rules.RULES[K.BREACH_PARENTS].delayed_days
    if remedied_on is None:
        obligation.due_on, obligation.delay_ended_on = None, None
        obligation.due_explanation = (
            f"Delayed for {why} (8 NYCRR 121.10(e)). Record the date the risk ended or the vulnerability was "
            f"remedied: notice is then due within {days} calendar days."
        )
        return
    if remedied_on > timezone.localdate():
        raise ApplicationError("The remedy date cannot be in the future.")
    obligation.delay_ended_on = remedied_on
    obligation.due_on = add_calendar_days(remedied_on, days)
    obligation.due_explanation = (
        f"Delayed for {why}; remedied on {long_date(remedied_on)}. 8 NYCRR 121.10(e): notice is due within {days} "
        f"calendar days after that, on {long_date(obligation.due_on)}."
    )
    if obligation.status == Obligation.Status.OVERDUE and obligation.due_on >= timezone.localdate():
        obligation.status = Obligation.Status.OPEN


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
        met = _mark_met(obligation, actor=actor, note=note.strip())
        if obligation.owed_by == Obligation.Party.VENDOR:
            email_enqueue(
                to=district_admin_emails(obligation.agency_id),
                template="deadline_done",
                agreement=obligation.agreement,
                context={"obligation": met, "note": note.strip()},
            )
    return met


def _mark_met(obligation: Obligation, *, actor, note: str, certificate=None) -> Obligation:
    """Claim the duty as met with a conditional UPDATE; a second click or a second person gets an error."""
    now = timezone.now()
    done = Obligation.objects.filter(pk=obligation.pk, status__in=Obligation.OPEN_STATUSES).update(
        status=Obligation.Status.MET, met_at=now, met_by=actor, met_note=note, certificate=certificate
    )
    if done != 1:
        raise ApplicationError("This duty was already met or cancelled.", code=STATE)
    obligation.refresh_from_db()
    return obligation


# --- parent and eligible-student requests --------------------------------------------------------------------------


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
            obligation = _obligation(K.ACCESS, agency=agency, start=today, due=due_after(K.ACCESS, today), **links)
        elif kind == ParentRequest.Kind.CORRECTION:
            days = _correction_days(agreement)
            obligation = _obligation(
                K.CORRECTION,
                agency=agency,
                start=today,
                due=add_calendar_days(today, days),
                explanation=f"{days} days, as written in Exhibit B of the agreement.",
                **links,
            )
        else:
            obligation = _obligation(
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


# --- district's calendar and defaults ------------------------------------------------------------------------------


def closure_add(*, agency, actor, day: date, reason: str) -> DistrictClosure:
    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    try:
        with transaction.atomic():
            return DistrictClosure.objects.create(agency=agency, date=day, reason=reason.strip(), created_by=actor)
    except IntegrityError:
        raise ApplicationError(f"{long_date(day)} is already a closure date.", code=EXISTS) from None


def closure_remove(*, closure: DistrictClosure, actor) -> None:
    access.require_district_staff(actor, closure.agency_id, access.DISTRICT_ADMIN)
    closure.delete()


def policy_update(*, agency, actor, term_reminder_days: list[int], destruction_days: int) -> DeadlinePolicy:
    """Applies to duties opened from now on; a duty keeps the due date it was opened with."""
    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    policy, _ = DeadlinePolicy.objects.update_or_create(
        agency=agency,
        defaults={
            "term_reminder_days": sorted(set(term_reminder_days), reverse=True),
            "destruction_days": destruction_days,
        },
    )
    return policy


# --- end of term, return or destruction (DPA II.9) ------------------------------------------------------------------


def term_end_obligation(agreement) -> Obligation:
    """The end of an executed agreement's term as a dated item, so that reminders, pages and feeds treat it alike."""
    end = agreement.contract_end
    return _obligation(
        K.TERM_END,
        agency=agreement.agency,
        start=agreement.contract_start or end,
        due=end,
        explanation=f"The last day of the contract term in Exhibit B is {long_date(end)}.",
        agreement=agreement,
        contractor=agreement.contractor,
    )


def return_destroy_obligation(agreement, *, ended_on: date, agency: EducationalAgency) -> Obligation:
    days = policy_of(agency).destruction_days
    due = add_calendar_days(ended_on, days)
    return _obligation(
        K.RETURN_DESTROY,
        agency=agency,
        start=ended_on,
        due=due,
        explanation=f"{days} calendar days after the agreement ended on {long_date(ended_on)}: the district's default "
        "period for returning or destroying data (DPA II.9).",
        agreement=agreement,
        contractor=agreement.contractor,
    )


def successor_in_effect(agreement):
    """A renewal or amendment of this agreement that was executed: the data carries over to it, so the end of this
    one opens no return-or-destroy duty (the successor's end will)."""
    return Agreement.objects.filter(previous=agreement, status__in=statuses.POSTED).order_by("pk").first()


def agreement_expire(*, agreement: Agreement) -> bool:
    """The sweep: an executed agreement whose term ended becomes expired (actor None), its end-of-term item is met,
    and the return-or-destroy duty opens unless a renewal carries the data on; vendor and district admins are told.
    False if another sweep (or a person) moved it first."""
    end = agreement.contract_end
    successor = successor_in_effect(agreement)
    note = f"The contract term ended on {long_date(end)} (Exhibit B). Expired by the portal's daily sweep; " + (
        f"the data carries over to the {successor.get_kind_display().lower()} (agreement {successor.pk}), so no "
        "return or destruction is due."
        if successor
        else "the vendor must now return or destroy the data and certify it (DPA II.9)."
    )
    with transaction.atomic():
        try:
            agreement_transition(agreement=agreement, to_status=S.EXPIRED, actor=None, note=note)
        except ApplicationError:
            return False
        now = timezone.now()
        Obligation.objects.filter(agreement=agreement, kind=K.TERM_END, status__in=Obligation.OPEN_STATUSES).update(
            status=Obligation.Status.MET, met_at=now, met_note="The term ended; the agreement expired."
        )
        if successor is None:
            duty = return_destroy_obligation(agreement, ended_on=end, agency=agreement.agency)
            duty.save()
            email_enqueue(
                to=access.vendor_emails(agreement.contractor_id) + district_admin_emails(agreement.agency_id),
                template="deadline_expired",
                agreement=agreement,
                context={"agreement": agreement, "obligation": duty},
            )
    return True


def destruction_certificate_file(*, agreement: Agreement, actor, **facts) -> DestructionCertificate:
    """The vendor certifies in writing that the data is destroyed, subcontractors' copies included (DPA II.9(b)-(c))."""
    access.require_vendor_staff(actor, agreement.contractor_id)
    if agreement.status not in statuses.ENDED:
        raise ApplicationError(
            "A destruction certificate is filed once the agreement has expired or been terminated.", code=STATE
        )
    if not facts.get("subcontractors_included"):
        raise ApplicationError(
            "The certificate must cover every copy held by subcontractors and assignees (DPA II.9(b))."
        )
    if facts["destroyed_on"] > timezone.localdate():
        raise ApplicationError("The date of destruction cannot be in the future.")
    try:
        with transaction.atomic():
            certificate = DestructionCertificate.objects.create(agreement=agreement, filed_by=actor, **facts)
            email_enqueue(
                to=district_admin_emails(agreement.agency_id),
                template="deadline_certificate_filed",
                agreement=agreement,
                context={"agreement": agreement, "certificate": certificate},
            )
    except IntegrityError:
        raise ApplicationError(
            "A certificate is already waiting for the district, or one was accepted.", code=STATE
        ) from None
    return certificate


def destruction_certificate_accept(
    *, certificate: DestructionCertificate, actor, note: str = ""
) -> DestructionCertificate:
    """A district admin accepts: the return-or-destroy duty is met and the agreement becomes closed."""
    agreement = certificate.agreement
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    with transaction.atomic():
        now = timezone.now()
        decided = DestructionCertificate.objects.filter(
            pk=certificate.pk, status=DestructionCertificate.Status.SUBMITTED
        ).update(status=DestructionCertificate.Status.ACCEPTED, reviewed_by=actor, reviewed_at=now, review_note=note)
        if decided != 1:
            raise ApplicationError("This certificate was already decided.", code=STATE)
        certificate.refresh_from_db()
        Obligation.objects.filter(
            agreement=agreement, kind=K.RETURN_DESTROY, status__in=Obligation.OPEN_STATUSES
        ).update(
            status=Obligation.Status.MET,
            met_at=now,
            met_by=actor,
            certificate=certificate,
            met_note=f"Destruction certified by {certificate.signer_name} on "
            f"{long_date(timezone.localdate(certificate.certified_at))}; accepted by the district.",
        )
        agreement_transition(
            agreement=agreement,
            to_status=S.CLOSED,
            actor=actor,
            note=f"{certificate.signer_name}, {certificate.signer_title}, certified that the data was destroyed on "
            f"{long_date(certificate.destroyed_on)} (DPA II.9(c)); the district accepted the certificate.",
        )
        _tell_vendor_of_decision(certificate)
    return certificate


def destruction_certificate_reject(*, certificate: DestructionCertificate, actor, note: str) -> DestructionCertificate:
    """A district admin returns the certificate to the vendor with what is missing; the duty stays open."""
    access.require_district_staff(actor, certificate.agreement.agency_id, access.DISTRICT_ADMIN)
    if not note.strip():
        raise ApplicationError("Say what the certificate is missing.")
    with transaction.atomic():
        decided = DestructionCertificate.objects.filter(
            pk=certificate.pk, status=DestructionCertificate.Status.SUBMITTED
        ).update(
            status=DestructionCertificate.Status.REJECTED,
            reviewed_by=actor,
            reviewed_at=timezone.now(),
            review_note=note.strip(),
        )
        if decided != 1:
            raise ApplicationError("This certificate was already decided.", code=STATE)
        certificate.refresh_from_db()
        _tell_vendor_of_decision(certificate)
    return certificate


def _tell_vendor_of_decision(certificate: DestructionCertificate) -> None:
    agreement = certificate.agreement
    email_enqueue(
        to=access.vendor_emails(agreement.contractor_id),
        template="deadline_certificate_decided",
        agreement=agreement,
        context={"agreement": agreement, "certificate": certificate},
    )


# --- the secret calendar link ----------------------------------------------------------------------------------------


def calendar_feed_issue(*, user) -> str:
    """A new secret link for the user's calendar, replacing any earlier one; returns the token (shown once)."""
    import secrets

    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_hash": token_hash(token), "created_at": timezone.now()}
    )
    return token


def calendar_feed_revoke(*, user) -> bool:
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)
