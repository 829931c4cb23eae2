"""Issue 14, point 1: long work never blocks a request. Approving and countersigning return at once while a real
Celery worker makes the copy to sign and seals the executed DPA; the agreement page and the signing page show each
document in the portal's one progress panel (templates/_progress.html, agreements/views/progress.py), which asks for
itself every 2 seconds while the work is under way or waits to be tried again, then shows the link, or says plainly
that it failed and what happens next. The panel's URL is for the parties' members only."""

import hashlib
import html
import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import render_jobs
from agreements.consent import CURRENT_CONSENT_VERSION
from agreements.models import Agreement, AgreementDocument, RenderJob, Signature
from agreements.services import agreement_send_to_vendor, agreement_submit

from . import factories
from .helpers import activate_totp, fill_complete
from .personas import totp_code
from .public_helpers import move, small_pdf, store_public_copy
from .test_celery import running_worker

S = Agreement.Status
K = AgreementDocument.Kind
FAST = 1.0  # seconds: a request that queues the work; rendering and sealing a DPA takes longer than this alone


def status_url(agreement, slug):
    return reverse("agreement_document_progress", args=[agreement.pk, slug])


def wait_for(condition, log, timeout=90):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def timed_post(client, url, data):
    start = time.monotonic()
    response = client.post(url, data)
    return response, time.monotonic() - start


def sign_data(agreement, secret, title):
    copy = AgreementDocument.objects.get(agreement=agreement, kind=K.SIGNING_COPY)
    return {
        "typed_name": "Jordan Ellis",
        "title": title,
        "otp_code": totp_code(secret),
        "consent": "on",
        "consent_version": CURRENT_CONSENT_VERSION,
        "document_sha256": copy.sha256,
        "drawing": "",
    }


# --- with a real worker ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_approving_and_countersigning_return_at_once_while_the_worker_makes_the_pdfs(
    catalogues, agreement, district_admin, vendor, tmp_path
):
    vendor_admin = factories.ContractorMembershipFactory(contractor=vendor, role="admin").user
    secrets = {"vendor": activate_totp(vendor_admin), "district": activate_totp(district_admin)}
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    fill_complete(agreement, actor=vendor_admin)
    agreement_submit(agreement=agreement, actor=vendor_admin)
    district, vendor_client = Client(), Client()
    district.force_login(district_admin)
    vendor_client.force_login(vendor_admin)
    page_url = reverse("agreement_detail", args=[agreement.pk])

    with running_worker(tmp_path) as (_, log):
        response, took = timed_post(district, reverse("agreement_approve", args=[agreement.pk]), {"note": ""})
        assert response.status_code == 302 and took < FAST, took
        # The request only queued the work: the copy to sign is the worker's to make.
        assert not AgreementDocument.objects.filter(agreement=agreement, kind=K.SIGNING_COPY).exists()
        page = district.get(page_url).text
        assert "The copy to sign is being prepared." in page and "vendor/htmx/htmx.min.js" in page
        assert f'hx-get="{status_url(agreement, "signing-copy")}" hx-trigger="every 2s"' in page
        wait_for(lambda: AgreementDocument.objects.filter(agreement=agreement, kind=K.SIGNING_COPY).exists(), log)
        ready = district.get(status_url(agreement, "signing-copy"), headers={"HX-Request": "true"})
        assert ready.status_code == 200 and ready["HX-Refresh"] == "true"
        assert "Download the copy to sign" in ready.text and "hx-trigger" not in ready.text
        assert "Task agreements.prepare_signing_copy" in log.read_text()

        url = reverse("agreement_sign", args=[agreement.pk])
        signed = vendor_client.post(url, sign_data(agreement, secrets["vendor"], "Chief Privacy Officer"))
        assert signed.status_code == 302, signed.text
        response, took = timed_post(district, url, sign_data(agreement, secrets["district"], "Director"))
        assert response.status_code == 302 and took < FAST, took
        assert not AgreementDocument.objects.filter(agreement=agreement, kind=K.EXECUTED).exists()
        page = district.get(page_url).text
        assert "the portal is sealing the executed DPA" in page
        assert f'hx-get="{status_url(agreement, "executed")}" hx-trigger="every 2s"' in page
        wait_for(lambda: Agreement.objects.get(pk=agreement.pk).status == S.EXECUTED, log)
        wait_for(lambda: AgreementDocument.objects.filter(agreement=agreement, kind=K.PUBLIC_COPY).exists(), log)
        assert "Task agreements.execute_agreement" in log.read_text()

    page = district.get(page_url).text
    executed = AgreementDocument.objects.get(agreement=agreement, kind=K.EXECUTED)
    assert "Download the executed DPA (sealed PDF)" in page and executed.sha256 in page
    assert "Download the public copy (sealed PDF)" in page and "Download the copy that was signed" in page
    assert "hx-trigger" not in page and "htmx" not in page  # nothing under way: no polling, no htmx


