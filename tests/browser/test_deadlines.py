"""The breach journey in headless Chromium, with axe on every page: the vendor files a breach report; the district
admin sees its duties, downloads the facts for NYSED and records that parents were notified."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agreements.models import DistrictMembership, Obligation, OutboundEmail
from vendors.models import ContractorMembership

from .. import factories
from ..public_helpers import make_agreement
from .test_workflow import sign_in, visit


@pytest.fixture
def parties(transactional_db, catalogues, with_totp):
    agency = factories.EducationalAgencyFactory(
        name="Maple Grove Central School District",
        slug="maple-grove",
        breach_notice_email="breach@maple-grove.example.org",
        data_protection_office_email="dpo@maple-grove.example.org",
    )
    admin = factories.DistrictMembershipFactory(agency=agency, role=DistrictMembership.Role.ADMIN).user
    contractor = factories.ContractorFactory(legal_name="Sunrise Learning, Inc.", slug="sunrise")
    vendor = factories.ContractorMembershipFactory(contractor=contractor, role=ContractorMembership.Role.ADMIN).user
    with_totp(admin)
    with_totp(vendor)
    product = factories.ProductFactory(contractor=contractor, name="Sunrise Math")
    agreement = make_agreement(agency=agency, contractor=contractor, products=[product])
    return agency, admin, contractor, vendor, agreement


def test_breach_report_duties_export_and_parents_notified(browser, live_server, parties, totp_code_for, tmp_path):
    _, admin, _, vendor_user, _ = parties
    today = timezone.localdate()

    # The vendor's admin reports a breach to the district.
    v = browser.new_context(base_url=live_server.url).new_page()
    v.set_default_timeout(15_000)
    sign_in(v, vendor_user.email, totp_code_for)
    v.get_by_role("link", name="Deadlines").click()
    visit(v)
    v.get_by_role("link", name="Report a breach").click()
    visit(v)
    v.get_by_label(re.compile("Maple Grove Central School District: Sunrise Math")).check()
    v.get_by_label("Date of the incident").fill((today - timedelta(days=3)).isoformat())
    v.get_by_label("Date of discovery").fill((today - timedelta(days=1)).isoformat())
    v.get_by_label("Kinds of PII affected").fill("Student names, grades and math assessment scores")
    v.get_by_label("Number of records affected").fill("842")
    v.get_by_label("Description of the investigation").fill("A support account was phished; access revoked in 2 h.")
    v.get_by_label("Contact's name").fill("Robin Ortiz")
    v.get_by_label("Contact's title").fill("Security Lead")
    v.get_by_label("Contact's e-mail").fill("security@sunrise.example.org")
    v.get_by_label("Contact's telephone").fill("+1 518 555 0199")
    v.get_by_role("button", name="File the breach report").click()
    expect(v.get_by_text("Breach report filed.")).to_be_visible()
    expect(v.get_by_text("the notice came in time")).to_be_visible()
    visit(v)
    notice = OutboundEmail.objects.get(template="deadline_breach_reported")
    assert {"breach@maple-grove.example.org", "dpo@maple-grove.example.org", admin.email} <= set(notice.to)

    # The district admin sees the duties the report opened, soonest first.
    d = browser.new_context(base_url=live_server.url, accept_downloads=True).new_page()
    d.set_default_timeout(15_000)
    sign_in(d, admin.email, totp_code_for)
    visit(d, "/deadlines/")
    duties = d.get_by_role("table", name="Open duties of Maple Grove Central School District")
    expect(duties.get_by_role("link", name="Report the breach to NYSED's Chief Privacy Officer")).to_be_visible()
    expect(duties.get_by_role("link", name=re.compile("^Notify affected parents"))).to_be_visible()
    d.get_by_role("link", name="Breach reports").first.click()
    visit(d)
    d.get_by_role("link", name=today.strftime("%b %-d, %Y")).click()
    visit(d)
    expect(d.get_by_text("The notice came in time.")).to_be_visible()

    # The facts NYSED's Chief Privacy Officer asks for, as a download.
    with d.expect_download() as download:
        d.get_by_role("link", name="Download the facts for the NYSED report (text)").click()
    path = tmp_path / "nysed.txt"
    download.value.save_as(path)
    text = path.read_text()
    for fact in ["Sunrise Learning, Inc.", "Maple Grove Central School District", "842", "Robin Ortiz",
                 "Student names, grades and math assessment scores", "121.10(b)"]:  # fmt: skip
        assert fact in text, fact

    # Parents are notified: the district records it.
    d.get_by_role("link", name=re.compile("^Notify affected parents")).click()
    visit(d)
    expect(d.get_by_text("8 NYCRR 121.10(e)")).to_be_visible()
    d.get_by_label("What was done").fill("Letters mailed and e-mailed to the 842 families on the district's list.")
    d.get_by_role("button", name="Mark as done").click()
    expect(d.get_by_text("Recorded as done.")).to_be_visible()
    visit(d)
    parents = Obligation.objects.get(kind=Obligation.Kind.BREACH_PARENTS)
    assert parents.status == Obligation.Status.MET and parents.met_by == admin
    nysed = Obligation.objects.get(kind=Obligation.Kind.BREACH_NYSED)
    assert nysed.is_open  # still the district's to do
    visit(d, "/deadlines/")
    expect(d.get_by_role("link", name=re.compile("^Notify affected parents"))).to_have_count(0)


def test_the_other_deadline_pages_pass_axe(browser, live_server, parties, totp_code_for):
    """Requests, closures and defaults, a delayed duty, an extension, destruction certificates: both sides."""
    from agreements.deadlines import services
    from agreements.services import agreement_transition

    from ..test_deadlines import breach_facts, certificate_facts

    agency, admin, contractor, vendor_user, agreement = parties
    today = timezone.localdate()
    report = services.breach_report_file(
        contractor=contractor, actor=vendor_user, agreements=[agreement], **breach_facts(today)
    )
    access = services.parent_request_record(
        agency=agency, actor=admin, kind="access", requester="parent", agreement=agreement, received_on=today,
        details="A copy of the records.", reference="A-1",
    )  # fmt: skip
    complaint = services.parent_request_record(
        agency=agency, actor=admin, kind="complaint", requester="parent", received_on=today, details="A complaint."
    )
    services.closure_add(agency=agency, actor=admin, day=today + timedelta(days=3), reason="Snow day")
    ended = make_agreement(agency=agency, contractor=contractor)
    agreement_transition(agreement=ended, to_status="expired")
    ended_two = make_agreement(agency=agency, contractor=contractor)
    agreement_transition(agreement=ended_two, to_status="expired")
    services.destruction_certificate_file(agreement=ended_two, actor=vendor_user, **certificate_facts(today))
    parents = report.obligations.get(kind=Obligation.Kind.BREACH_PARENTS)

    d = browser.new_context(base_url=live_server.url).new_page()
    d.set_default_timeout(15_000)
    sign_in(d, admin.email, totp_code_for)
    for url in [
        "/district/maple-grove/requests/",
        "/district/maple-grove/requests/new/",
        f"/district/maple-grove/requests/{access.pk}/",
        f"/district/maple-grove/requests/{complaint.pk}/",
        f"/deadlines/{complaint.obligations.get().pk}/",
        "/district/maple-grove/closures/",
        f"/agreements/{ended_two.pk}/destruction/",
        f"/agreements/{agreement.pk}/",
    ]:
        visit(d, url)
    visit(d, f"/deadlines/{parents.pk}/")
    d.get_by_label("A law enforcement investigation (121.10(e))").check()
    d.get_by_label("Explanation").fill("The county sheriff asked us to wait.")
    d.get_by_role("button", name="Record the delay").click()
    expect(d.get_by_text("Delay recorded.")).to_be_visible()
    visit(d)
    d.get_by_label(re.compile("was remedied")).fill(today.isoformat())
    d.get_by_role("button", name="Record the remedy date").click()
    expect(d.get_by_text("Remedy date recorded.")).to_be_visible()
    visit(d)
    parents.refresh_from_db()
    assert parents.due_on == today + timedelta(days=7)

    v = browser.new_context(base_url=live_server.url).new_page()
    v.set_default_timeout(15_000)
    sign_in(v, vendor_user.email, totp_code_for)
    for url in [
        "/vendor/sunrise/breaches/",
        f"/deadlines/{access.obligations.get().pk}/",
        f"/agreements/{ended.pk}/destruction/",
        f"/agreements/{ended_two.pk}/destruction/",
    ]:
        visit(v, url)
    visit(v, "/deadlines/")
    v.get_by_role("button", name="Make a calendar link").click()
    expect(v.get_by_label("Your calendar link (shown only now)")).to_be_visible()
    visit(v)
