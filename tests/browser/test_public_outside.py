"""An agreement signed outside the portal on the parents' pages in headless Chromium: axe (WCAG 2.1 AA) on its page
and the district's list in English and Spanish, one of them with items the district has not given, and a screenshot
of each page under /tmp to look at."""

import tempfile
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from agreements.models import Agreement
from exhibits.services import bill_of_rights_publish

from .. import factories
from ..public_helpers import make_agreement
from ..test_public_outside import ITEMS, imported_agreement
from .conftest import assert_accessible

S = Agreement.Status
# Under /tmp (the system temporary directory): for a person to look at, not for the test to compare.
SCREENSHOTS = Path(tempfile.gettempdir()) / "dpa-portal-screenshots"


@pytest.fixture
def imports(transactional_db, catalogues, district, district_admin):
    """The district's list: one agreement of its own, one imported whole, one imported with nothing of Exhibit B."""
    cache.clear()
    bill_of_rights_publish(agency=district)
    make_agreement(agency=district)
    vendor = factories.ContractorFactory(legal_name="Mathsprout Learning LLC", slug="mathsprout")
    whole = imported_agreement(
        agency=district,
        uploader=district_admin,
        contractor=vendor,
        products=[factories.ProductFactory(contractor=vendor, name="Sprout Practice")],
    )
    bare = imported_agreement(agency=district, uploader=district_admin, items={}, subcontractors=None, status=S.EXPIRED)
    yield {"whole": whole, "bare": bare}
    cache.clear()


@pytest.mark.parametrize(("language", "signed", "missing"), [
    ("en", "Signed outside the portal. The district uploaded it on", "Not provided by the district."),
    ("es", "Firmado fuera del portal. El distrito lo subió el", "El distrito no lo ha proporcionado."),
])  # fmt: skip
def test_an_imported_agreements_pages_pass_axe_in_both_languages(page, district, imports, language, signed, missing):
    SCREENSHOTS.mkdir(exist_ok=True)
    whole, bare = imports["whole"], imports["bare"]

    page.goto(f"/public/{district.slug}/agreements/{whole.pk}/?language={language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#signed")).to_contain_text(signed)
    expect(page.locator("#accuracy")).to_contain_text(ITEMS["accuracy_challenges"])
    expect(page.locator("#subcontractors")).to_contain_text(ITEMS["subcontractor_terms"])
    expect(page.locator("#signed a")).to_have_count(0)  # no copy offered
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / f"imported-agreement-{language}.png", full_page=True)

    page.goto(f"/public/{district.slug}/agreements/{bare.pk}/?language={language}")
    for item in ["purposes", "subcontractors", "term", "accuracy", "storage", "encryption"]:
        expect(page.locator(f"#{item} .not-given")).to_have_text(missing)
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / f"imported-agreement-not-given-{language}.png", full_page=True)

    page.goto(f"/public/{district.slug}/?language={language}")
    expect(page.locator(".agreement-card")).to_have_count(3)
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / f"district-with-imports-{language}.png", full_page=True)
