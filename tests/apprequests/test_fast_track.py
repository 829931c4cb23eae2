"""Issue 16.2's fast track, as one story through the services and the pages: a teacher asks for an app another New
York district signed for; the director starts an agreement from the queue, whose exhibits start from the vendor's
latest executed answers (never from a later draft elsewhere); the vendor confirms or changes them on the submit form
(refused without the confirmation); the district reviews them as confirmed that day, approves; both sign; the
agreement is executed with its own dates, the teacher's request approved and the teacher e-mailed. Then the wrong
personas on the new POST, hostile text in the new sentences, and where the prefill does not happen."""

import io
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone
from pypdf import PdfReader

from agreements.consent import CURRENT_CONSENT_VERSION
from agreements.models import Agreement, AgreementDocument, OutboundEmail
from agreements.services import agreement_create, agreement_send_to_vendor, agreement_start, agreement_submit
from agreements.signing import SignatureRequest, agreement_execute, agreement_sign, signing_copy_prepare
from apprequests import triage
from apprequests.models import AppRequest, Requester
from apprequests.services import app_request_submit
from dpa_portal.errors import ApplicationError
from exhibits.answers import EXHIBIT_B_FIELDS, EXHIBIT_C_FIELDS
from exhibits.models import AnswerReuse, BillOfRightsAcknowledgement, Section, Submission
from exhibits.places import anchor
from exhibits.services import (
    answers_reuse,
    bill_of_rights_acknowledge,
    bill_of_rights_publish,
    carried_answers_confirm,
    executed_source_for,
    reuse_source_for,
    submission_record,
)

from .. import factories, personas
from ..helpers import ESCAPED, HOSTILE, TERM, activate_totp, fill_complete, with_totp
from ..public_helpers import move

S = Agreement.Status
R = AppRequest.Status
FIELDS = {"purpose": "Fractions practice", "grades": "3-5", "student_count": 60, "students_sign_in": "yes"}
# The other district's agreement was executed a while ago, for an earlier term: none of its dates is this one's.
SOURCE_TERM = {
    "service_agreement_date": date(2025, 5, 1),
    "contract_start": date(2025, 7, 1),
    "contract_end": date(2026, 6, 30),
}
SOURCE_EXECUTED = datetime(2025, 9, 15, 16, 0, tzinfo=UTC)


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def _day(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "F j, Y")


def _executed_elsewhere(agency, vendor, product, text="Signed answer"):
    """The vendor's agreement with `agency`, answered, submitted and executed (as signing leaves it) on
    SOURCE_EXECUTED."""
    source = agreement_create(agency=agency, contractor=vendor, products=[product], framework=factories.csf("1.1"))
    Agreement.objects.filter(pk=source.pk).update(**SOURCE_TERM)
    fill_complete(source, text=text)
    submission_record(agreement=source, actor=None)
    move(source, S.EXECUTED)
    Agreement.objects.filter(pk=source.pk).update(posted_at=SOURCE_EXECUTED)
    return Agreement.objects.select_related("agency").get(pk=source.pk)


def _submitted_later_elsewhere(vendor, product):
    """A third district's agreement for the same product, submitted after the source was executed: the vendor's
    latest answers, but nobody approved or signed them."""
    third = factories.EducationalAgencyFactory(name="Thirdtown Central School District", slug="thirdtown-csd")
    later = agreement_create(agency=third, contractor=vendor, products=[product], framework=factories.csf("1.1"))
    fill_complete(later, text="Later draft")
    move(later, S.SUBMITTED)
    submission_record(agreement=later, actor=None)
    return later


def _teacher(district, name="dee"):
    user = factories.UserFactory(email=f"{name}@hometowncsd.org", first_name=name.title(), last_name="Teacher")
    return Requester.objects.create(user=user, agency=district)


def _signature_request(agreement, secret):
    copy = AgreementDocument.objects.get(agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY)
    return SignatureRequest(
        typed_name="Jordan Ellis",
        title="Chief Privacy Officer",
        consent_version=CURRENT_CONSENT_VERSION,
        otp_code=personas.totp_code(secret),
        document_sha256=copy.sha256,
    )


