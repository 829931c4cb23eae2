"""Issue 16.7, the whole journey in a browser: a teacher requests three apps and gets three answers, the technology
director triages what is left, and the fast track ends in an executed agreement.

(a) Sunrise Math: the district has an agreement in effect, so the request is approved at once, linked to its public
    Exhibit B page.
(b) Moonbeam Reader: another New York district holds an executed DPA for it, so the fast track is offered; the
    director starts an agreement from the queue, the vendor finds its answers carried over, confirms and submits, the
    district approves, both sign, a real Celery worker seals it, and the teacher's request becomes approved and the
    app is listed as approved on the district's public list.
(c) Pixel Paint: nobody has it; the director starts an agreement and invites the vendor's contact (the invitation
    is in the outbox), and the teacher sees the request in review.

axe on every page the teacher sees and on the public apps page; full-page screenshots (1280 wide) of every step in
/tmp/shots-journey/."""

import itertools
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation
from agreements.models import Agreement, AgreementDocument, OutboundEmail
from agreements.services import agreement_create, agreement_send_to_vendor, agreement_submit
from apprequests.models import AppRequest, Requester
from exhibits.services import bill_of_rights_publish
from tests.test_celery import celery_worker  # noqa: F401 - a fixture: the real worker that renders and seals
from vendors.models import ContractorMembership

from .. import factories
from ..helpers import fill_complete
from ..personas import totp_code
from ..public_helpers import make_agreement, move
from .conftest import assert_accessible
from .test_signing import fill_signature, signed_in

SHOTS = Path("/tmp/shots-journey")  # noqa: S108 -- for a person to look at
S = Agreement.Status
TERM = {"Service Agreement dated": "2026-08-15", "Contract start date": "2026-09-01", "Contract end date": "2027-08-31"}


class Shots:
    """Numbered full-page screenshots, 1280 wide, in the order the journey takes them."""

    def __init__(self):
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob("*.png"):
            old.unlink()
        self.number = itertools.count(1)

    def __call__(self, page, name):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(SHOTS / f"{next(self.number):02d}-{name}.png"), full_page=True)


@pytest.fixture
def journey(transactional_db, catalogues, district, other_district, district_admin, other_district_admin, with_totp):
    """The district (its Bill of Rights published, its director with an authenticator app), a teacher, an app it has
    an agreement in effect for, and an app whose vendor has an executed DPA with another New York district (submitted
    through the portal, so that its answers can be carried over)."""
    bill_of_rights_publish(agency=district)
    teacher = factories.UserFactory(email="ann.lee@hometowncsd.org", first_name="Ann", last_name="Lee")
    Requester.objects.create(user=teacher, agency=district)

    sunrise_vendor = factories.ContractorFactory(legal_name="Sunrise Learning, Inc.", website="https://sunrisemath.com")
    sunrise = factories.ProductFactory(contractor=sunrise_vendor, name="Sunrise Math")
    in_effect = make_agreement(agency=district, contractor=sunrise_vendor, products=[sunrise])

    moonbeam_vendor = factories.ContractorFactory(
        legal_name="Moonbeam Learning LLC", website="https://moonbeam.example"
    )
    moonbeam = factories.ProductFactory(contractor=moonbeam_vendor, name="Moonbeam Reader")
    vendor_admin = factories.ContractorMembershipFactory(
        contractor=moonbeam_vendor, role=ContractorMembership.Role.ADMIN
    ).user
    with_totp(other_district_admin)
    theirs = agreement_create(
        agency=other_district,
        contractor=moonbeam_vendor,
        products=[moonbeam],
        framework=factories.csf("1.1"),
        actor=other_district_admin,
        service_agreement_date="2025-08-01",
        contract_start="2025-09-01",
        contract_end="2026-08-31",
    )
    agreement_send_to_vendor(agreement=theirs, actor=other_district_admin)
    fill_complete(theirs, actor=vendor_admin, text="Moonbeam's answer")
    agreement_submit(agreement=theirs, actor=vendor_admin)
    move(theirs, S.EXECUTED, start=S.SUBMITTED)
    secrets = {"district": with_totp(district_admin), "vendor": with_totp(vendor_admin)}
    return {
        "teacher": teacher,
        "director": district_admin,
        "vendor": vendor_admin,
        "secrets": secrets,
        "in_effect": in_effect,
        "theirs": theirs,
    }


