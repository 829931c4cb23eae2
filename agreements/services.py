"""Business rules for agreements. Writes take keyword-only arguments and are named <thing>_<verb>."""

from django.db import transaction
from django.utils import timezone

from dpa_portal.errors import INVALID, STATE, ApplicationError
from dpa_portal.sentences import full_stop
from vendors.models import ContractorMembership

from . import access
from .mail import email_enqueue
from .models import Agreement, OutsideSigning, StatusChange, statuses

S = Agreement.Status

# The lifecycle of DESIGN.md, in one table: from each status, the statuses an agreement may move to.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.WITH_VENDOR, S.WITHDRAWN}),
    S.WITH_VENDOR: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.WITH_VENDOR, S.APPROVED, S.WITHDRAWN}),  # back to the vendor = changes requested
    S.APPROVED: frozenset({S.VENDOR_SIGNED, S.WITH_VENDOR, S.WITHDRAWN}),
    S.VENDOR_SIGNED: frozenset({S.EXECUTED, S.WITHDRAWN}),
    S.EXECUTED: frozenset({S.EXPIRED, S.TERMINATED}),  # an executed agreement is never withdrawn or edited
    S.EXPIRED: frozenset({S.CLOSED}),
    S.TERMINATED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


def agreement_transition(*, agreement: Agreement, to_status: str, actor=None, note: str = "") -> StatusChange:
    """Move an agreement to `to_status` if the table allows it, and log the step.

    The row is locked so that two people acting at once cannot both move it from the same status.
    """
    to_status = S(to_status)
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        from_status = S(locked.status)
        if to_status not in ALLOWED_TRANSITIONS[from_status]:
            raise ApplicationError(
                f"An agreement that is {from_status.label.lower()} cannot become {to_status.label.lower()}.", code=STATE
            )
        now = timezone.now()
        locked.status = to_status
        locked.status_changed_at = now
        fields = ["status", "status_changed_at", "updated_at"]
        if to_status == S.EXECUTED and locked.posted_at is None:
            locked.posted_at = now  # posted once, when executed; it stays posted after it ends
            fields.append("posted_at")
        locked.save(update_fields=fields)
        change = StatusChange.objects.create(
            agreement=locked, actor=actor, from_status=from_status, to_status=to_status, note=note, created_at=now
        )
    agreement.status, agreement.status_changed_at = locked.status, locked.status_changed_at
    agreement.posted_at = locked.posted_at
    return change


def agreement_create(
    *,
    agency,
    contractor,
    framework,
    products=(),
    actor=None,
    service_agreement_date=None,
    contract_start=None,
    contract_end=None,
    runs_until_terminated: bool = False,
    review_on=None,
    previous: Agreement | None = None,
    kind: str = Agreement.Kind.NEW,
) -> Agreement:
    """Create a draft agreement with empty Exhibits B and C and one C.1 row per category of its framework."""
    from exhibits.models import CsfResponse, SecurityPlan, SupplementalInformation

    products = list(products)
    foreign = [p for p in products if p.contractor_id != contractor.pk]
    if foreign:
        raise ApplicationError(f"{foreign[0]} is not a product of {full_stop(contractor)}")
    with transaction.atomic():
        agreement = Agreement.objects.create(
            agency=agency,
            contractor=contractor,
            framework=framework,
            service_agreement_date=service_agreement_date,
            contract_start=contract_start,
            contract_end=contract_end,
            runs_until_terminated=runs_until_terminated,
            review_on=review_on,
            previous=previous,
            kind=kind,
            created_by=actor,
        )
        agreement.products.set(products)
        SupplementalInformation.objects.create(agreement=agreement)
        SecurityPlan.objects.create(agreement=agreement)
        CsfResponse.objects.bulk_create(
            CsfResponse(agreement=agreement, category=category) for category in framework.categories.all()
        )
        StatusChange.objects.create(
            agreement=agreement, actor=actor, from_status="", to_status=S.DRAFT, note="Agreement created."
        )
    return agreement


# --- The steps of the lifecycle, each guarded by role and status, each logged, each announced by e-mail ------


def district_recipients(agreement: Agreement, roles=access.DISTRICT_REVIEWERS) -> list[str]:
    return access.district_emails(agreement.agency_id, roles)


def vendor_recipients(agreement: Agreement) -> list[str]:
    return access.vendor_emails(agreement.contractor_id)


