"""Demo data built from the reference model DPA (Liverpool Central School District and CodeHS).

The organisations and the answers come from the reference DPA; the people, their names and e-mail addresses are
invented (example.org). Everything is created only if missing, so `load_demo` can run any number of times.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts import mfa
from exhibits.catalogues import load_all_catalogues
from exhibits.models import CsfResponse, Framework, SupplementalInformation
from exhibits.services import bill_of_rights_acknowledge, bill_of_rights_publish
from vendors.models import Contractor, ContractorMembership, Product, Subcontractor

from .consent import CURRENT_CONSENT_VERSION
from .models import Agreement, DistrictMembership, EducationalAgency
from .services import agreement_create, agreement_send_to_vendor, agreement_submit


@dataclass(frozen=True)
class Persona:
    email: str
    first_name: str
    last_name: str
    who: str  # shown on the landing page
    organisation: str = ""  # slug of the district or vendor
    side: str = ""  # "district", "vendor" or "" for the operator
    role: str = ""


PERSONAS = [
    Persona(
        "district-admin@example.org",
        "Dana",
        "Whitfield",
        "District admin (technology director)",
        "liverpool-csd",
        "district",
        DistrictMembership.Role.ADMIN,
    ),
    Persona(
        "district-reviewer@example.org",
        "Marcus",
        "Oyelaran",
        "District reviewer",
        "liverpool-csd",
        "district",
        DistrictMembership.Role.REVIEWER,
    ),
    Persona(
        "district-viewer@example.org",
        "Priya",
        "Raman",
        "District viewer",
        "liverpool-csd",
        "district",
        DistrictMembership.Role.VIEWER,
    ),
    Persona(
        "vendor-admin@example.org",
        "Jordan",
        "Ellis",
        "Vendor admin (compliance lead)",
        "codehs",
        "vendor",
        ContractorMembership.Role.ADMIN,
    ),
    Persona(
        "vendor-editor@example.org",
        "Sam",
        "Kowalczyk",
        "Vendor editor",
        "codehs",
        "vendor",
        ContractorMembership.Role.EDITOR,
    ),
    Persona(
        "other-vendor@example.org",
        "Lena",
        "Hartmann",
        "Another vendor's admin",
        "brightpath-reading",
        "vendor",
        ContractorMembership.Role.ADMIN,
    ),
    Persona(
        "other-district@example.org",
        "Tomas",
        "Reyes",
        "Another district's admin",
        "onondaga-hills-ufsd",
        "district",
        DistrictMembership.Role.ADMIN,
    ),
    Persona("operator@example.org", "Pat", "Morgan", "Platform operator (Django admin)"),
]

DISTRICTS = {
    "liverpool-csd": {
        "name": "Liverpool Central School District",
        "street_address": "195 Blackberry Road",
        "city": "Liverpool",
        "postal_code": "13090",
        "website": "https://liverpool-csd.example.org",
        "breach_notice_name": "Dana Whitfield",
        "breach_notice_title": "Director of Technology",
        "breach_notice_street_address": "195 Blackberry Road",
        "breach_notice_city": "Liverpool",
        "breach_notice_postal_code": "13090",
        "breach_notice_email": "district-admin@example.org",
        "data_protection_office_name": "Data Protection Office",
        "data_protection_office_email": "data-protection@example.org",
        "complaint_email": "privacy-complaints@example.org",  # an office, not a person: it is public
    },
    "onondaga-hills-ufsd": {
        "name": "Onondaga Hills Union Free School District",
        "street_address": "12 Example Lane",
        "city": "Syracuse",
        "postal_code": "13215",
        "website": "https://onondaga-hills.example.org",
        "breach_notice_name": "Tomas Reyes",
        "breach_notice_title": "Data Protection Officer",
        "breach_notice_street_address": "12 Example Lane",
        "breach_notice_city": "Syracuse",
        "breach_notice_postal_code": "13215",
        "breach_notice_email": "other-district@example.org",
        "complaint_email": "complaints@onondaga-hills.example.org",
        "complaint_phone": "315-555-0142",
    },
}

CONTRACTORS = {
    "codehs": {
        "legal_name": "CodeHS",
        "city": "San Francisco",
        "state": "CA",
        "website": "https://codehs.com",
        "privacy_policy_url": "https://codehs.com/privacy",
        "incident_response_plan_url": "https://codehs.com/incident_response",
    },
    "brightpath-reading": {
        "legal_name": "Brightpath Reading, Inc.",
        "city": "Albany",
        "website": "https://brightpath.example.org",
    },
}

# Exhibit C as answered in the reference DPA. Its eight answers stand beside questions 2-8 and 1 in that order;
# question 9 is answered by the Exhibit C.1 table itself.
SECURITY_PLAN = {
    "implementation": "All employees with access to data are trained to uphold these documented privacy standards "
    "and procedures, and all data is encrypted using HTTPS.",
    "safeguards": "All data and traffic are encrypted using HTTPS. Data is stored with AWS in encrypted databases.",
    "training": "All employees receive annual Cybersecurity training. All employees with access to PII receive "
    "training on confidentiality laws and company procedures to ensure that PII is kept secure and confidential.",
    "subcontractor_contracts": "CodeHS will require any subcontractors to uphold privacy policies and procedures "
    "that are of an equal or greater standard than the terms of this agreement.",
    "incident_management": "CodeHS Incident Response Plan can be found at https://codehs.com/incident_response.",
    "data_transition": "All district data will be securely destroyed.",
    "secure_destruction": "CodeHS will delete all district accounts that are not transferred to a personal account. "
    "After deletion we will provide district admin with certification.",
    "policy_alignment": "CodeHS privacy policy is located at codehs.com/privacy.",
    "framework_alignment": "See the NIST CSF table in Exhibit C.1.",
}

SUPPLEMENTAL_INFORMATION = {
    "purposes": "To provide the CodeHS computer science curriculum and learning platform to the district's "
    "students and teachers: student and teacher accounts, assignments, progress and grades.",
    "receives_student_pii": True,
    "receives_appr_data": False,
    "subcontractor_use": SupplementalInformation.SubcontractorUse.WILL_USE,
    "storage_third_party_cloud": True,
    "security_measures": "All data and traffic are encrypted using HTTPS. Data is stored with AWS in encrypted "
    "databases. Access to PII is limited to trained employees who need it to provide the service.",
    "encryption_details": "HTTPS (TLS) for all data in motion; encrypted databases at rest.",
}

# Exhibit C.1 (NIST CSF 1.1): the reference leaves the responses blank, so these are written for the demo in the
# spirit of the vendor's Exhibit C answers. (narrative, implementation tier)
CSF_RESPONSES = {
    "ID.AM": (
        "Production systems, data stores and staff devices are inventoried; student data lives only in the "
        "production database on AWS.",
        3,
    ),
    "ID.BE": (
        "Our role is to deliver the curriculum platform to schools; security priorities follow from the "
        "student data we hold.",
        2,
    ),
    "ID.GV": ("Written security and privacy policies are approved by leadership and reviewed every year.", 3),
    "ID.RA": ("We assess risks to the platform each year and before major changes.", 2),
    "ID.RM": ("Risk tolerance is set by leadership and recorded with the annual assessment.", 2),
    "ID.SC": (
        "Subcontractors are reviewed before use and bound by written agreements at least as protective as this DPA.",
        2,
    ),
    "PR.AC": (
        "Access to PII is role-based, limited to employees who need it, and protected by multi-factor authentication.",
        3,
    ),
    "PR.AT": (
        "All employees receive annual cybersecurity training; those with access to PII are trained on "
        "confidentiality laws.",
        3,
    ),
    "PR.DS": ("All data and traffic are encrypted using HTTPS; data is stored with AWS in encrypted databases.", 3),
    "PR.IP": ("Changes go through code review and automated tests; backups are encrypted and tested.", 3),
    "PR.MA": ("Infrastructure is managed by AWS; our systems are patched on a regular schedule.", 2),
    "PR.PT": ("Logs are kept centrally; network access to production is restricted.", 2),
    "DE.AE": ("Alerts on unusual access and error patterns are reviewed by the engineering team.", 2),
    "DE.CM": ("Production systems are monitored around the clock for availability and security events.", 2),
    "DE.DP": ("Detection responsibilities are assigned and alerting is tested.", 2),
    "RS.RP": ("Our Incident Response Plan is published at https://codehs.com/incident_response.", 3),
    "RS.CO": ("Affected districts are notified as the DPA requires, with the details of Article II.12.", 3),
    "RS.AN": ("Incidents are investigated to find their cause, scope and the records affected.", 2),
    "RS.MI": ("Incidents are contained and access revoked as soon as they are found.", 2),
    "RS.IM": ("Lessons learned from each incident update the response plan.", 2),
    "RC.RP": ("Encrypted backups allow systems to be restored after an incident.", 2),
    "RC.IM": ("Recovery plans are updated after each exercise or incident.", 2),
    "RC.CO": ("Recovery is communicated to affected districts and partners.", 2),
}


def load_demo(stdout=None) -> dict:
    """Create the demo district, vendor, people and agreement where missing. Returns what was created."""
    created = {"users": 0, "agreements": 0, "executed": None}
    with transaction.atomic():
        load_all_catalogues()
        agencies = {slug: _get_or_create(EducationalAgency, slug, fields) for slug, fields in DISTRICTS.items()}
        contractors = {slug: _get_or_create(Contractor, slug, fields) for slug, fields in CONTRACTORS.items()}
        users = {}
        for persona in PERSONAS:
            user, was_created = _user(persona)
            users[persona.email] = user
            created["users"] += was_created
            if persona.side == "district":
                DistrictMembership.objects.get_or_create(
                    agency=agencies[persona.organisation], user=user, defaults={"role": persona.role}
                )
            elif persona.side == "vendor":
                ContractorMembership.objects.get_or_create(
                    contractor=contractors[persona.organisation], user=user, defaults={"role": persona.role}
                )
        for agency in agencies.values():
            if not agency.bills_of_rights.exists():
                bill_of_rights_publish(agency=agency, effective_date=date(2020, 11, 2))

        codehs = contractors["codehs"]
        product, _ = Product.objects.get_or_create(
            contractor=codehs,
            slug="codehs",
            defaults={
                "name": "CodeHS",
                "description": "Computer science curriculum and coding platform for schools.",
                "website": "https://codehs.com",
            },
        )
        aws, _ = Subcontractor.objects.get_or_create(
            contractor=codehs,
            name="Amazon Web Services",
            defaults={"purpose": "Hosting and encrypted storage.", "receives_pii": True, "written_agreement": True},
        )
        liverpool = agencies["liverpool-csd"]
        if not Agreement.objects.filter(agency=liverpool, contractor=codehs).exists():
            _demo_agreement(liverpool, codehs, product, aws, users)
            created["agreements"] += 1
        # An executed agreement, signed by both parties and sealed, so the public pages have something to show.
        brightpath = contractors["brightpath-reading"]
        if not Agreement.objects.filter(agency=liverpool, contractor=brightpath).exists():
            created["agreements"] += 1
            created["executed"] = _demo_executed_agreement(liverpool, brightpath, users)
            if created["executed"]:
                _demo_deadlines(liverpool, brightpath, users)
        # A second district asks CodeHS for the same product: the vendor can start from its Liverpool answers.
        onondaga = agencies["onondaga-hills-ufsd"]
        if not Agreement.objects.filter(agency=onondaga, contractor=codehs).exists():
            admin = users["other-district@example.org"]
            second = agreement_create(
                agency=onondaga,
                contractor=codehs,
                products=[product],
                framework=Framework.objects.get(code="nist-csf", version="2.0"),
                actor=admin,
                service_agreement_date=date(2026, 8, 15),
                contract_start=date(2026, 9, 1),
                contract_end=date(2027, 8, 31),
            )
            agreement_send_to_vendor(agreement=second, actor=admin)
            created["agreements"] += 1
    return created


def _get_or_create(model, slug, fields):
    obj, _ = model.objects.get_or_create(slug=slug, defaults=fields)
    return obj


def _user(persona: Persona):
    User = get_user_model()
    user = User.objects.filter(email=persona.email).first()
    if user:
        return user, False
    factory = User.objects.create_superuser if not persona.side else User.objects.create_user
    user = factory(
        email=persona.email,
        password=settings.DEMO_PASSWORD,
        first_name=persona.first_name,
        last_name=persona.last_name,
    )
    if persona.role == "admin":
        # Admins must use MFA before they can act; the demo gives them a known secret so anyone can try it.
        mfa.totp_activate(user, settings.DEMO_TOTP_SECRET)
        mfa.recovery_codes_activate(user)
    return user, True


def demo_totp_code() -> str:
    """The demo admins' current TOTP code (the landing page shows it on a development server)."""
    return mfa.totp_code(settings.DEMO_TOTP_SECRET)


