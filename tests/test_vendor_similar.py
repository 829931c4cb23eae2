"""One vendor per company (issue 14.4): naming a new vendor close to one on the portal (a name, a web or e-mail
domain) shows the close matches and asks: use the one there, or confirm that it is another company. On PostgreSQL
pg_trgm narrows the contractors; the answer is the matcher's over all of them, as on SQLite."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Invitation
from agreements.models import Agreement
from tests import factories
from tests.portfolio.test_matching import CONTRACTORS
from vendors import selectors
from vendors.forms import ANOTHER, SIMILAR
from vendors.matching import VendorIndex
from vendors.models import Contractor
from vendors.selectors import ASK, contractors_similar

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def codehs(db):
    return factories.ContractorFactory(legal_name="CodeHS", slug="codehs", website="https://codehs.com")


@pytest.fixture
def district_admin_mfa(district_admin, with_totp):
    with_totp(district_admin)
    return district_admin


def names(found):
    return [(s.contractor.legal_name, s.reason) for s in found]


# --- the selector ----------------------------------------------------------------------------------------------------


def test_close_names_and_domains_are_found(codehs, vendor):
    same = "same name once case, accents, punctuation and \u201cInc.\u201d are set aside"
    assert names(contractors_similar("CodeHS, Inc.")) == [("CodeHS", same)]
    assert names(contractors_similar("The CodeHS Company")) == [("CodeHS", same)]
    assert names(contractors_similar("Learning Tool Inc")) == [("Learning Tools, Inc.", "similar name (96%)")]
    assert names(contractors_similar("Coding Company", email="jane@mail.codehs.com")) == [
        ("CodeHS", "same e-mail domain codehs.com")
    ]
    assert contractors_similar("Coding Company", email="jane@gmail.com") == []  # anyone's mail host
    assert contractors_similar("NewCo Learning LLC") == []  # 71%: not close enough to stop anyone
    assert contractors_similar("CodeHS", exclude=[codehs.pk]) == []
    assert contractors_similar("") == contractors_similar("  ,. ") == []


def test_a_vendors_staff_e_mail_domain_counts(codehs):
    quiet = factories.ContractorFactory(legal_name="Zeta Reading Partners", slug="zeta", website="")
    factories.ContractorMembershipFactory(contractor=quiet, user=factories.UserFactory(email="ann@zetareads.org"))
    assert names(contractors_similar("ZR Learning", email="bob@zetareads.org")) == [
        ("Zeta Reading Partners", "same e-mail domain zetareads.org")
    ]


QUERIES = [
    "CodeHS", "codehs inc", "The CodeHS Company", "Code HS", "Khan Academy", "Academy Khan", "Kahn Academy",
    "Brightpath Learning Inc", "Brightpath Reading", "Academie Francaise Editions", "Académie Française",
    "Learning Tools", "Learning Tool", "Tiny Tutors LLC", "Zebra Math", "L", "Learning",
]  # fmt: skip


def test_postgresql_narrows_to_the_same_answer_as_the_matcher_over_every_contractor(db):
    """The trigram index only narrows: every name the matcher would ask about is among what it keeps."""
    assert connection.vendor == "postgresql"  # make test's database; SQLite (make run) reads them all
    for _pk, name, website in CONTRACTORS:
        factories.ContractorFactory(legal_name=name, website=website if "://" in website else "")
    rows = list(Contractor.objects.values_list("pk", "legal_name", "website"))
    everything = VendorIndex(rows)
    for query in QUERIES:
        expected = [(c.name, c.reason) for c in everything.candidates(query, limit=5) if c.score >= ASK]
        assert names(contractors_similar(query)) == expected, query
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'vendors_contractor_name_trgm'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]


def test_without_trigrams_every_contractor_is_scored(codehs, monkeypatch):
    """SQLite's path (make run): the same answer without pg_trgm."""
    with_trigrams = names(contractors_similar("CodeHS, Inc."))
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert names(contractors_similar("CodeHS, Inc.")) == with_trigrams == [(codehs.legal_name, with_trigrams[0][1])]


# --- the district's new agreement ------------------------------------------------------------------------------------


def new_agreement(client, agency, **data):
    form = {"product_name": "CodeHS Pro", "framework": factories.csf("1.1").pk, "contractor": "", **data}
    return client.post(reverse("agreement_new", args=[agency.slug]), form)


def test_a_new_agreement_for_a_close_name_asks_then_uses_the_vendor_there(
    client, catalogues, district, codehs, district_admin_mfa
):
    client.force_login(district_admin_mfa)
    page = new_agreement(client, district, new_vendor_name="CodeHS, Inc.")
    assert page.status_code == 200
    assert "Is \u201cCodeHS, Inc.\u201d a vendor already on the portal?" in page.text
    assert (
        "CodeHS (same name once case" in page.text and "None of these: \u201cCodeHS, Inc.\u201d is another" in page.text
    )
    assert not Agreement.objects.exists() and Contractor.objects.count() == 1

    response = new_agreement(client, district, new_vendor_name="CodeHS, Inc.", **{SIMILAR: str(codehs.pk)})
    agreement = Agreement.objects.get()
    assert response.status_code == 302 and agreement.contractor == codehs
    assert Contractor.objects.count() == 1


