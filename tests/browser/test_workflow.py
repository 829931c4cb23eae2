"""The whole agreement journey in headless Chromium, with axe on every page visited.

A district admin creates an agreement for a new vendor and sends it; the vendor's contact accepts the e-mailed
invitation, creates an account, sets up two-factor authentication, fills every exhibit and submits; the district
comments on a NIST CSF category and requests changes; the vendor sees the comment beside the field, changes the
answer and resubmits; the district sees what changed and approves.
"""

import re

import pytest
from django.db.models import Q
from playwright.sync_api import expect

from agreements.models import Agreement, DistrictMembership, OutboundEmail
from exhibits.services import bill_of_rights_publish

from .. import factories
from .conftest import assert_accessible


@pytest.fixture
def district_setup(transactional_db, catalogues, with_totp):
    agency = factories.EducationalAgencyFactory(name="Maple Grove Central School District", slug="maple-grove")
    admin = factories.DistrictMembershipFactory(agency=agency, role=DistrictMembership.Role.ADMIN).user
    with_totp(admin)
    bill_of_rights_publish(agency=agency)
    return agency, admin


def sign_in(page, email, code_for):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile("/accounts/2fa/authenticate/"))
    page.get_by_label("Code").fill(code_for(email))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(": agreements")  # the only organisation's dashboard


def visit(page, url=None):
    """Go to a page (or stay), check that it loaded without an error, and run axe on it."""
    if url:
        page.goto(url)
    expect(page.locator("main")).to_be_visible()
    assert_accessible(page)