def sign_in(page, email):
    """Through the sign-in page, as a teacher does (no authenticator app: a teacher is no district staff)."""
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def card(page, app_name):
    return page.locator(".card", has=page.get_by_role("heading", name=re.compile(f"^{app_name}")))


def request_app(page, shot, name, website, purpose, step, *, approved=False):
    page.get_by_role("link", name="Request an app").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request an app")
    page.get_by_label("App name").fill(name)
    page.get_by_label("Website").fill(website)
    page.get_by_label("What it is for").fill(purpose)
    page.get_by_label("Grades").fill("4")
    page.get_by_label("Number of students").fill("48")
    page.get_by_label("Do students sign in?").select_option("yes")
    page.get_by_label("What student or staff data it would see").fill("Names and class rosters")
    assert_accessible(page)
    shot(page, f"teacher-requests-{step}")
    page.get_by_role("button", name="Send the request").click()
    said = f"{name} is approved: Hometown" if approved else f"Your request for {name} was sent"
    expect(page.get_by_role("status")).to_contain_text(said)
    assert_accessible(page)
    return card(page, name)


def wait_for(condition, what, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.3)


def start_agreement(d, shot, app_name, step, **fields):
    """From the queue: start an agreement for the app, with the term given, and land on its page."""
    d.get_by_role("region", name=app_name).get_by_role("link", name="Start an agreement").click()
    expect(d.get_by_role("heading", level=1)).to_have_text(f"Start an agreement for {app_name}")
    for label, value in {**fields, **TERM}.items():
        d.get_by_label(label).fill(value)
    d.get_by_label("NIST Cybersecurity Framework version for Exhibit C.1").select_option(
        label=factories.csf("1.1").name
    )
    assert_accessible(d)
    shot(d, f"director-starts-{step}")
    d.get_by_role("button", name="Create draft").click()
    expect(d.get_by_role("status").filter(has_text="Agreement created")).to_contain_text("1 request linked")
    return Agreement.objects.get(products__name=app_name, agency__slug="hometown-csd")


