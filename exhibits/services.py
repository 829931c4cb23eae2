"""Business rules for the exhibits."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dpa_portal.errors import STATE, ApplicationError
from vendors.models import Subcontractor

from . import bill_of_rights
from .answers import EXHIBIT_B_FIELDS, EXHIBIT_C_FIELDS, agreement_answers
from .models import (
    AnswerReuse,
    BillOfRights,
    BillOfRightsAcknowledgement,
    CsfResponse,
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
    bill_of_rights_complaints_require(agreement.agency)
    current = BillOfRights.objects.filter(agency=agreement.agency_id).order_by("-version").first()
    if current is None:
        raise ApplicationError(f"{agreement.agency} has not published its Bill of Rights yet.", code=STATE)
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


def answers_reuse(*, agreement, source, actor) -> AnswerReuse:
    """Copy the answers `source` last submitted into `agreement` (Exhibits B, C, C.1 and the subcontractors).

    Exhibit A is not copied: each district has its own Bill of Rights to acknowledge. C.1 answers are copied by
    category identifier, so only the categories the two framework versions share carry over.
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
        copied_c1 = {}
        for response in CsfResponse.objects.filter(agreement=agreement).select_related("category"):
            previous = answers[Section.EXHIBIT_C1].get(response.category.identifier)
            if previous:
                response.narrative, response.tier = previous["narrative"], previous["tier"]
                response.save(update_fields=["narrative", "tier", "updated_at"])
                copied_c1[response.category.identifier] = previous
        copied = {
            Section.EXHIBIT_B: answers[Section.EXHIBIT_B],
            Section.SUBCONTRACTORS: answers[Section.SUBCONTRACTORS],
            Section.EXHIBIT_C: answers[Section.EXHIBIT_C],
            Section.EXHIBIT_C1: copied_c1,
        }
        reuse, _ = AnswerReuse.objects.update_or_create(
            agreement=agreement, defaults={"source": source, "answers": copied, "actor": actor}
        )
    return reuse


def submission_record(*, agreement, actor) -> Submission:
    """Snapshot every answer as submitted; numbered 1, 2, ... per agreement."""
    last = Submission.objects.filter(agreement=agreement).order_by("-number").values_list("number", flat=True).first()
    return Submission.objects.create(
        agreement=agreement,
        number=(last or 0) + 1,
        answers=agreement_answers(agreement),
        submitted_by=actor,
        submitted_at=timezone.now(),
    )


def review_comment_add(*, agreement, author, section, body, category=None, recommendation="") -> ReviewComment:
    if category is not None and category.framework_id != agreement.framework_id:
        raise ApplicationError("That category is not part of this agreement's framework.")
    return ReviewComment.objects.create(
        agreement=agreement,
        author=author,
        section=section,
        category=category if section == Section.EXHIBIT_C1 else None,
        body=body,
        recommendation=recommendation,
    )
