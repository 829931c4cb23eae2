"""Shared fixtures: the personas of DESIGN.md, the framework catalogues, an agreement."""

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