# --- the panel's states, in process ---------------------------------------------------------------------------------


@pytest.fixture
def approved(agreement, vendor_editor, district_admin):
    """Approved, its copy to sign not made yet (moved by transitions: no task was queued)."""
    activate_totp(district_admin)
    fill_complete(agreement, actor=vendor_editor)
    return move(agreement, S.APPROVED)


# A reason the portal writes itself (render_jobs.describe), which the parties read as written.
TOO_LONG = f"{render_jobs.TOOK_TOO_LONG} 120 seconds and was stopped."


def job(agreement, kind=K.SIGNING_COPY, **fields):
    now = timezone.now()
    values = {"attempts": 1, "started_at": now - timedelta(seconds=30), "failed_at": now - timedelta(seconds=20)}
    values.update(fields)
    return RenderJob.objects.create(agreement=agreement, kind=kind, **values)


def panel(html: str, pid: str) -> str:
    match = re.search(rf'<div id="{pid}".*?</div>\s*</div>', html, re.S)
    assert match, html
    return match.group(0)


def test_under_way_the_panel_polls_and_says_so(client, approved, district_admin):
    client.force_login(district_admin)
    page = client.get(reverse("agreement_detail", args=[approved.pk])).text
    under_way = panel(page, "progress-signing-copy")
    assert 'data-state="working"' in under_way and "The copy to sign is being prepared." in under_way
    assert f'hx-get="{status_url(approved, "signing-copy")}" hx-trigger="every 2s" hx-swap="outerHTML"' in under_way
    assert "This updates by itself" in under_way and 'role="status"' in under_way
    assert page.count("vendor/htmx/htmx.min.js") == 1
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script (Content-Security-Policy)
    assert not re.search(r"\sstyle=", page)  # nor inline style
    fragment = client.get(status_url(approved, "signing-copy"), headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "HX-Refresh" not in fragment
    assert fragment.text.strip().startswith('<div id="progress-signing-copy"') and "every 2s" in fragment.text

    # Under way for long (a lost task): the panel says the sweep queues it again.
    Agreement.objects.filter(pk=approved.pk).update(status_changed_at=timezone.now() - timedelta(minutes=10))
    assert "queues it again by itself within 5 minutes" in client.get(status_url(approved, "signing-copy")).text


def test_a_failed_attempt_says_when_the_portal_tries_again(client, approved, district_admin, vendor_editor):
    retry_at = timezone.now() + timedelta(minutes=9)
    failed = job(approved, last_error="RuntimeError: the font cache was locked", retry_after=retry_at)
    for user in (district_admin, vendor_editor):
        client.force_login(user)
        page = client.get(reverse("agreement_detail", args=[approved.pk])).text
        retrying = panel(page, "progress-signing-copy")
        assert 'data-state="retrying"' in retrying and "Preparing the copy to sign failed." in retrying
        # The exception's own words are for the operator (the admin); the parties read that the portal erred.
        assert "RuntimeError" not in retrying and "font cache" not in retrying
        assert f"An error inside the portal stopped it (the operator can read it under document job {failed.pk})" in (
            html.unescape(retrying)
        )
        assert f'tries again by itself at <time datetime="{timezone.localtime(retry_at).isoformat()}">' in retrying
        assert f"(attempt 2 of {render_jobs.MAX_ATTEMPTS})" in retrying
        assert 'hx-trigger="every 2s"' in retrying  # it follows the next attempt


def test_the_last_failed_attempt_before_giving_up_says_the_district_will_be_told(client, approved, district_admin):
    job(approved, attempts=render_jobs.MAX_ATTEMPTS - 1, retry_after=timezone.now() + timedelta(minutes=1))
    client.force_login(district_admin)
    fragment = html.unescape(client.get(status_url(approved, "signing-copy")).text)
    assert "If it fails again, the portal stops and tells the district's admins by e-mail." in fragment


def test_given_up_the_panel_stops_and_says_what_happens_next(client, approved, district_admin, vendor_editor):
    job(approved, attempts=render_jobs.MAX_ATTEMPTS, given_up_at=timezone.now(), last_error=TOO_LONG)
    client.force_login(district_admin)
    page = client.get(reverse("agreement_detail", args=[approved.pk])).text
    failed = html.unescape(panel(page, "progress-signing-copy"))
    assert 'data-state="failed"' in failed and "hx-get" not in failed
    assert "The portal could not prepare the copy to sign." in failed and TOO_LONG in failed
    assert "has stopped trying" in failed and f"{approved.agency}'s admins were told by e-mail" in failed
    assert "send the agreement back to the vendor" in failed and "Send it back to the vendor" in page
    assert "htmx" not in page  # nothing polls
    fragment = client.get(status_url(approved, "signing-copy"), headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true"  # a page that polled reloads, to show the form above
    client.force_login(vendor_editor)
    page = client.get(reverse("agreement_detail", args=[approved.pk])).text
    assert "The portal could not prepare the copy to sign." in page and "the district decides" in page
    assert "Send it back to the vendor" not in page


def test_the_public_copy_is_followed_without_reloading_the_page(client, approved, district_admin):
    move(approved, S.EXECUTED, start=S.APPROVED)
    AgreementDocument.objects.filter(agreement=approved, kind=K.PUBLIC_COPY).delete()
    client.force_login(district_admin)
    page = client.get(reverse("agreement_detail", args=[approved.pk])).text
    assert "The public copy for parents is being made and sealed." in page
    assert "Download the executed DPA (sealed PDF)" in page
    store_public_copy(approved)
    fragment = client.get(status_url(approved, "public-copy"), headers={"HX-Request": "true"})
    assert "Download the public copy (sealed PDF)" in fragment.text and "hx-get" not in fragment.text
    assert "HX-Refresh" not in fragment  # the panel alone changes: nothing else on the page does


def test_sealing_is_shown_once_both_have_signed(client, approved, district_admin, vendor_editor):
    pdf = small_pdf()
    copy = AgreementDocument.objects.create(
        agreement=approved, kind=K.SIGNING_COPY, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
        document_id="DPA-TESTCOPY01",
    )  # fmt: skip
    move(approved, S.VENDOR_SIGNED, start=S.APPROVED)
    for side, user in (("vendor", vendor_editor), ("district", district_admin)):
        Signature.objects.create(
            agreement=approved, side=side, signer=user, signer_email=user.email, organisation="x", role="admin",
            typed_name="A Signer", title="Officer", method="typed", consent_version=CURRENT_CONSENT_VERSION,
            document=copy, document_sha256=copy.sha256, signed_at=timezone.now(),
        )  # fmt: skip
    client.force_login(district_admin)
    page = client.get(reverse("agreement_detail", args=[approved.pk])).text
    sealing = panel(page, "progress-executed")
    assert "the portal is sealing the executed DPA" in sealing and 'hx-trigger="every 2s"' in sealing
    assert "Withdraw this agreement" not in page and "Countersign for" not in page  # signed: nothing to offer
    assert "Download the copy that was signed" in page


def test_the_signing_page_waits_in_the_same_panel(client, approved, vendor):
    vendor_admin = factories.ContractorMembershipFactory(contractor=vendor, role="admin").user
    activate_totp(vendor_admin)
    client.force_login(vendor_admin)
    url = reverse("agreement_sign", args=[approved.pk])
    waiting = client.get(url).text
    assert "The document to sign is being prepared." in waiting
    assert f'hx-get="{status_url(approved, "signing-copy")}?page=sign" hx-trigger="every 2s"' in waiting
    assert waiting.count("vendor/htmx/htmx.min.js") == 1
    job(approved, attempts=render_jobs.MAX_ATTEMPTS, given_up_at=timezone.now(), last_error=TOO_LONG)
    failed = client.get(url).text
    assert "The portal could not prepare the copy to sign." in failed and "htmx" not in failed
    RenderJob.objects.filter(agreement=approved).delete()
    pdf = small_pdf()
    AgreementDocument.objects.create(
        agreement=approved, kind=K.SIGNING_COPY, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
        document_id="DPA-TESTCOPY02",
    )  # fmt: skip
    fragment = client.get(status_url(approved, "signing-copy") + "?page=sign", headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true"  # the signing page reloads into its form
    assert 'id="document-sha256"' in client.get(url).text


# --- who may ask -------------------------------------------------------------------------------------------------


def test_the_panel_is_for_the_parties_members_only(
    client, approved, district_reviewer, vendor_editor, other_district_admin, other_vendor_admin
):
    url = status_url(approved, "signing-copy")
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    for user in (district_reviewer, vendor_editor):
        client.force_login(user)
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 405
    for user in (other_district_admin, other_vendor_admin):
        activate_totp(user)
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(vendor_editor)
    assert client.get(status_url(approved, "termination-record")).status_code == 404  # not ended early: none due
    assert client.get(status_url(approved, "outside")).status_code == 404  # not a document it follows
    assert client.get(status_url(approved, "executed")).status_code == 404  # not due: nobody signed


def test_a_draft_has_no_panel_and_the_vendor_cannot_ask(client, agreement, district_admin, vendor_editor):
    activate_totp(district_admin)
    client.force_login(district_admin)
    assert client.get(status_url(agreement, "signing-copy")).status_code == 404  # nothing is being made
    assert "progress-" not in client.get(reverse("agreement_detail", args=[agreement.pk])).text
    client.force_login(vendor_editor)
    assert client.get(status_url(agreement, "signing-copy")).status_code == 404  # a draft is hidden from the vendor


def test_the_record_of_an_early_termination_is_followed_in_the_same_panel(
    client, approved, district_admin, django_capture_on_commit_callbacks
):
    from agreements.deadlines.services.ending import agreement_terminate

    move(approved, S.EXECUTED, start=S.APPROVED)
    with django_capture_on_commit_callbacks(execute=False):  # the task is not run: the record is still to be made
        agreement_terminate(
            agreement=approved,
            actor=district_admin,
            effective_on=timezone.localdate(),
            basis="notice",
            reason="The district ends the reading service.",
        )
    client.force_login(district_admin)
    page = client.get(reverse("agreement_detail", args=[approved.pk])).text
    sealing = panel(page, "progress-termination-record")
    assert "The portal is sealing the record of the early termination." in sealing
    assert f'hx-get="{status_url(approved, "termination-record")}" hx-trigger="every 2s"' in sealing
    job(approved, kind=K.TERMINATION_RECORD, retry_after=timezone.now() + timedelta(minutes=1), last_error=TOO_LONG)
    fragment = client.get(status_url(approved, "termination-record")).text
    assert f"Preparing the record of the early termination failed. {TOO_LONG}" in " ".join(
        re.sub(r"<[^>]+>", "", fragment).split()
    )
