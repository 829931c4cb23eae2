"""A breach the district learns of outside the portal (issue 11.5-11.7), in headless Chromium with axe on every page:
the district admin records the vendor's letter, reads its duties and the letter, delays the parents' notice to a
review date; the vendor gives a notice under the DPA and the district asks for reimbursement."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from agreements.models import BreachReport, Obligation

from .test_deadlines import parties  # noqa: F401 (the fixture)
from .test_workflow import sign_in, visit

K = Obligation.Kind
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_the_district_records_a_breach_from_a_vendors_letter(
    browser,
    live_server,
    parties,  # noqa: F811
    totp_code_for,
    tmp_path,
):
    _, admin, _, vendor_user, agreement = parties
    today = timezone.localdate()
    received = today - timedelta(days=2)
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(PDF)

    d = browser.new_context(base_url=live_server.url, accept_downloads=True).new_page()
    d.set_default_timeout(15_000)
    sign_in(d, admin.email, totp_code_for)
    visit(d, "/district/maple-grove/breaches/")
    d.get_by_role("link", name="Record a breach").click()
    visit(d)
    d.get_by_label("The vendor's notice, received outside the portal").check()
    d.get_by_label("Vendor (agreement)").select_option(str(agreement.pk))
    d.get_by_label("Date the district learned of it").fill(received.isoformat())
    d.get_by_label("The vendor's letter").set_input_files(str(letter))
    d.get_by_label("Date of the incident (the best date known)").fill((received - timedelta(days=6)).isoformat())
    d.get_by_label("Date the breach was discovered (if known)").fill((received - timedelta(days=4)).isoformat())
    d.get_by_label("Kinds of PII affected").fill("Student names and reading levels")
    d.get_by_label("What happened, and what is known so far").fill("The vendor's letter of this date, attached.")
    d.get_by_role("button", name="Record the breach").click()
    expect(d.get_by_text(re.compile("Breach recorded. Report it to NYSED"))).to_be_visible()
    visit(d)
    expect(d.get_by_text("The vendor's notice, received outside the portal").first).to_be_visible()
    expect(d.get_by_text("The notice came in time.")).to_be_visible()
    with d.expect_download() as download:
        d.get_by_role("link", name="Download the vendor's letter").click()
    saved = tmp_path / "got.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == PDF
    report = BreachReport.objects.get()
    assert report.source == "vendor_letter" and report.learned_on == received

    # The parents' notice is delayed for law enforcement, with the date of the next review.
    d.get_by_role("link", name=re.compile("^Notify affected parents")).click()
    visit(d)
    expect(d.get_by_text(re.compile("the district received the vendor's notice outside the portal"))).to_be_visible()
    d.get_by_label("A law enforcement investigation (121.10(e))").check()
    d.get_by_label("Explanation").fill("The county sheriff asked us to wait.")
    review = today + timedelta(days=14)
    d.get_by_label("Next review of the delay").fill(review.isoformat())
    d.get_by_role("button", name="Record the delay").click()
    expect(d.get_by_text(re.compile("Delay recorded. Review it by"))).to_be_visible()
    expect(d.get_by_text("Review the delay by")).to_be_visible()
    visit(d)
    assert Obligation.objects.get(kind=K.BREACH_PARENTS).due_on == review

    # The vendor gives a notice under the DPA; the district reads it and asks for reimbursement.
    v = browser.new_context(base_url=live_server.url).new_page()
    v.set_default_timeout(15_000)
    sign_in(v, vendor_user.email, totp_code_for)
    visit(v, f"/agreements/{agreement.pk}/notices/")
    v.get_by_label(re.compile("Tell the district of a parent who asked the vendor directly")).check()
    v.locator("#id_happened_on").fill(today.isoformat())
    v.get_by_label("What the district should know").fill("A parent e-mailed us on Monday; referred to the district.")
    v.get_by_role("button", name="Give the notice").click()
    expect(v.get_by_text(re.compile("Notice given to Maple Grove"))).to_be_visible()
    visit(v)
    visit(d, f"/agreements/{agreement.pk}/notices/")
    expect(d.get_by_text("A parent e-mailed us on Monday; referred to the district.")).to_be_visible()
    d.get_by_label("Reimburse by").fill((today + timedelta(days=30)).isoformat())
    d.get_by_label("The costs, and where to pay").fill("Mailing to 842 families: invoice 2026-17.")
    d.get_by_role("button", name="Ask for reimbursement").click()
    expect(d.get_by_text(re.compile("Reimbursement asked of Sunrise Learning"))).to_be_visible()
    visit(d)
    assert Obligation.objects.get(kind=K.REIMBURSEMENT).is_open
