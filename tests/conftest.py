"""Shared fixtures: the personas of DESIGN.md, the framework catalogues, an agreement."""

import io

import pytest

from agreements.models import DistrictMembership
from agreements.services import agreement_create
from exhibits.catalogues import load_all_catalogues
from vendors.models import ContractorMembership

from . import factories


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs ~0.3 s per password; the suite tests behaviour, not PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def catalogues(db):
    """The NIST CSF catalogues. A migration loads them, but transactional tests flush tables, so load again."""
    load_all_catalogues()


@pytest.fixture
def district(db):
    return factories.EducationalAgencyFactory(name="Hometown Central School District", slug="hometown-csd")


@pytest.fixture
def other_district(db):
    return factories.EducationalAgencyFactory(name="Elsewhere Union Free School District", slug="elsewhere-ufsd")


@pytest.fixture
def vendor(db):
    return factories.ContractorFactory(legal_name="Learning Tools, Inc.", slug="learning-tools")


@pytest.fixture
def other_vendor(db):
    return factories.ContractorFactory(legal_name="Other Edtech LLC", slug="other-edtech")


@pytest.fixture
def product(vendor):
    return factories.ProductFactory(contractor=vendor, name="Reading Coach", slug="reading-coach")


@pytest.fixture
def district_admin(district):
    return factories.DistrictMembershipFactory(agency=district, role=DistrictMembership.Role.ADMIN).user


@pytest.fixture
def district_reviewer(district):
    return factories.DistrictMembershipFactory(agency=district, role=DistrictMembership.Role.REVIEWER).user


@pytest.fixture
def vendor_editor(vendor):
    return factories.ContractorMembershipFactory(contractor=vendor, role=ContractorMembership.Role.EDITOR).user


@pytest.fixture
def other_vendor_admin(other_vendor):
    return factories.ContractorMembershipFactory(contractor=other_vendor, role=ContractorMembership.Role.ADMIN).user


@pytest.fixture
def other_district_admin(other_district):
    return factories.DistrictMembershipFactory(agency=other_district, role=DistrictMembership.Role.ADMIN).user


@pytest.fixture
def agreement(catalogues, district, vendor, product, district_admin):
    return agreement_create(
        agency=district,
        contractor=vendor,
        products=[product],
        framework=factories.csf("1.1"),
        actor=district_admin,
    )


# --- accounts: more personas, and two-factor authentication for admins ----------------------------------------


@pytest.fixture
def district_viewer(district):
    return factories.DistrictMembershipFactory(agency=district, role=DistrictMembership.Role.VIEWER).user


@pytest.fixture
def vendor_admin(vendor):
    return factories.ContractorMembershipFactory(contractor=vendor, role=ContractorMembership.Role.ADMIN).user


@pytest.fixture
def with_totp(db):
    """A function `with_totp(user) -> secret` that gives the user an authenticator app through allauth's own API.

    Admins (district or vendor) without one are sent to the set-up page by accounts.middleware, so a test acting as
    an admin calls `with_totp(user)` first. View tests then sign in with `client.force_login(user)`, which skips
    allauth's MFA step (fine for view tests). To sign in through the pages instead: post e-mail and password to
    /accounts/login/, then `{"code": totp_code(secret)}` to /accounts/2fa/authenticate/.
    """
    from .helpers import activate_totp

    return activate_totp


@pytest.fixture
def totp_code():
    """A function `totp_code(secret) -> str`: the authenticator app's current code.

    The server accepts only the current 30-second window, so near the end of one it waits for the next.
    """
    import time

    from allauth.mfa import app_settings

    from accounts.mfa import format_hotp_value, hotp_value

    def code(secret: str) -> str:
        if app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD < 3:
            time.sleep(3)
        return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))

    return code


@pytest.fixture
def mfa_user(district_admin, with_totp):
    """The district admin persona with an authenticator app; its secret is `mfa_user.totp_secret`."""
    district_admin.totp_secret = with_totp(district_admin)
    return district_admin


@pytest.fixture
def totp_code_for(totp_code):
    """A function `totp_code_for(email) -> str`: the current code of the authenticator app stored for that account
    (e.g. a demo admin's), read through allauth."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    def code(email: str) -> str:
        authenticator = Authenticator.objects.get(user__email__iexact=email, type=Authenticator.Type.TOTP)
        return totp_code(decrypt(authenticator.data["secret"]))

    return code


@pytest.fixture(scope="session")
def seal_certificate(tmp_path_factory):
    """A development sealing certificate (PKCS#12, no passphrase), made once per test session by the command."""
    from django.core.management import call_command

    path = tmp_path_factory.mktemp("seal") / "seal.p12"
    call_command(
        "create_seal_certificate",
        "--out",
        str(path),
        "--passphrase-env",
        "DPA_TEST_NO_PASSPHRASE",
        stdout=io.StringIO(),
    )
    return path


@pytest.fixture(autouse=True)
def sealing(settings, seal_certificate):
    """The portal seals executed DPAs with the session's development certificate (tests of a portal without one
    override DPA_SEAL_P12 themselves)."""
    settings.DPA_SEAL_P12 = str(seal_certificate)
    settings.DPA_SEAL_P12_PASSPHRASE = ""
    return seal_certificate


@pytest.fixture
def people(district, vendor, other_district, other_vendor):
    """One user per persona, for tests that try every persona on a page; admins have MFA, as they must to act."""
    from agreements.models import DistrictMembership as DM
    from vendors.models import ContractorMembership as CM

    from .helpers import with_totp as totp

    def district_user(agency, role):
        return factories.DistrictMembershipFactory(agency=agency, role=role).user

    def vendor_user(contractor, role):
        return factories.ContractorMembershipFactory(contractor=contractor, role=role).user

    return {
        "anonymous": None,
        "district_admin": totp(district_user(district, DM.Role.ADMIN)),
        "district_reviewer": district_user(district, DM.Role.REVIEWER),
        "district_viewer": district_user(district, DM.Role.VIEWER),
        "vendor_admin": totp(vendor_user(vendor, CM.Role.ADMIN)),
        "vendor_editor": vendor_user(vendor, CM.Role.EDITOR),
        "other_district": totp(district_user(other_district, DM.Role.ADMIN)),
        "other_vendor": totp(vendor_user(other_vendor, CM.Role.ADMIN)),
    }
