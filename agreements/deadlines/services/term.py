"""The end of the term and what follows: expiry, return or destruction of the data, its certificate (DPA II.9)."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from dpa_portal.errors import STATE, ApplicationError

from ... import access
from ...mail import email_enqueue
from ...models import Agreement, EducationalAgency, StatusChange, statuses
from ...services import agreement_transition
from ..calendar import add_calendar_days, long_date
from ..models import DestructionCertificate, Obligation
from .duties import district_admin_emails, obligation_build, policy_of

S = Agreement.Status
K = Obligation.Kind


def term_end_obligation(agreement) -> Obligation:
    """The end of an executed agreement's term as a dated item, so that reminders, pages and feeds treat it alike."""
    end = agreement.term_end_day
    explanation = (
        f"The agreement runs until terminated; the district named {long_date(end)} as the day it next reviews it. "
        "The review does not end the agreement: the district records it and names the next review date."
        if agreement.runs_until_terminated
        else f"The last day of the contract term in Exhibit B is {long_date(end)}."
    )
    return obligation_build(
        K.TERM_END,
        agency=agreement.agency,
        start=agreement.contract_start or end,
        due=end,
        explanation=explanation,
        agreement=agreement,
        contractor=agreement.contractor,
    )


def return_destroy_obligation(agreement, *, ended_on: date, agency: EducationalAgency) -> Obligation:
    days = policy_of(agency).destruction_days
    due = add_calendar_days(ended_on, days)
    return obligation_build(
        K.RETURN_DESTROY,
        agency=agency,
        start=ended_on,
        due=due,
        explanation=f"{days} calendar days after the agreement ended on {long_date(ended_on)}: the district's default "
        "period for returning or destroying data (DPA II.9).",
        agreement=agreement,
        contractor=agreement.contractor,
    )


def timeline_note(agreement, *, actor, note: str) -> StatusChange:
    """A line on the agreement's timeline that changes no status (its status, to itself): a change of term, a review,
    a supersession, a confirmation that the data carried over."""
    return StatusChange.objects.create(
        agreement=agreement, actor=actor, from_status=agreement.status, to_status=agreement.status, note=note
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
