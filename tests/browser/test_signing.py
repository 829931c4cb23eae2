"""Signing in the browser: the vendor's admin signs (drawing a signature), a district admin countersigns, a real
Celery worker renders and seals the executed DPA, and anyone can check the PDF on the verification page."""

import re
import time

import pytest
from django.test import Client
from playwright.sync_api import expect

from agreements.models import Agreement, AgreementDocument
from agreements.services import agreement_approve, agreement_send_to_vendor, agreement_submit
from agreements.signing import signing_copy_prepare
from tests.test_celery import celery_worker  # noqa: F401 - a fixture: the real worker that seals
from vendors.models import ContractorMembership

from .. import factories
from ..helpers import fill_complete
from .conftest import assert_accessible


@pytest.fixture
def approved(transactional_db, catalogues, agreement, district_admin, vendor, with_totp):
    vendor_admin = factories.ContractorMembershipFactory(contractor=vendor, role=ContractorMembership.Role.ADMIN).user
    secrets = {"vendor": with_totp(vendor_admin), "district": with_totp(district_admin)}
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    fill_complete(agreement, actor=vendor_admin)
    agreement_submit(agreement=agreement, actor=vendor_admin)
    agreement_approve(agreement=agreement, actor=district_admin)
    signing_copy_prepare(agreement_id=agreement.pk)
    return agreement, {"vendor": vendor_admin, "district": district_admin}, secrets


def signed_in(browser, live_server, user):
    """A browser context with the user's session (the MFA sign-in itself is covered by the accounts tests)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def fill_signature(page, title, code):
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign the Data Privacy Agreement")
    assert_accessible(page)
    page.get_by_label("I agree to sign electronically").check()
    page.get_by_label("Your title").fill(title)
    page.get_by_label("Code from your authenticator app").fill(code)


def test_the_sign_page_shows_the_document_once_it_is_ready(browser, live_server, approved):
    """The portal's one htmx element: the page polls while the worker renders the copy to sign, then shows it."""
    agreement, users, _ = approved
    copy = AgreementDocument.objects.get(agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY)
    AgreementDocument.objects.filter(pk=copy.pk).delete()  # as if the worker had not stored it yet
    context, v = signed_in(browser, live_server, users["vendor"])
    try:
        v.goto(f"/agreements/{agreement.pk}/sign/")
        expect(v.get_by_role("status")).to_contain_text("The document to sign is being prepared.")
        assert_accessible(v)
        copy.pk = None
        copy.save()  # the worker stores it
        expect(v.locator("#document-sha256")).to_have_text(copy.sha256, timeout=10_000)
        expect(v.get_by_role("link", name="Open the PDF to sign (opens in a new tab)")).to_be_visible()
        assert_accessible(v)
    finally:
        context.close()


def test_sign_countersign_seal_and_verify(browser, live_server, approved, celery_worker, totp_code, tmp_path):  # noqa: F811
    agreement, users, secrets = approved

    vendor_context, v = signed_in(browser, live_server, users["vendor"])
    v.goto(f"/agreements/{agreement.pk}/")
    v.get_by_role("link", name=re.compile("^Sign for")).click()
    fill_signature(v, "Chief Privacy Officer", totp_code(secrets["vendor"]))
    v.locator("#signature-canvas").scroll_into_view_if_needed()
    canvas = v.locator("#signature-canvas").bounding_box()
    v.mouse.move(canvas["x"] + 20, canvas["y"] + 100)
    v.mouse.down()
    for step in range(1, 12):
        v.mouse.move(canvas["x"] + 20 + step * 25, canvas["y"] + 100 - (step % 3) * 30)
    v.mouse.up()
    assert v.locator("#id_drawing").input_value().startswith("data:image/png;base64,")
    v.get_by_role("button", name="Sign the agreement").click()
    expect(v.get_by_text("Signed. The district countersigns next.")).to_be_visible()
    assert_accessible(v)

    district_context, d = signed_in(browser, live_server, users["district"])
    d.goto(f"/agreements/{agreement.pk}/")
    d.get_by_role("link", name=re.compile("^Countersign for")).click()
    fill_signature(d, "Director of Technology", "000000")
    d.get_by_role("button", name="Sign the agreement").click()
    expect(d.get_by_role("alert").or_(d.locator(".alert-error"))).to_contain_text("not correct")  # a wrong code
    fill_signature(d, "Director of Technology", totp_code(secrets["district"]))
    d.get_by_role("button", name="Sign the agreement").click()
    expect(d.get_by_text("Countersigned.")).to_be_visible()

    # The worker renders and seals the executed DPA; the page shows it once stored.
    deadline = time.monotonic() + 60
    while not AgreementDocument.objects.filter(agreement=agreement, kind="executed").exists():
        assert time.monotonic() < deadline, "the worker did not seal the executed DPA"
        time.sleep(0.5)
    # The page follows the seal by itself (its progress panel, issue 14.1) and reloads into the executed agreement.
    expect(d.get_by_role("link", name="Download the executed DPA (sealed PDF)")).to_be_visible(timeout=30_000)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.EXECUTED
    assert_accessible(d)
    with d.expect_download() as download:
        d.get_by_role("link", name="Download the executed DPA (sealed PDF)").click()
    pdf_path = tmp_path / "executed.pdf"
    download.value.save_as(pdf_path)
    stored = AgreementDocument.objects.get(agreement=agreement, kind="executed")
    assert pdf_path.read_bytes() == bytes(stored.pdf)
    signatures = list(agreement.signatures.order_by("signed_at").values_list("side", "method"))
    assert signatures == [("vendor", "drawn"), ("district", "typed")]

    # Anyone can check the copy; a copy with anything appended reads as not intact.
    public = browser.new_context(base_url=live_server.url)
    p = public.new_page()
    p.goto("/verify/")
    assert_accessible(p)
    p.get_by_label("The PDF to check").set_input_files(str(pdf_path))
    p.get_by_role("button", name="Check the PDF").click()
    expect(p.get_by_role("status")).to_contain_text("Intact.")
    expect(p.get_by_role("status")).to_contain_text(stored.document_id)
    assert_accessible(p)
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(pdf_path.read_bytes() + b"\n%%EOF\n")
    p.get_by_label("The PDF to check").set_input_files(str(tampered))
    p.get_by_role("button", name="Check the PDF").click()
    expect(p.get_by_role("status")).to_contain_text("Not intact.")
    for context in (vendor_context, district_context, public):
        context.close()
