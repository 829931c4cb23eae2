"""Reads for the agreement page: every exhibit, the comments, the last submissions, in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import groupby

from django.utils import dateformat, timezone

from agreements.models import Agreement, StatusChange

from . import bill_of_rights, crosswalk, places
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


class CarriedAnswers(frozenset):
    """(section, key) of the answers still as copied from another agreement (answers.carried_over), with what their
    badge says (agreements/templatetags/portal.py carried_badge): where they came from, or, once the vendor confirmed
    them on the submit form (issue 16.2), that they hold as of that day."""

    badge = "carried over"
    title = ""
    origin = ""  # "Elsewhere UFSD, executed June 3, 2026"
    copied = ""  # which exhibits were copied: "Exhibits B, C, C.1 and the subcontractors"
    confirmed_on = None


def _day(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "F j, Y")


def carried_answers(reuse, answers: dict) -> CarriedAnswers:
    """The carried-over answers of an agreement and their badge. No query once the reuse's source and its agency
    are loaded."""
    if reuse is None:
        return CarriedAnswers()
    carried = CarriedAnswers(carried_over(reuse.answers, answers))
    source = reuse.source
    if source.signed_outside:  # its posted_at is when the district uploaded it; the PDF bears the signing date
        carried.origin = f"{source.agency}, signed outside the portal"
    else:
        carried.origin = str(source.agency) + (f", executed {_day(source.posted_at)}" if source.posted_at else "")
    # An agreement signed outside the portal gives its Exhibit B and subcontractors only (agreements.outside).
    whole = Section.EXHIBIT_C in reuse.answers
    carried.copied = "Exhibits B, C, C.1 and the subcontractors" if whole else "Exhibit B and the subcontractors"
    if reuse.confirmed_at:
        carried.confirmed_on = _day(reuse.confirmed_at)
        carried.badge = f"carried over, confirmed by the vendor on {carried.confirmed_on}"
        carried.title = f"Copied from the agreement with {carried.origin}"
    else:
        carried.badge = f"carried over from {carried.origin}"
    return carried


def csf_responses(agreement) -> list:
    """C.1 responses with their categories and functions, in the framework's order. One query."""
    responses = CsfResponse.objects.filter(agreement=agreement).select_related("category__function")
    return list(responses.order_by("category__position"))


def csf_rows(responses) -> list:
    """C.1 responses grouped by framework function: [(function, [response, ...]), ...]."""
    return [(function, list(rows)) for function, rows in groupby(responses, key=lambda r: r.category.function)]


