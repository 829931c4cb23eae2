"""Issue 14, points 1 and 6, in the browser: the district approves and countersigns and gets the page back at once;
the agreement page follows the worker's PDF in its progress panel (htmx, every 2 s) until the link shows, and says so
when it failed and what happens next; the "Next step" box says who has the agreement, what they must do and since
when. Screenshots of each state go to /tmp/shots14/agreement/."""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agreements import render_jobs
from agreements.consent import CURRENT_CONSENT_VERSION
from agreements.models import Agreement, AgreementDocument, RenderJob
from agreements.services import agreement_send_to_vendor, agreement_submit
from agreements.signing import SignatureRequest, agreement_sign
from tests.test_celery import celery_worker  # noqa: F401 - a fixture: the real worker that renders and seals
from vendors.models import ContractorMembership

from .. import factories
from ..helpers import fill_complete
from ..personas import totp_code
from ..public_helpers import move
from .conftest import assert_accessible
from .test_signing import fill_signature, signed_in

SHOTS = Path("/tmp/shots14/agreement")  # noqa: S108
S = Agreement.Status
K = AgreementDocument.Kind


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def parties(transactional_db, catalogues, agreement, district_admin, vendor, with_totp):
    vendor_admin = factories.ContractorMembershipFactory(contractor=vendor, role=ContractorMembership.Role.ADMIN).user
    secrets = {"vendor": with_totp(vendor_admin), "district": with_totp(district_admin)}
    return agreement, {"vendor": vendor_admin, "district": district_admin}, secrets


def test_approve_and_countersign_return_at_once_and_the_page_follows_the_worker(
    browser,
    live_server,
    parties,
    celery_worker,  # noqa: F811
):
    agreement, users, secrets = parties
    agreement_send_to_vendor(agreement=agreement, actor=users["district"])
    fill_complete(agreement, actor=users["vendor"])
    agreement_submit(agreement=agreement, actor=users["vendor"])
    context, d = signed_in(browser, live_server, users["district"])
    try:
        d.goto(f"/agreements/{agreement.pk}/")
        expect(d.locator("#next-step-holder")).to_contain_text("the district Hometown Central School District")
        start = time.monotonic()
        d.get_by_role("button", name="Approve").click()
        expect(d.get_by_text("Approved. The vendor signs next.")).to_be_visible()
        assert time.monotonic() - start < 3, "approving waited for the PDF"
        panel = d.locator("#progress-signing-copy")
        if "being prepared" in panel.inner_text():  # the worker may be done already on a fast machine
            # Nobody can sign yet: the next step is the portal's until the copy exists.
            expect(d.locator("#next-step-holder")).to_contain_text("the portal (preparing the copy to sign)")
            shot(d, "1-approved-copy-being-prepared")
        # The panel asks for itself every 2 s; once the copy is stored, the page shows its link (no reload by hand).
        expect(d.get_by_role("link", name="Download the copy to sign")).to_be_visible(timeout=60_000)
        expect(d.locator("#next-step-holder")).to_contain_text("the vendor Learning Tools, Inc.")
        assert_accessible(d)
        shot(d, "2-approved-copy-ready")

        copy = AgreementDocument.objects.get(agreement=agreement, kind=K.SIGNING_COPY)
        agreement.refresh_from_db()
        agreement_sign(
            agreement=agreement,
            user=users["vendor"],
            request=SignatureRequest(
                typed_name="Jordan Ellis",
                title="Chief Privacy Officer",
                consent_version=CURRENT_CONSENT_VERSION,
                otp_code=totp_code(secrets["vendor"]),
                document_sha256=copy.sha256,
            ),
            ip="127.0.0.1",
            user_agent="test",
        )
        d.goto(f"/agreements/{agreement.pk}/")
        expect(d.locator("#next-step-todo")).to_contain_text("Countersign the agreement")
        d.get_by_role("link", name=re.compile("^Countersign for")).click()
        fill_signature(d, "Director of Technology", totp_code(secrets["district"]))
        start = time.monotonic()
        d.get_by_role("button", name="Sign the agreement").click()
        expect(d.get_by_text("Countersigned.")).to_be_visible()
        assert time.monotonic() - start < 3, "countersigning waited for the seal"
        if d.locator("#progress-executed[data-state=working]").count():
            expect(d.locator("#progress-executed")).to_contain_text("the portal is sealing the executed DPA")
            shot(d, "3-countersigned-sealing")
        # Sealed: the page reloads by itself into the executed agreement, its link and its public copy.
        expect(d.get_by_role("link", name="Download the executed DPA (sealed PDF)")).to_be_visible(timeout=60_000)
        expect(d.get_by_role("link", name="Download the public copy (sealed PDF)")).to_be_visible(timeout=60_000)
        expect(d.locator("#next-step-holder")).to_contain_text("both parties")
        assert_accessible(d)
        shot(d, "4-executed-documents-ready")
    finally:
        context.close()