def _fill(exhibit, answers: dict):
    for name, value in answers.items():
        setattr(exhibit, name, value)
    exhibit.save()


def _submitted(*, agency, contractor, product, district_admin, vendor_admin, answers_b, answers_c, term, note=""):
    """An agreement taken through the real services to submission, with every answer given."""
    service_agreement_date, contract_start, contract_end = term
    agreement = agreement_create(
        agency=agency,
        contractor=contractor,
        products=[product],
        framework=Framework.objects.get(code="nist-csf", version="1.1"),
        actor=district_admin,
        service_agreement_date=service_agreement_date,
        contract_start=contract_start,
        contract_end=contract_end,
    )
    agreement_send_to_vendor(agreement=agreement, actor=district_admin, note=note)
    # Saved field by field (not .update()) so that the history of each exhibit records the vendor's answers.
    _fill(agreement.supplemental_information, answers_b)
    _fill(agreement.security_plan, answers_c)
    for response in CsfResponse.objects.filter(agreement=agreement).select_related("category"):
        response.narrative, response.tier = CSF_RESPONSES[response.category.identifier]
        response.save(update_fields=["narrative", "tier", "updated_at"])
    bill_of_rights_acknowledge(agreement=agreement, actor=vendor_admin)
    return agreement


def _demo_agreement(agency, contractor, product, subcontractor, users):
    """The reference DPA as an agreement the vendor has filled in and submitted, awaiting the district's review."""
    vendor_admin = users["vendor-admin@example.org"]
    agreement = _submitted(
        agency=agency,
        contractor=contractor,
        product=product,
        district_admin=users["district-admin@example.org"],
        vendor_admin=vendor_admin,
        answers_b=SUPPLEMENTAL_INFORMATION,
        answers_c=SECURITY_PLAN,
        term=(date(2020, 11, 2), date(2026, 7, 1), date(2027, 6, 30)),
        note="Please complete Exhibits B, C and C.1.",
    )
    agreement.supplemental_information.subcontractors.set([subcontractor])
    agreement_submit(agreement=agreement, actor=vendor_admin)
    return agreement


