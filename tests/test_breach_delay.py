"""A delayed parents' notice always has a date (issue 11.6; 8 NYCRR 121.10(e)): the district names when it reviews the
delay next, that date is reminded and on the calendar feed, each review sets the next one, and the remedy starts the
7-day count."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agreements.deadlines import services
from agreements.deadlines.rules import RULES
from agreements.deadlines.sweep import reminder_due, sweep_run
from agreements.models import Obligation, Reminder
from dpa_portal.errors import ApplicationError

from .public_helpers import make_agreement
from .test_deadlines import breach_facts

K = Obligation.Kind
RULE = RULES[K.BREACH_PARENTS]


@pytest.fixture
def parents(catalogues, district, vendor, product, vendor_editor, district_admin):
    executed = make_agreement(agency=district, contractor=vendor, products=[product])
    today = timezone.localdate()
    report = services.breach_report_file(
        contractor=vendor, actor=vendor_editor, agreements=[executed], **breach_facts(today)
    )
    return report.obligations.get(kind=K.BREACH_PARENTS)


def _delay(parents, admin, **kw):
    return services.parent_notice_delay(
        obligation=parents, actor=admin, reason=Obligation.Delay.LAW_ENFORCEMENT, note="Police asked us to wait.", **kw
    )


def test_a_delay_without_a_review_date_is_reviewed_by_the_rules_default(parents, district_admin):
    today = timezone.localdate()
    delayed = _delay(parents, district_admin)
    assert delayed.due_on == today + timedelta(days=RULE.review_days)
    assert delayed.delay_under_review and delayed.shown_status == "Open"
    assert "reviews the delay by" in delayed.due_explanation
    assert delayed.due_phrase == f"delayed; review the delay in {RULE.review_days} days"


@pytest.mark.parametrize(
    "review_in, remedy_ago, expected_in",
    [
        (10, None, 10),  # the district names its own review date
        (1, None, 1),
        (90, None, 90),
        (None, 0, RULE.delayed_days),  # remedied today: due in 7 calendar days
        (None, 3, RULE.delayed_days - 3),
        (None, 10, RULE.delayed_days - 10),  # remedied long ago: already late
    ],
)
def test_the_date_of_a_delayed_notice(parents, district_admin, review_in, remedy_ago, expected_in):
    today = timezone.localdate()
    kw = {}
    if review_in is not None:
        kw["review_on"] = today + timedelta(days=review_in)
    if remedy_ago is not None:
        kw["remedied_on"] = today - timedelta(days=remedy_ago)
    delayed = _delay(parents, district_admin, **kw)
    assert delayed.due_on == today + timedelta(days=expected_in)
    assert delayed.delay_under_review is (remedy_ago is None)


def test_a_review_date_must_be_in_the_future_and_only_an_admin_sets_it(
    parents, district_admin, district_reviewer, vendor_editor
):
    today = timezone.localdate()
    for when in (today, today - timedelta(days=1)):
        with pytest.raises(ApplicationError):
            _delay(parents, district_admin, review_on=when)
    for outsider in (district_reviewer, vendor_editor):
        with pytest.raises(ApplicationError):
            _delay(parents, outsider)
    parents.refresh_from_db()
    assert not parents.delay_reason and parents.due_on == today + timedelta(days=RULE.days)


def test_the_review_date_is_reminded_and_each_review_is_reminded_again(parents, district_admin):
    today = timezone.localdate()
    first = today + timedelta(days=2)
    delayed = _delay(parents, district_admin, review_on=first)
    assert reminder_due(delayed, today) == f"before:3:{first:%Y%m%d}"
    sent = sweep_run(today=today).reminders
    assert (delayed.pk, f"before:3:{first:%Y%m%d}") in sent
    # Missed review: escalated once, as any overdue duty.
    late = first + timedelta(days=1)
    assert (delayed.pk, f"overdue:{first:%Y%m%d}") in sweep_run(today=late).reminders
    delayed.refresh_from_db()
    assert delayed.status == Obligation.Status.OVERDUE
    # The review: still needed, next on a new date; the duty is open again and that date is reminded in its turn.
    second = today + timedelta(days=3)
    reviewed = _delay(parents, district_admin, review_on=second)
    assert reviewed.status == Obligation.Status.OPEN and reviewed.due_on == second
    assert (reviewed.pk, f"before:3:{second:%Y%m%d}") in sweep_run(today=today).reminders
    assert Reminder.objects.filter(obligation=reviewed).count() == 3
    # The remedy starts the 7-day count, reminded under the rule's own kinds.
    remedied = services.parent_notice_remedied(obligation=reviewed, actor=district_admin, remedied_on=today)
    assert remedied.due_on == today + timedelta(days=RULE.delayed_days) and not remedied.delay_under_review
    assert reminder_due(remedied, today) == "before:14"


def test_the_calendar_feed_shows_the_review_date(client, parents, district_admin):
    today = timezone.localdate()
    review = today + timedelta(days=12)
    _delay(parents, district_admin, review_on=review)
    token = services.calendar_feed_issue(user=district_admin)
    body = Client().get(f"/deadlines/calendar/{token}.ics").content.decode().replace("\r\n ", "")
    event = body.split(f"UID:obligation-{parents.pk}@", 1)[1].split("END:VEVENT", 1)[0]
    assert f"DTSTART;VALUE=DATE:{review:%Y%m%d}" in event
    assert "SUMMARY:Review the delay: notify affected parents" in event


def test_the_delay_form_records_the_review_date(client, parents, mfa_user):
    today = timezone.localdate()
    review = today + timedelta(days=20)
    client.force_login(mfa_user)
    page = client.get(f"/deadlines/{parents.pk}/").content.decode()
    assert 'name="review_on"' in page
    response = client.post(
        f"/deadlines/{parents.pk}/delay/",
        {"reason": "vulnerability", "note": "Patch pending.", "review_on": review.isoformat()},
        follow=True,
    )
    assert "Review it by" in response.content.decode()
    parents.refresh_from_db()
    assert parents.due_on == review
    page = client.get(f"/deadlines/{parents.pk}/").content.decode()
    assert "Review the delay by" in page
    response = client.post(
        f"/deadlines/{parents.pk}/delay/",
        {"reason": "vulnerability", "note": "Patch pending.", "review_on": today.isoformat()},
        follow=True,
    )
    assert "The next review must be after today." in response.content.decode()


def test_a_notice_delayed_before_the_rule_gets_a_review_date(parents, district_admin):
    """The data migration dates a delay recorded with no date."""
    from importlib import import_module

    from django.apps import apps

    Obligation.objects.filter(pk=parents.pk).update(delay_reason="law_enforcement", delay_note="Wait.", due_on=None)
    import_module("agreements.migrations.0013_delayed_notices_dated").date_the_delayed(apps, None)
    parents.refresh_from_db()
    assert parents.due_on == timezone.localdate() + timedelta(days=RULE.review_days)
    assert parents.delay_under_review and "reviews the delay by" in parents.due_explanation