def test_invite_fill_submit_request_changes_resubmit_approve(
    browser, live_server, district_setup, totp_code_for, totp_code
):
    _, admin = district_setup
    district = browser.new_context(base_url=live_server.url)
    d = district.new_page()
    d.set_default_timeout(15_000)

    # The district admin creates an agreement for a vendor that is not on the portal yet, and sends it.
    sign_in(d, admin.email, totp_code_for)
    visit(d, "/district/maple-grove/")
    d.get_by_role("link", name="New agreement").click()
    visit(d)
    d.get_by_label("New vendor's legal name").fill("Sunrise Learning, Inc.")
    d.get_by_label("Product or service").fill("Sunrise Math")
    d.get_by_label("Service Agreement dated").fill("2026-08-15")
    d.get_by_label("Contract start date").fill("2026-09-01")
    d.get_by_label("Contract end date").fill("2027-08-31")
    d.get_by_role("button", name="Create draft").click()
    expect(d.get_by_text("Agreement created as a draft")).to_be_visible()
    visit(d)
    d.get_by_label("Vendor contact's e-mail").fill("lead@sunrise.example.org")
    d.get_by_role("button", name="Send to vendor").click()
    expect(d.get_by_text("Sent to the vendor.")).to_be_visible()
    agreement = Agreement.objects.get(contractor__legal_name="Sunrise Learning, Inc.")
    assert agreement.status == Agreement.Status.WITH_VENDOR

    # The vendor's contact opens the link from the invitation e-mail and creates the account.
    invitation = OutboundEmail.objects.get(template="invitation", to=["lead@sunrise.example.org"])
    link = re.search(r"https?://\S+/accounts/invitations/\S+/", invitation.body_text).group(0)
    vendor = browser.new_context(base_url=live_server.url)
    v = vendor.new_page()
    v.set_default_timeout(15_000)
    visit(v, link[link.index("/accounts/") :])
    v.get_by_label("First name").fill("Riley")
    v.get_by_label("Last name").fill("Chen")
    v.get_by_label("Password", exact=False).first.fill("a sturdy passphrase 42")
    v.get_by_label("Password confirmation").fill("a sturdy passphrase 42")
    v.get_by_role("button", name="Create account and accept").click()

    # As the vendor's admin, the contact must set up two-factor authentication before acting.
    v.wait_for_url(re.compile("/accounts/2fa/totp/activate/"))
    visit(v)
    secret = v.get_by_label("Secret key").input_value()
    v.get_by_label(re.compile("Authenticator code|Code")).fill(totp_code(secret))
    v.get_by_role("button", name="Activate").click()
    v.wait_for_url(re.compile("/accounts/2fa/recovery-codes/"))
    visit(v)
    v.get_by_role("link", name="Continue").click()
    v.wait_for_url(re.compile(f"/agreements/{agreement.pk}/"))
    visit(v)

    # Exhibit A: acknowledge the district's Bill of Rights.
    v.get_by_role("button", name="We have read and acknowledge the Bill of Rights").click()
    expect(v.get_by_text("You acknowledged the district's Bill of Rights")).to_be_visible()

    # Exhibit B.
    v.get_by_role("link", name="Edit Exhibit B").click()
    visit(v)
    v.get_by_label("Description of the purpose").fill("Math practice and progress reports for grades 3-8.")
    v.get_by_label("Student PII").check()
    v.get_by_label("Contractor will utilize subcontractors.").check()
    v.get_by_label("Using a cloud or infrastructure owned and hosted by a third party").check()
    v.get_by_label("Describe how data security").fill("Role-based access, MFA, encryption, audits.")
    v.get_by_role("button", name="Save and go back to the agreement").click()
    expect(v.get_by_text("Exhibit B saved.")).to_be_visible()

    # Subcontractors.
    v.get_by_role("link", name="Edit subcontractors").click()
    visit(v)
    v.get_by_label("Name").fill("Cloud Hosting Co")
    v.get_by_label("Purpose").fill("Hosting")
    v.get_by_label("Receives or has access to PII").check()
    v.get_by_label("Written agreement in place").check()
    v.get_by_role("button", name="Add subcontractor").click()
    expect(v.get_by_text("Cloud Hosting Co saved.")).to_be_visible()
    visit(v)

    # Exhibit C: the nine questions.
    v.goto(f"/agreements/{agreement.pk}/exhibit-c/")
    visit(v)
    answers = v.locator("textarea")
    expect(answers).to_have_count(9)
    for i in range(9):
        answers.nth(i).fill(f"Our answer to question {i + 1}.")
    v.get_by_role("button", name="Save and go back to the agreement").click()
    expect(v.get_by_text("Exhibit C saved.")).to_be_visible()

    # Exhibit C.1: a response and a tier for every category of NIST CSF 1.1.
    v.get_by_role("link", name="Edit Exhibit C.1").click()
    visit(v)
    responses = v.locator("textarea")
    expect(responses).to_have_count(23)
    for i in range(23):
        responses.nth(i).fill(f"Control narrative {i + 1}.")
    v.get_by_label("Implementation tier for PR.DS (optional)").select_option("2")
    v.get_by_role("button", name="Save and go back to the agreement").click()
    expect(v.get_by_text("Exhibit C.1 saved.")).to_be_visible()
    expect(v.get_by_text("Every answer is in.")).to_be_visible()
    visit(v)
    v.get_by_role("button", name=re.compile("^Submit to")).click()
    expect(v.get_by_text("Submitted to the district for review.")).to_be_visible()

    # The district comments on PR.DS and requests changes.
    visit(d, f"/agreements/{agreement.pk}/")
    row = d.locator("#csf-PR\\.DS")
    row.locator("summary").click()
    row.get_by_label("Comment on PR.DS").fill("Which encryption standard protects data at rest?")
    row.get_by_role("button", name="Add comment").click()
    expect(d.get_by_text("Comment added.")).to_be_visible()
    d.get_by_label("What should the vendor change?").fill("Please answer the comment on PR.DS.")
    d.get_by_role("button", name="Request changes").click()
    expect(d.get_by_text("Sent back to the vendor.")).to_be_visible()
    visit(d)

    # The vendor sees the comment beside the field, answers it and resubmits.
    visit(v, f"/agreements/{agreement.pk}/exhibit-c1/")
    pr_ds = v.locator("#csf-PR\\.DS")
    expect(pr_ds.get_by_text("Which encryption standard protects data at rest?")).to_be_visible()
    pr_ds.get_by_label("Response for PR.DS").fill("AES-256 at rest, TLS 1.2+ in transit.")
    v.get_by_role("button", name="Save and go back to the agreement").click()
    v.get_by_role("button", name=re.compile("^Submit to")).click()
    expect(v.get_by_text("Submitted to the district for review.")).to_be_visible()

    # The district sees what changed since the first submission, and approves.
    visit(d, f"/agreements/{agreement.pk}/")
    changes = d.get_by_role("table", name="Answers changed since the previous submission")
    expect(changes.get_by_role("row")).to_have_count(2)  # a header and the one changed answer
    expect(changes).to_contain_text("AES-256 at rest")
    d.get_by_role("button", name="Approve").click()
    expect(d.get_by_text("Approved. The vendor signs next.")).to_be_visible()
    visit(d)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.APPROVED
    # Both dashboards list it, and their filters work.
    visit(v, f"/vendor/{agreement.contractor.slug}/")
    v.get_by_label("District", exact=True).fill(str(agreement.agency))  # searched as you type (issue 13)
    v.get_by_role("button", name="Filter").click()
    expect(v.get_by_role("link", name=str(agreement.agency))).to_be_visible()
    visit(v)
    visit(d, "/district/maple-grove/?status=approved")
    expect(d.get_by_role("link", name="Sunrise Learning, Inc.")).to_be_visible()
    steps = list(agreement.status_changes.values_list("to_status", flat=True))
    assert steps == ["draft", "with_vendor", "submitted", "with_vendor", "submitted", "approved"]
    templates = set(OutboundEmail.objects.filter(Q(agreement=agreement)).values_list("template", flat=True))
    assert templates >= {"invitation", "submitted", "changes_requested", "approved"}
    district.close()
    vendor.close()
