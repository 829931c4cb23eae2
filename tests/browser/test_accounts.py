"""A district admin invites a new vendor; the vendor's contact creates an account, sets up two-factor
authentication and lands signed in. axe runs on every page visited."""

import re

import pytest
from playwright.sync_api import expect

from agreements.models import OutboundEmail
from vendors.models import ContractorMembership

from .. import factories
from .conftest import assert_accessible

VENDOR_NAME = "Bright Future Learning, Inc."
CONTACT = "compliance@brightfuture.example"
PASSWORD = "quiet harbour ledger 77"


@pytest.fixture
def invite_page(transactional_db, district, mfa_user):
    return f"/district/{district.slug}/vendors/invite/"


def test_a_district_invites_a_new_vendor_whose_contact_signs_up_with_mfa(
    page, browser, live_server, invite_page, mfa_user, totp_code
):
    # The district admin signs in with password and authenticator code, and lands on the invitation page.
    page.goto(f"/accounts/login/?next={invite_page}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(mfa_user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    assert_accessible(page)
    page.get_by_label("Code").fill(totp_code(mfa_user.totp_secret))
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(re.escape(invite_page) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a vendor's contact")
    assert_accessible(page)
    page.get_by_label("Vendor contact's e-mail address").fill(CONTACT)
    page.get_by_label("Or the legal name of a new vendor").fill(VENDOR_NAME)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {CONTACT} at {VENDOR_NAME}")
    expect(page.get_by_role("table")).to_contain_text(CONTACT)
    assert_accessible(page)

    # The e-mail (an outbox row) holds the link; the vendor's contact opens it in a browser of their own.
    email = OutboundEmail.objects.get(template="invitation", to=[CONTACT])
    path = re.search(r"https?://[^/\s]+(/accounts/invitations/[\w-]+/)", email.body_text).group(1)
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    vendor_page = context.new_page()
    vendor_page.set_default_timeout(10_000)
    try:
        vendor_page.goto(path)
        expect(vendor_page.get_by_role("heading", level=1)).to_have_text(f"Join {VENDOR_NAME} on the DPA Portal")
        expect(vendor_page.get_by_label("E-mail address")).to_have_value(CONTACT)
        assert_accessible(vendor_page)
        vendor_page.get_by_label("First name").fill("Vera")
        vendor_page.get_by_label("Last name").fill("Vendorova")
        vendor_page.get_by_label("Password", exact=False).first.fill(PASSWORD)
        vendor_page.get_by_label("Password confirmation").fill(PASSWORD)
        vendor_page.get_by_role("button", name="Create account and accept").click()

        # An admin of the new vendor: two-factor authentication first, with the reason said.
        expect(vendor_page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
        expect(vendor_page.get_by_role("status")).to_contain_text("must be protected with two-factor authentication")
        assert_accessible(vendor_page)
        secret = vendor_page.get_by_label("Secret key").input_value()
        vendor_page.get_by_label("Authenticator code").fill(totp_code(secret))
        vendor_page.get_by_role("button", name="Activate").click()

        expect(vendor_page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
        codes = vendor_page.get_by_label("Unused codes").input_value().split()
        assert len(codes) == 10
        assert_accessible(vendor_page)
        vendor_page.get_by_role("link", name="Continue").click()

        # A new vendor's only organisation: its dashboard, where the home page leads too (issue 14.3).
        expect(vendor_page.get_by_role("heading", level=1)).to_have_text(f"{VENDOR_NAME}: agreements with districts")
        assert_accessible(vendor_page)
        vendor_page.get_by_role("link", name="DPA Portal", exact=True).click()
        expect(vendor_page).to_have_url(re.compile(r"/vendor/[\w-]+/$"))
        expect(vendor_page.get_by_role("heading", level=1)).to_have_text(f"{VENDOR_NAME}: agreements with districts")
    finally:
        context.close()

    membership = ContractorMembership.objects.get(user__email=CONTACT)
    assert membership.contractor.legal_name == VENDOR_NAME and membership.role == "admin"


def test_the_account_pages_are_accessible(page, transactional_db, district, vendor, mfa_user, totp_code):
    """allauth's other pages and ours, in the portal's layout, pass axe."""
    page.goto("/accounts/password/reset/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Password Reset")
    assert_accessible(page)
    page.get_by_label("Email").fill(mfa_user.email)
    page.get_by_role("button", name="Reset My Password").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/done/"))
    assert_accessible(page)
    for path in ["/accounts/signup/", "/accounts/invitations/no-such-token/"]:
        page.goto(path)
        assert_accessible(page)

    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(mfa_user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp_code(mfa_user.totp_secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    factories.ContractorMembershipFactory(contractor=vendor, user=mfa_user, role="admin")
    page.get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")  # two organisations: a list
    assert_accessible(page)
    page.get_by_role("link", name=vendor.legal_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Staff of {vendor.legal_name}")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    assert_accessible(page)

    for path, heading in [
        ("/accounts/2fa/", "Two-Factor Authentication"),
        ("/accounts/reauthenticate/", "Confirm Access"),
        ("/accounts/password/change/", "Change Password"),
        ("/accounts/logout/", "Sign Out"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page)
