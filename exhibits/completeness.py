"""What an agreement still lacks before the vendor can submit it. Each rule cites the DPA or Part 121."""

from dataclasses import dataclass

from .answers import EXHIBIT_C_FIELDS
from .models import BillOfRights, Section, SupplementalInformation

WILL_USE = SupplementalInformation.SubcontractorUse.WILL_USE


@dataclass(frozen=True)
class Missing:
    section: str
    message: str
    anchor: str  # the id of the field or row on the section's page

    @property
    def section_label(self) -> str:
        return Section(self.section).label


_LOOK_IT_UP = object()


def agreement_completeness(agreement, answers: dict, *, current_version=_LOOK_IT_UP) -> list[Missing]:
    """Everything that blocks submission, in the order of the DPA; an empty list means complete.

    `current_version` is the district's current Bill of Rights version (None if none), when the caller has it.
    """
    missing = []
    if current_version is _LOOK_IT_UP:
        bills = BillOfRights.objects.filter(agency=agreement.agency_id).order_by("-version")
        current_version = bills.values_list("version", flat=True).first()
    acknowledged = answers[Section.EXHIBIT_A]["bill_of_rights_version"]
    if current_version is None:
        missing.append(
            Missing(Section.EXHIBIT_A, "The district has not published its Bill of Rights yet.", "exhibit_a")
        )
    elif acknowledged != current_version:
        missing.append(
            Missing(Section.EXHIBIT_A, "Acknowledge the district's Bill of Rights (Exhibit A).", "exhibit_a")
        )

    b = answers[Section.EXHIBIT_B]
    if not b["purposes"].strip():  # 121.3(c)(1)
        missing.append(Missing(Section.EXHIBIT_B, "Describe the purposes for which you will receive PII.", "purposes"))
    if not (b["receives_student_pii"] or b["receives_appr_data"]):
        missing.append(Missing(Section.EXHIBIT_B, "Check the type of PII: Student PII, APPR Data or both.", "pii"))
    if not b["subcontractor_use"]:  # 121.3(c)(2)
        missing.append(Missing(Section.EXHIBIT_B, "Say whether you will utilize subcontractors.", "subcontractor_use"))
    if not (b["storage_third_party_cloud"] or b["storage_contractor_hosted"] or b["storage_other"]):  # 121.3(c)(5)
        missing.append(Missing(Section.EXHIBIT_B, "Check where PII will be stored.", "storage"))
    if not b["security_measures"].strip():
        missing.append(
            Missing(Section.EXHIBIT_B, "Describe how data security and privacy risks will be mitigated.", "security")
        )

    subcontractors = answers[Section.SUBCONTRACTORS]
    if b["subcontractor_use"] == WILL_USE and not subcontractors:
        missing.append(Missing(Section.SUBCONTRACTORS, "List the subcontractors you will utilize.", "subcontractors"))
    for name, sub in subcontractors.items():
        if sub["receives_pii"] and not sub["written_agreement"]:  # DPA II.6(b)
            missing.append(
                Missing(
                    Section.SUBCONTRACTORS,
                    f"{name} receives PII, so it must be bound by a written agreement (DPA II.6(b)).",
                    "subcontractors",
                )
            )

    c = answers[Section.EXHIBIT_C]
    for number, field in enumerate(EXHIBIT_C_FIELDS, 1):  # 121.6(a)
        if not c[field].strip():
            missing.append(Missing(Section.EXHIBIT_C, f"Answer question {number}.", f"id_{field}"))

    for identifier, response in answers[Section.EXHIBIT_C1].items():
        if not response["narrative"].strip():
            missing.append(Missing(Section.EXHIBIT_C1, f"Respond to {identifier}.", f"csf-{identifier}"))
    return missing
