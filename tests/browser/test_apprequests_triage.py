"""Issue 16.3 in a browser: the technology director sees on the dashboard what waits, opens the queue (two teachers'
requests for one app as one row), starts an agreement for that app (both requests linked, in review), and declines
another app with a reason shown on the public list and an approved alternative. axe on every page; screenshots in
/tmp/shots-triage/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from agreements.models import Agreement
from apprequests.models import AppRequest, Requester
from apprequests.services import app_request_submit

from .. import factories
from ..public_helpers import make_agreement
from .conftest import assert_accessible
from .test_signing import signed_in

SHOTS = Path("/tmp/shots-triage")  # noqa: S108 -- for a person to look at
FIELDS = {"grades": "6-8", "student_count": 90, "students_sign_in": "yes", "data_seen": "Names and class rosters"}


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def waiting(transactional_db, catalogues, district, district_admin, with_totp):
    with_totp(district_admin)
    vendor = factories.ContractorFactory(legal_name="Sunrise Learning, Inc.")
    sunrise = factories.ProductFactory(name="Sunrise Math", contractor=vendor)
    approved = make_agreement(agency=district, contractor=vendor, products=[sunrise]).products.get()
    ann, bob, cy = (
        Requester.objects.create(
            user=factories.UserFactory(email=f"{n}@hometowncsd.org", first_name=n.title(), last_name="Teacher"),
            agency=district,
        )
        for n in ("ann", "bob", "cy")
    )
    site = "https://www.pixelpaint.example"
    app_request_submit(requester=ann, app_name="Pixel Paint", website=site, purpose="Art class portfolios", **FIELDS)
    app_request_submit(requester=bob, app_name="Pixel Paint Inc.", website=site, purpose="Design unit", **FIELDS)
    app_request_submit(
        requester=cy, app_name="MathBlaster Pro", website="https://mathblaster.example", purpose="Drills", **FIELDS
    )
    return district_admin, approved


def test_the_director_starts_an_agreement_for_a_grouped_request_and_declines_another(
    browser, live_server, waiting, district
):
    admin, approved = waiting
    context, page = signed_in(browser, live_server, admin)
    page.goto(f"/district/{district.slug}/")
    summary = page.get_by_role("region", name="App requests to decide")
    expect(summary).to_contain_text("Submitted: 3")
    assert_accessible(page)
    shot(page, "1-dashboard")

    summary.get_by_role("link", name="App requests to decide").click()
    pixel = page.get_by_role("region", name="Pixel Paint")
    expect(pixel).to_contain_text("2 requests")
    expect(pixel).to_contain_text("Ann Teacher, Bob Teacher")
    assert_accessible(page)
    shot(page, "2-queue")

    pixel.get_by_role("link", name="Start an agreement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start an agreement for Pixel Paint")
    page.get_by_label("New vendor's legal name").fill("Pixel Paint Studios LLC")
    assert_accessible(page)
    shot(page, "3-start")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("status").filter(has_text="Agreement created")).to_contain_text("2 requests linked")
    agreement = Agreement.objects.get(contractor__legal_name="Pixel Paint Studios LLC")
    assert set(AppRequest.objects.filter(agreement=agreement).values_list("status", flat=True)) == {"in_review"}
    shot(page, "4-agreement")

    page.goto(f"/district/{district.slug}/app-requests/")
    blaster = page.get_by_role("region", name="MathBlaster Pro")
    blaster.get_by_text("Decline", exact=True).click()
    blaster.get_by_role("textbox", name="Reason").fill("It shows ads to students.")
    blaster.get_by_label("Show the reason on the district's public list of apps").check()
    blaster.get_by_label("An approved app to use instead").select_option(label=f"{approved} ({approved.contractor})")
    assert_accessible(page)
    shot(page, "5-decline")
    blaster.get_by_role("button", name="Decline 1 request").click()
    expect(page.get_by_role("status").filter(has_text="Declined")).to_contain_text("1 teacher was told")
    expect(page.get_by_text("No request is waiting.")).to_be_visible()
    assert_accessible(page)
    shot(page, "6-queue-empty")
    declined = AppRequest.objects.get(app_name="MathBlaster Pro")
    assert (declined.status, declined.reason_shown, declined.alternative) == ("declined", True, approved)
    context.close()
