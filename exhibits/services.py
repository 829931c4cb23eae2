"""Business rules for the exhibits."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from agreements.access import DISTRICT_REVIEWERS, require_district_staff, require_vendor_staff
from agreements.models import statuses
from dpa_portal.errors import INVALID, STATE, ApplicationError
from vendors.models import Subcontractor

from . import bill_of_rights, crosswalk, places
from .answers import EXHIBIT_B_FIELDS, EXHIBIT_C_FIELDS, agreement_answers, carried_over
from .models import (
    CSF_NARRATIVE_LENGTH,
    AnswerReuse,
    BillOfRights,
    BillOfRightsAcknowledgement,
    CsfResponse,
    Framework,
    FrameworkCategory,
    ReviewComment,
    Section,
    SecurityPlan,
    Submission,
    SupplementalInformation,
)

COMPLAINT_CONTACT_MISSING = (
    "{agency} has not said where parents' complaints go. Item 6 of the Parents' Bill of Rights must name a "
    "complaints e-mail address or postal address, or both: a district admin gives it on the district's "
    "Contacts and posting page."
)


def bill_of_rights_complaints_require(agency) -> None:
    """Refuse to publish, attach or send a Bill of Rights that names nowhere for complaints (Exhibit A item 6(i))."""
    if not bill_of_rights.names_complaint_address(agency):
        raise ApplicationError(COMPLAINT_CONTACT_MISSING.format(agency=agency), code=STATE)


def bill_of_rights_publish(*, agency, actor=None, preamble=None, items=None, effective_date=None) -> BillOfRights:
    """Publish the district's Bill of Rights as a new version, from the model text unless told otherwise.

    Publishing the same text as the current version returns the current version: versions change only when the
    text does, so an agreement's acknowledgement keeps pointing at what the vendor actually read. Refused until
    the district names where complaints go (issue 11.8).
    """
    bill_of_rights_complaints_require(agency)
    preamble = bill_of_rights.MODEL_PREAMBLE if preamble is None else preamble
    items = bill_of_rights.model_items(agency) if items is None else list(items)
    with transaction.atomic():
        current = BillOfRights.objects.select_for_update().filter(agency=agency).order_by("-version").first()
        if current and current.preamble == preamble and current.items == items:
            return current
        return BillOfRights.objects.create(
            agency=agency,
            version=current.version + 1 if current else 1,
            preamble=preamble,
            items=items,
            effective_date=effective_date or timezone.localdate(),
            created_by=actor,
        )


def bill_of_rights_acknowledge(*, agreement, actor) -> BillOfRightsAcknowledgement:
    """Record that the contractor acknowledges the district's current Bill of Rights for this agreement."""
    agency = agreement.agency
    bill_of_rights_complaints_require(agency)
    current = BillOfRights.objects.filter(agency=agreement.agency_id).order_by("-version").first()
    if current is None:
        raise ApplicationError(f"{agreement.agency} has not published its Bill of Rights yet.", code=STATE)
    if bill_of_rights.names_nowhere(current.items):
        # Published before the district named a complaint address (issue 11.8): the vendor acknowledges a version
        # whose item 6 names it, the district's other items as they were.
        items = list(current.items)
        items[5] = bill_of_rights.model_items(agency)[5]
        current = bill_of_rights_publish(agency=agency, preamble=current.preamble, items=items)
    ack, _ = BillOfRightsAcknowledgement.objects.update_or_create(
        agreement=agreement,
        defaults={"bill_of_rights": current, "acknowledged_by": actor, "acknowledged_at": timezone.now()},
    )
    return ack


def reuse_source_for(agreement):
    """The contractor's most recently submitted agreement for one of the same products, in any district."""
    from agreements.models import Agreement

    return (
        Agreement.objects.filter(
            contractor=agreement.contractor_id,
            products__in=agreement.products.values("pk"),
            submissions__isnull=False,
        )
        .exclude(pk=agreement.pk)
        .annotate(last_submitted=Max("submissions__submitted_at"))
        .order_by("-last_submitted")
        .select_related("agency")
        .first()
    )


def executed_source_for(agreement):
    """The fast track's source (issue 16.2): the contractor's most recently executed agreement for one of the same
    products in another district, that is in effect and was executed through the portal (its last submission holds
    the answers both parties signed; one signed outside the portal has none).

    Not reuse_source_for: that one is the vendor's latest submission anywhere, a draft under review included, which
    the vendor may choose to start from; the district's fast track starts only from answers another district signed."""
    from agreements.models import Agreement

    return (
        Agreement.objects.filter(
            contractor=agreement.contractor_id,
            products__in=agreement.products.values("pk"),
            status=Agreement.Status.EXECUTED,
            posted_at__isnull=False,
            submissions__isnull=False,
        )
        .exclude(agency=agreement.agency_id)
        .exclude(pk=agreement.pk)
        .order_by("-posted_at", "-pk")
        .select_related("agency")
        .first()
    )


