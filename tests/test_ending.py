"""Early termination (issue 11, point 2) and supersession by an amendment or renewal (point 3): the services, the
forms on the agreement page, the e-mails, the duties, the timeline and the public page."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from agreements.deadlines import services as deadlines
from agreements.deadlines.calendar import add_calendar_days
from agreements.deadlines.models import DEFAULT_DESTRUCTION_DAYS
from agreements.deadlines.services.ending import agreement_terminate, carry_over_pending, data_carry_over_confirm
from agreements.deadlines.sweep import sweep_run
from agreements.models import Agreement, Obligation, OutboundEmail, StatusChange, Termination
from agreements.services import (
    agreement_amend,
    agreement_create,
    agreement_supersede_predecessor,
    agreement_transition,
    renewal_term,
)
from dpa_portal.errors import ApplicationError

from .helpers import ESCAPED, HOSTILE
from .public_helpers import TO_EXECUTED, make_agreement
from .test_deadlines import breach_facts

S = Agreement.Status
K = Obligation.Kind
OPEN = Obligation.OPEN_STATUSES


def long(day) -> str:
    return dateformat.format(day, "F j, Y")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def executed(catalogues, district, vendor, people):
    agreement = make_agreement(agency=district, contractor=vendor)
    deadlines.term_end_obligation(agreement).save()  # as the sweep opens it
    return agreement


def open_breach(agreement, people, today):
    return deadlines.breach_report_file(
        contractor=agreement.contractor, actor=people["vendor_editor"], agreements=[agreement], **breach_facts(today)
    )


def duty(agreement, kind):
    return Obligation.objects.get(agreement=agreement, kind=kind)


# --- early termination ----------------------------------------------------------------------------------------------


def test_a_district_admin_terminates_an_executed_agreement_end_to_end(client, people, executed, today):
    open_breach(executed, people, today)
    surviving = set(Obligation.objects.filter(agreement=executed, status__in=OPEN).exclude(kind=K.TERM_END))
    assert surviving  # the breach duties: they survive the termination (DPA II.8, II.15)
    client.force_login(people["district_reviewer"])
    assert "End this agreement early" not in client.get(reverse("agreement_detail", args=[executed.pk])).text
    client.force_login(people["district_admin"])
    page = client.get(reverse("agreement_detail", args=[executed.pk])).text
    assert "End this agreement early" in page and 'maxlength="1000"' in page

    response = client.post(
        reverse("agreement_terminate", args=[executed.pk]),
        {"effective_on": today.isoformat(), "basis": "mutual", "reason": f"The district stops the service. {HOSTILE}"},
    )
    assert response.status_code == 302
    executed.refresh_from_db()
    assert executed.status == S.TERMINATED
    termination = Termination.objects.get(agreement=executed)
    assert (termination.effective_on, termination.basis, termination.recorded_by) == (
        today,
        "mutual",
        people["district_admin"],
    )
    # The end-of-term reminders stop; the return-or-destroy duty runs from the effective date; the rest stay open.
    assert duty(executed, K.TERM_END).status == Obligation.Status.CANCELLED
    destroy = duty(executed, K.RETURN_DESTROY)
    assert destroy.is_open and destroy.clock_started_on == today
    assert destroy.due_on == add_calendar_days(today, DEFAULT_DESTRUCTION_DAYS)
    assert all(o.status in OPEN for o in Obligation.objects.filter(pk__in=[o.pk for o in surviving]))
    # The vendor is told.
    email = OutboundEmail.objects.get(template="agreement_terminated")
    assert people["vendor_editor"].email in email.to and people["district_admin"].email in email.to
    assert f"effective {long(today)}" in email.body_text and "mutual agreement" in email.body_text
    assert HOSTILE not in email.body_html and ESCAPED in email.body_html
    # The timeline records it, with the date, the basis and the reason.
    change = StatusChange.objects.get(agreement=executed, to_status=S.TERMINATED)
    assert change.actor == people["district_admin"]
    assert f"Ended early on {long(today)}" in change.note and "By mutual agreement" in change.note
    page = client.get(reverse("agreement_detail", args=[executed.pk])).text
    assert f"Ended early on {long(today)}" in page and "End this agreement early" not in page
    assert HOSTILE not in page
    for persona in ("vendor_editor", "district_reviewer"):  # both parties see how it ended; only admins act
        client.force_login(people[persona])
        page = client.get(reverse("agreement_detail", args=[executed.pk])).text
        assert f"Ended early on {long(today)}" in page and "Terminate the agreement" not in page
    # The public page says so and keeps the posting.
    public = client.get(reverse("public_agreement", args=[executed.agency.slug, executed.pk])).text
    assert f"Ended early on {dateformat.format(today, 'N j, Y')}" in public or f"Ended early on {long(today)}" in public
    assert HOSTILE not in public and "The district stops the service" not in public  # the reason is internal
    # The sweep neither reopens the end of term nor reminds of it.
    result = sweep_run(today=today)
    assert duty(executed, K.TERM_END).status == Obligation.Status.CANCELLED
    assert all(obligation != duty(executed, K.TERM_END).pk for obligation, _ in result.reminders)


def test_a_past_effective_date_counts_the_duty_from_that_day(people, executed, today):
    StatusChange.objects.filter(agreement=executed, to_status=S.EXECUTED).update(
        created_at=timezone.now() - timedelta(days=60)
    )
    effective = today - timedelta(days=40)
    agreement_terminate(
        agreement=executed, actor=people["district_admin"], effective_on=effective, basis="notice", reason="Notice."
    )
    destroy = duty(executed, K.RETURN_DESTROY)
    assert destroy.clock_started_on == effective
    assert destroy.due_on == add_calendar_days(effective, DEFAULT_DESTRUCTION_DAYS)


def test_the_execution_date_is_the_transition_into_executed_not_a_later_line_on_the_timeline(people, executed, today):
    """A change of term (or a review) is logged as executed -> executed: it is not the day the agreement took
    effect, so a termination effective before it is still allowed."""
    StatusChange.objects.filter(agreement=executed, to_status=S.EXECUTED).update(
        created_at=timezone.now() - timedelta(days=60)
    )
    deadlines.agreement_term_change(
        agreement=executed, actor=people["district_admin"], contract_end=today + timedelta(days=400), reason="Amended."
    )
    effective = today - timedelta(days=40)
    agreement_terminate(
        agreement=executed, actor=people["district_admin"], effective_on=effective, basis="notice", reason="Notice."
    )
    assert Termination.objects.get(agreement=executed).effective_on == effective


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"effective_on": "tomorrow"}, "on or after the day it takes effect"),
        ({"effective_on": "yesterday"}, "it cannot end before that"),  # executed today
        ({"effective_on": "after_end"}, "it is not terminated"),
        ({"reason": "  "}, "Say why"),
        ({"basis": "whim"}, "by notice or by mutual agreement"),
    ],
)
def test_termination_is_refused_when_the_facts_do_not_hold(people, executed, today, change, message):
    days = {"tomorrow": today + timedelta(days=1), "yesterday": today - timedelta(days=1)}
    facts = {"effective_on": today, "basis": "notice", "reason": "Notice given."}
    facts.update(change)
    if facts["effective_on"] == "after_end":
        executed.contract_end = today
        Agreement.objects.filter(pk=executed.pk).update(contract_end=today)
        facts["effective_on"] = today + timedelta(days=1)
        message = "on or after the day"  # later than today is refused first
    else:
        facts["effective_on"] = days.get(facts["effective_on"], facts["effective_on"])
    with pytest.raises(ApplicationError, match=message):
        agreement_terminate(agreement=executed, actor=people["district_admin"], **facts)
    executed.refresh_from_db()
    assert executed.status == S.EXECUTED and not Termination.objects.exists()


def test_only_a_district_admin_terminates_and_only_an_executed_agreement(people, executed, district, vendor, today):
    facts = {"effective_on": today, "basis": "notice", "reason": "Notice."}
    for persona in ("district_reviewer", "vendor_admin", "other_district"):
        with pytest.raises(ApplicationError):
            agreement_terminate(agreement=executed, actor=people[persona], **facts)
    draft = make_agreement(agency=district, contractor=vendor, status=S.APPROVED)
    with pytest.raises(ApplicationError, match="Only an agreement in effect"):
        agreement_terminate(agreement=draft, actor=people["district_admin"], **facts)
    agreement_terminate(agreement=executed, actor=people["district_admin"], **facts)
    with pytest.raises(ApplicationError, match="Only an agreement in effect"):
        agreement_terminate(agreement=executed, actor=people["district_admin"], **facts)
    assert Termination.objects.count() == 1


def test_the_form_refuses_a_reason_over_its_limit(client, people, executed, today):
    client.force_login(people["district_admin"])
    client.post(
        reverse("agreement_terminate", args=[executed.pk]),
        {"effective_on": today.isoformat(), "basis": "notice", "reason": "x" * 1001},
    )
    executed.refresh_from_db()
    assert executed.status == S.EXECUTED


# --- supersession ---------------------------------------------------------------------------------------------------


def successor(old, kind):
    """An amendment or renewal of `old`, as agreements.services.agreement_amend starts it (without the answers it
    carries over, which need a submission)."""
    start, end = old.contract_start, old.contract_end
    if kind == "renewal":
        start, end = renewal_term(start, end)
    return agreement_create(
        agency=old.agency,
        contractor=old.contractor,
        framework=old.framework,
        contract_start=start,
        contract_end=end,
        previous=old,
        kind=kind,
    )


def execute(agreement):
    """As agreements.signing.agreement_execute does it, without the renderer: executed, then the predecessor
    superseded in the same transaction."""
    for status in TO_EXECUTED:
        agreement_transition(agreement=agreement, to_status=status)
    agreement_supersede_predecessor(agreement=agreement)
    agreement.refresh_from_db()
    return agreement


def test_an_executed_amendment_supersedes_the_agreement_and_takes_its_duties(client, people, executed, today):
    open_breach(executed, people, today)
    moving = list(Obligation.objects.filter(agreement=executed, status__in=OPEN).exclude(kind=K.TERM_END))
    assert moving
    amendment = execute(successor(executed, "amendment"))

    assert duty(executed, K.TERM_END).status == Obligation.Status.CANCELLED  # its reminders stop
    assert {o.agreement_id for o in Obligation.objects.filter(pk__in=[o.pk for o in moving])} == {amendment.pk}
    note = StatusChange.objects.filter(agreement=executed).latest().note
    assert f"Superseded by the amendment (agreement {amendment.pk})" in note and "open duties move" in note
    assert "Supersedes agreement" in StatusChange.objects.filter(agreement=amendment).latest().note

    client.force_login(people["district_admin"])
    old_page = client.get(reverse("agreement_detail", args=[executed.pk])).text
    assert "Superseded: the amendment" in old_page and "End this agreement early" not in old_page
    assert "Executed &rarr; <strong>Executed" not in old_page and "(no change of status)" in old_page
    assert "Start an amendment" not in old_page
    new_page = client.get(reverse("agreement_detail", args=[amendment.pk])).text
    assert f'supersedes <a href="{reverse("agreement_detail", args=[executed.pk])}">agreement {executed.pk}' in (
        new_page
    )
    public = client.get(reverse("public_agreement", args=[executed.agency.slug, executed.pk])).text
    assert "A later agreement supersedes it." in public and "Read the later agreement" in public
    with pytest.raises(ApplicationError, match="terminate that one"):
        agreement_terminate(
            agreement=executed, actor=people["district_admin"], effective_on=today, basis="notice", reason="x"
        )
    # The sweep never opens its end of term again, nor reminds of it.
    sweep_run(today=today)
    assert Obligation.objects.filter(agreement=executed, kind=K.TERM_END).count() == 1


def test_a_renewal_before_the_end_stops_the_renewal_reminders_and_the_data_carries_on(people, executed, today):
    open_breach(executed, people, today)
    own = set(Obligation.objects.filter(agreement=executed, status__in=OPEN).exclude(kind=K.TERM_END))
    renewal = execute(successor(executed, "renewal"))
    assert duty(executed, K.TERM_END).status == Obligation.Status.CANCELLED
    # While it is in effect, its duties stay its own.
    assert set(Obligation.objects.filter(agreement=executed, status__in=OPEN)) == own
    # Its term ends: it expires with no return-or-destroy duty, since the data carries over to the renewal.
    sweep_run(today=executed.contract_end + timedelta(days=1))
    executed.refresh_from_db()
    assert executed.status == S.EXPIRED
    assert not Obligation.objects.filter(agreement=executed, kind=K.RETURN_DESTROY).exists()
    assert carry_over_pending(executed) is None
    assert renewal.status == S.EXECUTED


def test_an_amendment_executed_without_a_swept_end_of_term_still_stops_it(people, catalogues, district, vendor, today):
    old = make_agreement(agency=district, contractor=vendor)  # the sweep has not opened its end of term yet
    execute(successor(old, "amendment"))
    assert duty(old, K.TERM_END).status == Obligation.Status.CANCELLED
    sweep_run(today=today)
    assert duty(old, K.TERM_END).status == Obligation.Status.CANCELLED


def test_a_renewal_after_the_end_closes_the_old_duty_only_once_the_district_confirms(client, people, executed, today):
    agreement_transition(agreement=executed, to_status=S.EXPIRED)
    deadlines.return_destroy_obligation(executed, ended_on=today, agency=executed.agency).save()
    renewal = execute(successor(executed, "renewal"))
    destroy = duty(executed, K.RETURN_DESTROY)
    assert destroy.is_open  # never silently
    assert "until the district confirms" in StatusChange.objects.filter(agreement=executed).latest().note
    assert carry_over_pending(executed) == renewal

    for persona in ("district_reviewer", "vendor_admin"):
        with pytest.raises(ApplicationError):
            data_carry_over_confirm(agreement=executed, actor=people[persona])
    client.force_login(people["district_reviewer"])
    assert "Confirm that the data carried over" not in client.get(reverse("agreement_detail", args=[executed.pk])).text
    client.force_login(people["district_admin"])
    assert "Confirm that the data carried over" in client.get(reverse("agreement_detail", args=[executed.pk])).text
    client.post(reverse("agreement_carry_over", args=[executed.pk]))

    destroy.refresh_from_db()
    assert destroy.status == Obligation.Status.MET and destroy.met_by == people["district_admin"]
    assert f"Data carried over to the renewal (agreement {renewal.pk})" in destroy.met_note
    executed.refresh_from_db()
    assert executed.status == S.EXPIRED  # not closed: nobody certified a destruction
    assert OutboundEmail.objects.filter(template="data_carried_over").count() == 1
    assert "Data carried over" in StatusChange.objects.filter(agreement=executed).latest().note
    assert "Confirm that the data carried over" not in client.get(reverse("agreement_detail", args=[executed.pk])).text
    with pytest.raises(ApplicationError, match="nothing to confirm"):
        data_carry_over_confirm(agreement=executed, actor=people["district_admin"])


def test_there_is_nothing_to_confirm_without_an_executed_successor(people, executed, today):
    agreement_transition(agreement=executed, to_status=S.EXPIRED)
    deadlines.return_destroy_obligation(executed, ended_on=today, agency=executed.agency).save()
    successor(executed, "renewal")  # a draft: nothing carried
    with pytest.raises(ApplicationError, match="nothing to confirm"):
        data_carry_over_confirm(agreement=executed, actor=people["district_admin"])
    assert duty(executed, K.RETURN_DESTROY).is_open


def test_agreement_execute_supersedes_the_predecessor_in_its_transaction(people, executed, today):
    """The real hook: agreements.signing.agreement_execute (its stored-document path, without the renderer)."""
    from agreements.signing import agreement_execute

    from .public_helpers import move, store_executed_document, store_public_copy

    open_breach(executed, people, today)
    amendment = move(successor(executed, "amendment"), S.VENDOR_SIGNED)
    store_executed_document(amendment)
    store_public_copy(amendment)
    agreement_execute(agreement_id=amendment.pk)
    amendment.refresh_from_db()
    assert amendment.status == S.EXECUTED
    assert duty(executed, K.TERM_END).status == Obligation.Status.CANCELLED
    assert not Obligation.objects.filter(agreement=executed, status__in=OPEN).exists()
    assert Obligation.objects.filter(agreement=amendment, status__in=OPEN).exists()
    assert "Superseded by the amendment" in StatusChange.objects.filter(agreement=executed).latest().note


def test_a_superseded_agreement_is_not_amended_again(people, executed):
    amendment = execute(successor(executed, "amendment"))
    with pytest.raises(ApplicationError, match=f"agreement {amendment.pk}"):
        agreement_amend(agreement=executed, actor=people["district_admin"], kind="renewal")


def test_an_agreement_that_runs_until_terminated_is_terminated_and_its_reviews_stop(people, executed, today):
    Obligation.objects.filter(agreement=executed).delete()
    Agreement.objects.filter(pk=executed.pk).update(
        contract_end=None, runs_until_terminated=True, review_on=today + timedelta(days=60)
    )
    executed.refresh_from_db()
    deadlines.term_end_obligation(executed).save()
    agreement_terminate(
        agreement=executed, actor=people["district_admin"], effective_on=today, basis="notice", reason="Notice."
    )
    assert duty(executed, K.TERM_END).status == Obligation.Status.CANCELLED
    assert duty(executed, K.RETURN_DESTROY).clock_started_on == today


def test_many_duties_moved_keep_the_timeline_note_within_its_limit(people, executed, today):
    Obligation.objects.bulk_create(
        deadlines.obligation_build(
            K.ACCESS,
            agency=executed.agency,
            start=today,
            due=today + timedelta(days=30),
            agreement=executed,
            contractor=executed.contractor,
        )
        for _ in range(60)
    )
    amendment = execute(successor(executed, "amendment"))
    assert Obligation.objects.filter(agreement=amendment, kind=K.ACCESS).count() == 60
    assert "60 duties" in StatusChange.objects.filter(agreement=executed).latest().note


def test_the_public_page_shows_the_current_agreement_and_its_history(client, people, executed):
    amendment = execute(successor(executed, "amendment"))
    renewal = execute(successor(amendment, "renewal"))
    slug = executed.agency.slug
    for pk in (executed.pk, amendment.pk, renewal.pk):
        page = client.get(reverse("public_agreement", args=[slug, pk])).text
        assert "History of this agreement" in page
        links = [reverse("public_agreement", args=[slug, other]) for other in (executed.pk, amendment.pk, renewal.pk)]
        assert all(f'href="{link}"' in page for link in links if link != reverse("public_agreement", args=[slug, pk]))
        assert 'aria-current="page"' in page
    page = client.get(reverse("public_agreement", args=[slug, executed.pk])).text
    assert page.index("New agreement") < page.index("Amendment") < page.index("Renewal") < page.index("the latest")


def test_an_agreement_that_stands_alone_has_no_history(client, executed):
    page = client.get(reverse("public_agreement", args=[executed.agency.slug, executed.pk])).text
    assert "History of this agreement" not in page


def test_open_data_gives_the_day_an_agreement_ended_early(client, people, executed, today):
    agreement_terminate(
        agreement=executed, actor=people["district_admin"], effective_on=today, basis="notice", reason="Notice."
    )
    data = json.loads(client.get(reverse("public_agreements_json", args=[executed.agency.slug])).getvalue())
    assert data["agreements"][0]["ended_early_on"] == today.isoformat()
    table = client.get(reverse("public_agreements_csv", args=[executed.agency.slug])).getvalue().decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(table)))["ended_early_on"] == today.isoformat()


def test_terminating_a_renewal_ends_the_agreement_it_superseded_with_it(people, executed, today):
    renewal = execute(successor(executed, "renewal"))  # executed before the old term ends: the old one runs on
    agreement_terminate(
        agreement=renewal, actor=people["district_admin"], effective_on=today, basis="notice", reason="Notice."
    )
    executed.refresh_from_db()
    assert executed.status == S.TERMINATED
    assert Termination.objects.get(agreement=executed).effective_on == today
    assert f"agreement {renewal.pk}" in StatusChange.objects.get(agreement=executed, to_status=S.TERMINATED).note
    # One return-or-destroy duty, the renewal's: the sweep opens none for the old one.
    sweep_run(today=today)
    assert duty(renewal, K.RETURN_DESTROY).is_open
    assert not Obligation.objects.filter(agreement=executed, kind=K.RETURN_DESTROY).exists()
