"""Issue 14.3 and 14.9 in a browser: a parent finds the search, the districts' pages and /verify/ from the home page, in
English and Spanish; staff land on their dashboard, or choose among their organisations; an admin who reloads the
two-factor set-up page can still confirm with the app that scanned the first QR code. axe on every page; screenshots
in /tmp/shots14/home/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agreements.models import Agreement, OutboundEmail
from agreements.services import agreement_send_to_vendor
from vendors.models import Contractor

from .. import factories
from .conftest import assert_accessible

SHOTS = Path("/tmp/shots14/home")  # noqa: S108 -- for a person to look at (issue 14.11)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, user, *, code=None):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if code is not None:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.get_by_label("Code").fill(code())
        page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def places(transactional_db, district):
    return district


def test_a_parent_finds_the_search_the_districts_and_verify_in_english_and_spanish(page, places):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data Privacy Agreements for New York schools")
    expect(page.get_by_role("searchbox")).to_be_visible()
    expect(page.get_by_role("link", name="Your district's pages")).to_be_visible()
    expect(page.locator("#main").get_by_role("link", name="Check a copy of an agreement")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert_accessible(page)
    shot(page, "landing-en")

    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Acuerdos de privacidad de datos para las escuelas de Nueva York"
    )
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("link", name="Las páginas de su distrito")).to_be_visible()
    assert_accessible(page)
    shot(page, "landing-es")

    # The search box searches the state; the districts' link opens their list; the check of a PDF its page.
    page.get_by_role("searchbox").fill("Hometown")
    page.get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(re.compile(r"/public/search/\?q=Hometown"))
    page.goto("/")
    page.get_by_role("link", name="Las páginas de su distrito").click()
    expect(page).to_have_url(re.compile(r"/public/$"))
    expect(page.get_by_role("link", name=places.name)).to_be_visible()
    page.goto("/")
    page.get_by_role("button", name="English").click()
    page.locator("#main").get_by_role("link", name="Check a copy of an agreement").click()
    expect(page).to_have_url(re.compile(r"/verify/$"))


def test_staff_land_on_their_dashboard_or_choose(page, places, vendor, mfa_user, vendor_editor, totp_code):
    # A district admin with an authenticator: sign-in lands on the dashboard, and so does "/".
    sign_in(page, mfa_user, code=lambda: totp_code(mfa_user.totp_secret))
    expect(page).to_have_url(re.compile(rf"/district/{places.slug}/$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(rf"/district/{places.slug}/$"))
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data Privacy Agreements for New York schools")
    expect(page.get_by_role("status")).to_contain_text("signed out")  # allauth's message, on the landing page
    assert_accessible(page)

    # Someone in two organisations chooses where to work.
    factories.DistrictMembershipFactory(agency=places, user=vendor_editor, role="viewer")
    sign_in(page, vendor_editor)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Signed in as"))
    assert_accessible(page)
    shot(page, "choose-organisation")
    page.get_by_role("link", name=vendor.legal_name).click()
    expect(page).to_have_url(re.compile(rf"/vendor/{vendor.slug}/$"))


def test_reloading_the_two_factor_set_up_keeps_the_secret(page, places, district_admin, totp_code):
    sign_in(page, district_admin)  # an admin without an authenticator app: sent to set one up
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    first = page.get_by_label("Secret key").input_value()
    page.reload()
    expect(page.get_by_label("Secret key")).to_have_value(first)
    assert_accessible(page)
    shot(page, "two-factor-set-up")
    page.get_by_label("Authenticator code").fill(totp_code(first))
    page.get_by_role("button", name="Activate").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))


def test_the_invitation_carries_the_note_and_names_end_with_one_period(page, places, agreement, district_admin):
    """Issue 14.6: the vendor's contact reads the district's note in the e-mail, and "CodeHS, Inc." ends its sentences
    with one period in the e-mail, on the invitation page and in the welcome message."""
    Contractor.objects.filter(pk=agreement.contractor_id).update(legal_name="CodeHS, Inc.")
    agreement_send_to_vendor(
        agreement=Agreement.objects.get(pk=agreement.pk),
        actor=district_admin,
        contact_email="lead@codehs.example",
        note="Please start with Exhibit C.\nCall Pat with any question.",
    )
    email = OutboundEmail.objects.get(template="invitation")
    page.set_content(email.body_html)
    expect(page.locator("blockquote")).to_contain_text("Please start with Exhibit C.")
    shot(page, "invitation-e-mail")

    path = re.search(r"https?://[^/\s]+(/accounts/invitations/[\w-]+/)", email.body_text).group(1)
    page.goto(path)
    expect(page.get_by_text("for CodeHS, Inc. You will manage")).to_be_visible()
    assert_accessible(page)
    shot(page, "invitation-page")
    page.get_by_label("First name").fill("Lee")
    page.get_by_label("Last name").fill("Lead")
    page.get_by_label("Password", exact=False).first.fill("quiet harbour ledger 77")
    page.get_by_label("Password confirmation").fill("quiet harbour ledger 77")
    page.get_by_role("button", name="Create account and accept").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))  # an admin: two-factor first
    expect(page.get_by_role("status")).to_contain_text("Welcome to CodeHS, Inc. ")
    expect(page.get_by_role("status")).not_to_contain_text("Inc..")
    shot(page, "welcome-message")