def _announce(agreement: Agreement, template: str, to, **context):
    email_enqueue(to=to, template=template, agreement=agreement, context={"agreement": agreement, **context})


def agreement_send_to_vendor(*, agreement: Agreement, actor, contact_email: str = "", note: str = "") -> StatusChange:
    """Draft -> with the vendor. A vendor with no staff yet is invited through `contact_email`."""
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    from exhibits.services import bill_of_rights_complaints_require  # Exhibit A item 6 names a contact (11.8)

    bill_of_rights_complaints_require(agreement.agency)
    # Exhibit B states the term (8 NYCRR 121.3(c)(3)): no agreement leaves the district without it (issue 11.1).
    missing = Agreement.objects.get(pk=agreement.pk).term_missing
    if missing:
        raise ApplicationError(
            f"Complete the term before sending: give {', '.join(missing)} (Edit the term on the agreement page).",
            code=INVALID,
        )
    with transaction.atomic():
        change = agreement_transition(agreement=agreement, to_status=S.WITH_VENDOR, actor=actor, note=note)
        recipients = vendor_recipients(agreement)
        if recipients:
            _announce(agreement, "agreement_sent", recipients, note=note)
        elif contact_email:
            from accounts.models import Invitation
            from accounts.services import invitation_create

            invitation_create(
                kind=Invitation.Kind.VENDOR_CONTACT,
                email=contact_email,
                role=ContractorMembership.Role.ADMIN,
                invited_by=actor,
                agency=agreement.agency,
                contractor=agreement.contractor,
                agreement=agreement,
                note=note,
            )
        else:
            raise ApplicationError(f"{agreement.contractor} has no staff here yet: give a contact e-mail to invite.")
    return change


def agreement_submit(*, agreement: Agreement, actor) -> StatusChange:
    """With the vendor -> submitted, only when every answer is complete; snapshots the answers for review."""
    from exhibits.answers import agreement_answers
    from exhibits.completeness import agreement_completeness
    from exhibits.services import submission_record

    access.require_vendor_staff(actor, agreement.contractor_id)
    with transaction.atomic():
        missing = agreement_completeness(agreement, agreement_answers(agreement))
        if missing:
            raise ApplicationError(
                f"The agreement is not complete yet: {len(missing)} item(s) missing, first: {missing[0].message}",
                code=STATE,
            )
        change = agreement_transition(agreement=agreement, to_status=S.SUBMITTED, actor=actor)
        submission = submission_record(agreement=agreement, actor=actor)
        _announce(agreement, "submitted", district_recipients(agreement), submission=submission)
    return change


def agreement_request_changes(*, agreement: Agreement, actor, note: str) -> StatusChange:
    """Submitted -> back with the vendor, with a note saying what to change (the comments show beside fields)."""
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    if not note.strip():
        raise ApplicationError("Say what the vendor should change.")
    with transaction.atomic():
        change = agreement_transition(agreement=agreement, to_status=S.WITH_VENDOR, actor=actor, note=note)
        _announce(agreement, "changes_requested", vendor_recipients(agreement), note=note)
    return change


def agreement_approve(*, agreement: Agreement, actor, note: str = "") -> StatusChange:
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    with transaction.atomic():
        change = agreement_transition(agreement=agreement, to_status=S.APPROVED, actor=actor, note=note)
        _announce(agreement, "approved", vendor_recipients(agreement) + district_recipients(agreement), note=note)
        from .signing import signing_copy_schedule

        signing_copy_schedule(agreement)  # the PDF both parties sign, rendered by a worker
    return change


def agreement_withdraw(*, agreement: Agreement, actor, note: str = "") -> StatusChange:
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    return agreement_transition(agreement=agreement, to_status=S.WITHDRAWN, actor=actor, note=note)


def agreement_start(
    *, agency, actor, framework, product_name: str, contractor=None, new_vendor_name: str = "", **term
) -> Agreement:
    """A district starts an agreement: for an existing vendor or a new one it names, and a product by name."""
    from vendors.services import contractor_create, product_get_or_create

    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    with transaction.atomic():
        if contractor is None:
            contractor = contractor_create(legal_name=new_vendor_name)
        product = product_get_or_create(contractor=contractor, name=product_name)
        return agreement_create(
            agency=agency, contractor=contractor, framework=framework, products=[product], actor=actor, **term
        )