def answers_fast_track(*, agreement, actor) -> AnswerReuse | None:
    """Start the agreement's Exhibits B, C, C.1 and subcontractors from the vendor's latest executed answers for the
    product in another district (executed_source_for), if there are any; the vendor confirms or changes them before
    submitting (submission_record). Exhibit A and the contract term stay the agreement's own."""
    source = executed_source_for(agreement)
    if source is None:
        return None
    return answers_reuse(agreement=agreement, source=source, actor=actor)


def answers_reuse(*, agreement, source, actor) -> AnswerReuse:
    """Copy the answers `source` last submitted into `agreement` (Exhibits B, C, C.1 and the subcontractors).

    Exhibit A is not copied: each district has its own Bill of Rights to acknowledge. C.1 answers are copied by
    category identifier between agreements of the same framework version; from CSF 1.1 to CSF 2.0 they follow
    NIST's published mapping (exhibits/crosswalk.py), and a 2.0 category the mapping sends nothing to starts empty.
    What came from where is kept in the reuse's answers under crosswalk.C1_CROSSWALK, for the pages to say so.
    """
    if source.contractor_id != agreement.contractor_id or source.pk == agreement.pk:
        raise ApplicationError("Answers can only be reused from another agreement of the same contractor.")
    snapshot = Submission.objects.filter(agreement=source).order_by("-number").first()
    if snapshot is None:
        raise ApplicationError("That agreement has no submitted answers to reuse.")
    answers = snapshot.answers
    with transaction.atomic():
        info = SupplementalInformation.objects.select_for_update().get(agreement=agreement)
        for field in EXHIBIT_B_FIELDS:
            setattr(info, field, answers[Section.EXHIBIT_B][field])
        info.save()
        names = list(answers[Section.SUBCONTRACTORS])
        info.subcontractors.set(Subcontractor.objects.filter(contractor=agreement.contractor_id, name__in=names))
        plan = SecurityPlan.objects.get(agreement=agreement)
        for field in EXHIBIT_C_FIELDS:
            setattr(plan, field, answers[Section.EXHIBIT_C][field])
        plan.save()
        copied_c1, mapping = _c1_reuse(agreement=agreement, source=source, previous=answers[Section.EXHIBIT_C1])
        copied = {
            Section.EXHIBIT_B: answers[Section.EXHIBIT_B],
            Section.SUBCONTRACTORS: answers[Section.SUBCONTRACTORS],
            Section.EXHIBIT_C: answers[Section.EXHIBIT_C],
            Section.EXHIBIT_C1: copied_c1,
            **({crosswalk.C1_CROSSWALK: mapping} if mapping else {}),
        }
        reuse, _ = AnswerReuse.objects.update_or_create(
            agreement=agreement,
            defaults={
                "source": source,
                "answers": copied,
                "actor": actor,
                "confirmed_at": None,  # new copies: nobody has confirmed them yet
                "confirmed_by": None,
            },
        )
    return reuse


def _c1_reuse(*, agreement, source, previous: dict) -> tuple[dict, dict]:
    """Fill the agreement's C.1 from the source's submitted C.1 answers `previous`; return (what was copied, per
    target category, and the crosswalk record, or {} when the identifiers were matched directly)."""
    responses = list(CsfResponse.objects.filter(agreement=agreement).select_related("category"))
    from_version = Framework.objects.filter(agreements=source.pk).values_list("version", flat=True).first()
    walk = None
    if from_version != agreement.framework.version:
        walk = crosswalk.crosswalk_for(from_version, agreement.framework.version)
    copied, record = {}, {}
    if walk is not None:
        categories = FrameworkCategory.objects.filter(framework__agreements=source.pk)
        names = dict(categories.values_list("identifier", "name"))
        record = {"source": walk.source, "from": {}, "left_out": {}, "unmapped": []}
    for response in responses:
        identifier = response.category.identifier
        if walk is None:
            value = previous.get(identifier)
        else:
            carried = crosswalk.carry(walk, identifier, previous, names, CSF_NARRATIVE_LENGTH)
            if not carried.mapped:
                record["unmapped"].append(identifier)
            if carried.left_out:
                record["left_out"][identifier] = carried.left_out
            value = None
            if carried.narrative:
                record["from"][identifier] = carried.sources
                value = {"narrative": carried.narrative, "tier": carried.tier}
        if value:
            response.narrative, response.tier = value["narrative"], value["tier"]
            response.save(update_fields=["narrative", "tier", "updated_at"])
            copied[identifier] = value
    return copied, record


CARRIED_NOT_CONFIRMED = (
    'Nothing was submitted: {count} answer{plural} marked "carried over" from your agreement with {source} '
    "{verb} unchanged. Tick the box above the Submit button to confirm that they still hold as of today, or change "
    "them first. Your answers are kept."
)


