"""The contract term is required before an agreement goes to its vendor; an agreement may run until terminated with a
review date instead of an end date; the term of an executed agreement changes only through a logged service, and the
end-of-term duty and its reminders follow the new date (issue 11, points 1 and 4)."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from agreements.deadlines.services import agreement_review_record, agreement_term_change
from agreements.deadlines.sweep import sweep_run
from agreements.models import Agreement, Obligation, OutboundEmail, Reminder, StatusChange
from agreements.services import agreement_send_to_vendor
from dpa_portal.errors import ApplicationError

from . import factories
from .helpers import with_totp
from .public_helpers import make_agreement

S = Agreement.Status
K = Obligation.Kind


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def executed(catalogues, district, vendor, product, district_admin, vendor_editor):
    return make_agreement(agency=district, contractor=vendor, products=[product])


# --- point 1: no agreement leaves the district without its term ----------------------------------------------------


@pytest.mark.parametrize(
    ("blank", "said"),
    [
        ("service_agreement_date", "the Service Agreement's date"),
        ("contract_start", "the contract start date"),
        ("contract_end", "the contract end date"),
    ],
)
def test_sending_without_a_part_of_the_term_is_refused(agreement, district_admin, vendor_editor, blank, said):
    Agreement.objects.filter(pk=agreement.pk).update(**{blank: None})
    with pytest.raises(ApplicationError, match=said) as refused:
        agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    assert refused.value.code == "invalid"
    agreement.refresh_from_db()
    assert agreement.status == S.DRAFT and not OutboundEmail.objects.filter(template="agreement_sent").exists()


def test_sending_with_the_whole_term_is_allowed(agreement, district_admin, vendor_editor):
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    agreement.refresh_from_db()
    assert agreement.status == S.WITH_VENDOR


def test_an_agreement_until_terminated_is_sent_with_a_review_date(agreement, district_admin, vendor_editor):
    Agreement.objects.filter(pk=agreement.pk).update(
        contract_end=None, runs_until_terminated=True, review_on=date(2027, 6, 1)
    )
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    agreement.refresh_from_db()
    assert agreement.status == S.WITH_VENDOR


def test_until_terminated_needs_a_review_date_and_no_end_date(agreement):
    for term in (
        {"contract_end": None, "runs_until_terminated": True, "review_on": None},
        {"runs_until_terminated": True, "review_on": date(2027, 6, 1)},  # an end date as well
        {"runs_until_terminated": False, "review_on": date(2027, 6, 1)},  # a review date of a fixed term
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Agreement.objects.filter(pk=agreement.pk).update(**term)


def test_a_review_date_drives_the_end_of_term_reminders_and_never_expires(
    executed, district_admin, vendor_editor, today
):
    review = today + timedelta(days=30)
    Agreement.objects.filter(pk=executed.pk).update(contract_end=None, runs_until_terminated=True, review_on=review)
    result = sweep_run(today=today)
    duty = Obligation.objects.get(agreement=executed, kind=K.TERM_END)
    assert duty.due_on == review and "runs until terminated" in duty.due_explanation
    assert result.reminders == [(duty.pk, "before:30")]
    late = sweep_run(today=review + timedelta(days=1))
    executed.refresh_from_db()
    assert executed.status == S.EXECUTED and late.expired == []  # a review is not an end
    assert late.reminders == [(duty.pk, "overdue")]
    # The district records the review and names the next date: the duty moves there, its reminders start again.
    change = agreement_review_record(agreement=executed, actor=district_admin, next_review_on=today + timedelta(days=7))
    assert change.from_status == change.to_status == S.EXECUTED and "next review" in change.note
    duty.refresh_from_db()
    assert (duty.due_on, duty.status) == (today + timedelta(days=7), Obligation.Status.OPEN)
    assert sweep_run(today=today).reminders == [(duty.pk, "before:7")]
    assert OutboundEmail.objects.filter(template="term_changed").exists()


def test_a_review_is_recorded_only_by_a_district_admin_of_an_agreement_until_terminated(
    executed, district_admin, district_reviewer, vendor_editor, other_district_admin, today
):
    later = today + timedelta(days=90)
    with pytest.raises(ApplicationError, match="runs until terminated"):
        agreement_review_record(agreement=executed, actor=district_admin, next_review_on=later)
    Agreement.objects.filter(pk=executed.pk).update(
        contract_end=None, runs_until_terminated=True, review_on=today + timedelta(days=3)
    )
    for actor in (district_reviewer, vendor_editor, other_district_admin):
        with pytest.raises(ApplicationError):
            agreement_review_record(agreement=executed, actor=actor, next_review_on=later)
    with pytest.raises(ApplicationError, match="after today"):
        agreement_review_record(agreement=executed, actor=district_admin, next_review_on=today)
    agreement_review_record(agreement=executed, actor=district_admin, next_review_on=later)
    executed.refresh_from_db()
    assert executed.review_on == later


# --- point 4: changing the term of an executed agreement --------------------------------------------------------


def test_changing_the_term_is_refused_to_anyone_but_a_district_admin(
    executed, district_reviewer, vendor_editor, other_district_admin, today
):
    for actor in (district_reviewer, vendor_editor, other_district_admin):
        with pytest.raises(ApplicationError) as refused:
            agreement_term_change(
                agreement=executed, actor=actor, contract_end=today + timedelta(days=400), reason="Extended"
            )
        assert refused.value.code == "forbidden"


def test_changing_the_term_needs_a_reason_a_future_date_and_an_executed_agreement(
    executed, agreement, district_admin, today
):
    later = today + timedelta(days=400)
    with pytest.raises(ApplicationError, match="Say why"):
        agreement_term_change(agreement=executed, actor=district_admin, contract_end=later, reason="  ")
    with pytest.raises(ApplicationError, match="past"):
        agreement_term_change(
            agreement=executed, actor=district_admin, contract_end=today - timedelta(days=1), reason="Shorter"
        )
    with pytest.raises(ApplicationError, match="already") as same:
        agreement_term_change(agreement=executed, actor=district_admin, contract_end=executed.contract_end, reason="x")
    assert same.value.code == "state"
    with pytest.raises(ApplicationError, match="executed") as draft:
        agreement_term_change(agreement=agreement, actor=district_admin, contract_end=later, reason="Extended")
    assert draft.value.code == "state"
    assert not StatusChange.objects.filter(agreement=executed, from_status=S.EXECUTED, to_status=S.EXECUTED).exists()


def test_a_term_change_is_logged_told_to_both_parties_and_moves_the_reminders(
    executed, district_admin, vendor_editor, today
):
    Agreement.objects.filter(pk=executed.pk).update(contract_end=today + timedelta(days=30))
    sweep_run(today=today)
    duty = Obligation.objects.get(agreement=executed, kind=K.TERM_END)
    assert Reminder.objects.filter(obligation=duty, kind="before:30").exists()
    OutboundEmail.objects.all().delete()

    new_end = today + timedelta(days=120)
    change = agreement_term_change(
        agreement=executed, actor=district_admin, contract_end=new_end, reason="Board extended the <b>contract</b>"
    )
    assert (change.actor, change.from_status, change.to_status) == (district_admin, S.EXECUTED, S.EXECUTED)
    assert "Board extended the <b>contract</b>" in change.note and f"{new_end:%B}" in change.note
    executed.refresh_from_db()
    assert executed.contract_end == new_end
    (email,) = OutboundEmail.objects.filter(template="term_changed")
    assert set(email.to) == {district_admin.email, vendor_editor.email}
    assert "&lt;b&gt;contract" in email.body_html

    duty.refresh_from_db()
    assert duty.due_on == new_end and not duty.reminders.exists()
    # The old date passes without expiry; the new date's reminders go out, 90, 30 and 7 days before it.
    old_end_passed = sweep_run(today=today + timedelta(days=31))
    executed.refresh_from_db()
    assert executed.status == S.EXECUTED and old_end_passed.expired == []
    assert old_end_passed.reminders == [(duty.pk, "before:90")]
    assert sweep_run(today=new_end - timedelta(days=30)).reminders == [(duty.pk, "before:30")]
    assert sweep_run(today=new_end - timedelta(days=7)).reminders == [(duty.pk, "before:7")]
    assert sweep_run(today=new_end + timedelta(days=1)).expired == [executed.pk]


def test_the_term_of_a_superseded_agreement_is_changed_on_its_successor(executed, district_admin, today):
    from agreements.services import agreement_create

    amendment = agreement_create(
        agency=executed.agency,
        contractor=executed.contractor,
        framework=executed.framework,
        previous=executed,
        kind=Agreement.Kind.AMENDMENT,
    )
    Agreement.objects.filter(pk=amendment.pk).update(status=S.EXECUTED)
    with pytest.raises(ApplicationError, match="change the term there") as refused:
        agreement_term_change(
            agreement=executed, actor=district_admin, contract_end=today + timedelta(days=400), reason="Extended"
        )
    assert refused.value.code == "state"


def test_a_term_change_ends_an_agreement_that_ran_until_terminated(executed, district_admin, today):
    Agreement.objects.filter(pk=executed.pk).update(
        contract_end=None, runs_until_terminated=True, review_on=today + timedelta(days=10)
    )
    new_end = today + timedelta(days=60)
    change = agreement_term_change(agreement=executed, actor=district_admin, contract_end=new_end, reason="Fixed")
    assert "until terminated" in change.note
    executed.refresh_from_db()
    assert (executed.runs_until_terminated, executed.review_on, executed.contract_end) == (False, None, new_end)


def test_the_admin_shows_an_executed_agreements_term_read_only(executed, agreement, rf):
    from django.contrib.admin.sites import site

    model_admin = site._registry[Agreement]
    request = rf.get("/")
    request.user = factories.UserFactory(is_staff=True, is_superuser=True)
    for field in ("contract_end", "contract_start", "service_agreement_date", "review_on", "runs_until_terminated"):
        assert field in model_admin.get_readonly_fields(request, executed)
        assert field not in model_admin.get_readonly_fields(request, agreement)


# --- the pages ----------------------------------------------------------------------------------------------------


def test_the_term_form_takes_until_terminated_with_a_review_date(client, agreement, district_admin):
    from django.urls import reverse

    client.force_login(with_totp(district_admin))
    url = reverse("agreement_term", args=[agreement.pk])
    data = {"service_agreement_date": "2026-05-01", "contract_start": "2026-07-01", "contract_end": "2027-06-30"}
    client.post(url, {**data, "runs_until_terminated": "on"})
    agreement.refresh_from_db()
    assert agreement.contract_end == date(2027, 6, 30) and not agreement.runs_until_terminated  # refused: no review
    client.post(url, {**data, "runs_until_terminated": "on", "review_on": "2027-05-15"})
    agreement.refresh_from_db()
    assert (agreement.runs_until_terminated, agreement.review_on, agreement.contract_end) == (
        True,
        date(2027, 5, 15),
        None,
    )
    page = client.get(reverse("agreement_detail", args=[agreement.pk])).text
    assert "until terminated; next review May 15, 2027" in page


def test_a_portal_agreement_never_says_not_set_or_not_stated(client, executed, district_admin, vendor_editor):
    from django.urls import reverse

    from agreements.documents.render import render_dpa_html as dpa_html

    Agreement.objects.filter(pk=executed.pk).update(service_agreement_date=date(2026, 5, 1))
    executed.refresh_from_db()
    pages = []
    for user in (district_admin, vendor_editor):
        client.force_login(with_totp(user))
        pages.append(client.get(reverse("agreement_detail", args=[executed.pk])).text)
    client.logout()
    pages.append(client.get(reverse("public_agreement", args=[executed.agency.slug, executed.pk])).text)
    pages.append(client.get(reverse("public_district", args=[executed.agency.slug])).text)
    for page in pages:
        assert "not set" not in page.lower() and "not stated" not in page.lower()
        assert "June 30, 2027" in page
    dpa = dpa_html(executed)  # Exhibit B's term in the DPA (its unanswered C.1 tiers say "Not stated." of themselves)
    assert "Contract Start Date 7/1/2026" in dpa and "Contract End Date 6/30/2027" in dpa
    Agreement.objects.filter(pk=executed.pk).update(
        contract_end=None, runs_until_terminated=True, review_on=date(2027, 5, 15)
    )
    executed.refresh_from_db()
    assert "Contract End Date none: until terminated; next review 5/15/2027" in dpa_html(executed)
    client.force_login(district_admin)
    assert (
        "until terminated; next review May 15, 2027" in client.get(reverse("agreement_detail", args=[executed.pk])).text
    )


def test_the_dashboard_lists_drafts_without_a_term_and_sending_them_is_refused(
    client, agreement, district, district_admin, vendor_editor
):
    from django.urls import reverse

    Agreement.objects.filter(pk=agreement.pk).update(contract_end=None)
    client.force_login(with_totp(district_admin))
    page = client.get(reverse("district_dashboard", args=[district.slug])).text
    assert 'id="missing-term"' in page and reverse("agreement_detail", args=[agreement.pk]) in page
    assert "missing the contract end date" in page
    response = client.post(reverse("agreement_send", args=[agreement.pk]), {}, follow=True)
    assert "Complete the term before sending" in response.text
    agreement.refresh_from_db()
    assert agreement.status == S.DRAFT
    Agreement.objects.filter(pk=agreement.pk).update(contract_end=date(2027, 6, 30))
    assert 'id="missing-term"' not in client.get(reverse("district_dashboard", args=[district.slug])).text


def test_a_district_admin_changes_the_term_from_the_agreement_page(client, executed, district_admin, today):
    from django.urls import reverse

    client.force_login(with_totp(district_admin))
    url = reverse("agreement_detail", args=[executed.pk])
    page = client.get(url).text
    assert 'id="term-change"' in page and 'id="id_term_reason"' in page
    assert page.count('id="id_reason"') <= 1  # the termination form's own, never twice
    change = reverse("agreement_term_change", args=[executed.pk])
    new_end = today + timedelta(days=500)
    refused = client.post(change, {"contract_end": new_end.isoformat(), "reason": ""}, follow=True)
    executed.refresh_from_db()
    assert executed.contract_end == date(2027, 6, 30) and refused.status_code == 200
    done = client.post(change, {"contract_end": new_end.isoformat(), "reason": "Renewed by the board"}, follow=True)
    executed.refresh_from_db()
    assert executed.contract_end == new_end
    assert "Contract term changed" in done.text and "Renewed by the board" in done.text  # on the timeline


def test_others_see_no_term_change_form(client, executed, district_reviewer, vendor_editor):
    from django.urls import reverse

    for user in (district_reviewer, vendor_editor):
        client.force_login(user)
        assert 'id="term-change"' not in client.get(reverse("agreement_detail", args=[executed.pk])).text


def test_a_new_agreement_may_run_until_terminated(client, district, district_admin, vendor, catalogues):
    from django.urls import reverse

    client.force_login(with_totp(district_admin))
    data = {
        "contractor": vendor.pk,
        "product_name": "Reader",
        "framework": factories.csf("1.1").pk,
        "service_agreement_date": "2026-05-01",
        "contract_start": "2026-07-01",
        "contract_end": "2027-06-30",
        "runs_until_terminated": "on",
    }
    url = reverse("agreement_new", args=[district.slug])
    assert client.post(url, data).status_code == 200  # no review date: the form says so
    assert not Agreement.objects.filter(agency=district).exists()
    client.post(url, {**data, "review_on": "2027-06-01"})
    created = Agreement.objects.get(agency=district)
    assert (created.runs_until_terminated, created.review_on, created.contract_end) == (True, date(2027, 6, 1), None)
    assert created.term_missing == []