def test_a_new_agreement_for_another_company_of_a_close_name_creates_it(
    client, catalogues, district, codehs, district_admin_mfa
):
    client.force_login(district_admin_mfa)
    response = new_agreement(client, district, new_vendor_name="Code HS Learning", **{SIMILAR: ANOTHER})
    assert response.status_code == 302
    assert Agreement.objects.get().contractor.legal_name == "Code HS Learning"


def test_a_choice_that_is_not_among_the_close_matches_is_refused(
    client, catalogues, district, codehs, vendor, district_admin_mfa
):
    client.force_login(district_admin_mfa)
    page = new_agreement(client, district, new_vendor_name="CodeHS, Inc.", **{SIMILAR: str(vendor.pk)})
    assert page.status_code == 200 and "The vendors with a close name changed" in page.text
    assert not Agreement.objects.exists()


def test_a_name_far_from_every_vendor_asks_nothing(client, catalogues, district, codehs, district_admin_mfa):
    client.force_login(district_admin_mfa)
    assert new_agreement(client, district, new_vendor_name="Zebra Math Partners").status_code == 302


def test_hostile_names_are_escaped_in_the_question(client, catalogues, district, district_admin_mfa):
    factories.ContractorFactory(legal_name=HOSTILE, slug="hostile")
    client.force_login(district_admin_mfa)
    page = new_agreement(client, district, new_vendor_name=f"{HOSTILE} Inc")
    assert "already on the portal" in page.text and HOSTILE not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_only_the_districts_admin_is_asked(
    client, catalogues, district, codehs, district_reviewer, vendor_admin, with_totp
):
    """A reviewer, a vendor or another district's admin cannot start an agreement, let alone see the matches."""
    for person in [district_reviewer, vendor_admin, factories.DistrictMembershipFactory().user]:
        with_totp(person)
        client.force_login(person)
        response = new_agreement(client, district, new_vendor_name="CodeHS, Inc.")
        assert response.status_code in (403, 404) and "CodeHS" not in response.text
    assert not Agreement.objects.exists()


# --- the district's vendor invitation --------------------------------------------------------------------------------


def invite(client, agency, **data):
    form = {"email": "lead@codehs.com", "contractor": "", **data}
    return client.post(reverse("district_vendor_invite", args=[agency.slug]), form)


def test_an_invitation_at_a_vendors_domain_asks_then_invites_to_it(client, district, district_admin_mfa, codehs):
    client.force_login(district_admin_mfa)
    page = invite(client, district, legal_name="Coding Company")
    assert page.status_code == 200 and "same e-mail domain codehs.com" in page.text
    assert not Invitation.objects.exists()
    response = invite(client, district, legal_name="Coding Company", **{SIMILAR: str(codehs.pk)})
    assert response.status_code == 302
    assert Invitation.objects.get().contractor == codehs and Contractor.objects.count() == 1


def test_an_invitation_for_another_company_creates_it(client, district, district_admin_mfa, codehs):
    client.force_login(district_admin_mfa)
    response = invite(client, district, email="lead@codehs-learning.org", legal_name="Code HS")
    assert response.status_code == 200 and "Code HS" in response.text
    response = invite(client, district, email="lead@codehs-learning.org", legal_name="Code HS", **{SIMILAR: ANOTHER})
    assert response.status_code == 302
    assert Invitation.objects.get().contractor.legal_name == "Code HS"


# --- the operator's admin --------------------------------------------------------------------------------------------


def test_the_admin_asks_before_adding_a_close_name(client, codehs):
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:vendors_contractor_add")
    data = {
        "legal_name": "CodeHS Inc", "slug": "codehs-inc", "state": "NY",
        "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0,
        "products-TOTAL_FORMS": 0, "products-INITIAL_FORMS": 0,
    }  # fmt: skip
    page = client.post(url, data)
    assert page.status_code == 200 and "a vendor already on the portal?" in page.text
    page = client.post(url, {**data, SIMILAR: str(codehs.pk)})
    assert "CodeHS is already on the portal: open it instead" in page.text
    assert client.post(url, {**data, SIMILAR: ANOTHER}).status_code == 302
    assert Contractor.objects.filter(legal_name="CodeHS Inc").exists()
    # Saving it again without renaming it asks nothing.
    change = reverse("admin:vendors_contractor_change", args=[Contractor.objects.get(slug="codehs-inc").pk])
    assert client.post(change, data).status_code == 302


def test_the_selector_makes_few_queries(codehs, django_assert_max_num_queries):
    for i in range(30):
        factories.ContractorFactory(legal_name=f"Learning Company {i}")
    with django_assert_max_num_queries(7):
        selectors.contractors_similar("CodeHS, Inc.", email="lead@codehs.com")