def district_contacts_update(*, agency, actor, form) -> None:
    """Save the district's contacts and publish its Bill of Rights again if item 6 (complaints) changed."""
    from exhibits.services import bill_of_rights_publish

    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    with transaction.atomic():
        form.save()
        bill_of_rights_publish(agency=agency, actor=actor)


def district_posting_update(*, agency, actor, post_exhibit_c: bool) -> int:
    """Post Exhibits C and C.1 in the public copy of every executed agreement of the district, or stop. Each posted
    agreement's public copy for the new choice is then made (agreements.signing); until it is, the public pages
    offer no PDF for it rather than one with more than the district posts. Returns how many copies are due."""
    from .signing import public_copies_schedule

    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    with transaction.atomic():
        agency.refresh_from_db(fields=["post_exhibit_c"])
        if agency.post_exhibit_c == bool(post_exhibit_c):
            return 0
        agency.post_exhibit_c = bool(post_exhibit_c)
        agency.save(update_fields=["post_exhibit_c", "updated_at"])
        return public_copies_schedule(Agreement.objects.filter(agency=agency))


def agreement_amend(*, agreement: Agreement, actor, kind: str) -> Agreement:
    """Start an amendment or a renewal of an executed agreement: a new draft that carries its answers over.

    The executed agreement never changes. A renewal's term follows the old one's, for the same length; an
    amendment keeps the term. Either goes through the vendor, review and signing again. One signed outside the portal
    gives its Exhibit B answers (issue 12); the draft is sent to the contact recorded with it while the vendor has
    nobody here (the agreement page offers it for agreement_send_to_vendor's invitation).
    """
    from exhibits.services import answers_reuse

    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    if kind not in (Agreement.Kind.AMENDMENT, Agreement.Kind.RENEWAL):
        raise ApplicationError("Choose an amendment or a renewal.")
    if agreement.status not in statuses.AMENDABLE:
        raise ApplicationError("Only an executed agreement can be amended or renewed.", code=STATE)
    successor = Agreement.objects.filter(previous=agreement, status__in=statuses.POSTED).order_by("pk").first()
    if successor is not None:  # superseded (issue 11.3): the successor is the agreement to amend or renew now
        raise ApplicationError(
            f"The {successor.get_kind_display().lower()} (agreement {successor.pk}) superseded this agreement: amend "
            "or renew that one.",
            code=STATE,
        )
    start, end = agreement.contract_start, agreement.contract_end
    if kind == Agreement.Kind.RENEWAL and start and end:
        start, end = renewal_term(start, end)
    with transaction.atomic():
        new = agreement_create(
            agency=agreement.agency,
            contractor=agreement.contractor,
            framework=agreement.framework,
            products=agreement.products.all(),
            actor=actor,
            service_agreement_date=agreement.service_agreement_date,
            contract_start=start,
            contract_end=end,
            # An agreement that runs until terminated stays so; the district sets the next review date on the draft.
            runs_until_terminated=agreement.runs_until_terminated,
            review_on=agreement.review_on,
            previous=agreement,
            kind=kind,
        )
        if OutsideSigning.objects.filter(agreement=agreement).exists():
            # Signed outside the portal (issue 12): no submission to copy; its Exhibit B answers start the draft.
            from .outside import outside_answers_carry

            outside_answers_carry(agreement=new, source=agreement, actor=actor)
        else:
            answers_reuse(agreement=new, source=agreement, actor=actor)
    return Agreement.objects.get(pk=new.pk)  # without the empty exhibits cached at creation


def agreement_supersede_predecessor(*, agreement: Agreement):
    """On execution of an amendment or renewal (agreements.signing.agreement_execute, in its transaction): the agreement
    it follows is superseded; its reminders stop and its duties move (agreements.deadlines.services.ending)."""
    from .deadlines.services.ending import predecessor_supersede

    return predecessor_supersede(agreement=agreement)


def termination_record_schedule(*, agreement: Agreement) -> None:
    """On an early termination (agreements.deadlines.services.ending, in its transaction): seal the record of it in a
    worker once it commits (agreements.signing)."""
    from .signing import termination_record_schedule as schedule

    schedule(agreement)


def renewal_term(start, end):
    """The term after [start, end], as long: whole months stay whole months (July to June is July to June)."""
    from datetime import timedelta

    from dateutil.relativedelta import relativedelta

    after = end + timedelta(days=1)
    span = relativedelta(after, start)
    if span.days == 0:  # a term of whole months or years
        return after, after + relativedelta(years=span.years, months=span.months) - timedelta(days=1)
    return after, end + (after - start)