def _sign(agreement, user, secret):
    agreement_sign(
        agreement=agreement,
        user=user,
        request=_signature_request(agreement, secret),
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 test",
    )


def _start_form(vendor, product) -> dict:
    return {
        "contractor": vendor.pk,
        "new_vendor_name": "",
        "product_name": product.name,
        "framework": factories.csf("1.1").pk,
        **{name: value.isoformat() for name, value in TERM.items()},
    }


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_fast_track_from_the_request_to_the_executed_agreement(
    client, catalogues, district, other_district, vendor, product, district_admin, vendor_admin
):
    source = _executed_elsewhere(other_district, vendor, product)
    later = _submitted_later_elsewhere(vendor, product)
    teacher = _teacher(district)
    district_secret, vendor_secret = activate_totp(district_admin), activate_totp(vendor_admin)
    bill_of_rights_publish(agency=district)

    # The teacher asks; the portal offers the fast track at once.
    client.force_login(teacher.user)
    form = {"app_name": product.name, "website": "https://reading-coach.example", "vendor_name": "", **FIELDS}
    client.post(reverse("apprequests_new", args=[district.slug]), form)
    asked = AppRequest.objects.get(requester=teacher)
    assert (asked.status, asked.product) == (R.FAST_TRACK_OFFERED, product)
    assert other_district.name in asked.answer

    # The director starts the agreement from the queue: its exhibits start from the executed answers.
    client.force_login(district_admin)
    response = client.post(
        reverse("apprequests_queue_start", args=[district.slug, asked.pk]), _start_form(vendor, product)
    )
    asked.refresh_from_db()
    agreement = asked.agreement
    assert response.status_code == 302 and response["Location"] == reverse("agreement_detail", args=[agreement.pk])
    assert reuse_source_for(agreement) == later  # the vendor's latest submission: not what the fast track starts from
    assert executed_source_for(agreement) == source
    reuse = agreement.answer_reuse
    assert (reuse.source, reuse.actor, reuse.confirmed_at) == (source, district_admin, None)
    info, plan = agreement.supplemental_information, agreement.security_plan
    assert info.purposes == "Signed answer: purposes" and plan.training == "Signed answer: training"
    assert [s.name for s in info.subcontractors.all()] == [
        s.name for s in source.supplemental_information.subcontractors.all()
    ]
    assert agreement.csf_responses.filter(narrative="Signed answer: control").count() == agreement.csf_responses.count()
    assert not BillOfRightsAcknowledgement.objects.filter(agreement=agreement).exists()  # Exhibit A: never copied
    assert Section.EXHIBIT_A not in reuse.answers
    agreement.refresh_from_db()
    assert (agreement.service_agreement_date, agreement.contract_start, agreement.contract_end) == tuple(TERM.values())
    page = client.get(reverse("agreement_detail", args=[agreement.pk])).text
    origin = f"{other_district.name}, executed {_day(SOURCE_EXECUTED)}"
    assert f"The vendor's answers started from its agreement with {origin}" in page
    assert "the vendor confirms or changes them before submitting" in page

    # The vendor: every copied answer marked, with where it came from; the submit form asks for the confirmation.
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    client.force_login(vendor_admin)
    client.post(reverse("exhibit_a_ack", args=[agreement.pk]))
    page = client.get(reverse("agreement_detail", args=[agreement.pk])).text
    assert page.count(f">carried over from {origin}</span>") >= 30
    label = (
        f'We confirm that the answers marked "carried over" from our agreement with {other_district.name} still '
        "hold as of today."
    )
    assert label in page and reverse("agreement_submit_carried", args=[agreement.pk]) in page

    # Submitting without the box is refused, through the new form and the old URL alike; nothing changes.
    submit = reverse("agreement_submit_carried", args=[agreement.pk])
    refused = client.post(submit, {}, follow=True)
    assert "Nothing was submitted" in _messages(refused) and "Tick the box above the Submit button" in _messages(
        refused
    )
    refused = client.post(reverse("agreement_submit", args=[agreement.pk]), follow=True)
    assert "confirm that they still hold as of today" in _messages(refused)
    agreement.refresh_from_db()
    reuse.refresh_from_db()
    assert agreement.status == S.WITH_VENDOR and not Submission.objects.filter(agreement=agreement).exists()
    assert reuse.confirmed_at is None

    # The vendor updates one answer, confirms the rest and submits.
    exhibit_b = {name: getattr(info, name) for name in EXHIBIT_B_FIELDS}
    exhibit_b = {name: value for name, value in exhibit_b.items() if value not in (False, None)}
    exhibit_b["purposes"] = "Reading practice for Hometown: purposes"
    client.post(reverse("exhibit_b", args=[agreement.pk]), exhibit_b)
    done = client.post(submit, {"carried_confirmed": "on"}, follow=True)
    assert "Submitted to the district for review." in _messages(done)
    agreement.refresh_from_db()
    reuse.refresh_from_db()
    assert agreement.status == S.SUBMITTED
    assert reuse.confirmed_by == vendor_admin and timezone.localdate(reuse.confirmed_at) == timezone.localdate()
    submitted = Submission.objects.get(agreement=agreement)
    assert submitted.answers[Section.EXHIBIT_B]["purposes"] == "Reading practice for Hometown: purposes"

    # The district reads the carried answers as confirmed that day, on the agreement page and the review page.
    confirmed = f"carried over, confirmed by the vendor on {_day(reuse.confirmed_at)}"
    client.force_login(district_admin)
    page = client.get(reverse("agreement_detail", args=[agreement.pk])).text
    assert page.count(f">{confirmed}</span>") >= 30 and "carried over from" not in page
    assert f"the vendor confirmed on {_day(reuse.confirmed_at)} that they hold as of that day" in page
    review = client.get(reverse("agreement_review", args=[agreement.pk])).text
    assert review.count(f">{confirmed}</span>") >= 30
    purposes_row = review.split(f'id="{anchor("exhibit_b:purposes")}"')[1].split("</h3>")[0]
    assert confirmed not in purposes_row  # the answer the vendor changed is its own, not carried

    # Approved, signed by both, executed: the request is approved and the teacher told.
    client.post(reverse("agreement_approve", args=[agreement.pk]), {"note": ""})
    agreement.refresh_from_db()
    assert agreement.status == S.APPROVED
    signing_copy_prepare(agreement_id=agreement.pk)  # the task approval schedules after commit
    _sign(agreement, vendor_admin, vendor_secret)
    _sign(agreement, district_admin, district_secret)
    document = agreement_execute(agreement_id=agreement.pk)  # the task the countersignature schedules after commit
    agreement.refresh_from_db()
    assert agreement.status == S.EXECUTED
    asked.refresh_from_db()
    assert asked.status == R.APPROVED
    mail = OutboundEmail.objects.filter(template="apprequest_status", to=[teacher.user.email])
    assert mail.filter(subject__contains="approved").count() == 1

    # The executed PDF carries this agreement's dates: its term, and the vendor's signature under Exhibit B today.
    text = text_of(bytes(document.pdf))
    signed_on = timezone.localdate(agreement.signatures.get(side="vendor").signed_at)
    assert f"Date: {signed_on.month}/{signed_on.day}/{signed_on.year}" in text
    assert "Contract Start Date 7/1/2026" in text and "Contract End Date 6/30/2027" in text
    for old in ("9/15/2025", "7/1/2025", "6/30/2026", "5/1/2025"):
        assert old not in text
    assert "Reading practice for Hometown: purposes" in text and "Signed answer: training" in text


