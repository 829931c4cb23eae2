"""The district's approved-apps list in a browser (issue 16.4): a parent finds it from the district's page, reads each
app's status in English and in Spanish, follows an approved app to its agreement; a hostile name stays text. axe on
each page; screenshots in /tmp/shots-apps-list/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from agreements.models.statuses import AgreementStatus as S
from apprequests.models import AppRequest, Requester

from .. import factories
from ..helpers import HOSTILE
from ..public_helpers import make_agreement
from .conftest import assert_accessible

SHOTS = Path("/tmp/shots-apps-list")  # noqa: S108 -- for a person to look at
FIELDS = {"website": "https://apps.example", "purpose": "Practice", "grades": "3-5", "student_count": 60}


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def row(page, name):
    return page.locator("tr", has=page.get_by_role("rowheader", name=name, exact=True))


@pytest.fixture
def listed(transactional_db, catalogues, district):
    teacher = Requester.objects.create(
        user=factories.UserFactory(email="ann.lee@hometowncsd.org", first_name="Ann", last_name="Lee"), agency=district
    )
    sunrise = factories.ProductFactory(name="Sunrise Math")
    approved = make_agreement(agency=district, contractor=sunrise.contractor, products=[sunrise])
    moon = factories.ProductFactory(name="Moonbeam Reader")
    in_review = make_agreement(agency=district, contractor=moon.contractor, products=[moon], status=S.SUBMITTED)

    def ask(name, status, **fields):
        AppRequest.objects.create(agency=district, requester=teacher, app_name=name, status=status, **FIELDS, **fields)

    ask("Sunrise Math", AppRequest.Status.APPROVED, product=sunrise, agreement=approved)
    ask("Moonbeam Reader", AppRequest.Status.IN_REVIEW, product=moon, agreement=in_review)
    ask(
        "Comet Notes",
        AppRequest.Status.DECLINED,
        reason="It shows ads to students.",
        reason_shown=True,
        alternative=sunrise,
    )
    ask(HOSTILE, AppRequest.Status.DECLINED)
    return approved


def test_a_parent_reads_the_districts_apps_in_english_and_spanish(page, listed, district):
    page.goto(f"/public/{district.slug}/")
    page.get_by_role("link", name="Apps in use").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Apps in use at {district.name}")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(row(page, "Sunrise Math")).to_contain_text("Approved: data privacy agreement")
    expect(row(page, "Moonbeam Reader")).to_contain_text("In review")
    expect(row(page, "Comet Notes")).to_contain_text("It shows ads to students.")
    expect(page.get_by_role("rowheader", name=HOSTILE)).to_be_visible()  # text, not a script
    expect(page.locator("body")).not_to_contain_text("ann.lee@hometowncsd.org")
    expect(page.locator("body")).not_to_contain_text("Ann Lee")
    assert_accessible(page)
    shot(page, "1-apps-in-use")

    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Aplicaciones en uso en {district.name}")
    expect(row(page, "Moonbeam Reader")).to_contain_text("En revisión")
    assert_accessible(page)
    shot(page, "2-aplicaciones-en-uso")
    page.get_by_role("button", name="English").click()

    row(page, "Sunrise Math").get_by_role("link").first.click()
    expect(page).to_have_url(f"{page.url.split('/public/')[0]}/public/{district.slug}/agreements/{listed.pk}/")
    assert_accessible(page)
    shot(page, "3-its-agreement")
