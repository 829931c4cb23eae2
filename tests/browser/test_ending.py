"""The termination journey in headless Chromium, with axe on every page (issue 11.2): a district admin ends an
executed agreement early from its page; the page, the vendor's e-mail and the public page say so."""

import re

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone
from playwright.sync_api import expect

from agreements.models import Agreement, DistrictMembership, Obligation, OutboundEmail
from vendors.models import ContractorMembership

from .. import factories
from ..public_helpers import make_agreement
from .test_workflow import sign_in, visit


@pytest.fixture
def parties(transactional_db, catalogues, with_totp):
    agency = factories.EducationalAgencyFactory(name="Maple Grove Central School District", slug="maple-grove")
    admin = factories.DistrictMembershipFactory(agency=agency, role=DistrictMembership.Role.ADMIN).user
    contractor = factories.ContractorFactory(legal_name="Sunrise Learning, Inc.", slug="sunrise")
    vendor = factories.ContractorMembershipFactory(contractor=contractor, role=ContractorMembership.Role.ADMIN).user
    with_totp(admin)
    product = factories.ProductFactory(contractor=contractor, name="Sunrise Math")
    agreement = make_agreement(agency=agency, contractor=contractor, products=[product])
    return agency, admin, vendor, agreement


def test_a_district_admin_ends_an_agreement_early(browser, live_server, parties, totp_code_for):
    agency, admin, vendor, agreement = parties
    today = timezone.localdate()
    long = dateformat.format(today, "F j, Y")

    d = browser.new_context(base_url=live_server.url).new_page()
    d.set_default_timeout(15_000)
    sign_in(d, admin.email, totp_code_for)
    visit(d, f"/agreements/{agreement.pk}/")
    form = d.locator("#terminate")
    expect(form.get_by_role("heading", name="End this agreement early")).to_be_visible()
    form.get_by_text("Terminate before the end of the term").click()  # folded away: never one stray click
    form.get_by_label("Effective on").fill(today.isoformat())
    form.get_by_label("By mutual agreement of the parties").check()
    form.get_by_label("Reason").fill("The district replaced the math program with another vendor's.")
    form.get_by_role("button", name="Terminate the agreement").click()
    expect(d.get_by_text(re.compile(f"The agreement ended early on {long}"))).to_be_visible()
    expect(d.get_by_role("heading", name=f"Ended early on {long}")).to_be_visible()
    expect(d.locator("#terminate")).to_have_count(0)
    visit(d)

    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.TERMINATED
    assert Obligation.objects.get(agreement=agreement, kind=Obligation.Kind.RETURN_DESTROY).clock_started_on == today
    email = OutboundEmail.objects.get(template="agreement_terminated")
    assert vendor.email in email.to

    # The public page: ended early on that day, still posted.
    visit(d, reverse("public_agreement", args=[agency.slug, agreement.pk]))
    expect(d.get_by_text(re.compile("Ended early on")).first).to_be_visible()
