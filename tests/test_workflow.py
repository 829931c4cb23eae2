"""The review workflow's business rules: send, submit when complete, request changes, approve, reuse, diff."""

import pytest

from agreements.models import Agreement, OutboundEmail
from agreements.services import (
    agreement_approve,
    agreement_request_changes,
    agreement_send_to_vendor,
    agreement_start,
    agreement_submit,
)
from dpa_portal.errors import ApplicationError
from exhibits.answers import agreement_answers, answers_diff, carried_over
from exhibits.completeness import agreement_completeness
from exhibits.models import Section, Submission
from exhibits.services import answers_reuse, reuse_source_for, review_comment_add

from . import factories
from .helpers import fill_complete

S = Agreement.Status


@pytest.fixture
def sent(agreement, district_admin, vendor_editor):
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    return agreement


def emails(template):
    return list(OutboundEmail.objects.filter(template=template))


def test_sending_notifies_the_vendor_staff(sent, vendor_editor):
    assert sent.status == S.WITH_VENDOR
    (email,) = emails("agreement_sent")
    assert email.to == [vendor_editor.email] and email.agreement == sent
    assert f"/agreements/{sent.pk}/" in email.body_text


def test_a_vendor_without_staff_needs_a_contact_to_invite(agreement, district_admin):
    with pytest.raises(ApplicationError, match="contact e-mail"):
        agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    agreement.refresh_from_db()
    assert agreement.status == S.DRAFT


def test_only_district_admins_send(agreement, district_reviewer, vendor_editor):
    for actor in (district_reviewer, vendor_editor):
        with pytest.raises(ApplicationError):
            agreement_send_to_vendor(agreement=agreement, actor=actor)


def test_submitting_an_incomplete_agreement_lists_what_is_missing(sent, vendor_editor):
    missing = agreement_completeness(sent, agreement_answers(sent))
    sections = {m.section for m in missing}
    assert sections == {Section.EXHIBIT_A, Section.EXHIBIT_B, Section.EXHIBIT_C, Section.EXHIBIT_C1}
    assert sum(m.section == Section.EXHIBIT_C1 for m in missing) == 23
    with pytest.raises(ApplicationError, match="not complete"):
        agreement_submit(agreement=sent, actor=vendor_editor)
    assert not Submission.objects.exists()


def test_a_subcontractor_with_pii_needs_a_written_agreement(sent, vendor_editor):
    fill_complete(sent, actor=vendor_editor)
    sent.supplemental_information.subcontractors.add(
        factories.SubcontractorFactory(contractor=sent.contractor, name="Analytics Co", receives_pii=True)
    )
    missing = agreement_completeness(sent, agreement_answers(sent))
    assert [m.message for m in missing] == [
        "Analytics Co receives PII, so it must be bound by a written agreement (DPA II.6(b))."
    ]


def test_a_new_bill_of_rights_version_must_be_acknowledged_again(sent, vendor_editor):
    from exhibits.services import bill_of_rights_publish

    fill_complete(sent, actor=vendor_editor)
    assert agreement_completeness(sent, agreement_answers(sent)) == []
    bill_of_rights_publish(agency=sent.agency, items=["A changed item"])
    assert [m.section for m in agreement_completeness(sent, agreement_answers(sent))] == [Section.EXHIBIT_A]


def test_submit_snapshots_answers_and_tells_the_district(sent, vendor_editor, district_admin, district_reviewer):
    fill_complete(sent, actor=vendor_editor)
    agreement_submit(agreement=sent, actor=vendor_editor)
    assert sent.status == S.SUBMITTED
    submission = Submission.objects.get(agreement=sent)
    assert submission.number == 1 and submission.answers == agreement_answers(sent)
    (email,) = emails("submitted")
    assert sorted(email.to) == sorted([district_admin.email, district_reviewer.email])


def test_request_changes_needs_a_note_and_then_notifies_the_vendor(sent, vendor_editor, district_admin):
    fill_complete(sent, actor=vendor_editor)
    agreement_submit(agreement=sent, actor=vendor_editor)
    with pytest.raises(ApplicationError, match="Say what"):
        agreement_request_changes(agreement=sent, actor=district_admin, note="  ")
    agreement_request_changes(agreement=sent, actor=district_admin, note="Name your hosting region.")
    assert sent.status == S.WITH_VENDOR
    (email,) = emails("changes_requested")
    assert email.to == [vendor_editor.email] and "Name your hosting region." in email.body_text


