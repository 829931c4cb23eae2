"""The parents' pages in headless Chromium: axe (WCAG 2.1 AA) on every public page in English and Spanish, and a
visit by keyboard alone: search, follow a result, switch the language."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import expect

from agreements.models import Agreement
from exhibits.public.services import redaction_add
from exhibits.services import bill_of_rights_publish

from ..public_helpers import make_agreement
from .conftest import assert_accessible

S = Agreement.Status


@pytest.fixture
def posting(transactional_db, catalogues, district, vendor, product, district_admin):
    """A district with its Bill of Rights and agreements in every posted state, one with a withheld part."""
    cache.clear()
    bill_of_rights_publish(agency=district)
    executed = make_agreement(agency=district, contractor=vendor, products=[product])
    expired = make_agreement(agency=district, status=S.EXPIRED, purposes="Spelling practice.")
    redaction_add(agreement=expired, field="storage", reason="Names our data centre.", actor=district_admin)
    closed = make_agreement(agency=district, status=S.CLOSED)
    make_agreement(agency=district, status=S.APPROVED)  # not posted
    yield {"executed": executed, "expired": expired, "closed": closed}
    cache.clear()


def public_urls(district, posting):
    slug = district.slug
    return [
        "/public/",
        "/public/search/",
        "/public/search/?q=learning",
        "/public/search/?q=nothing-matches-this",
        f"/public/{slug}/",
        f"/public/{slug}/?status=expired",
        f"/public/{slug}/?q=no-such-vendor",
        f"/public/{slug}/agreements/{posting['executed'].pk}/",
        f"/public/{slug}/agreements/{posting['expired'].pk}/",
        f"/public/{slug}/agreements/{posting['closed'].pk}/",
        f"/public/{slug}/open-data/",
        f"/public/{slug}/embed/",
    ]


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_public_page_passes_axe_in_both_languages(page, district, posting, language):
    for url in public_urls(district, posting):
        separator = "&" if "?" in url else "?"
        page.goto(f"{url}{separator}language={language}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page)


def test_a_parent_searches_follows_a_result_and_switches_language_by_keyboard_alone(page, district, posting):
    page.goto("/public/")
    search_box = page.get_by_role("searchbox")
    for _ in range(10):  # the skip link, the site's name, the language switch, then the search box
        page.keyboard.press("Tab")
        if search_box.evaluate("element => element === document.activeElement"):
            break
    expect(search_box).to_be_focused()
    page.keyboard.type("Learning Tools")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/public/search/\?q=Learning\+Tools"))
    result = page.get_by_role("link", name=re.compile("Learning Tools, Inc."))
    expect(result).to_be_visible()

    for _ in range(20):
        page.keyboard.press("Tab")
        if result.evaluate("element => element === document.activeElement"):
            break
    expect(result).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/public/{district.slug}/agreements/{posting['executed'].pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Agreement with Learning Tools, Inc.")

    switch = page.get_by_role("button", name="Español")
    for _ in range(5):
        page.keyboard.press("Tab")
        if switch.evaluate("element => element === document.activeElement"):
            break
    expect(switch).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(re.compile(rf"/public/{district.slug}/agreements/{posting['executed'].pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acuerdo con Learning Tools, Inc.")
    assert_accessible(page)

    # The choice sticks (a cookie) and the switch offers English back.
    page.goto("/public/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    back = page.get_by_role("button", name="English")
    back.focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_skip_link_leads_to_the_content(page, district, posting):
    page.goto(f"/public/{district.slug}/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_filters_work_by_keyboard(page, district, posting):
    page.goto(f"/public/{district.slug}/")
    page.get_by_label("Status").focus()
    page.get_by_label("Status").select_option("expired")
    page.get_by_role("button", name="Show agreements").press("Enter")
    expect(page.get_by_text("1 of 3 agreements matches.")).to_be_visible()
    expect(page.locator(".agreement-card")).to_have_count(1)
    assert_accessible(page)


def test_a_district_admin_withholds_a_part_and_the_public_page_says_so(
    page, browser, live_server, district, posting, mfa_user
):
    client = Client()
    client.force_login(mfa_user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    agreement = posting["executed"]
    page.goto(f"/public/manage/{district.slug}/agreements/{agreement.pk}/redactions/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Withhold parts of Exhibit B")
    assert_accessible(page)
    page.get_by_label("Part of Exhibit B to withhold").select_option("encryption_details")
    page.get_by_label("Reason (shown on the public page)").fill("Names our key management product.")
    page.get_by_role("button", name="Withhold", exact=True).click()
    expect(page.get_by_text("That part is now withheld from the public page.")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/public/{district.slug}/agreements/{agreement.pk}/")
    encryption = page.locator("#encryption")
    expect(encryption).to_contain_text("Withheld by the district to protect security.")
    expect(encryption).to_contain_text("Names our key management product.")
    expect(encryption).not_to_contain_text("AES-256")

    page.goto(f"/public/manage/{district.slug}/agreements/{agreement.pk}/redactions/?language=es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Mostrar .* de nuevo")).click()
    page.goto(f"/public/{district.slug}/agreements/{agreement.pk}/")
    expect(page.locator("#encryption")).to_contain_text("AES-256")