def comments_by_place(agreement, *, for_vendor: bool = False) -> dict:
    """Review comments keyed by place (exhibits/places.py): a section, "exhibit_b:<item>", "exhibit_c:<question>",
    "subcontractors:<id>", "c1:<identifier>".

    The district reviews among itself, then speaks to the vendor through an admin: a vendor sees the comments written
    before an admin last sent the agreement back for changes, and no reviewer's recommendation, which is advice to
    the admin (decision of issue 10; README, "Security"). Two queries for the vendor, one for the district.
    """
    comments = ReviewComment.objects.filter(agreement=agreement).select_related("author", "category", "subcontractor")
    if for_vendor:
        sent_back = (
            StatusChange.objects.filter(agreement=agreement, to_status=S.WITH_VENDOR, from_status__in=SENT_BACK_FROM)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        comments = comments.filter(created_at__lte=sent_back) if sent_back else comments.none()
    by_place = defaultdict(list)
    for comment in comments:
        if for_vendor:
            comment.recommendation = ""
        by_place[places.key_of(comment)].append(comment)
    return dict(by_place)


def comments_in_sections(comments: dict, all_places) -> dict:
    """{section: [(place, [comment, ...]), ...]}: the comments on one item, question or subcontractor of each section,
    for the agreement page, which shows them under the section with the place they are about. No query."""
    inside = defaultdict(list)
    for place in all_places:
        if place.key != place.section and not place.key.startswith("c1:") and comments.get(place.key):
            inside[place.section].append((place, comments[place.key]))
    for place in _places_gone(comments, all_places):
        inside[place.section].append((place, comments[place.key]))
    return dict(inside)


def _places_gone(comments: dict, all_places) -> list:
    """Places with comments that the agreement no longer has: a subcontractor taken off its Exhibit B list keeps
    its comments, shown under the section."""
    known = {place.key for place in all_places}
    gone = []
    for key, found in comments.items():
        if key not in known and found[0].subcontractor_id:
            name = found[0].subcontractor.name
            gone.append(places.Place(key, Section.SUBCONTRACTORS, f"Subcontractor {name} (no longer listed)"))
    return gone


@dataclass
class ReviewRow:
    """One place of the review page: what the vendor answers there now, what changed since the previous
    submission, and the comments on it."""

    place: places.Place
    now: list = field(default_factory=list)  # lines of text
    changes: list = field(default_factory=list)  # exhibits.answers.Change
    comments: list = field(default_factory=list)
    carried: bool = False  # an answer here is still as copied from another agreement (issue 16.2)

    @property
    def anchor(self) -> str:
        return places.anchor(self.place.key)


def review_rows(exhibits: dict) -> list[ReviewRow]:
    """Every place of the agreement, in the DPA's order, with its answer, its changes and its comments, from what
    agreement_exhibits loaded (no query)."""
    info, plan, answers = exhibits["info"], exhibits["plan"], exhibits["answers"]
    subs = list(info.subcontractors.all())
    responses = [r for _, rows in exhibits["csf_rows"] for r in rows]
    framework_version = plan.agreement.framework.version
    all_places = places.agreement_places(subs, [r.category for r in responses], framework_version)
    last_sub = max(i for i, p in enumerate(all_places) if p.section == Section.SUBCONTRACTORS)
    all_places[last_sub + 1 : last_sub + 1] = _places_gone(exhibits["comments"], all_places)
    rows = {p.key: ReviewRow(p, comments=exhibits["comments"].get(p.key, [])) for p in all_places}
    version = answers[Section.EXHIBIT_A]["bill_of_rights_version"]
    rows[Section.EXHIBIT_A].now = [f"Bill of Rights version {version} acknowledged" if version else "Not acknowledged"]
    for item, _, fields in places.EXHIBIT_B_ITEMS:
        rows[f"{Section.EXHIBIT_B}:{item}"].now = _b_answer(info, item, fields)
    for sub in subs:
        rows[f"{Section.SUBCONTRACTORS}:{sub.pk}"].now = [
            sub.purpose or "(no purpose given)",
            f"Receives PII: {_yes_no(sub.receives_pii)}. Written agreement: {_yes_no(sub.written_agreement)}.",
        ]
    for _, field_name, _, answer in plan.answers():
        rows[f"{Section.EXHIBIT_C}:{field_name}"].now = [answer] if answer else []
    for r in responses:
        tier = [r.get_tier_display()] if r.tier else []
        rows[f"c1:{r.category.identifier}"].now = ([r.narrative] if r.narrative else []) + tier
    sub_keys = _subcontractor_keys(subs)
    for change in exhibits["changes"] or []:
        key = _change_key(change, sub_keys)
        rows.get(key, rows[change.section]).changes.append(change)
    for section, key in exhibits.get("carried", ()):
        row = rows.get(_carried_place(section, key, sub_keys))
        if row is not None:
            row.carried = True
    return list(rows.values())


def _carried_place(section: str, key: str, sub_keys: dict) -> str:
    """The review page's place of a carried-over answer: Exhibit B answers sit in their item ("storage_other" in
    "exhibit_b:storage"), a subcontractor by its id, a question of C and a C.1 category by their keys."""
    if section == Section.EXHIBIT_B:
        return f"{section}:{places.B_ITEM_OF_ANSWER.get(key, key)}"
    if section == Section.SUBCONTRACTORS:
        return sub_keys.get(key, section)
    if section == Section.EXHIBIT_C1:
        return f"c1:{key}"
    return f"{section}:{key}"


def changes_with_comments(changes, comments: dict, subcontractors) -> list[tuple]:
    """[(change, the anchor of its place on the review page, the comments on its place), ...] for the table of what
    changed between two submissions (templates/exhibits/_changes.html). No query."""
    sub_keys = _subcontractor_keys(subcontractors)
    rows = []
    for change in changes or []:
        key = _change_key(change, sub_keys)
        rows.append((change, places.anchor(key), comments.get(key, [])))
    return rows


def _subcontractor_keys(subcontractors) -> dict:
    """The diff names a subcontractor; a comment's place, its id."""
    return {sub.name: f"{Section.SUBCONTRACTORS}:{sub.pk}" for sub in subcontractors}


def _change_key(change, sub_keys: dict) -> str:
    if change.section == Section.SUBCONTRACTORS:
        return sub_keys.get(change.key, Section.SUBCONTRACTORS)  # one no longer listed: on the section
    return places.key_of_change(change)


# Exhibit B's items where the DPA's own wording is the answer and the vendor may add details.
OPTIONAL_B_ITEMS = {"data_transition_details", "encryption_details"}


def _yes_no(value) -> str:
    return "yes" if value is True else "no" if value is False else "not answered"


def _b_answer(info, item, fields) -> list[str]:
    if item == "pii":
        kinds = (("receives_student_pii", "Student PII"), ("receives_appr_data", "APPR Data"))
        return [label for name, label in kinds if getattr(info, name)]
    if item == "storage":
        names = [name for name in fields[:3] if getattr(info, name)]
        lines = [str(SupplementalInformation._meta.get_field(name).verbose_name).capitalize() for name in names]
        other = info.storage_other_description if info.storage_other else ""
        return lines + ([other] if other else [])
    if item == "subcontractor_use":
        return [info.get_subcontractor_use_display()] if info.subcontractor_use else []
    value = getattr(info, fields[0])
    if not value and item in OPTIONAL_B_ITEMS:
        return ["The model DPA's wording, with nothing added."]
    return [value] if value else []


def agreement_exhibits(agreement, *, side: str = "district") -> dict:
    """Everything the agreement page shows of the exhibits."""
    info = SupplementalInformation.objects.prefetch_related("subcontractors").get(agreement=agreement)
    plan = _plan(agreement)
    responses = csf_responses(agreement)
    answers = agreement_answers(agreement, info=info, plan=plan, responses=responses)
    submissions = list(Submission.objects.filter(agreement=agreement).order_by("-number")[:2])
    reuse = AnswerReuse.objects.filter(agreement=agreement).select_related("source__agency", "source__outside_signing")
    reuse = reuse.first()
    bill = BillOfRights.objects.filter(agency=agreement.agency_id).order_by("-version").first()
    ack = getattr(agreement, "bill_of_rights_acknowledgement", None)
    comments = comments_by_place(agreement, for_vendor=side == "vendor")
    categories = [r.category for r in responses]
    all_places = places.agreement_places(info.subcontractors.all(), categories, agreement.framework.version)
    section_places = defaultdict(list)
    for place in all_places:
        section_places[place.section].append(place)
    changes = answers_diff(submissions[1].answers, submissions[0].answers) if len(submissions) == 2 else None
    carried = carried_answers(reuse, answers)
    return {
        "info": info,
        "plan": plan,
        "csf_rows": csf_rows(responses),
        "comments": comments,
        # The places a reviewer may comment on, per section, and the comments already on one of them (issue 14.5).
        "section_places": section_places,
        "comments_inside": comments_in_sections(comments, all_places),
        "answers": answers,
        "missing": agreement_completeness(agreement, answers, current_version=bill.version if bill else None),
        "latest_submission": submissions[0] if submissions else None,
        "changes": changes,
        # The same, with the comments on each change's place (templates/exhibits/_changes.html; issue 14.5).
        "change_rows": changes_with_comments(changes, comments, info.subcontractors.all()),
        "reuse": reuse,
        "carried": carried,
        # The vendor confirms on the submit form that the carried answers hold as of today (issue 16.2).
        "confirm_carried": bool(carried) and reuse.confirmed_at is None,
        "c1_crosswalk": c1_crosswalk(reuse),
        "bill_of_rights": bill,
        "acknowledged": bool(ack and bill and ack.bill_of_rights_id == bill.pk),
        "sections": Section,
    }


def _plan(agreement) -> SecurityPlan:
    plan = SecurityPlan.objects.get(agreement=agreement)
    plan.agreement = agreement  # its framework is already loaded with the agreement
    return plan
