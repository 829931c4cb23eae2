"""Helpers for the workflow tests: complete answers, MFA for admins."""

from datetime import date

from accounts import mfa
from exhibits.answers import EXHIBIT_C_FIELDS
from exhibits.models import CsfResponse, SupplementalInformation
from exhibits.services import bill_of_rights_acknowledge, bill_of_rights_publish

from . import factories

# A complete term (issue 11.1): an agreement is sent to its vendor only with one.
TERM = {
    "service_agreement_date": date(2026, 5, 1),
    "contract_start": date(2026, 7, 1),
    "contract_end": date(2027, 6, 30),
}

# Hostile text that tests post into fields, and the form it must take in a page.
HOSTILE = '<script>alert("pwned")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"


def activate_totp(user) -> str:
    """Give the user a TOTP authenticator, as admins must have before they can act; return its secret."""
    secret = mfa.totp_secret_new()
    mfa.totp_activate(user, secret)
    return secret


def with_totp(user):
    """The user, with an authenticator (for building personas inline)."""
    activate_totp(user)
    return user


def fill_complete(agreement, *, actor=None, text="Answer"):
    """Answer every item that completeness asks for, as a vendor would."""
    bill_of_rights_publish(agency=agreement.agency)
    bill_of_rights_acknowledge(agreement=agreement, actor=actor)
    info = agreement.supplemental_information
    info.purposes = f"{text}: purposes"
    info.receives_student_pii = True
    info.subcontractor_use = SupplementalInformation.SubcontractorUse.WILL_USE
    info.storage_third_party_cloud = True
    info.security_measures = f"{text}: security"
    info.save()
    info.subcontractors.add(
        factories.SubcontractorFactory(contractor=agreement.contractor, receives_pii=True, written_agreement=True)
    )
    plan = agreement.security_plan
    for field in EXHIBIT_C_FIELDS:
        setattr(plan, field, f"{text}: {field}")
    plan.save()
    CsfResponse.objects.filter(agreement=agreement).update(narrative=f"{text}: control", tier=2)
    return agreement
