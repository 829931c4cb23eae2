"""Comments where the question is (issue 14.5), in headless Chromium with axe on every page: a reviewer comments on
question 6 of Exhibit C from the review page, on the storage item of Exhibit B from the agreement page, and marks
one resolved; once an admin sends the agreement back, the vendor finds each comment beside its field, with its
state. Screenshots at desktop width go to /tmp/shots14/comments/ (SHOTS14_DIR)."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agreements.models import DistrictMembership
from agreements.services import agreement_create, agreement_request_changes, agreement_send_to_vendor, agreement_submit
from exhibits.models import ReviewComment
from exhibits.services import review_comment_add
from vendors.models import ContractorMembership

from .. import factories
from ..helpers import TERM, fill_complete, with_totp
from .conftest import assert_accessible

SHOTS = Path(os.environ.get("SHOTS14_DIR", "/tmp/shots14")) / "comments"  # noqa: S108
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def review(transactional_db, catalogues):
    agency = factories.EducationalAgencyFactory(name="Cedar Falls Central School District", slug="cedar-falls")
    admin = with_totp(factories.DistrictMembershipFactory(agency=agency, role=DistrictMembership.Role.ADMIN).user)
    reviewer = factories.DistrictMembershipFactory(agency=agency, role=DistrictMembership.Role.REVIEWER).user
    contractor = factories.ContractorFactory(legal_name="CodeHS, Inc.", slug="codehs")
    editor = factories.ContractorMembershipFactory(contractor=contractor, role=ContractorMembership.Role.EDITOR).user
    agreement = agreement_create(
        agency=agency,
        contractor=contractor,
        products=[factories.ProductFactory(contractor=contractor, name="CodeHS Pro")],
        framework=factories.csf("1.1"),
        actor=admin,
        **TERM,
    )
    agreement_send_to_vendor(agreement=agreement, actor=admin)
    fill_complete(agreement, actor=editor)
    agreement_submit(agreement=agreement, actor=editor)
    # Sent back once; the vendor rewrote question 6 and resubmitted: the review shows what changed.
    agreement_request_changes(agreement=agreement, actor=admin, note="Say more about the data's return.")
    plan = agreement.security_plan
    plan.data_transition = "We export every record as CSV and delete our copies within 30 days."
    plan.save()
    agreement_submit(agreement=agreement, actor=editor)
    return {"agreement": agreement, "admin": admin, "reviewer": with_totp(reviewer), "editor": with_totp(editor)}


def _sign_in(page, email, code_for):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile("/accounts/2fa/authenticate/"))
    page.get_by_label("Code").fill(code_for(email))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)


def _visit(page, url=None, shot=None):
    if url:
        page.goto(url)
    expect(page.locator("main")).to_be_visible()
    assert_accessible(page)
    if shot:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


def test_a_reviewer_comments_on_question_6_and_the_vendor_reads_it_beside_the_field(browser, live_server, review,
                                                                                      totp_code_for):  # fmt: skip
    agreement, sub = review["agreement"], review["agreement"].supplemental_information.subcontractors.get()
    pk = agreement.pk
    # Comments on a subcontractor and a C.1 category, as the other tests post them, for the vendor's pages.
    reviewer = review["reviewer"]
    review_comment_add(agreement=agreement, author=reviewer, section="subcontractors", subcontractor=sub,
                       body="Is the written agreement with this subcontractor signed?")  # fmt: skip
    category = agreement.framework.categories.get(identifier="PR.DS")
    review_comment_add(agreement=agreement, author=reviewer, section="exhibit_c1", category=category,
                       body="Which standard protects data at rest?")  # fmt: skip

    d = browser.new_context(base_url=live_server.url, viewport=DESKTOP).new_page()
    d.set_default_timeout(15_000)
    _sign_in(d, reviewer.email, totp_code_for)

    # The review page: question 6, field by field, with a form beside it.
    _visit(d, f"/agreements/{pk}/review/")
    question_6 = d.locator("#place-exhibit_c-data_transition")
    question_6.locator("summary").click()
    question_6.get_by_label(re.compile("^Comment on Question 6")).fill("Say <b>how</b> the data goes back: format?")
    question_6.get_by_role("button", name="Add comment").click()
    expect(d.get_by_text("Comment added.")).to_be_visible()
    question_6 = d.locator("#place-exhibit_c-data_transition")
    expect(question_6.get_by_text("Say <b>how</b> the data goes back: format?")).to_be_visible()  # escaped
    expect(question_6.get_by_text("Open", exact=True)).to_be_visible()
    expect(question_6.get_by_text("We export every record as CSV")).to_be_visible()  # now, beside before
    changes = d.get_by_role("table", name="Answers changed since the previous submission")
    expect(changes.get_by_role("row", name=re.compile("Question 6"))).to_contain_text("Say <b>how</b> the data")
    _visit(d, shot="review-page")

    # The agreement page: a comment on one item of Exhibit B, chosen in the section's form.
    _visit(d, f"/agreements/{pk}/")
    section_b = d.locator("#exhibit_b")
    section_b.locator("summary").click()
    section_b.get_by_label("About").select_option(label="Secure storage")
    section_b.get_by_label("Comment on Exhibit B").fill("Name the cloud provider's region.")
    section_b.get_by_role("button", name="Add comment").click()
    expect(d.get_by_text("Comment added.")).to_be_visible()
    section_b = d.locator("#exhibit_b")
    expect(section_b.get_by_text("On Secure storage:")).to_be_visible()
    expect(d.locator("#exhibit_c").get_by_text(re.compile("^On Question 6"))).to_be_visible()
    _visit(d)
    section_b.screenshot(path=str(SHOTS / "agreement-page-exhibit-b.png"))

    # Resolved on the review page, beside the field.
    _visit(d, f"/agreements/{pk}/review/")
    storage = d.locator("#place-exhibit_b-storage")
    storage.get_by_role("button", name="Mark resolved").click()
    expect(d.get_by_text("Comment marked resolved.")).to_be_visible()
    expect(d.locator("#place-exhibit_b-storage").get_by_text("Resolved", exact=True)).to_be_visible()
    assert ReviewComment.objects.get(field="storage").resolved_at is not None
    _visit(d)
    d.locator("#place-exhibit_b-storage").screenshot(path=str(SHOTS / "review-page-resolved.png"))

    agreement_request_changes(agreement=agreement, actor=review["admin"], note="See the comments beside the fields.")

    # The vendor: each comment beside its field, with its state.
    v = browser.new_context(base_url=live_server.url, viewport=DESKTOP).new_page()
    v.set_default_timeout(15_000)
    _sign_in(v, review["editor"].email, totp_code_for)
    _visit(v, f"/agreements/{pk}/exhibit-c/")
    question_6 = v.locator("#question-6")
    expect(question_6.get_by_text("Say <b>how</b> the data goes back: format?")).to_be_visible()
    expect(v.locator("#question-5").get_by_role("note")).to_have_count(0)
    question_6.scroll_into_view_if_needed()
    _visit(v, shot="vendor-exhibit-c")
    _visit(v, f"/agreements/{pk}/exhibit-b/", shot="vendor-exhibit-b")
    storage = v.locator("#storage")
    expect(storage.get_by_text("Name the cloud provider's region.")).to_be_visible()
    expect(storage.get_by_text("Resolved", exact=True)).to_be_visible()
    _visit(v, f"/agreements/{pk}/subcontractors/", shot="vendor-subcontractors")
    expect(v.locator(f"#subcontractor-{sub.pk}").get_by_text("Is the written agreement")).to_be_visible()
    _visit(v, f"/agreements/{pk}/exhibit-c1/")
    pr_ds = v.locator("#csf-PR\\.DS")
    expect(pr_ds.get_by_text("Which standard protects data at rest?")).to_be_visible()
    pr_ds.screenshot(path=str(SHOTS / "vendor-exhibit-c1-category.png"))
    _visit(v, f"/agreements/{pk}/", shot="vendor-agreement-page")
    d.context.close()
    v.context.close()