@pytest.fixture
def fast_tracked(catalogues, district, other_district, vendor, product, district_admin, people):
    """An agreement started from the queue on the fast track and sent to the vendor, answers complete but for
    Exhibit A, which the vendor acknowledges."""
    source = _executed_elsewhere(other_district, vendor, product)
    asked = app_request_submit(
        requester=_teacher(district),
        app_name=product.name,
        website="https://reading-coach.example",
        **FIELDS,
        data_seen="",
    )
    agreement = triage.app_requests_start(
        agency=district,
        actor=with_totp(district_admin),
        key=asked.name_key,
        contractor=vendor,
        product_name=product.name,
        framework=factories.csf("1.1"),
        **TERM,
    )
    bill_of_rights_publish(agency=district)
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    return agreement, source


@pytest.mark.parametrize("persona", ["other_vendor", "district_reviewer", "district_admin", "teacher"])
def test_only_the_vendors_staff_confirm_and_submit(client, fast_tracked, people, district, persona):
    agreement, _ = fast_tracked
    user = _teacher(district, "tess").user if persona == "teacher" else people[persona]
    client.force_login(user)
    response = client.post(reverse("agreement_submit_carried", args=[agreement.pk]), {"carried_confirmed": "on"})
    assert response.status_code == 404
    agreement.refresh_from_db()
    assert agreement.status == S.WITH_VENDOR and agreement.answer_reuse.confirmed_at is None
    if persona != "teacher":
        with pytest.raises(ApplicationError, match="Only the vendor's staff"):
            carried_answers_confirm(agreement=agreement, actor=user)