def test_resubmission_shows_what_changed_field_by_field(sent, vendor_editor, district_admin):
    fill_complete(sent, actor=vendor_editor)
    agreement_submit(agreement=sent, actor=vendor_editor)
    agreement_request_changes(agreement=sent, actor=district_admin, note="More detail")
    info = sent.supplemental_information
    info.purposes = "Reading practice for grades 3-5"
    info.save()
    response = sent.csf_responses.get(category__identifier="PR.DS")
    response.tier = 4
    response.save()
    agreement_submit(agreement=sent, actor=vendor_editor)
    first, second = Submission.objects.filter(agreement=sent).order_by("number")
    changes = answers_diff(first.answers, second.answers)
    assert [(c.section, c.key, c.old, c.new) for c in changes] == [
        (Section.EXHIBIT_B, "purposes", "Answer: purposes", "Reading practice for grades 3-5"),
        (Section.EXHIBIT_C1, "PR.DS", 2, 4),
    ]
    assert changes[1].label == "PR.DS implementation tier"
    assert len(emails("submitted")) == 2


def test_only_district_admins_approve(sent, vendor_editor, district_reviewer, district_admin):
    fill_complete(sent, actor=vendor_editor)
    agreement_submit(agreement=sent, actor=vendor_editor)
    with pytest.raises(ApplicationError):
        agreement_approve(agreement=sent, actor=district_reviewer)
    agreement_approve(agreement=sent, actor=district_admin, note="Thank you")
    assert sent.status == S.APPROVED
    assert [c.to_status for c in sent.status_changes.all()] == [S.DRAFT, S.WITH_VENDOR, S.SUBMITTED, S.APPROVED]
    (email,) = emails("approved")
    assert vendor_editor.email in email.to


def test_reuse_carries_answers_from_another_district(sent, vendor_editor, other_district, district_admin, product):
    fill_complete(sent, actor=vendor_editor, text="Earlier")
    agreement_submit(agreement=sent, actor=vendor_editor)
    admin = factories.DistrictMembershipFactory(agency=other_district).user
    new = agreement_start(
        agency=other_district,
        actor=admin,
        contractor=sent.contractor,
        product_name=product.name.upper(),
        framework=sent.framework,
    )
    assert list(new.products.all()) == [product]  # the same product, found by name
    assert reuse_source_for(new) == sent
    reuse = answers_reuse(agreement=new, source=sent, actor=vendor_editor)
    answers = agreement_answers(new)
    assert answers[Section.EXHIBIT_B]["purposes"] == "Earlier: purposes"
    assert answers[Section.EXHIBIT_C1]["ID.AM"] == {"narrative": "Earlier: control", "tier": 2}
    assert answers[Section.SUBCONTRACTORS] == agreement_answers(sent)[Section.SUBCONTRACTORS]
    assert answers[Section.EXHIBIT_A]["bill_of_rights_version"] is None  # each district's own to acknowledge
    kept = carried_over(reuse.answers, answers)
    assert (Section.EXHIBIT_B, "purposes") in kept
    info = new.supplemental_information
    info.purposes = "Different here"
    info.save()
    assert (Section.EXHIBIT_B, "purposes") not in carried_over(reuse.answers, agreement_answers(new))


# Reuse from CSF 1.1 to CSF 2.0 follows NIST's mapping: tests/test_csf_crosswalk.py.


def test_no_reuse_source_from_another_vendor_or_without_a_submission(sent, other_vendor, district, vendor_editor):
    other = factories.ProductFactory(contractor=other_vendor, name=sent.products.get().name, slug="x")
    admin = factories.DistrictMembershipFactory(agency=district).user
    theirs = agreement_start(
        agency=district, actor=admin, contractor=other_vendor, product_name=other.name, framework=sent.framework
    )
    assert reuse_source_for(theirs) is None
    assert reuse_source_for(sent) is None  # nothing submitted yet


def test_comments_belong_to_the_agreement_framework(agreement, district_reviewer):
    foreign = factories.csf("2.0").categories.first()
    with pytest.raises(ApplicationError, match="framework"):
        review_comment_add(
            agreement=agreement, author=district_reviewer, section=Section.EXHIBIT_C1, body="x", category=foreign
        )
    own = agreement.framework.categories.first()
    comment = review_comment_add(
        agreement=agreement, author=district_reviewer, section=Section.EXHIBIT_C1, body="Which MFA?", category=own
    )
    assert comment.category == own
