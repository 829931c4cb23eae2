"""Issue 16 in a browser (the foundation): a teacher signs up with the district's e-mail domain, follows the e-mailed
link, sets a password, requests an app the district already has an agreement for, and is told at once that it is
approved, with a link to the agreement's public page. axe on every page; screenshots in /tmp/shots-requests/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agreements.models import OutboundEmail
from apprequests.models import StaffDomain

from .. import factories
from ..public_helpers import make_agreement
from .conftest import assert_accessible

SHOTS = Path("/tmp/shots-requests")  # noqa: S108 -- for a person to look at


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def approved_app(transactional_db, catalogues, district):
    StaffDomain.objects.create(agency=district, domain="hometowncsd.org")
    contractor = factories.ContractorFactory(legal_name="Sunrise Learning, Inc.", website="https://sunrisemath.com")
    product = factories.ProductFactory(contractor=contractor, name="Sunrise Math")
    return make_agreement(agency=district, contractor=contractor, products=[product])


def test_a_teacher_signs_up_and_an_app_the_district_approved_is_approved_at_once(page, approved_app):
    page.goto("/requests/sign-up/")
    assert_accessible(page)
    shot(page, "1-sign-up")
    page.get_by_label("Your school e-mail address").fill("ann.lee@hometowncsd.org")
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert_accessible(page)
    shot(page, "2-check-your-email")

    body = OutboundEmail.objects.get(template="apprequest_sign_up").body_text
    page.goto(re.search(r"https?://[^/\s]+(/requests/sign-up/[^/\s]+/)", body).group(1))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hometown Central School District")
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Last name").fill("Lee")
    page.locator("#id_password1").fill("correct horse 42")
    page.locator("#id_password2").fill("correct horse 42")
    assert_accessible(page)
    shot(page, "3-set-password")
    page.get_by_role("button", name="Create my account").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("My app requests")
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name="Request an app").click()
    page.get_by_label("App name").fill("Sunrise Math")
    page.get_by_label("Website").fill("https://www.sunrisemath.com")
    page.get_by_label("What it is for").fill("Fractions practice for my fourth graders")
    page.get_by_label("Grades").fill("4")
    page.get_by_label("Number of students").fill("48")
    page.get_by_label("Do students sign in?").select_option("yes")
    page.get_by_label("What student or staff data it would see").fill("Names and class rosters")
    assert_accessible(page)
    shot(page, "4-request-an-app")
    page.get_by_role("button", name="Send the request").click()

    card = page.locator(".card", has_text="Sunrise Math")
    expect(card).to_contain_text("Approved")
    expect(card).to_contain_text("agreement in effect")
    assert_accessible(page)
    shot(page, "5-approved")
    card.get_by_role("link", name="See the agreement").click()
    expect(page).to_have_url(re.compile(rf"/public/hometown-csd/agreements/{approved_app.pk}/$"))
