"""An agreement's answers as plain data: for submission snapshots, field-by-field diffs, reuse and completeness."""

from dataclasses import dataclass

from .models import SECURITY_PLAN_QUESTIONS, CsfResponse, Section, SecurityPlan, SupplementalInformation

# The Exhibit B fields a vendor answers, in the order of the model DPA.
EXHIBIT_B_FIELDS = [
    "purposes",
    "receives_student_pii",
    "receives_appr_data",
    "subcontractor_use",
    "data_transition_details",
    "storage_third_party_cloud",
    "storage_contractor_hosted",
    "storage_other",
    "storage_other_description",
    "security_measures",
    "encryption_details",
]
EXHIBIT_C_FIELDS = [field for field, _ in SECURITY_PLAN_QUESTIONS]
SUBCONTRACTOR_FIELDS = ["purpose", "receives_pii", "written_agreement"]
ANSWERED_SECTIONS = [
    Section.EXHIBIT_A,
    Section.EXHIBIT_B,
    Section.SUBCONTRACTORS,
    Section.EXHIBIT_C,
    Section.EXHIBIT_C1,
]


def agreement_answers(agreement, *, info=None, plan=None, responses=None) -> dict:
    """Every answer of the agreement as JSON-ready data. A fixed number of queries, whatever the framework size;
    pass exhibits already loaded (info with its subcontractors prefetched) to spend none on them."""
    info = info or SupplementalInformation.objects.get(agreement=agreement)
    plan = plan or SecurityPlan.objects.get(agreement=agreement)
    if responses is None:
        responses = CsfResponse.objects.filter(agreement=agreement).select_related("category")
        responses = responses.order_by("category__position")
    ack = getattr(agreement, "bill_of_rights_acknowledgement", None) if agreement.pk else None
    return {
        Section.EXHIBIT_A: {"bill_of_rights_version": ack.bill_of_rights.version if ack else None},
        Section.EXHIBIT_B: {field: getattr(info, field) for field in EXHIBIT_B_FIELDS},
        Section.SUBCONTRACTORS: {
            sub.name: {field: getattr(sub, field) for field in SUBCONTRACTOR_FIELDS}
            for sub in sorted(info.subcontractors.all(), key=lambda sub: sub.name)
        },
        Section.EXHIBIT_C: {field: getattr(plan, field) for field in EXHIBIT_C_FIELDS},
        Section.EXHIBIT_C1: {r.category.identifier: {"narrative": r.narrative, "tier": r.tier} for r in responses},
    }


@dataclass(frozen=True)
class Change:
    section: str
    key: str  # field name, subcontractor name or category identifier
    label: str
    old: object
    new: object

    @property
    def section_label(self) -> str:
        return Section(self.section).label


def _label(section: str, key: str, sub: str | None = None) -> str:
    if section == Section.EXHIBIT_B:
        return str(SupplementalInformation._meta.get_field(key).verbose_name).capitalize()
    if section == Section.EXHIBIT_C:
        number = EXHIBIT_C_FIELDS.index(key) + 1
        return f"Question {number}"
    if section == Section.EXHIBIT_C1:
        return f"{key} {'implementation tier' if sub == 'tier' else 'response'}"
    if section == Section.SUBCONTRACTORS:
        return f"Subcontractor {key}" + (f": {sub.replace('_', ' ')}" if sub else "")
    return "Bill of Rights version acknowledged"


def answers_diff(old: dict, new: dict) -> list[Change]:
    """What changed from `old` to `new`, field by field, in the order of the DPA."""
    changes = []
    for section in ANSWERED_SECTIONS:
        before, after = old.get(section) or {}, new.get(section) or {}
        for key in list(before) + [k for k in after if k not in before]:
            a, b = before.get(key), after.get(key)
            if a == b:
                continue
            if isinstance(a, dict) or isinstance(b, dict):
                if a is None or b is None:  # a subcontractor added or removed
                    changes.append(Change(section, key, _label(section, key), a and "listed", b and "listed"))
                    continue
                for sub in sorted(a.keys() | b.keys()):
                    if a.get(sub) != b.get(sub):
                        changes.append(Change(section, key, _label(section, key, sub), a.get(sub), b.get(sub)))
            else:
                changes.append(Change(section, key, _label(section, key), a, b))
    return changes


def carried_over(reused: dict, current: dict) -> set[tuple[str, str]]:
    """(section, key) of the answers that still hold the value copied from an earlier agreement."""
    kept = set()
    for section, values in reused.items():
        for key, value in (values or {}).items():
            if value not in ("", None, False, {}) and (current.get(section) or {}).get(key) == value:
                kept.add((section, key))
    return kept
