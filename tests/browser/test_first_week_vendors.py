"""One vendor per company (issue 14.4) in headless Chromium: a district admin who names "CodeHS, Inc." when "CodeHS"
is on the portal is asked which it is, on the new agreement and on the vendor invitation (axe on each); a platform
operator merges two contractors in the Django admin. Screenshots in /tmp/shots14/vendors/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation
from agreements.models import Agreement, DistrictMembership
from exhibits.models import PublicSearchEntry
from vendors.models import Contractor, ContractorMerge

from .. import factories
from ..public_helpers import make_agreement
from .test_workflow import sign_in, visit

SHOTS = Path("/tmp/shots14/vendors")  # noqa: S108 -- where the issue asks for them


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def liverpool(transactional_db, catalogues, with_totp):
    agency = factories.EducationalAgencyFactory(name="Liverpool Central School District", slug="liverpool")
    admin = factories.DistrictMembershipFactory(agency=agency, role=DistrictMembership.Role.ADMIN).user
    with_totp(admin)
    codehs = factories.ContractorFactory(legal_name="CodeHS", slug="codehs", website="https://codehs.com/")
    return agency, admin, codehs


def test_a_district_admin_is_asked_before_adding_a_vendor_of_a_close_name(
    browser, live_server, liverpool, totp_code_for
):
    agency, admin, codehs = liverpool
    d = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}).new_page()
    d.set_default_timeout(15_000)
    sign_in(d, admin.email, totp_code_for)

    # The new agreement: "CodeHS, Inc." is CodeHS.
    visit(d, f"/district/{agency.slug}/agreements/new/")
    d.get_by_label("New vendor's legal name").fill("CodeHS, Inc.")
    d.get_by_label("Product or service").fill("CodeHS Pro")
    d.get_by_role("button", name="Create draft").click()
    question = d.get_by_role("group", name=re.compile("Is \u201cCodeHS, Inc.\u201d a vendor already on the portal"))
    expect(question).to_be_visible()
    expect(question.get_by_role("radio", name=re.compile(r"^CodeHS \(same name once case"))).to_be_visible()
    visit(d)
    shot(d, "new-agreement-asks")
    question.get_by_role("radio", name=re.compile(r"^CodeHS \(same name")).check()
    d.get_by_role("button", name="Create draft").click()
    expect(d.get_by_text("Agreement created as a draft")).to_be_visible()
    assert Agreement.objects.get().contractor == codehs and Contractor.objects.count() == 1

    # The vendor invitation: an address at codehs.com is CodeHS's, whatever name is typed.
    visit(d, f"/district/{agency.slug}/vendors/invite/")
    d.get_by_label("Vendor contact's e-mail address").fill("lead@codehs.com")
    d.get_by_label("Or the legal name of a new vendor").fill("Coding Company")
    d.get_by_role("button", name="Send invitation").click()
    question = d.get_by_role("group", name=re.compile("Is \u201cCoding Company\u201d a vendor already on the portal"))
    expect(question.get_by_role("radio", name=re.compile("same e-mail domain codehs.com"))).to_be_visible()
    visit(d)
    shot(d, "vendor-invite-asks")
    question.get_by_role("radio", name=re.compile(r"^CodeHS \(same e-mail")).check()
    d.get_by_role("button", name="Send invitation").click()
    expect(d.get_by_text("Invitation sent to lead@codehs.com at CodeHS.")).to_be_visible()
    visit(d)
    assert Invitation.objects.get().contractor == codehs and Contractor.objects.count() == 1


def test_a_platform_operator_merges_two_contractors(browser, live_server, liverpool):
    agency, _admin, codehs = liverpool
    duplicate = factories.ContractorFactory(legal_name="CodeHS, Inc.", slug="codehs-inc")
    agreement = make_agreement(agency=agency, contractor=duplicate)
    operator = factories.UserFactory(email="operator@portal.example", is_staff=True, is_superuser=True)

    o = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}).new_page()
    o.set_default_timeout(15_000)
    o.goto("/admin/login/")
    o.get_by_label(re.compile("E-mail|Email", re.I)).fill(operator.email)
    o.get_by_label("Password").fill(factories.PASSWORD)
    o.get_by_role("button", name="Log in").click()
    o.goto("/admin/vendors/contractor/")
    for contractor in (codehs, duplicate):
        o.locator(f"input[name=_selected_action][value='{contractor.pk}']").check()
    o.locator("select[name=action]").select_option("merge_contractors")
    o.get_by_role("button", name="Go").click()
    expect(o.get_by_role("heading", name="Merge two contractors")).to_be_visible()
    o.get_by_label(re.compile("Keep \u201cCodeHS\u201d")).check()
    shot(o, "admin-merge-confirm")
    o.get_by_role("button", name="Merge").click()
    expect(o.get_by_text(re.compile(r"CodeHS, Inc\. was merged into CodeHS: .*1 agreement\b"))).to_be_visible()
    shot(o, "admin-merge-done")
    assert not Contractor.objects.filter(pk=duplicate.pk).exists()
    assert ContractorMerge.objects.get().actor == operator
    assert PublicSearchEntry.objects.get(agreement=agreement).vendor == "CodeHS"

    # A parent finds the agreement under the kept name.
    visit(o, f"/public/{agency.slug}/")
    expect(o.get_by_text("CodeHS, Inc.")).to_have_count(0)
    expect(o.get_by_role("link", name=re.compile(r"^CodeHS: "))).to_be_visible()
    shot(o, "public-district-after-merge")