BRIGHTPATH_ANSWERS = {
    "purposes": "Reading practice and progress reports for students in grades K-5, used by their teachers.",
    "receives_student_pii": True,
    "subcontractor_use": SupplementalInformation.SubcontractorUse.WILL_NOT_USE,
    "storage_contractor_hosted": True,
    "security_measures": "Servers in a locked, access-controlled data center in New York; role-based access for "
    "staff with multi-factor authentication; yearly penetration tests.",
    "encryption_details": "TLS 1.2 or newer in transit; AES-256 at rest.",
}


def _demo_executed_agreement(agency, contractor, users) -> bool:
    """Liverpool and Brightpath Reading: through every step, signed with the admins' recovery codes, sealed.

    Returns whether it was sealed: without a sealing certificate (DPA_SEAL_P12) it stays signed by both.
    """
    from .documents.seal import SealError
    from .services import agreement_approve
    from .signing import SignatureRequest, agreement_execute, agreement_sign, signing_copy_prepare

    district_admin = users["district-admin@example.org"]
    vendor_admin = users["other-vendor@example.org"]
    product, _ = Product.objects.get_or_create(
        contractor=contractor, slug="brightpath-reader", defaults={"name": "Brightpath Reader"}
    )
    agreement = _submitted(
        agency=agency,
        contractor=contractor,
        product=product,
        district_admin=district_admin,
        vendor_admin=vendor_admin,
        answers_b=BRIGHTPATH_ANSWERS,
        answers_c={field: f"Brightpath Reading: {text}" for field, text in SECURITY_PLAN.items()},
        term=(date(2026, 6, 1), date(2026, 7, 1), date(2027, 6, 30)),
    )
    agreement_submit(agreement=agreement, actor=vendor_admin)
    agreement_approve(agreement=agreement, actor=district_admin, note="Approved for the demo.")
    copy = signing_copy_prepare(agreement_id=agreement.pk)
    for user, name, title in [
        (vendor_admin, "Lena Hartmann", "Chief Executive Officer"),
        (district_admin, "Dana Whitfield", "Director of Technology"),
    ]:
        code = mfa.recovery_codes_unused(user)[0]
        request = SignatureRequest(
            typed_name=name,
            title=title,
            consent_version=CURRENT_CONSENT_VERSION,
            otp_code=code,
            document_sha256=copy.sha256,
        )
        agreement_sign(agreement=agreement, user=user, request=request, ip=None, user_agent="manage.py load_demo")
    try:
        agreement_execute(agreement_id=agreement.pk)
    except SealError:
        return False
    return True


def _demo_deadlines(agency, contractor, users):
    """Something on the deadlines pages: a parent's access request the vendor must answer, and the end of term."""
    from .deadlines.models import ParentRequest
    from .deadlines.services import parent_request_record
    from .deadlines.sweep import sweep_run

    agreement = Agreement.objects.get(agency=agency, contractor=contractor)
    parent_request_record(
        agency=agency,
        actor=users["district-admin@example.org"],
        kind=ParentRequest.Kind.ACCESS,
        requester=ParentRequest.Requester.PARENT,
        received_on=timezone.localdate(),
        details="A parent asks to review the reading records Brightpath Reader holds about their child.",
        agreement=agreement,
        reference="Demo request 1",
    )
    sweep_run()  # opens the end-of-term duties of the executed agreement, as the hourly sweep would
