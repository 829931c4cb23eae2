"""Reads for the agreement page: every exhibit, the comments, the last submissions, in a fixed number of queries."""

from collections import defaultdict
from itertools import groupby

from agreements.models import Agreement, StatusChange

from . import bill_of_rights, crosswalk
from .answers import agreement_answers, answers_diff, carried_over
from .completeness import agreement_completeness
from .models import (
    AnswerReuse,
    BillOfRights,
    CsfResponse,
    ReviewComment,
    Section,
    SecurityPlan,
    Submission,
    SupplementalInformation,
)

S = Agreement.Status
# An admin sends a submitted (or approved, not yet signed) agreement back to the vendor with changes to make.
SENT_BACK_FROM = (S.SUBMITTED, S.APPROVED)


def complaint_contact_missing(agency) -> bool:
    """The district has not said where parents' complaints go (Exhibit A item 6): its dashboard asks for it."""
    return not bill_of_rights.names_complaint_address(agency)


def c1_crosswalk(reuse) -> dict:
    """How the C.1 answers were carried from a CSF 1.1 agreement by NIST's mapping (exhibits.services.answers_reuse):
    {"source": NIST's document, "notes": {2.0 category: {"from": [...], "left_out": [...], "unmapped": bool}}}, or
    {} when nothing was carried that way."""
    record = (reuse.answers or {}).get(crosswalk.C1_CROSSWALK) if reuse else None
    if not record:
        return {}
    notes = defaultdict(lambda: {"from": [], "left_out": [], "unmapped": False})
    for identifier, sources in record.get("from", {}).items():
        notes[identifier]["from"] = sources
    for identifier, sources in record.get("left_out", {}).items():
        notes[identifier]["left_out"] = sources
    for identifier in record.get("unmapped", []):
        notes[identifier]["unmapped"] = True
    return {"source": record.get("source", {}), "notes": dict(notes)}


def csf_responses(agreement) -> list:
    """C.1 responses with their categories and functions, in the framework's order. One query."""
    responses = CsfResponse.objects.filter(agreement=agreement).select_related("category__function")
    return list(responses.order_by("category__position"))


def csf_rows(responses) -> list:
    """C.1 responses grouped by framework function: [(function, [response, ...]), ...]."""
    return [(function, list(rows)) for function, rows in groupby(responses, key=lambda r: r.category.function)]


def comments_by_place(agreement, *, for_vendor: bool = False) -> dict:
    """Review comments keyed by section, and by "c1:<identifier>" for C.1 categories.

    The district reviews among itself, then speaks to the vendor through an admin: a vendor sees the comments written
    before an admin last sent the agreement back for changes, and no reviewer's recommendation, which is advice to
    the admin (decision of issue 10; README, "Security"). Two queries for the vendor, one for the district.
    """
    comments = ReviewComment.objects.filter(agreement=agreement).select_related("author", "category")
    if for_vendor:
        sent_back = (
            StatusChange.objects.filter(agreement=agreement, to_status=S.WITH_VENDOR, from_status__in=SENT_BACK_FROM)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        comments = comments.filter(created_at__lte=sent_back) if sent_back else comments.none()
    places = defaultdict(list)
    for comment in comments:
        if for_vendor:
            comment.recommendation = ""
        key = f"c1:{comment.category.identifier}" if comment.category_id else comment.section
        places[key].append(comment)
    return dict(places)


def agreement_exhibits(agreement, *, side: str = "district") -> dict:
    """Everything the agreement page shows of the exhibits."""
    info = SupplementalInformation.objects.prefetch_related("subcontractors").get(agreement=agreement)
    plan = _plan(agreement)
    responses = csf_responses(agreement)
    answers = agreement_answers(agreement, info=info, plan=plan, responses=responses)
    submissions = list(Submission.objects.filter(agreement=agreement).order_by("-number")[:2])
    reuse = AnswerReuse.objects.filter(agreement=agreement).select_related("source__agency").first()
    bill = BillOfRights.objects.filter(agency=agreement.agency_id).order_by("-version").first()
    ack = getattr(agreement, "bill_of_rights_acknowledgement", None)
    return {
        "info": info,
        "plan": plan,
        "csf_rows": csf_rows(responses),
        "comments": comments_by_place(agreement, for_vendor=side == "vendor"),
        "answers": answers,
        "missing": agreement_completeness(agreement, answers, current_version=bill.version if bill else None),
        "latest_submission": submissions[0] if submissions else None,
        "changes": answers_diff(submissions[1].answers, submissions[0].answers) if len(submissions) == 2 else None,
        "reuse": reuse,
        "carried": carried_over(reuse.answers, answers) if reuse else set(),
        "c1_crosswalk": c1_crosswalk(reuse),
        "bill_of_rights": bill,
        "acknowledged": bool(ack and bill and ack.bill_of_rights_id == bill.pk),
        "sections": Section,
    }


def _plan(agreement) -> SecurityPlan:
    plan = SecurityPlan.objects.get(agreement=agreement)
    plan.agreement = agreement  # its framework is already loaded with the agreement
    return plan
