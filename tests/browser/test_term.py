"""Changing the term of an executed agreement in headless Chromium, with axe on each page (issue 11.4): a district
admin gives the new end date and why from the agreement page; the page and the timeline say so."""

import re
from datetime import timedelta

import pytest
from django.utils import dateformat, timezone
from playwright.sync_api import expect

from agreements.models import DistrictMembership, OutboundEmail

from .. import factories
from ..public_helpers import make_agreement
from .test_workflow import sign_in, visit


@pytest.fixture
def parties(transactional_db, catalogues, with_totp):
    agency = factories.EducationalAgencyFactory(name="Birch Hollow Union Free School District", slug="birch-hollow")
    admin = factories.DistrictMembershipFactory(agency=agency, role=DistrictMembership.Role.ADMIN).user
    with_totp(admin)
    contractor = factories.ContractorFactory(legal_name="Lakeside Reading, Inc.", slug="lakeside")
    agreement = make_agreement(agency=agency, contractor=contractor)
    return admin, agreement


def test_a_district_admin_extends_the_term(browser, live_server, parties, totp_code_for):
    admin, agreement = parties
    new_end = timezone.localdate() + timedelta(days=400)
    long = dateformat.format(new_end, "F j, Y")

    d = browser.new_context(base_url=live_server.url).new_page()
    d.set_default_timeout(15_000)
    sign_in(d, admin.email, totp_code_for)
    visit(d, f"/agreements/{agreement.pk}/")
    section = d.locator("#term-change")
    section.get_by_text("Change the contract end date").click()
    section.get_by_label("New contract end date").fill(new_end.isoformat())
    section.get_by_label("Why the term changes").fill("The board extended the Service Agreement by a year.")
    visit(d)  # the open form passes axe too
    section.get_by_role("button", name="Change the term").click()
    expect(d.get_by_text(re.compile(f"The contract now ends on {long}"))).to_be_visible()
    expect(d.get_by_text(re.compile("The board extended the Service Agreement by a year")).first).to_be_visible()
    visit(d)
    agreement.refresh_from_db()
    assert agreement.contract_end == new_end
    assert OutboundEmail.objects.filter(template="term_changed").exists()