def test_a_get_is_refused_and_the_confirmation_waits_for_a_complete_submission(client, fast_tracked, people):
    """The box ticked on an incomplete agreement: refused for what is missing, and the confirmation is not kept
    either (it is given with a submission or not at all)."""
    agreement, _ = fast_tracked
    client.force_login(people["vendor_editor"])
    url = reverse("agreement_submit_carried", args=[agreement.pk])
    assert client.get(url).status_code == 405
    refused = client.post(url, {"carried_confirmed": "on"}, follow=True)  # Exhibit A not acknowledged yet
    assert "not complete yet" in _messages(refused)
    agreement.refresh_from_db()
    assert agreement.status == S.WITH_VENDOR and agreement.answer_reuse.confirmed_at is None


def test_hostile_names_are_escaped_in_the_new_sentences(client, fast_tracked, people, other_district):
    agreement, _ = fast_tracked
    other_district.name = HOSTILE
    other_district.save()
    client.force_login(people["vendor_editor"])
    page = client.get(reverse("agreement_detail", args=[agreement.pk])).text
    assert HOSTILE not in page and f"carried over from {ESCAPED}" in page
    assert f"our agreement with {ESCAPED} still hold as of today" in page
    refused = client.post(reverse("agreement_submit", args=[agreement.pk]), follow=True)
    assert HOSTILE not in refused.text and ESCAPED in refused.text
    client.force_login(people["district_admin"])
    for url in (reverse("agreement_detail", args=[agreement.pk]), reverse("agreement_review", args=[agreement.pk])):
        page = client.get(url).text
        assert HOSTILE not in page and f"started from its agreement with {ESCAPED}" in page


def test_the_source_is_the_latest_executed_agreement_in_another_district(
    catalogues, district, other_district, vendor, product, district_admin
):
    """A later draft or submission elsewhere, the district's own agreements, another product's and one signed
    outside the portal (no submitted answers) are never the fast track's source; with none, nothing is copied."""
    admin = with_totp(district_admin)
    alone = agreement_start(
        agency=district, actor=admin, contractor=vendor, product_name=product.name, framework=factories.csf("1.1")
    )
    assert executed_source_for(alone) is None
    _submitted_later_elsewhere(vendor, product)
    own = _executed_elsewhere(district, vendor, product, text="Our own")  # the same district's: not a fast track
    other_product = factories.ProductFactory(contractor=vendor, name="Math Coach")
    _executed_elsewhere(other_district, vendor, other_product, text="Other product")
    assert executed_source_for(alone) is None and reuse_source_for(alone) is not None
    source = _executed_elsewhere(other_district, vendor, product)
    assert executed_source_for(alone) == source and own != source
    # Started on the district's own page (agreements.services.agreement_start): nothing copied; the vendor chooses.
    assert not AnswerReuse.objects.filter(agreement=alone).exists()


