"""Shared fixtures: the personas of DESIGN.md, the framework catalogues, an agreement."""

import io
import uuid

import pytest

from agreements.models import DistrictMembership
from agreements.services import agreement_create
from exhibits.catalogues import load_all_catalogues
from vendors.models import ContractorMembership

from . import factories, personas, shared
from .helpers import TERM


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs ~0.3 s per password; the suite tests behaviour, not PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def rate_limits_count_from_zero(settings):
    """Each test counts its own requests against the rate limits (dpa_portal/ratelimits.py): the counters live in
    the shared Redis for up to an hour, and every test client comes from 127.0.0.1."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex}:"


@pytest.fixture
def catalogues(db):
    """The NIST CSF catalogues. A migration loads them, but transactional tests flush tables, so load again."""
    load_all_catalogues()


@pytest.fixture
def district(db):
    return personas.district()


@pytest.fixture
def other_district(db):
    return personas.other_district()


@pytest.fixture
def vendor(db):
    return personas.vendor()


@pytest.fixture
def other_vendor(db):
    return personas.other_vendor()


@pytest.fixture
def product(vendor):
    return personas.product(vendor)


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
        **TERM,
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
    return personas.totp_code


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
    return personas.people(district, vendor, other_district, other_vendor)


# --- rows built once for many tests (tests/shared.py) ---------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests that use the same shared rows run one after the other within their module (after pytest-django's order
    of database, transactional and other tests)."""
    shared.group_by_layers(items)


@pytest.fixture(autouse=True)
def _shared_rows(request, django_db_blocker, fast_password_hashing, sealing):
    """Before each test's own transaction: open the shared rows its module declares and it uses (built under the
    settings above, as a test's fixtures are)."""
    shared.prepare(request, django_db_blocker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Once a test's fixtures are torn down: roll back the shared rows that the next test does not use."""
    try:
        return (yield)
    finally:
        shared.release(nextitem)


@pytest.fixture(autouse=True, scope="module")
def _shared_rows_end():
    """At the end of each module, before the session's fixtures (the test database) go: roll back its shared rows."""
    yield
    shared.release(None)