def carried_answers_confirm(*, agreement, actor) -> AnswerReuse | None:
    """The vendor confirms, on the submit form, that the answers still as copied from another agreement hold as of
    today (issue 16.2). Recorded once, with the day and the person; None when nothing was carried over."""
    require_vendor_staff(actor, agreement.contractor_id)
    if agreement.status != statuses.S.WITH_VENDOR:
        raise ApplicationError("The answers cannot be confirmed now: the agreement is not with you.", code=STATE)
    with transaction.atomic():
        reuse = AnswerReuse.objects.select_for_update().filter(agreement=agreement).first()
        if reuse is None or reuse.confirmed_at is not None:
            return reuse
        reuse.confirmed_at, reuse.confirmed_by = timezone.now(), actor
        reuse.save(update_fields=["confirmed_at", "confirmed_by"])
    return reuse


def _carried_require_confirmed(agreement, answers: dict) -> None:
    """Refuse a submission while answers copied from another agreement are unchanged and unconfirmed: the district
    must not read another district's answers of an earlier date as today's (issue 16.2)."""
    reuse = AnswerReuse.objects.filter(agreement=agreement, confirmed_at__isnull=True).select_related("source__agency")
    reuse = reuse.first()
    kept = carried_over(reuse.answers, answers) if reuse else set()
    if kept:
        count = len(kept)
        raise ApplicationError(
            CARRIED_NOT_CONFIRMED.format(
                count=count,
                plural="" if count == 1 else "s",
                source=reuse.source.agency,
                verb="is" if count == 1 else "are",
            ),
            code=STATE,
        )


def submission_record(*, agreement, actor) -> Submission:
    """Snapshot every answer as submitted; numbered 1, 2, ... per agreement. Refused while carried-over answers are
    unconfirmed (inside agreements.services.agreement_submit's transaction, so the agreement stays with the vendor)."""
    answers = agreement_answers(agreement)
    _carried_require_confirmed(agreement, answers)
    last = Submission.objects.filter(agreement=agreement).order_by("-number").values_list("number", flat=True).first()
    return Submission.objects.create(
        agreement=agreement,
        number=(last or 0) + 1,
        answers=answers,
        submitted_by=actor,
        submitted_at=timezone.now(),
    )


def review_comment_place(*, agreement, key: str) -> dict:
    """The place a comment's key names (exhibits/places.py), as review_comment_add's arguments, if it exists for this
    agreement: an item of Exhibit B or a question of Exhibit C, a subcontractor on its Exhibit B list, a category of
    its framework, or a section. Anything else is refused: a hand-made form cannot pin a comment on another
    agreement's subcontractor or another framework's category."""
    section, rest = places.parse(key)
    if section not in Section.values:
        raise ApplicationError("There is no such place to comment on.", code=INVALID)
    if not rest:
        return {"section": section}
    if section in places.ITEMS:
        if rest not in places.ITEMS[section]:
            raise ApplicationError("There is no such question or field to comment on.", code=INVALID)
        return {"section": section, "field": rest}
    if section == Section.SUBCONTRACTORS:
        listed = Subcontractor.objects.filter(exhibits_b__agreement=agreement)
        subcontractor = listed.filter(pk=int(rest)).first() if rest.isdigit() else None
        if subcontractor is None:
            raise ApplicationError("That subcontractor is not on this agreement's list.", code=INVALID)
        return {"section": section, "subcontractor": subcontractor}
    if section == Section.EXHIBIT_C1:
        category = FrameworkCategory.objects.filter(framework=agreement.framework_id, identifier=rest).first()
        if category is None:
            raise ApplicationError("That category is not part of this agreement's framework.", code=INVALID)
        return {"section": section, "category": category}
    raise ApplicationError("There is no such place to comment on.", code=INVALID)


def review_comment_add(
    *, agreement, author, section, body, category=None, field="", subcontractor=None, recommendation=""
) -> ReviewComment:
    """A reviewer's comment on a section or on one place in it (review_comment_place reads a place's key)."""
    require_district_staff(author, agreement.agency_id, DISTRICT_REVIEWERS)
    if category is not None and category.framework_id != agreement.framework_id:
        raise ApplicationError("That category is not part of this agreement's framework.")
    if field and field not in places.ITEMS.get(section, ()):
        raise ApplicationError("There is no such question or field to comment on.", code=INVALID)
    if subcontractor is not None and subcontractor.contractor_id != agreement.contractor_id:
        raise ApplicationError("That subcontractor is not the contractor's.", code=INVALID)
    return ReviewComment.objects.create(
        agreement=agreement,
        author=author,
        section=section,
        category=category if section == Section.EXHIBIT_C1 else None,
        field=field if section in places.ITEMS else "",
        subcontractor=subcontractor if section == Section.SUBCONTRACTORS else None,
        body=body,
        recommendation=recommendation,
    )


def review_comment_resolve(*, comment, actor, resolved: bool = True) -> ReviewComment:
    """Mark a comment resolved (the answer now does what it asked), or open again. The district's reviewers decide,
    while the agreement is in review, as they comment; the vendor sees the state beside the field."""
    require_district_staff(actor, comment.agreement.agency_id, DISTRICT_REVIEWERS)
    if comment.agreement.status not in statuses.IN_REVIEW:
        raise ApplicationError("The agreement is no longer in review.", code=STATE)
    comment.resolved_at = timezone.now() if resolved else None
    comment.save(update_fields=["resolved_at"])
    return comment
