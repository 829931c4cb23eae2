"""An agreement signed outside the portal, in headless Chromium with axe on every page (issue 12.3): the district
admin reads what is missing, completes it and confirms what was read from the PDF; the vendor reads the page and
downloads the signed copy; anyone checks that copy at /verify/ and is told it was uploaded, not sealed."""

import hashlib
import re
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agreements.models import DistrictMembership
from agreements.outside import OutsideTerms, outside_agreement_record
from vendors.models import ContractorMembership

from .. import factories
from .test_workflow import sign_in, visit

SCREENSHOTS = Path(tempfile.gettempdir()) / "dpa-portal-screenshots"


@pytest.fixture
def imported(transactional_db, catalogues, with_totp, tmp_path):
    import weasyprint

    agency = factories.EducationalAgencyFactory(name="Maple Grove Central School District", slug="maple-grove")
    admin = factories.DistrictMembershipFactory(agency=agency, role=DistrictMembership.Role.ADMIN).user
    contractor = factories.ContractorFactory(legal_name="Learning Tools, Inc.", slug="learning-tools")
    vendor = factories.ContractorMembershipFactory(contractor=contractor, role=ContractorMembership.Role.ADMIN).user
    with_totp(admin)
    with_totp(vendor)
    pdf = weasyprint.HTML(string="<h1>Data Privacy Agreement</h1><p>Signed on paper in 2025.</p>").write_pdf()
    terms = OutsideTerms(
        contractor=contractor,
        products=["Reading Coach"],
        service_agreement_date=date(2025, 6, 1),
        contract_start=date(2025, 7, 1),
        contract_end=timezone.localdate() + timedelta(days=400),
        purposes="Reading practice for grades K-5.",
        storage_and_security="Encrypted databases in US regions.",
        student_pii=True,
        read_from_pdf=["purposes"],
    )
    agreement = outside_agreement_record(
        agency=agency,
        actor=admin,
        terms=terms,
        pdf=pdf,
        pdf_filename="learning-tools-2025.pdf",
        source_key=hashlib.sha256(b"maple-grove row 2").hexdigest(),
    )
    path = tmp_path / "learning-tools-2025.pdf"
    path.write_bytes(pdf)
    return agreement, admin, vendor, path


def test_the_district_completes_an_imported_agreement_and_anyone_verifies_its_copy(
    browser, live_server, imported, totp_code_for
):
    agreement, admin, vendor, pdf_path = imported
    d = browser.new_context(base_url=live_server.url).new_page()
    d.set_default_timeout(15_000)
    sign_in(d, admin.email, totp_code_for)
    visit(d, f"/agreements/{agreement.pk}/")
    outside = d.locator("#signed-outside")
    expect(outside).to_contain_text("Signed outside the portal, uploaded on")
    expect(outside).to_contain_text("4: challenges to data accuracy")
    expect(d.locator("#exhibit_b")).to_contain_text("not provided by the district")
    expect(d.locator("#exhibit_b")).to_contain_text("read from the PDF, please confirm")

    form = d.locator("#outside-complete")
    form.get_by_label("4. Challenges to data accuracy").fill("Parents write to the district office.")
    form.get_by_label(re.compile("are right")).check()
    form.get_by_role("button", name="Save").click()
    visit(d)
    expect(d.locator("#exhibit_b")).to_contain_text("Parents write to the district office.")
    expect(d.locator("#exhibit_b")).not_to_contain_text("read from the PDF, please confirm")
    expect(d.locator("#signed-outside")).not_to_contain_text("4: challenges to data accuracy")
    SCREENSHOTS.mkdir(exist_ok=True)
    d.screenshot(path=SCREENSHOTS / "outside-completed.png", full_page=True)

    # The vendor reads the same page and downloads the copy as uploaded, byte for byte.
    v = browser.new_context(base_url=live_server.url).new_page()
    v.set_default_timeout(15_000)
    sign_in(v, vendor.email, totp_code_for)
    visit(v, f"/agreements/{agreement.pk}/")
    expect(v.locator("#outside-complete")).to_have_count(0)
    with v.expect_download() as download:
        v.get_by_role("link", name="Download the signed PDF as uploaded").click()
    assert Path(download.value.path()).read_bytes() == pdf_path.read_bytes()

    # Anyone checks that copy: it is the copy the district uploaded, never called sealed.
    p = browser.new_context(base_url=live_server.url).new_page()
    visit(p, "/verify/")
    p.get_by_label(re.compile("PDF")).set_input_files(str(pdf_path))
    p.get_by_role("button", name="Check the PDF").click()
    visit(p)
    result = p.get_by_role("status")
    expect(result).to_contain_text("that the district uploaded on")
    expect(result).to_contain_text("signed outside the portal and is not sealed by it")
    p.screenshot(path=SCREENSHOTS / "outside-verify.png", full_page=True)