def test_changed_answers_need_no_confirmation(client, fast_tracked, people):
    """Once the vendor has changed every copied answer, submitting asks for no confirmation: nothing carried over is
    left to vouch for; the district reads that every copied answer was changed."""
    agreement, _ = fast_tracked
    editor = people["vendor_editor"]
    bill_of_rights_acknowledge(agreement=agreement, actor=editor)
    info = agreement.supplemental_information
    info.purposes, info.security_measures = "Hometown's own: purposes", "Hometown's own: security"
    info.receives_student_pii, info.receives_appr_data = False, True
    info.storage_third_party_cloud, info.storage_contractor_hosted = False, True
    info.subcontractor_use = info.SubcontractorUse.WILL_NOT_USE
    info.save()
    info.subcontractors.clear()
    plan = agreement.security_plan
    for field in EXHIBIT_C_FIELDS:
        setattr(plan, field, f"Hometown's own: {field}")
    plan.save()
    agreement.csf_responses.update(narrative="Hometown's own: control")
    agreement_submit(agreement=agreement, actor=editor)
    agreement.refresh_from_db()
    assert agreement.status == S.SUBMITTED and agreement.answer_reuse.confirmed_at is None
    client.force_login(people["district_admin"])
    page = client.get(reverse("agreement_review", args=[agreement.pk])).text
    assert "The vendor has changed every copied answer since." in page and "carried over from" not in page


def test_the_confirmation_is_given_once_while_with_the_vendor_and_new_copies_need_a_new_one(fast_tracked, people):
    """Confirmed once (a second confirmation keeps the first day and person); answers copied again are unconfirmed;
    once the agreement has left the vendor, nothing is confirmed."""
    agreement, source = fast_tracked
    editor, admin = people["vendor_editor"], people["vendor_admin"]
    first = carried_answers_confirm(agreement=agreement, actor=editor)
    again = carried_answers_confirm(agreement=agreement, actor=admin)
    assert (again.confirmed_at, again.confirmed_by) == (first.confirmed_at, editor)
    recopied = answers_reuse(agreement=agreement, source=source, actor=admin)
    assert (recopied.confirmed_at, recopied.confirmed_by) == (None, None)
    move(agreement, S.SUBMITTED, start=S.WITH_VENDOR)
    agreement.refresh_from_db()
    with pytest.raises(ApplicationError, match="not with you") as refused:
        carried_answers_confirm(agreement=agreement, actor=editor)
    assert refused.value.code == "state"
    assert AnswerReuse.objects.get(agreement=agreement).confirmed_at is None


def test_a_renewals_carried_answers_are_confirmed_too(catalogues, district, vendor, product, district_admin, people):
    """The rule is about carried answers, whatever carried them: a renewal starts from the executed agreement's
    answers (agreements.services.agreement_amend), and its vendor confirms them as of today as well."""
    from agreements.services import agreement_amend

    admin = with_totp(district_admin)
    executed = _executed_elsewhere(district, vendor, product)
    renewal = agreement_amend(agreement=executed, actor=admin, kind=Agreement.Kind.RENEWAL)
    agreement_send_to_vendor(agreement=renewal, actor=admin)
    editor = people["vendor_editor"]
    bill_of_rights_acknowledge(agreement=renewal, actor=editor)
    with pytest.raises(ApplicationError, match="Tick the box above the Submit button") as refused:
        agreement_submit(agreement=renewal, actor=editor)
    assert refused.value.code == "state"
    renewal.refresh_from_db()
    assert renewal.status == S.WITH_VENDOR
    carried_answers_confirm(agreement=renewal, actor=editor)
    agreement_submit(agreement=renewal, actor=editor)
    renewal.refresh_from_db()
    assert renewal.status == S.SUBMITTED and renewal.answer_reuse.confirmed_by == editor


def test_a_renewal_of_an_agreement_signed_outside_the_portal_says_so(client, catalogues, district, vendor, people):
    """Carried from an agreement signed outside the portal (agreements.outside): Exhibit B and the subcontractors
    only, and no execution date, as the portal has only the day the district uploaded it."""
    from agreements.services import agreement_amend

    from ..test_outside import record

    admin = people["district_admin"]
    old = record(district, admin, vendor, None)
    renewal = agreement_amend(agreement=old, actor=admin, kind=Agreement.Kind.RENEWAL)
    client.force_login(admin)
    page = client.get(reverse("agreement_detail", args=[renewal.pk])).text
    origin = f"{district.name}, signed outside the portal"
    assert f"started from its agreement with {origin}: Exhibit B and the subcontractors were copied" in page
    assert f">carried over from {origin}</span>" in page and "executed" not in origin