def test_the_next_step_box_and_a_failed_pdf_as_each_party_sees_them(browser, live_server, parties):
    agreement, users, _ = parties
    editor = factories.ContractorMembershipFactory(contractor=agreement.contractor).user
    move(agreement, S.WITH_VENDOR)
    context, d = signed_in(browser, live_server, users["district"])
    vendor_context, v = signed_in(browser, live_server, editor)
    try:
        # While the vendor works, the district reads whose turn it is and since when (it was empty before).
        d.goto(f"/agreements/{agreement.pk}/")
        expect(d.locator("#next-step-holder")).to_have_text("the vendor Learning Tools, Inc.")
        expect(d.locator("#next-step-todo")).to_contain_text("Nothing is due from the district until then")
        expect(d.locator("#next-step-since time")).to_be_visible()
        assert_accessible(d)
        shot(d, "5-next-step-district-while-vendor-works")
        v.goto(f"/agreements/{agreement.pk}/")
        expect(v.locator("#next-step-holder")).to_contain_text("you")
        shot(v, "6-next-step-vendor")

        # Approved; the first attempt at the copy to sign failed: the portal says when it tries again.
        fill_complete(agreement, actor=editor)
        move(agreement, S.APPROVED, start=S.WITH_VENDOR)
        now = timezone.now()
        job = RenderJob.objects.create(
            agreement=agreement,
            kind=K.SIGNING_COPY,
            attempts=1,
            started_at=now - timedelta(seconds=40),
            failed_at=now - timedelta(seconds=30),
            retry_after=now + timedelta(minutes=1),
            last_error="OSError: the fonts could not be read",
        )
        d.goto(f"/agreements/{agreement.pk}/")
        expect(d.locator("#progress-signing-copy")).to_contain_text("Preparing the copy to sign failed.")
        expect(d.locator("#progress-signing-copy")).to_contain_text("tries again by itself at")
        assert_accessible(d)
        shot(d, "7-copy-failed-retrying")

        # Given up: the panel stops asking and says what happens next; the page shows the form to send it back.
        RenderJob.objects.filter(pk=job.pk).update(
            attempts=render_jobs.MAX_ATTEMPTS, given_up_at=timezone.now(), retry_after=None
        )
        expect(d.get_by_role("button", name="Send it back to the vendor")).to_be_visible(timeout=10_000)
        expect(d.locator("#progress-signing-copy")).to_contain_text("has stopped trying")
        # The next step is the district's: the vendor cannot sign a copy that does not exist.
        expect(d.locator("#next-step-holder")).to_contain_text("the district Hometown Central School District")
        expect(d.locator("#next-step-todo")).to_contain_text("The portal could not prepare the copy to sign")
        assert_accessible(d)
        shot(d, "8-copy-given-up-district")
    finally:
        context.close()
        vendor_context.close()


def test_the_signing_page_waits_for_its_document_in_the_same_panel(browser, live_server, parties):
    agreement, users, _ = parties
    fill_complete(agreement, actor=users["vendor"])
    move(agreement, S.APPROVED)
    context, v = signed_in(browser, live_server, users["vendor"])
    try:
        v.goto(f"/agreements/{agreement.pk}/sign/")
        expect(v.locator("#progress-signing-copy")).to_contain_text("The document to sign is being prepared.")
        assert_accessible(v)
        shot(v, "9-sign-page-waiting")
    finally:
        context.close()
