"""The personas of DESIGN.md as plain functions: the fixtures of tests/conftest.py call them, and so do the rows
that a module builds once for many tests (tests/shared.py), so both make the same people and organisations."""

import time

from allauth.mfa import app_settings

from accounts import mfa
from agreements.models import DistrictMembership
from vendors.models import ContractorMembership

from . import factories
from .helpers import with_totp

DM = DistrictMembership.Role
CM = ContractorMembership.Role


def district():
    return factories.EducationalAgencyFactory(name="Hometown Central School District", slug="hometown-csd")


def other_district():
    return factories.EducationalAgencyFactory(name="Elsewhere Union Free School District", slug="elsewhere-ufsd")


def vendor():
    return factories.ContractorFactory(legal_name="Learning Tools, Inc.", slug="learning-tools")


def other_vendor():
    return factories.ContractorFactory(legal_name="Other Edtech LLC", slug="other-edtech")


def product(vendor):
    return factories.ProductFactory(contractor=vendor, name="Reading Coach", slug="reading-coach")


def district_user(agency, role=DM.ADMIN):
    return factories.DistrictMembershipFactory(agency=agency, role=role).user


def vendor_user(contractor, role=CM.EDITOR):
    return factories.ContractorMembershipFactory(contractor=contractor, role=role).user


def people(district, vendor, other_district, other_vendor) -> dict:
    """One user per persona, for tests that try every persona on a page; admins have MFA, as they must to act."""
    return {
        "anonymous": None,
        "district_admin": with_totp(district_user(district, DM.ADMIN)),
        "district_reviewer": district_user(district, DM.REVIEWER),
        "district_viewer": district_user(district, DM.VIEWER),
        "vendor_admin": with_totp(vendor_user(vendor, CM.ADMIN)),
        "vendor_editor": vendor_user(vendor, CM.EDITOR),
        "other_district": with_totp(district_user(other_district, DM.ADMIN)),
        "other_vendor": with_totp(vendor_user(other_vendor, CM.ADMIN)),
    }


def totp_code(secret: str) -> str:
    """The authenticator app's current code. The server accepts only the current 30-second window, so near the end
    of one (less than 3 seconds left for the code to reach it) this waits for the next window to begin."""
    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < 3:
        time.sleep(left + 0.05)
    return mfa.totp_code(secret)
