"""Where a reviewer's comment sits (issue 14.5): a section as a whole, one item of Exhibit B, one question of
Exhibit C, one subcontractor, or one category of Exhibit C.1.

A place is written as a key, the same in the forms, the comments' lookup and the pages' anchors:
"exhibit_b" (a section), "exhibit_b:storage" (an item of B), "exhibit_c:training" (a question of C),
"subcontractors:12" (a subcontractor, by id) and "c1:PR.DS" (a C.1 category). Only models are imported here: the
services check that a place exists for the agreement, the selectors and the pages label it.
"""

from dataclasses import dataclass

from .models import REVIEW_ITEMS, SECURITY_PLAN_QUESTIONS, Section, security_plan_question

# Exhibit B as the vendor answers it, item by item, in the model DPA's order: (item, label, the answers it covers).
# Two items are groups of check boxes ("check all that apply"), commented on as one, as the DPA asks them as one.
EXHIBIT_B_ITEMS = [
    ("purposes", "Purposes for which the contractor will receive or access PII", ["purposes"]),
    ("pii", "Type of PII", ["receives_student_pii", "receives_appr_data"]),
    ("subcontractor_use", "Subcontractor written agreement requirement", ["subcontractor_use"]),
    ("data_transition_details", "Data transition and secure destruction", ["data_transition_details"]),
    (
        "storage",
        "Secure storage",
        ["storage_third_party_cloud", "storage_contractor_hosted", "storage_other", "storage_other_description"],
    ),
    ("security_measures", "How data security and privacy risks are mitigated", ["security_measures"]),
    ("encryption_details", "Encryption", ["encryption_details"]),
]
EXHIBIT_C_ITEMS = REVIEW_ITEMS[Section.EXHIBIT_C]
# The items a comment's `field` may name, per section (the model's constraint reads the same lists).
ITEMS = REVIEW_ITEMS
# The Exhibit B item an answer belongs to, for the diff: "storage_other" -> "storage".
B_ITEM_OF_ANSWER = {answer: item for item, _, answers in EXHIBIT_B_ITEMS for answer in answers}
_B_LABELS = {item: label for item, label, _ in EXHIBIT_B_ITEMS}


@dataclass(frozen=True)
class Place:
    key: str
    section: str
    label: str
    short: str = ""  # "Question 6", where the label is the whole question

    @property
    def name(self) -> str:
        return self.short or self.label


def item_label(section: str, item: str) -> str:
    if section == Section.EXHIBIT_C:
        return f"Question {EXHIBIT_C_ITEMS.index(item) + 1}"
    return _B_LABELS[item]


def key_of(comment) -> str:
    """The place of a stored comment (its section, item, subcontractor or category loaded)."""
    if comment.category_id:
        return f"c1:{comment.category.identifier}"
    if comment.subcontractor_id:
        return f"{Section.SUBCONTRACTORS}:{comment.subcontractor_id}"
    if comment.field:
        return f"{comment.section}:{comment.field}"
    return comment.section


def key_of_change(change) -> str:
    """The place a line of the diff between two submissions (exhibits.answers.Change) belongs to; subcontractors are
    keyed by name there, so the caller maps their keys (see selectors.review_rows)."""
    if change.section == Section.EXHIBIT_B:
        return f"{Section.EXHIBIT_B}:{B_ITEM_OF_ANSWER.get(change.key, change.key)}"
    if change.section == Section.EXHIBIT_C:
        return f"{Section.EXHIBIT_C}:{change.key}"
    if change.section == Section.EXHIBIT_C1:
        return f"c1:{change.key}"
    return change.section


def agreement_places(subcontractors, categories, framework_version=None) -> list[Place]:
    """Every place of an agreement, in the DPA's order, from its listed subcontractors and its framework's
    categories (already loaded: no query here); question 9 names the framework's version as the DPA does."""
    S = Section
    places = [
        Place(S.EXHIBIT_A, S.EXHIBIT_A, S.EXHIBIT_A.label),
        Place(S.EXHIBIT_B, S.EXHIBIT_B, "Exhibit B as a whole"),
    ]
    places += [Place(f"{S.EXHIBIT_B}:{item}", S.EXHIBIT_B, label) for item, label, _ in EXHIBIT_B_ITEMS]
    places.append(Place(S.SUBCONTRACTORS, S.SUBCONTRACTORS, "Subcontractors as a whole"))
    places += [
        Place(f"{S.SUBCONTRACTORS}:{sub.pk}", S.SUBCONTRACTORS, f"Subcontractor {sub.name}") for sub in subcontractors
    ]
    places.append(Place(S.EXHIBIT_C, S.EXHIBIT_C, "Exhibit C as a whole"))
    places += [
        Place(
            f"{S.EXHIBIT_C}:{field}",
            S.EXHIBIT_C,
            f"Question {n}: {security_plan_question(field, framework_version)}",
            f"Question {n}",
        )
        for n, (field, _) in enumerate(SECURITY_PLAN_QUESTIONS, 1)
    ]
    places.append(Place(S.EXHIBIT_C1, S.EXHIBIT_C1, "Exhibit C.1 as a whole"))
    places += [Place(f"c1:{c.identifier}", S.EXHIBIT_C1, f"{c.identifier} {c.name}") for c in categories]
    places.append(Place(S.GENERAL, S.GENERAL, "The agreement as a whole"))
    return places


def anchor(key: str) -> str:
    """The id of a place's block on the review page: "place-exhibit_c-training", "place-c1-PR-DS"."""
    return "place-" + key.replace(":", "-").replace(".", "-")


def parse(key: str) -> tuple[str, str]:
    """("exhibit_c", "training") from "exhibit_c:training", ("exhibit_c1", "PR.DS") from "c1:PR.DS",
    ("general", "") from "general". Says nothing of whether the place exists: services.review_comment_place does."""
    section, _, rest = (key or "").partition(":")
    if section == "c1":
        section = Section.EXHIBIT_C1
    return section, rest