def test_a_teachers_three_requests_instant_answer_fast_track_and_triage(
    browser,
    live_server,
    journey,
    district,
    other_district,
    celery_worker,  # noqa: F811
):
    shot = Shots()
    secrets = journey["secrets"]

    # --- The teacher signs in and asks for three apps ---------------------------------------------------------
    teacher_context = browser.new_context(base_url=live_server.url, locale="en-US")
    t = teacher_context.new_page()
    t.set_default_timeout(15_000)
    sign_in(t, journey["teacher"].email)
    expect(t.get_by_role("heading", level=1)).to_contain_text("My app requests")
    expect(t.get_by_text("You have not asked for an app yet.")).to_be_visible()
    menu = t.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Apps in use")).to_be_visible()
    for staff_only in ("Agreements", "Deadlines", "Staff"):  # the reviewers' menus are not a teacher's
        expect(menu.get_by_role("link", name=staff_only, exact=True)).to_have_count(0)
    assert_accessible(t)
    shot(t, "teacher-my-requests-empty")

    # (a) An app the district has an agreement in effect for: approved at once, with its public page.
    sunrise = request_app(
        t,
        shot,
        "Sunrise Math",
        "https://www.sunrisemath.com",
        "Fractions practice for my fourth graders",
        "a",
        approved=True,
    )
    expect(sunrise).to_contain_text("Approved")
    expect(sunrise).to_contain_text("the district has a data privacy agreement in effect for this app")
    shot(t, "teacher-a-approved-at-once")
    sunrise.get_by_role("link", name="See the agreement and what data it covers").click()
    expect(t).to_have_url(re.compile(rf"/public/{district.slug}/agreements/{journey['in_effect'].pk}/$"))
    expect(t.get_by_role("heading", level=1)).to_have_text("Agreement with Sunrise Learning, Inc.")
    expect(t.get_by_role("heading", name="1. What the data is used for")).to_be_visible()
    assert_accessible(t)
    shot(t, "teacher-a-public-exhibit-b")
    t.go_back()

    # (b) An app another New York district signed for: the fast track is offered.
    moonbeam = request_app(
        t, shot, "Moonbeam Reader", "https://moonbeam.example/reader", "Guided reading for small groups", "b"
    )
    expect(moonbeam).to_contain_text("Fast track offered")
    expect(moonbeam).to_contain_text(
        f"Other New York districts have a signed data privacy agreement for this app: {other_district.name}"
    )
    shot(t, "teacher-b-fast-track-offered")

    # (c) An app nobody has: submitted, for the director to triage.
    pixel = request_app(t, shot, "Pixel Paint", "https://www.pixelpaint.example", "Art class portfolios", "c")
    expect(pixel).to_contain_text("Submitted")
    expect(t.locator("li.card")).to_have_count(3)
    shot(t, "teacher-c-submitted")

    # --- The director: the dashboard's panel, the queue, and (c) started and sent to the vendor's contact ------
    director_context, d = signed_in(browser, live_server, journey["director"])
    d.goto(f"/district/{district.slug}/")
    panel = d.get_by_role("region", name="App requests to decide")
    expect(panel).to_contain_text("Submitted: 1")
    expect(panel).to_contain_text("Fast track offered: 1")
    shot(d, "director-dashboard")
    panel.get_by_role("link", name="App requests to decide").click()
    expect(d.get_by_role("heading", level=1)).to_have_text("App requests to decide")
    expect(d.get_by_role("region", name="Moonbeam Reader")).to_contain_text("on the portal: Moonbeam Reader")
    expect(d.get_by_role("region", name="Pixel Paint")).to_contain_text("Ann Lee")
    shot(d, "director-queue")

    pixel_agreement = start_agreement(
        d, shot, "Pixel Paint", "c", **{"New vendor's legal name": "Pixel Paint Studios LLC"}
    )
    shot(d, "director-c-draft")
    d.get_by_label("Vendor contact's e-mail").fill("privacy@pixelpaint.example")
    d.get_by_role("button", name="Send to vendor").click()
    expect(d.get_by_role("status")).to_contain_text("Sent to the vendor.")
    shot(d, "director-c-sent-to-vendor")
    invitation = OutboundEmail.objects.get(template="invitation", to=["privacy@pixelpaint.example"])
    assert invitation.agreement_id == pixel_agreement.pk
    # Its single-use link is scrubbed from the outbox once the worker sent it; the invitation it carries is kept.
    assert (
        invitation.subject
        == f"{district.name} invites Pixel Paint Studios LLC to a Data Privacy Agreement on the DPA Portal"
    )
    assert Invitation.objects.get(
        email="privacy@pixelpaint.example", agreement=pixel_agreement
    ).contractor.legal_name == ("Pixel Paint Studios LLC")
    pixel_agreement.refresh_from_db()
    assert pixel_agreement.status == S.WITH_VENDOR

    t.goto(f"/requests/{district.slug}/")
    expect(card(t, "Pixel Paint")).to_contain_text("In review")
    expect(card(t, "Pixel Paint")).to_contain_text("The district started a data privacy agreement")
    assert_accessible(t)
    shot(t, "teacher-c-in-review")

    # --- (b) The fast track: started from the queue, the vendor's answers carried over --------------------------
    d.goto(f"/district/{district.slug}/app-requests/")
    expect(d.get_by_role("region", name="Pixel Paint")).to_have_count(0)
    moon_agreement = start_agreement(d, shot, "Moonbeam Reader", "b")
    assert moon_agreement.contractor == journey["theirs"].contractor
    d.get_by_role("button", name="Send to vendor").click()
    expect(d.get_by_role("status")).to_contain_text("Sent to the vendor.")
    assert OutboundEmail.objects.filter(template="agreement_sent", agreement=moon_agreement).exists()

    vendor_context, v = signed_in(browser, live_server, journey["vendor"])
    v.goto(f"/agreements/{moon_agreement.pk}/")
    shot(v, "vendor-b-opens")
    vendor_confirms_and_submits(v, shot, moon_agreement, other_district)
    moon_agreement.refresh_from_db()
    assert moon_agreement.status == S.SUBMITTED

    # The district approves; both sign; the worker renders the copy to sign and seals the executed DPA.
    d.goto(f"/agreements/{moon_agreement.pk}/")
    d.get_by_role("button", name="Approve").click()
    expect(d.get_by_text("Approved. The vendor signs next.")).to_be_visible()
    shot(d, "director-b-approved")

    v.goto(f"/agreements/{moon_agreement.pk}/")
    expect(v.get_by_role("link", name="Download the copy to sign")).to_be_visible(timeout=60_000)
    v.get_by_role("link", name=re.compile("^Sign for")).click()
    fill_signature(v, "Chief Privacy Officer", totp_code(secrets["vendor"]))
    shot(v, "vendor-b-signs")
    v.get_by_role("button", name="Sign the agreement").click()
    expect(v.get_by_text("Signed. The district countersigns next.")).to_be_visible()

    d.goto(f"/agreements/{moon_agreement.pk}/")
    d.get_by_role("link", name=re.compile("^Countersign for")).click()
    fill_signature(d, "Director of Technology", totp_code(secrets["district"]))
    d.get_by_role("button", name="Sign the agreement").click()
    expect(d.get_by_text("Countersigned.")).to_be_visible()
    wait_for(
        lambda: AgreementDocument.objects.filter(agreement=moon_agreement, kind="executed").exists(),
        "the worker to seal the executed DPA",
    )
    expect(d.get_by_role("link", name="Download the executed DPA (sealed PDF)")).to_be_visible(timeout=30_000)
    shot(d, "director-b-executed")
    moon_agreement.refresh_from_db()
    assert moon_agreement.status == S.EXECUTED

    # The teacher's request is approved, and the district's public list shows the app as approved.
    t.goto(f"/requests/{district.slug}/")
    expect(card(t, "Moonbeam Reader")).to_contain_text("Approved")
    expect(
        card(t, "Moonbeam Reader").get_by_role("link", name="See the agreement and what data it covers")
    ).to_have_attribute("href", f"/public/{district.slug}/agreements/{moon_agreement.pk}/")
    assert_accessible(t)
    shot(t, "teacher-b-approved")
    assert AppRequest.objects.get(app_name="Moonbeam Reader").status == AppRequest.Status.APPROVED

    t.get_by_role("link", name="Apps in use").click()
    expect(t.get_by_role("heading", level=1)).to_have_text(f"Apps in use at {district.name}")
    moon_row = t.locator("tr", has=t.get_by_role("rowheader", name="Moonbeam Reader", exact=True))
    expect(moon_row).to_contain_text("Approved: data privacy agreement")
    expect(t.locator("tr", has=t.get_by_role("rowheader", name="Pixel Paint", exact=True))).to_contain_text("In review")
    expect(t.locator("body")).not_to_contain_text("ann.lee@hometowncsd.org")
    assert_accessible(t)
    shot(t, "public-apps-in-use")

    # The teacher was told by e-mail each time the district moved a request.
    told = OutboundEmail.objects.filter(template="apprequest_status", to=[journey["teacher"].email])
    assert sorted(told.values_list("subject", flat=True)) == [
        "Your app request: Moonbeam Reader (approved)",
        "Your app request: Moonbeam Reader (in review)",
        "Your app request: Pixel Paint (in review)",
    ]
    for context in (teacher_context, director_context, vendor_context):
        context.close()


