"""The technology director's triage (issue 16.3): duplicates grouped, start an agreement, ask the teacher for more
(who answers by editing), decline with a reason and an approved alternative; each refused in a state that does not
allow it, each change e-mailed to the teachers concerned; hostile text escaped; the dashboard's counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement, OutboundEmail
from apprequests import selectors, triage
from apprequests.models import AppRequest, Requester
from apprequests.services import app_request_submit
from dpa_portal.errors import FORBIDDEN, INVALID, STATE, ApplicationError

from .. import factories
from ..helpers import ESCAPED, HOSTILE
from ..personas import with_totp
from ..public_helpers import make_agreement

S = AppRequest.Status
FIELDS = {"purpose": "Drawing", "grades": "2-4", "student_count": 40, "students_sign_in": "yes", "data_seen": ""}


def _teacher(district, name):
    user = factories.UserFactory(email=f"{name}@hometowncsd.org", first_name=name.title(), last_name="Teacher")
    return Requester.objects.create(user=user, agency=district)


@pytest.fixture
def asked(district):
    """Two teachers ask for one app under two spellings; a third for another app."""
    ann, bob, cy = (_teacher(district, n) for n in ("ann", "bob", "cy"))
    first = app_request_submit(requester=ann, app_name="Pixel Paint", website="https://pixelpaint.example", **FIELDS)
    second = app_request_submit(
        requester=bob, app_name="Pixel Paint, Inc.", website="https://www.pixelpaint.example/kids", **FIELDS
    )
    other = app_request_submit(requester=cy, app_name="Quiz Quest", website="https://quizquest.example", **FIELDS)
    return first, second, other


def _start(district, actor, key, **extra):
    return triage.app_requests_start(
        agency=district,
        actor=actor,
        key=key,
        contractor=None,
        new_vendor_name="Pixel Paint Company",
        product_name="Pixel Paint",
        framework=factories.csf("1.1"),
        **extra,
    )


def _status_mail(request):
    return OutboundEmail.objects.filter(template="apprequest_status", to=[request.requester.user.email])


def test_duplicates_are_one_row_the_longest_waiting_first(asked, district):
    first, second, other = asked
    assert first.name_key == second.name_key == "pixel paint"
    groups = selectors.queue_groups(district)
    assert [[r.pk for r in g["requests"]] for g in groups] == [[first.pk, second.pk], [other.pk]]
    assert groups[0]["teachers"] == ["Ann Teacher", "Bob Teacher"]


def test_starting_an_agreement_links_every_request_for_the_app_and_tells_each_teacher(
    catalogues, asked, district, district_admin, district_reviewer
):
    first, second, other = asked
    with pytest.raises(ApplicationError) as refused:
        _start(district, district_reviewer, first.name_key)  # the admins start agreements
    assert refused.value.code == FORBIDDEN
    agreement = _start(district, district_admin, first.name_key)
    assert agreement.status == Agreement.Status.DRAFT and agreement.contractor.legal_name == "Pixel Paint Company"
    for request in (first, second):
        request.refresh_from_db()
        assert (request.status, request.agreement, request.decided_by) == (S.IN_REVIEW, agreement, district_admin)
        assert request.product == agreement.products.get()
        mail = _status_mail(request).get()
        assert "in review" in mail.subject and "started a data privacy agreement" in mail.body_text
    other.refresh_from_db()
    assert other.status == S.SUBMITTED and not _status_mail(other).exists()
    with pytest.raises(ApplicationError) as refused:  # decided already: nothing open for the app
        _start(district, district_admin, first.name_key)
    assert refused.value.code == STATE
    assert Agreement.objects.filter(agency=district).count() == 1


def test_asking_the_teacher_for_more_and_their_answer_by_editing(asked, district, district_admin, district_viewer):
    first, _second, other = asked
    with pytest.raises(ApplicationError) as refused:
        triage.app_request_ask(agency=district, actor=district_viewer, pk=other.pk, question="Which grades?")
    assert refused.value.code == FORBIDDEN
    with pytest.raises(ApplicationError) as refused:
        triage.app_request_ask(agency=district, actor=district_admin, pk=other.pk, question="  ")
    assert refused.value.code == INVALID
    asked_one = triage.app_request_ask(
        agency=district, actor=district_admin, pk=other.pk, question="Which classes, and is there a paid tier?"
    )
    assert asked_one.status == S.MORE_INFO_ASKED and asked_one.question.startswith("Which classes")
    mail = _status_mail(other).get()
    assert "Which classes" in mail.body_text and f"/requests/{district.slug}/{other.pk}/answer/" in mail.body_text
    # The teacher answers: back to the district, whose admins are told.
    told = OutboundEmail.objects.filter(template="apprequest_new").count()
    fields = {**FIELDS, "app_name": "Quiz Quest", "website": "https://quizquest.example", "vendor_name": "QQ Ltd"}
    fields["purpose"] = "Grade 5 science review; free tier only"
    answered = triage.app_request_answer(requester=other.requester, pk=other.pk, **fields)
    assert answered.status == S.SUBMITTED and answered.purpose.endswith("free tier only")
    assert OutboundEmail.objects.filter(template="apprequest_new").count() == told + 1
    with pytest.raises(ApplicationError) as refused:  # nothing is asked any more
        triage.app_request_answer(requester=other.requester, pk=other.pk, **fields)
    assert refused.value.code == STATE
    with pytest.raises(ApplicationError):  # another teacher's request is not theirs to answer
        triage.app_request_answer(requester=first.requester, pk=other.pk, **fields)
    first.status = S.DECLINED
    first.save()
    with pytest.raises(ApplicationError) as refused:  # a decided request is asked nothing
        triage.app_request_ask(agency=district, actor=district_admin, pk=first.pk, question="Why?")
    assert refused.value.code == STATE


def test_declining_with_a_reason_shown_and_an_approved_alternative(
    catalogues, asked, district, other_district, district_admin, district_reviewer
):
    first, second, other = asked
    approved = make_agreement(agency=district).products.get()
    elsewhere = make_agreement(agency=other_district).products.get()  # approved by another district only
    key = first.name_key
    with pytest.raises(ApplicationError) as refused:
        triage.app_requests_decline(agency=district, actor=district_reviewer, key=key, reason="No", reason_shown=True)
    assert refused.value.code == FORBIDDEN
    for reason, alternative in (("", None), ("Sells data", elsewhere)):
        with pytest.raises(ApplicationError) as refused:
            triage.app_requests_decline(
                agency=district,
                actor=district_admin,
                key=key,
                reason=reason,
                reason_shown=True,
                alternative=alternative,
            )
        assert refused.value.code == INVALID
    count = triage.app_requests_decline(
        agency=district, actor=district_admin, key=key, reason="It sells student data.", reason_shown=True,
        alternative=approved,
    )  # fmt: skip
    assert count == 2
    for request in (first, second):
        request.refresh_from_db()
        assert (request.status, request.reason, request.reason_shown) == (S.DECLINED, "It sells student data.", True)
        assert request.alternative == approved
        body = _status_mail(request).get().body_text
        assert "It sells student data." in body and str(approved) in body
    with pytest.raises(ApplicationError) as refused:
        triage.app_requests_decline(agency=district, actor=district_admin, key=key, reason="Again", reason_shown=False)
    assert refused.value.code == STATE
    assert [g["first"].pk for g in selectors.queue_groups(district)] == [other.pk]


def test_hostile_text_is_escaped_in_the_queue_and_the_mail(client, district):
    admin = with_totp(factories.DistrictMembershipFactory(agency=district, role="admin").user)
    teacher = _teacher(district, "eve")
    hostile = {**FIELDS, "purpose": HOSTILE, "data_seen": HOSTILE, "vendor_name": HOSTILE[:50]}
    request = app_request_submit(requester=teacher, app_name=HOSTILE, website="https://x.example", **hostile)
    client.force_login(admin)
    page = client.get(reverse("apprequests_queue", args=[district.slug])).content.decode()
    assert HOSTILE not in page and ESCAPED in page
    triage.app_requests_decline(agency=district, actor=admin, key=request.name_key, reason=HOSTILE, reason_shown=True)
    mail = _status_mail(request).get()
    assert HOSTILE not in mail.body_html and ESCAPED in mail.body_html
    client.force_login(teacher.user)
    page = client.get(reverse("apprequests_mine", args=[district.slug])).content.decode()
    assert HOSTILE not in page and ESCAPED in page


def test_the_dashboard_shows_counts_and_the_oldest_wait_from_one_query(
    client, asked, district, district_admin, district_viewer, django_assert_num_queries
):
    _first, _second, other = asked
    AppRequest.objects.filter(pk=other.pk).update(status=S.MORE_INFO_ASKED)
    with django_assert_num_queries(1):
        summary = selectors.queue_summary(district)
    assert [(row["status"], row["count"]) for row in summary] == [(S.SUBMITTED, 2), (S.MORE_INFO_ASKED, 1)]
    client.force_login(with_totp(district_admin))
    page = client.get(reverse("district_dashboard", args=[district.slug])).content.decode()
    assert reverse("apprequests_queue", args=[district.slug]) in page
    assert "Submitted: <strong>2</strong>, the oldest waiting under a minute" in page
    assert "More information asked: <strong>1</strong>" in page
    AppRequest.objects.filter(pk=_first.pk).update(status_changed_at=timezone.now() - timedelta(days=3, hours=2))
    page = client.get(reverse("district_dashboard", args=[district.slug])).content.decode()
    assert "Submitted: <strong>2</strong>, the oldest waiting 3\xa0days, 2\xa0hours" in page
    client.force_login(district_viewer)  # a viewer neither triages nor sees the queue's link
    page = client.get(reverse("district_dashboard", args=[district.slug])).content.decode()
    assert reverse("apprequests_queue", args=[district.slug]) not in page


def test_the_fast_track_starts_for_the_same_vendor_and_product_whose_answers_the_vendor_is_offered(
    catalogues, district, other_district, district_admin
):
    """Issue 16.2's fast track from the queue: the agreement is for the product the portal matched, the vendor's and
    product's, so that its answers start from the vendor's executed ones with the other district (the whole story,
    confirmation and all, is tests/apprequests/test_fast_track.py)."""
    from exhibits.services import reuse_source_for, submission_record

    vendor = factories.ContractorFactory(legal_name="Sunrise Learning, Inc.")
    sunrise = factories.ProductFactory(contractor=vendor, name="Sunrise Math")
    theirs = make_agreement(agency=other_district, contractor=vendor, products=[sunrise])
    submission_record(agreement=theirs, actor=None)  # what the vendor submitted, as the portal's signing leaves it
    teacher = _teacher(district, "dee")
    offered = app_request_submit(
        requester=teacher, app_name="Sunrise Math", website="https://sunrise.example", **FIELDS
    )
    assert offered.status == S.FAST_TRACK_OFFERED and offered.product == sunrise
    group = selectors.queue_groups(district)[0]
    assert group["product"] == sunrise
    agreement = triage.app_requests_start(
        agency=district,
        actor=district_admin,
        key=offered.name_key,
        contractor=vendor,
        new_vendor_name="",
        product_name=sunrise.name,
        framework=factories.csf("1.1"),
    )
    assert list(agreement.products.all()) == [sunrise] and reuse_source_for(agreement) == theirs
    offered.refresh_from_db()
    assert (offered.status, offered.agreement) == (S.IN_REVIEW, agreement)


def test_the_teachers_are_told_when_the_agreement_they_wait_on_is_executed(catalogues, asked, district, district_admin):
    from agreements.models import StatusChange

    first, second, other = asked
    agreement = _start(district, district_admin, first.name_key)
    # The step that executes an agreement writes its StatusChange (agreements.services.agreement_transition).
    StatusChange.objects.create(agreement=agreement, from_status="signed_by_vendor", to_status="executed")
    for request in (first, second):
        request.refresh_from_db()
        assert request.status == S.APPROVED and "in effect" in request.answer
        approved = _status_mail(request).filter(subject__contains="approved")
        assert "You may use it with students" in approved.get().body_text
    other.refresh_from_db()
    assert other.status == S.SUBMITTED
    StatusChange.objects.create(agreement=agreement, from_status="executed", to_status="executed")  # nothing twice
    assert _status_mail(first).filter(subject__contains="approved").count() == 1


def test_starting_for_a_vendor_close_to_one_on_the_portal_asks_which_it_is_first(
    client, catalogues, asked, district, district_admin
):
    first = asked[0]
    factories.ContractorFactory(legal_name="Pixel Paint Company, Inc.")
    client.force_login(with_totp(district_admin))
    url = reverse("apprequests_queue_start", args=[district.slug, first.pk])
    form = {"contractor": "", "new_vendor_name": "Pixel Paint Company", "product_name": "Pixel Paint"}
    form["framework"] = factories.csf("1.1").pk
    page = client.post(url, form)
    assert page.status_code == 200 and "a vendor already on the portal?" in page.content.decode()
    assert not Agreement.objects.filter(agency=district).exists()
    first.refresh_from_db()
    assert first.status == S.SUBMITTED


def test_the_queue_costs_the_same_queries_for_few_apps_or_many(client, catalogues, asked, district, district_admin):
    """Every request's teacher, matched product and vendor, and the alternatives offered, read once for the page."""
    make_agreement(agency=district)  # an approved app to offer instead of a declined one
    client.force_login(with_totp(district_admin))
    url = reverse("apprequests_queue", args=[district.slug])

    def read():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        return len(captured), page.count('class="card mb-3"')

    read()  # the session's first page
    few, groups = read()
    for n in range(5):
        product = factories.ProductFactory(name=f"Matched App {n}")
        app_request_submit(
            requester=_teacher(district, f"t{n}"), app_name=product.name, website="https://m.example", **FIELDS
        )
        AppRequest.objects.filter(app_name=product.name).update(product=product)
    assert groups == 2 and read() == (few, 7)


def test_a_decision_costs_the_same_queries_for_two_requests_or_ten_but_the_mails(district, district_admin):
    """One check and one UPDATE for the group; only each teacher's e-mail is written per request."""
    small = [_teacher(district, f"s{n}") for n in range(2)]
    large = [_teacher(district, f"l{n}") for n in range(10)]
    for teachers, name in ((small, "Pixel Paint"), (large, "Quiz Quest")):
        for teacher in teachers:
            app_request_submit(requester=teacher, app_name=name, website="https://x.example", **FIELDS)

    def decline(name):
        key = AppRequest.objects.filter(app_name=name).values_list("name_key", flat=True).first()
        with CaptureQueriesContext(connection) as captured:
            triage.app_requests_decline(agency=district, actor=district_admin, key=key, reason="No", reason_shown=True)
        mail = ('INSERT INTO "agreements_outboundemail"', "SAVEPOINT", "RELEASE SAVEPOINT")
        return len([q for q in captured if not q["sql"].startswith(mail)])

    assert decline("Pixel Paint") == decline("Quiz Quest")
    assert AppRequest.objects.filter(status=S.DECLINED, reason="No", decided_by=district_admin).count() == 12
