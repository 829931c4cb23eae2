"""The model Parents' Bill of Rights for Data Privacy and Security (Exhibit A of the NYS model DPA).

Item 6 names where complaints go; the district's own contacts are written into it when a version is published.
"""

MODEL_PREAMBLE = (
    "Parents (including legal guardians or persons in parental relationships) and Eligible Students (students 18 "
    "years and older) can expect the following:"
)

NYSED_COMPLAINTS = (
    "Complaints may also be submitted to the NYS Education Department at "
    "www.nysed.gov/data-privacy-security/report-improper-disclosure, by mail to: Chief Privacy Officer, New York "
    "State Education Department, 89 Washington Avenue, Albany, NY 12234; by email to privacy@nysed.gov; or by "
    "telephone at 518-474-0937."
)

COMPLAINTS_PREFIX = (
    "The right to have complaints about possible breaches and unauthorized disclosures of PII addressed. "
)

MODEL_ITEMS = [
    "A student's personally identifiable information (PII) cannot be sold or released for any Commercial or "
    "Marketing purpose. PII, as defined by Education Law § 2-d and the Family Educational Rights and Privacy Act "
    "(\"FERPA\"), includes direct identifiers such as a student's name or identification number, parent's name, or "
    "address; and indirect identifiers such as a student's date of birth, which when linked to or combined with "
    "other information can be used to distinguish or trace a student's identity. Please see FERPA's regulations at "
    "34 CFR 99.3 for a more complete definition.",
    "The right to inspect and review the complete contents of the student's education record stored or maintained "
    "by an educational agency. This right may not apply to Parents of an Eligible Student.",
    "State and federal laws such as Education Law § 2-d; the Commissioner of Education's Regulations at 8 NYCRR Part "
    '121, FERPA at 12 U.S.C. 1232g (34 CFR Part 99); Children\'s Online Privacy Protection Act ("COPPA") at 15 '
    'U.S.C. 6501-6502 (16 CFR Part 312); Protection of Pupil Rights Amendment ("PPRA") at 20 U.S.C. 1232h (34 CFR '
    'Part 98); and the Individuals with Disabilities Education Act ("IDEA") at 20 U.S.C. 1400 et seq. (34 CFR Part '
    "300); protect the confidentiality of a student's identifiable information.",
    "Safeguards associated with industry standards and best practices including, but not limited to, encryption, "
    "firewalls and password protection must be in place when student PII is stored or transferred.",
    "A complete list of all student data elements collected by NYSED is available at "
    "www.nysed.gov/data-privacy-security/student-data-inventory and by writing to: Chief Privacy Officer, New York "
    "State Education Department, 89 Washington Avenue, Albany, NY 12234.",
    "{complaints}",
    "To be notified in accordance with applicable laws and regulations if a breach or unauthorized release of PII "
    "occurs.",
    "Educational agency workers that handle PII will receive training on applicable state and federal laws, "
    "policies, and safeguards associated with industry standards and best practices that protect PII.",
    "Educational agency contracts with vendors that receive PII will address statutory and regulatory data privacy "
    "and security requirements.",
]


def names_complaint_address(agency) -> bool:
    """Whether the district says where complaints go: an e-mail address or a postal address, or both (issue 11.8).

    A name, a telephone number or a web form alone is not enough: the portal's reading is that item 6(i) must give
    parents somewhere to send a complaint that the district keeps and answers in writing (121.4), and that a web form
    may move or close; see the README."""
    return bool((agency.complaint_email or "").strip() or (agency.complaint_mail_address or "").strip())


def complaint_contacts(agency) -> str:
    """The district's complaint contacts as one phrase, e.g. 'Privacy Office; by email to privacy@district.org'."""
    if not names_complaint_address(agency):
        # Publishing refuses first (exhibits.services); this keeps item 6 from ever naming nothing but the district.
        raise ValueError(f"{agency} names no complaints e-mail or postal address.")
    parts = []
    if agency.complaint_contact_name:
        parts.append(agency.complaint_contact_name)
    if agency.complaint_email:
        parts.append(f"by email to {agency.complaint_email}")
    if agency.complaint_url:
        parts.append(f"online at {agency.complaint_url}")
    if agency.complaint_mail_address:
        lines = [line.strip() for line in agency.complaint_mail_address.splitlines() if line.strip()]
        parts.append("by mail to " + ", ".join(lines))
    if agency.complaint_phone:
        parts.append(f"by telephone at {agency.complaint_phone}")
    return "; ".join(parts)


def model_items(agency) -> list[str]:
    complaints = (
        f"{COMPLAINTS_PREFIX}"
        f"(i) Complaints should be submitted to the EA at: {complaint_contacts(agency)}. (ii) {NYSED_COMPLAINTS}"
    )
    return [complaints if item == "{complaints}" else item for item in MODEL_ITEMS]


def names_nowhere(items: list[str]) -> bool:
    """Whether a published version's item 6 is the model's but names no e-mail or postal address: what versions
    published before issue 11.8 said for a district without one ("submitted to the EA at: Nowhere CSD.")."""
    if len(items) < 6 or not items[5].startswith(COMPLAINTS_PREFIX):
        return False
    ea_part = items[5].split("(ii)")[0]
    return "by email to " not in ea_part and "by mail to " not in ea_part
