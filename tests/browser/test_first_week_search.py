"""Issue 14.10 in a browser: a parent who searches the state for a subcontractor ("AWS") finds the agreement that
names it, in English and Spanish, and the browser finds the portal's icon at /favicon.ico. axe on the results."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from vendors.models import Subcontractor

from .. import factories
from ..public_helpers import make_agreement
from .conftest import assert_accessible


@pytest.fixture
def hosted(transactional_db, catalogues, district):
    cache.clear()
    vendor = factories.ContractorFactory(legal_name="Brightpath Reading, Inc.")
    host = Subcontractor.objects.create(contractor=vendor, name="Amazon Web Services (AWS)", purpose="Hosting")
    yield make_agreement(agency=district, contractor=vendor, subcontractor=host)
    cache.clear()


@pytest.mark.parametrize(("language", "button"), [("en", "Search"), ("es", "Buscar")])
def test_a_parent_finds_an_agreement_by_its_subcontractor(page, hosted, language, button):
    page.goto(f"/public/search/?language={language}")
    page.get_by_role("searchbox").fill("AWS")
    page.get_by_role("button", name=button, exact=True).click()
    expect(page).to_have_url(re.compile(r"q=AWS"))
    result = page.get_by_role("link", name=re.compile("Brightpath Reading"))
    expect(result).to_be_visible()
    assert_accessible(page)
    result.click()
    expect(page).to_have_url(re.compile(rf"/public/{hosted.agency.slug}/agreements/{hosted.pk}/"))
    expect(page.locator("body")).to_contain_text("Amazon Web Services (AWS)")


def test_the_browser_finds_the_favicon(page, transactional_db):
    response = page.goto("/favicon.ico")
    assert response.ok and "svg" in response.headers["content-type"], response.headers