def vendor_confirms_and_submits(v, shot, agreement, other_district):
    """The vendor's side of the fast track: the exhibits start from its answers of the executed agreement with the
    other district, each marked as carried over; it acknowledges this district's Bill of Rights (never carried over),
    confirms on the submit form that the carried answers hold as of today, and submits."""
    origin = f"{other_district.name}, executed"
    note = v.locator("#carried-note")
    expect(note).to_contain_text(f"come from your agreement with {origin}")
    expect(note).to_contain_text("When you submit, you confirm that they still hold as of today.")
    expect(v.get_by_text(f"carried over from {origin}").first).to_be_visible()
    expect(v.get_by_text("Moonbeam's answer: purposes")).to_be_visible()
    shot(v, "vendor-b-answers-carried-over")
    v.get_by_role("button", name="We have read and acknowledge the Bill of Rights").click()
    expect(v.get_by_text("You acknowledged the district's Bill of Rights")).to_be_visible()
    expect(v.get_by_text("Every answer is in.")).to_be_visible()
    confirm = f'We confirm that the answers marked "carried over" from our agreement with {other_district.name}'
    v.get_by_label(f"{confirm} still hold as of today.").check()
    shot(v, "vendor-b-confirms-and-submits")
    v.get_by_role("button", name=re.compile("^Submit to")).click()
    expect(v.get_by_text("Submitted to the district for review.")).to_be_visible()
    expect(note).to_contain_text("You confirmed on")
