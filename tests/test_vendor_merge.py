"""One vendor per company (issue 14.4): a platform operator merges two contractors that are one company. Everything
that points at the merged one moves to the kept one in one transaction, logged; the public pages and the statewide
search show the kept name at once."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.admin.sites import site
from django.urls import reverse

from accounts.models import Invitation
from accounts.services import invitation_create
from agreements.deadlines.models import Obligation
from agreements.models import Agreement
from dpa_portal.errors import FORBIDDEN, INVALID, STATE, ApplicationError
from exhibits.models import PublicSearchEntry
from exhibits.public import cache
from tests import factories
from tests.public_helpers import fresh_cache_fixture, make_agreement  # noqa: F401 -- the fixture
from vendors import services
from vendors.models import Contractor, ContractorMembership, ContractorMerge, Product, Subcontractor
from vendors.services import CONTRACTOR_LINKS, PRODUCT_LINKS, SUBCONTRACTOR_LINKS, contractor_merge, links_to
from vendors.signals import contractors_merged

ADMIN, EDITOR = ContractorMembership.Role.ADMIN, ContractorMembership.Role.EDITOR


# --- the model graph ---------------------------------------------------------------------------------------------


def test_every_link_to_a_contractor_a_product_or_a_subcontractor_is_handled():
    """A foreign key to Contractor (or a link to a Product or Subcontractor) added anywhere fails here until the merge
    says how its rows follow: otherwise they would be deleted with the merged contractor, or block it."""
    assert set(links_to(Contractor)) == set(CONTRACTOR_LINKS)
    assert set(links_to(Product)) == PRODUCT_LINKS
    assert set(links_to(Subcontractor)) == SUBCONTRACTOR_LINKS
    assert set(CONTRACTOR_LINKS.values()) <= {"move", "people", "products", "subcontractors", "agreements"}


def test_a_link_the_merge_does_not_know_stops_it(db, monkeypatch):
    kept, merged = factories.ContractorFactory(), factories.ContractorFactory()
    known = dict(CONTRACTOR_LINKS)
    known.pop("portfolio.ExportJob.contractor")
    monkeypatch.setattr(services, "CONTRACTOR_LINKS", known)
    with pytest.raises(ApplicationError, match=r"portfolio\.ExportJob\.contractor") as refused:
        contractor_merge(kept=kept, merged=merged, actor=factories.UserFactory(is_staff=True))
    assert refused.value.code == STATE and Contractor.objects.filter(pk=merged.pk).exists()


# --- a merge -------------------------------------------------------------------------------------------------------


@pytest.fixture
def world(fresh_cache, catalogues, district, other_district, district_admin):
    """CodeHS (kept) and "CodeHS, Inc." (merged), as a district made the second: each with people, products and
    subcontractors, some of the same name; the duplicate has an executed (posted) agreement, a draft elsewhere, and an
    invitation."""
    kept = factories.ContractorFactory(legal_name="CodeHS", slug="codehs", website="")
    merged = factories.ContractorFactory(legal_name="CodeHS, Inc.", slug="codehs-inc", website="https://codehs.com/")
    invitation, _ = invitation_create(
        kind=Invitation.Kind.VENDOR_CONTACT, email="lead@codehs.com", role="admin", invited_by=district_admin,
        agency=district, contractor=merged,
    )  # fmt: skip
    both = factories.UserFactory(email="both@codehs.com")
    factories.ContractorMembershipFactory(contractor=kept, user=both, role=EDITOR)
    factories.ContractorMembershipFactory(contractor=merged, user=both, role=ADMIN)
    kept_admin = factories.ContractorMembershipFactory(contractor=kept, role=ADMIN).user
    newcomer = factories.ContractorMembershipFactory(contractor=merged, role=EDITOR).user
    pro = factories.ProductFactory(contractor=kept, name="CodeHS Pro", slug="codehs-pro")
    dup_pro = factories.ProductFactory(contractor=merged, name="codehs pro", slug="codehs-pro")
    sandbox = factories.ProductFactory(contractor=merged, name="Sandbox", slug="sandbox")
    aws = factories.SubcontractorFactory(contractor=kept, name="AWS")
    dup_aws = factories.SubcontractorFactory(contractor=merged, name="aws")
    twilio = factories.SubcontractorFactory(contractor=merged, name="Twilio")
    executed = make_agreement(agency=district, contractor=merged, products=[dup_pro, sandbox], subcontractor=dup_aws)
    executed.supplemental_information.subcontractors.add(twilio)
    draft = make_agreement(
        agency=other_district, contractor=merged, products=[dup_pro], subcontractor=False, status=Agreement.Status.DRAFT
    )
    operator = factories.UserFactory(email="operator@portal.example", is_staff=True, is_superuser=True)
    return locals()


def test_a_merge_moves_everything_to_the_kept_contractor_and_logs_it(client, world):
    w = world
    kept, merged, executed, district = w["kept"], w["merged"], w["executed"], w["district"]
    assert PublicSearchEntry.objects.get(agreement=executed).vendor == "CodeHS, Inc."
    public_page = reverse("public_district", args=[district.slug])
    assert "CodeHS, Inc." in client.get(public_page).text  # now cached with the old name
    before = cache.version(district.slug)

    merge = contractor_merge(kept=kept, merged=merged, actor=w["operator"])

    assert not Contractor.objects.filter(pk=merged.pk).exists()
    assert set(Agreement.objects.filter(contractor=kept)) == {executed, w["draft"]}
    assert not Obligation.objects.filter(contractor_id=merged.pk).exists()
    assert Invitation.objects.get(pk=w["invitation"].pk).contractor == kept
    # People: the newcomer joins; someone on both staffs keeps one membership, with the higher role.
    staff = dict(ContractorMembership.objects.filter(contractor=kept).values_list("user__email", "role"))
    assert staff == {"both@codehs.com": ADMIN, w["kept_admin"].email: ADMIN, w["newcomer"].email: EDITOR}
    # Products and subcontractors of a name the kept contractor has become its own; the others move.
    assert set(Product.objects.filter(contractor=kept).values_list("name", flat=True)) == {"CodeHS Pro", "Sandbox"}
    assert set(executed.products.all()) == {w["pro"], w["sandbox"]} and list(w["draft"].products.all()) == [w["pro"]]
    assert set(executed.supplemental_information.subcontractors.all()) == {w["aws"], w["twilio"]}
    assert Subcontractor.objects.filter(contractor=kept).count() == 2
    # Blank on the kept contractor, filled from the merged one.
    assert Contractor.objects.get(pk=kept.pk).website == "https://codehs.com/"
    # Logged: who, when, what moved.
    log = ContractorMerge.objects.get()
    assert log == merge and log.actor == w["operator"] and log.created_at
    assert (log.kept, log.merged_name, log.merged_slug) == (kept, "CodeHS, Inc.", "codehs-inc")
    assert sorted(log.moved["agreements.Agreement.contractor"]) == sorted([executed.pk, w["draft"].pk])
    assert log.moved["products"]["same_as"] == {str(w["dup_pro"].pk): w["pro"].pk}
    # The public pages and the statewide search show the kept name at once.
    assert cache.version(district.slug) != before
    text = client.get(public_page).text
    assert "CodeHS, Inc." not in text and "CodeHS" in text
    entry = PublicSearchEntry.objects.get(agreement=executed)
    assert (entry.vendor, entry.products, entry.subcontractors) == ("CodeHS", "CodeHS Pro, Sandbox", "AWS, Twilio")
    found = client.get(reverse("public_search"), {"q": "Sandbox"}).text
    assert reverse("public_agreement", args=[district.slug, executed.pk]) in found


def test_a_merge_is_one_transaction(world):
    """A failure after rows moved (here, a receiver of the signal) leaves both contractors as they were."""
    kept, merged = world["kept"], world["merged"]

    def fail(**kwargs):
        raise RuntimeError("the search index is down")

    contractors_merged.connect(fail, dispatch_uid="test-fail")
    try:
        with pytest.raises(RuntimeError):
            contractor_merge(kept=kept, merged=merged, actor=world["operator"])
    finally:
        contractors_merged.disconnect(dispatch_uid="test-fail")
    assert Contractor.objects.filter(pk=merged.pk).exists()
    assert Agreement.objects.filter(contractor=merged).count() == 2
    assert ContractorMembership.objects.filter(contractor=merged).count() == 2
    assert not ContractorMerge.objects.exists()


def test_what_cannot_merge_is_refused_clearly(db):
    kept, merged = factories.ContractorFactory(), factories.ContractorFactory()
    operator = factories.UserFactory(is_staff=True)
    with pytest.raises(ApplicationError, match="cannot be merged into itself") as same:
        contractor_merge(kept=kept, merged=kept, actor=operator)
    assert same.value.code == INVALID
    vendor_admin = factories.ContractorMembershipFactory(contractor=kept, role=ADMIN).user
    with pytest.raises(ApplicationError, match="Only a platform operator") as forbidden:
        contractor_merge(kept=kept, merged=merged, actor=vendor_admin)
    assert forbidden.value.code == FORBIDDEN
    contractor_merge(kept=kept, merged=merged, actor=operator)
    with pytest.raises(ApplicationError, match="no longer on the portal") as gone:
        contractor_merge(kept=kept, merged=merged, actor=operator)
    assert gone.value.code == STATE
    assert ContractorMerge.objects.count() == 1


# --- the Django admin ------------------------------------------------------------------------------------------------


def test_the_operator_merges_in_the_admin_choosing_the_one_to_keep(client, world):
    kept, merged = world["kept"], world["merged"]
    client.force_login(world["operator"])
    url = reverse("admin:vendors_contractor_changelist")
    selected = {"action": "merge_contractors", "_selected_action": [kept.pk, merged.pk]}
    page = client.post(url, selected)
    assert page.status_code == 200 and "Merge two contractors" in page.text
    assert "Keep &ldquo;CodeHS&rdquo;" in page.text and "Keep &ldquo;CodeHS, Inc.&rdquo;" in page.text
    assert "Product &ldquo;codehs pro&rdquo; becomes &ldquo;CodeHS Pro&rdquo;" in page.text
    assert Contractor.objects.filter(pk=merged.pk).exists()  # nothing happens before the confirmation

    response = client.post(url, {**selected, "confirm": "yes", "keep": str(kept.pk)}, follow=True)
    done = "CodeHS, Inc. was merged into CodeHS: 1 staff member, 2 products, 2 subcontractors, 2 agreements, "
    done += "1 invitation"
    assert done in response.text
    assert not Contractor.objects.filter(pk=merged.pk).exists()
    assert LogEntry.objects.filter(object_id=str(kept.pk), change_message__contains="Merged CodeHS, Inc.").exists()
    log_page = client.get(reverse("admin:vendors_contractormerge_changelist"))
    assert "CodeHS, Inc." in log_page.text


def test_the_admin_asks_for_exactly_two_contractors(client, world):
    client.force_login(world["operator"])
    url = reverse("admin:vendors_contractor_changelist")
    response = client.post(url, {"action": "merge_contractors", "_selected_action": [world["kept"].pk]}, follow=True)
    assert "Select exactly two contractors to merge." in response.text
    assert Contractor.objects.count() == 2


def test_only_a_platform_operator_reaches_the_merge(client, world, district_admin):
    """The district's admin, a vendor's admin and anyone else: the Django admin sends them to its sign-in page."""
    url = reverse("admin:vendors_contractor_changelist")
    data = {"action": "merge_contractors", "_selected_action": [world["kept"].pk, world["merged"].pk], "confirm": "yes"}
    for person in [district_admin, world["kept_admin"], None]:
        client.logout()
        if person:
            client.force_login(person)
        response = client.post(url, {**data, "keep": str(world["kept"].pk)})
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert Contractor.objects.count() == 2
    assert site.is_registered(ContractorMerge)
