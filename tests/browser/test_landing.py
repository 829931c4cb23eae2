"""The landing page and sign-in, as a person uses them, with axe on every page visited."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from .conftest import assert_accessible


@pytest.fixture
def demo(transactional_db, catalogues, settings):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = True  # as under `make run`, where the page shows the demo password


def test_visitor_reads_the_landing_page_and_signs_in_as_a_persona(page, demo, settings, totp_code_for):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data Privacy Agreements for New York schools")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(9)  # a header and eight personas
    expect(page.get_by_text(settings.DEMO_PASSWORD)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Sign in").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert_accessible(page)

    page.get_by_label("E-mail address").fill("vendor-admin@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("are not correct")  # allauth's wording
    assert_accessible(page)

    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_load_state()
    if "/accounts/2fa/authenticate/" in page.url:  # an admin with an authenticator app: allauth asks for a code
        expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
        assert_accessible(page)
        page.get_by_label("Code").fill(totp_code_for("vendor-admin@example.org"))
        page.get_by_role("button", name="Sign in").click()
    # One organisation: straight to its dashboard, where the home page leads too (issue 14.3).
    expect(page).to_have_url(re.compile(r"/vendor/codehs/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("CodeHS: agreements with districts")
    assert_accessible(page)
    page.get_by_role("link", name="DPA Portal", exact=True).click()
    expect(page).to_have_url(re.compile(r"/vendor/codehs/$"))

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


def test_skip_link_is_first_on_the_keyboard(page, demo):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
