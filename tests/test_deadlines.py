"""Deadlines (issue 6): counting days, the governing date, breach reports, parent requests, end of term and
destruction, the sweep's reminders and its query count."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat, timezone

from agreements.deadlines import services
from agreements.deadlines.calendar import BUSINESS, CALENDAR, add_business_days, add_days, is_business_day
from agreements.deadlines.services import breach_notice_due
from agreements.deadlines.sweep import reminder_due, sweep_run
from agreements.models import (
    Agreement,
    DeadlinePolicy,
    DestructionCertificate,
    DistrictClosure,
    DistrictMembership,
    Obligation,
    OutboundEmail,
    ParentRequest,
    Reminder,
    StatusChange,
)
from agreements.services import agreement_create, agreement_transition
from dpa_portal.errors import ApplicationError
from exhibits.models import SupplementalInformation
from vendors.models import ContractorMembership

from . import factories
from .public_helpers import make_agreement, move

S = Agreement.Status
K = Obligation.Kind
D = date


# --- counting days ----------------------------------------------------------------------------------------------

# (start, days, kind, closures, expected, why)
DATE_CASES = [
    (D(2026, 3, 6), 1, BUSINESS, (), D(2026, 3, 9), "Friday + 1 business day is Monday"),
    (D(2026, 3, 6), 7, BUSINESS, (), D(2026, 3, 17), "two weekends skipped"),
    (D(2026, 3, 7), 1, BUSINESS, (), D(2026, 3, 9), "a Saturday start counts from Monday"),
    (D(2026, 3, 6), 8, CALENDAR, (), D(2026, 3, 14), "calendar days may end on a Saturday"),
    (D(2026, 3, 6), 7, BUSINESS, (D(2026, 3, 10),), D(2026, 3, 18), "a district closure date is skipped"),
    (D(2026, 3, 6), 7, CALENDAR, (D(2026, 3, 10),), D(2026, 3, 13), "closures do not move calendar days"),
    (D(2026, 11, 20), 7, BUSINESS, (), D(2026, 12, 2), "Thanksgiving (Nov 26) skipped"),
    (D(2026, 11, 25), 1, BUSINESS, (), D(2026, 11, 27), "the day after Thanksgiving is a business day"),
    (D(2026, 12, 21), 7, BUSINESS, (), D(2026, 12, 31), "Christmas (Dec 25) skipped"),
    (D(2026, 12, 24), 7, BUSINESS, (), D(2027, 1, 6), "Christmas and New Year's Day, across the year end"),
    (D(2026, 12, 28), 7, CALENDAR, (), D(2027, 1, 4), "calendar days across the year end"),
    (D(2026, 1, 16), 1, BUSINESS, (), D(2026, 1, 20), "Martin Luther King Jr. Day (Jan 19)"),
    (D(2026, 2, 11), 1, BUSINESS, (), D(2026, 2, 13), "Lincoln's Birthday, a New York State holiday"),
    (D(2026, 11, 2), 1, BUSINESS, (), D(2026, 11, 4), "Election Day, a New York State holiday"),
    (D(2026, 7, 2), 1, BUSINESS, (), D(2026, 7, 6), "Independence Day observed on Friday July 3"),
    (D(2026, 1, 25), 7, CALENDAR, (), D(2026, 2, 1), "across a month end"),
    (D(2026, 2, 25), 7, CALENDAR, (), D(2026, 3, 4), "February 2026 has 28 days"),
    (D(2028, 2, 25), 7, CALENDAR, (), D(2028, 3, 3), "February 2028 has 29"),
    (D(2026, 4, 30), 30, CALENDAR, (), D(2026, 5, 30), "an access request's 30 days"),
    (D(2026, 11, 28), 60, CALENDAR, (), D(2027, 1, 27), "60 days across the year end"),
    (D(2026, 3, 6), 0, BUSINESS, (), D(2026, 3, 6), "zero days is the start itself"),
]


@pytest.mark.parametrize(
    ("start", "days", "kind", "closures", "expected"),
    [case[:5] for case in DATE_CASES],
    ids=[case[5] for case in DATE_CASES],
)
def test_date_cases(start, days, kind, closures, expected):
    assert add_days(start, days, kind, set(closures)) == expected


def test_business_days_are_weekdays_that_are_not_holidays_or_closures():
    assert is_business_day(D(2026, 11, 25))
    assert not is_business_day(D(2026, 11, 26))  # Thanksgiving
    assert not is_business_day(D(2026, 12, 25))  # Christmas
    assert not is_business_day(D(2026, 11, 28))  # Saturday
    assert not is_business_day(D(2026, 11, 24), {D(2026, 11, 24)})
    with pytest.raises(ValueError):
        add_business_days(D(2026, 1, 1), -1)


@pytest.mark.parametrize(
    ("discovered", "closures", "calendar", "business"),
    [
        (D(2026, 11, 20), (), D(2026, 11, 27), D(2026, 12, 2)),  # Thanksgiving week
        (D(2026, 12, 23), (), D(2026, 12, 30), D(2027, 1, 5)),  # Christmas and New Year's Day
        (D(2026, 3, 6), (D(2026, 3, 9), D(2026, 3, 10)), D(2026, 3, 13), D(2026, 3, 19)),  # district closures
        (D(2026, 5, 4), (), D(2026, 5, 11), D(2026, 5, 13)),  # an ordinary Monday: one weekend
    ],
)
def test_the_earlier_of_calendar_and_business_days_governs_the_breach_notice(discovered, closures, calendar, business):
    governing = breach_notice_due(discovered_on=discovered, closures=set(closures))
    assert dict(governing.dates) == {"8 NYCRR 121.10(a)": calendar, "DPA Article II.12(a)": business}
    # Business days end later than calendar days, so the regulation's 7 calendar days govern, and the page says why.
    assert business > calendar and governing.due == calendar
    assert "The earlier of the two governs" in governing.explanation
    assert f"{calendar:%B} {calendar.day}, {calendar.year} (8 NYCRR 121.10(a))" in governing.explanation
    assert f"{business:%B} {business.day}, {business.year}" in governing.explanation


# --- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture
def executed(catalogues, district, vendor, product, district_admin):
    district.data_protection_office_email = "dpo-office@hometown.example.org"
    district.save()
    return make_agreement(agency=district, contractor=vendor, products=[product])


@pytest.fixture
def today():
    return timezone.localdate()


def breach_facts(today, **changes):
    facts = {
        "incident_date": today - timedelta(days=4),
        "discovery_date": today - timedelta(days=2),
        "pii_kinds": "Student names and reading levels",
        "records_affected": 1250,
        "investigation": "A misconfigured storage bucket; closed within an hour; forensic review under way.",
        "contact_name": "Pat Lee",
        "contact_title": "Security Officer",
        "contact_email": "security@learning-tools.example.org",
        "contact_phone": "+1 518 555 0100",
    }
    facts.update(changes)
    return facts


# --- breach reports -----------------------------------------------------------------------------------------------


def test_a_breach_report_notifies_each_district_and_opens_its_duties(
    executed, vendor, vendor_editor, other_district, today, django_capture_on_commit_callbacks
):
    other = make_agreement(agency=other_district, contractor=vendor)
    report = services.breach_report_file(
        contractor=vendor, actor=vendor_editor, agreements=[executed, other], **breach_facts(today)
    )
    for agreement in (executed, other):
        duties = {o.kind: o for o in Obligation.objects.filter(breach_report=report, agency=agreement.agency)}
        assert set(duties) == {K.BREACH_NOTICE, K.BREACH_NYSED, K.BREACH_PARENTS}
        notice = duties[K.BREACH_NOTICE]
        assert notice.status == Obligation.Status.MET and not notice.is_late
        assert notice.due_on == today - timedelta(days=2) + timedelta(days=7)
        assert "The earlier of the two governs" in notice.due_explanation
        assert duties[K.BREACH_NYSED].due_on == today + timedelta(days=10)
        assert (
            duties[K.BREACH_NYSED].owed_by == "district" and duties[K.BREACH_NYSED].source == "8 NYCRR 121.10(b), (d)"
        )
        assert duties[K.BREACH_PARENTS].due_on == today + timedelta(days=60)
    email = OutboundEmail.objects.get(template="deadline_breach_reported", agreement=executed)
    admins = DistrictMembership.objects.filter(agency=executed.agency, role="admin").values_list(
        "user__email", flat=True
    )
    assert set(email.to) == {executed.agency.breach_notice_email, "dpo-office@hometown.example.org", *admins}
    assert "1250" in email.body_text and "in time" in email.body_text
    assert OutboundEmail.objects.filter(template="deadline_breach_reported").count() == 2


def test_a_late_breach_report_says_so(executed, vendor, vendor_editor, today):
    facts = breach_facts(today, incident_date=today - timedelta(days=30), discovery_date=today - timedelta(days=20))
    report = services.breach_report_file(contractor=vendor, actor=vendor_editor, agreements=[executed], **facts)
    notice = report.obligations.get(kind=K.BREACH_NOTICE)
    assert notice.is_late and notice.due_phrase == "met late"
    assert "LATE" in OutboundEmail.objects.get(template="deadline_breach_reported").body_text


def test_a_breach_report_only_reaches_the_vendors_own_districts(executed, vendor, vendor_editor, other_vendor, today):
    theirs = make_agreement(agency=executed.agency, contractor=other_vendor)
    with pytest.raises(ApplicationError):
        services.breach_report_file(contractor=vendor, actor=vendor_editor, agreements=[theirs], **breach_facts(today))
    draft = factories.ProductFactory(contractor=vendor)
    pending = make_agreement(agency=executed.agency, contractor=vendor, products=[draft], status=S.APPROVED)
    with pytest.raises(ApplicationError):
        services.breach_report_file(contractor=vendor, actor=vendor_editor, agreements=[pending], **breach_facts(today))
    outsider = factories.UserFactory()
    with pytest.raises(ApplicationError):
        services.breach_report_file(contractor=vendor, actor=outsider, agreements=[executed], **breach_facts(today))
    with pytest.raises(ApplicationError):
        facts = breach_facts(today, discovery_date=today - timedelta(days=9))
        services.breach_report_file(contractor=vendor, actor=vendor_editor, agreements=[executed], **facts)
    assert not Obligation.objects.exists()


def test_the_parents_notice_can_be_delayed_then_is_due_seven_days_after_the_remedy(
    executed, vendor, vendor_editor, district_admin, today
):
    report = services.breach_report_file(
        contractor=vendor, actor=vendor_editor, agreements=[executed], **breach_facts(today)
    )
    parents = report.obligations.get(kind=K.BREACH_PARENTS)
    parents = services.parent_notice_delay(
        obligation=parents,
        actor=district_admin,
        reason=Obligation.Delay.LAW_ENFORCEMENT,
        note="Police asked us to wait.",
    )
    # A delayed notice always has a date: the next review of the delay (issue 11.6), reminded like a due date.
    assert parents.due_on == today + timedelta(days=30) and parents.delay_under_review
    assert "121.10(e)" in parents.due_explanation and "reviews the delay by" in parents.due_explanation
    assert reminder_due(parents, today) is None  # 30 days ahead: not yet
    remedied = today - timedelta(days=1)
    parents = services.parent_notice_remedied(obligation=parents, actor=district_admin, remedied_on=remedied)
    assert parents.due_on == remedied + timedelta(days=7)
    assert "within 7 calendar days" in parents.due_explanation
    with pytest.raises(ApplicationError):  # only the district's admins
        services.parent_notice_remedied(obligation=parents, actor=vendor_editor, remedied_on=remedied)
    with pytest.raises(ApplicationError):  # not the NYSED report
        services.parent_notice_delay(
            obligation=report.obligations.get(kind=K.BREACH_NYSED),
            actor=district_admin,
            reason="vulnerability",
            note="x",
        )


def test_the_district_records_what_it_did(executed, vendor, vendor_editor, district_admin, district_reviewer, today):
    report = services.breach_report_file(
        contractor=vendor, actor=vendor_editor, agreements=[executed], **breach_facts(today)
    )
    nysed = report.obligations.get(kind=K.BREACH_NYSED)
    with pytest.raises(ApplicationError):
        services.obligation_meet(obligation=nysed, actor=district_reviewer, note="Reported.")
    with pytest.raises(ApplicationError):
        services.obligation_meet(obligation=nysed, actor=vendor_editor, note="Reported.")
    met = services.obligation_meet(obligation=nysed, actor=district_admin, note="Reported through the NYSED portal.")
    assert met.status == Obligation.Status.MET and met.met_by == district_admin and not met.is_late
    with pytest.raises(ApplicationError):  # a second click
        services.obligation_meet(obligation=nysed, actor=district_admin, note="Again.")


# --- parent and eligible-student requests -----------------------------------------------------------------------------


def test_access_and_correction_requests_go_to_the_vendor_with_their_days(
    executed, district_admin, vendor_editor, today
):
    SupplementalInformation.objects.filter(agreement=executed).update(correction_days=14)
    access = services.parent_request_record(
        agency=executed.agency, actor=district_admin, kind="access", requester="parent", agreement=executed,
        received_on=today - timedelta(days=3), details="A copy of my child's reading records.", reference="2026-17",
    )  # fmt: skip
    duty = access.obligations.get()
    assert (duty.kind, duty.owed_by, duty.due_on) == (K.ACCESS, "vendor", today + timedelta(days=30))
    assert duty.source == "DPA Article III.1" and duty.contractor == executed.contractor
    email = OutboundEmail.objects.get(template="deadline_parent_request")
    assert email.to == [vendor_editor.email] and "reading records" in email.body_text
    correction = services.parent_request_record(
        agency=executed.agency, actor=district_admin, kind="correction", requester="eligible_student",
        agreement=executed, received_on=today, details="The birth date is wrong.",
    )  # fmt: skip
    assert correction.obligations.get().due_on == today + timedelta(days=14)  # Exhibit B of this agreement
    done = services.obligation_meet(obligation=duty, actor=vendor_editor, note="Records sent to the district.")
    assert done.status == "met"
    assert OutboundEmail.objects.filter(template="deadline_done").count() == 1
    closed = services.parent_request_close(request=access, actor=district_admin, outcome="Parent received the copy.")
    assert closed.closed_at and closed.outcome == "Parent received the copy."


def test_a_complaint_is_the_districts_with_sixty_days_and_a_written_extension(executed, district_admin, today):
    complaint = services.parent_request_record(
        agency=executed.agency, actor=district_admin, kind="complaint", requester="parent",
        received_on=today - timedelta(days=5), details="Data was shared without consent.",
    )  # fmt: skip
    duty = complaint.obligations.get()
    assert (duty.owed_by, duty.due_on, duty.source) == ("district", today + timedelta(days=55), "8 NYCRR 121.4(c)")
    assert not OutboundEmail.objects.filter(template="deadline_parent_request").exists()
    with pytest.raises(ApplicationError):
        services.complaint_extend(
            obligation=duty, actor=district_admin, new_due_on=today + timedelta(days=80), explanation=""
        )
    duty = services.complaint_extend(
        obligation=duty, actor=district_admin, new_due_on=today + timedelta(days=80), explanation="Waiting on records."
    )
    assert duty.due_on == today + timedelta(days=80) and "121.4(c)" in duty.due_explanation
    services.parent_request_close(request=complaint, actor=district_admin, outcome="Findings sent.")
    duty.refresh_from_db()
    assert duty.status == "met" and "Findings sent." in duty.met_note


def test_a_request_for_the_vendor_needs_one_of_the_districts_agreements(
    executed, district_admin, other_district, today
):
    theirs = make_agreement(agency=other_district, contractor=executed.contractor)
    for agreement in (None, theirs):
        with pytest.raises(ApplicationError):
            services.parent_request_record(
                agency=executed.agency, actor=district_admin, kind="access", requester="parent",
                agreement=agreement, received_on=today, details="x",
            )  # fmt: skip
    assert not ParentRequest.objects.exists()


# --- end of term, expiry, destruction -----------------------------------------------------------------------------


def certificate_facts(today, **changes):
    facts = {
        "signer_name": "Pat Lee",
        "signer_title": "Chief Privacy Officer",
        "data_description": "All student records of the district, backups included.",
        "returned_first": True,
        "return_details": "CSV export delivered to the district on request.",
        "method": DestructionCertificate.Method.CRYPTO_ERASE,
        "method_details": "Keys destroyed in the cloud KMS.",
        "destroyed_on": today,
        "subcontractors_included": True,
        "subcontractor_details": "Cloud Host Co deleted its copies the same day.",
    }
    facts.update(changes)
    return facts


def test_expiry_and_destruction_end_to_end(client, executed, district_admin, vendor_editor, today):
    Agreement.objects.filter(pk=executed.pk).update(
        contract_start=today - timedelta(days=365), contract_end=today - timedelta(days=1)
    )
    result = sweep_run(today=today)
    executed.refresh_from_db()
    assert executed.status == S.EXPIRED and result.expired == [executed.pk]
    change = StatusChange.objects.filter(agreement=executed).latest()
    assert change.actor is None and change.to_status == S.EXPIRED
    end = today - timedelta(days=1)
    assert f"ended on {end:%B} {end.day}, {end.year}" in change.note
    duty = Obligation.objects.get(agreement=executed, kind=K.RETURN_DESTROY)
    assert (duty.owed_by, duty.due_on, duty.source) == ("vendor", end + timedelta(days=30), "DPA Article II.9(a)-(c)")
    expired_mail = OutboundEmail.objects.get(template="deadline_expired")
    assert vendor_editor.email in expired_mail.to and district_admin.email in expired_mail.to
    assert sweep_run(today=today).expired == []  # the next sweep does nothing more

    public = f"/public/{executed.agency.slug}/agreements/{executed.pk}/"
    assert "certified that the data was destroyed" not in client.get(public).text
    with pytest.raises(ApplicationError):  # the whole of II.9(b): subcontractors' copies too
        services.destruction_certificate_file(
            agreement=executed, actor=vendor_editor, **certificate_facts(today, subcontractors_included=False)
        )
    certificate = services.destruction_certificate_file(
        agreement=executed, actor=vendor_editor, **certificate_facts(today)
    )
    with pytest.raises(ApplicationError):  # one waiting at a time
        services.destruction_certificate_file(agreement=executed, actor=vendor_editor, **certificate_facts(today))
    with pytest.raises(ApplicationError):  # only a district admin accepts
        services.destruction_certificate_accept(certificate=certificate, actor=vendor_editor)
    services.destruction_certificate_accept(certificate=certificate, actor=district_admin)
    executed.refresh_from_db()
    duty.refresh_from_db()
    assert executed.status == S.CLOSED and duty.status == "met" and duty.certificate == certificate
    closing = StatusChange.objects.filter(agreement=executed).latest()
    assert closing.actor == district_admin and "Pat Lee" in closing.note
    certified = timezone.localdate(certificate.certified_at)
    page = client.get(public).text
    assert f"The vendor certified that the data was destroyed on {dateformat.format(certified, 'N j, Y')}." in page
    assert OutboundEmail.objects.filter(template="deadline_certificate_decided").count() == 1


def test_the_public_date_is_the_certificates_not_the_closing(client, executed, district_admin, vendor_editor, today):
    from exhibits.public.selectors import posted_agreements

    agreement_transition(agreement=executed, to_status=S.EXPIRED)
    earlier = timezone.now() - timedelta(days=40)
    certificate = services.destruction_certificate_file(
        agreement=executed, actor=vendor_editor, **certificate_facts(today - timedelta(days=41))
    )
    DestructionCertificate.objects.filter(pk=certificate.pk).update(certified_at=earlier)
    services.destruction_certificate_accept(certificate=certificate, actor=district_admin)
    assert posted_agreements().get(pk=executed.pk).destruction_certified_at == earlier


def test_a_renewal_carries_the_data_on_so_the_old_term_opens_no_destruction(executed, product, today):
    renewal = agreement_create(
        agency=executed.agency, contractor=executed.contractor, framework=executed.framework, products=[product],
        previous=executed, kind=Agreement.Kind.RENEWAL, contract_start=D(2027, 7, 1), contract_end=D(2028, 6, 30),
    )  # fmt: skip
    move(renewal, S.EXECUTED)
    Agreement.objects.filter(pk=executed.pk).update(contract_end=today - timedelta(days=1))
    assert sweep_run(today=today).expired == [executed.pk]
    executed.refresh_from_db()
    assert executed.status == S.EXPIRED
    assert (
        f"carries over to the renewal (agreement {renewal.pk})"
        in StatusChange.objects.filter(agreement=executed).latest().note
    )
    sweep_run(today=today)
    assert not Obligation.objects.filter(agreement=executed, kind=K.RETURN_DESTROY).exists()
    assert not OutboundEmail.objects.filter(template="deadline_expired").exists()
    assert Obligation.objects.filter(agreement=renewal, kind=K.TERM_END, due_on=D(2028, 6, 30)).exists()


def test_closing_outside_the_portal_meets_the_duty(executed, today):
    agreement_transition(agreement=executed, to_status=S.EXPIRED)
    sweep_run(today=today)
    agreement_transition(agreement=executed, to_status=S.CLOSED, note="Paper certificate received.")
    sweep_run(today=today)
    assert Obligation.objects.get(agreement=executed, kind=K.RETURN_DESTROY).status == "met"


def test_a_returned_certificate_keeps_the_duty_open(executed, district_admin, vendor_editor, today):
    agreement_transition(agreement=executed, to_status=S.EXPIRED)
    sweep_run(today=today)  # opens the duty of an agreement that expired outside the sweep
    duty = Obligation.objects.get(agreement=executed, kind=K.RETURN_DESTROY)
    first = services.destruction_certificate_file(agreement=executed, actor=vendor_editor, **certificate_facts(today))
    with pytest.raises(ApplicationError):
        services.destruction_certificate_reject(certificate=first, actor=district_admin, note="")
    services.destruction_certificate_reject(certificate=first, actor=district_admin, note="Name the backups.")
    duty.refresh_from_db()
    executed.refresh_from_db()
    assert duty.is_open and executed.status == S.EXPIRED
    second = services.destruction_certificate_file(agreement=executed, actor=vendor_editor, **certificate_facts(today))
    services.destruction_certificate_accept(certificate=second, actor=district_admin)
    executed.refresh_from_db()
    assert executed.status == S.CLOSED


def test_a_certificate_before_the_agreement_ends_is_refused(executed, vendor_editor, today):
    with pytest.raises(ApplicationError):
        services.destruction_certificate_file(agreement=executed, actor=vendor_editor, **certificate_facts(today))


def test_the_districts_default_sets_the_destruction_period(executed, district, today):
    DeadlinePolicy.objects.create(agency=district, term_reminder_days=[60, 10], destruction_days=45)
    Agreement.objects.filter(pk=executed.pk).update(contract_end=today - timedelta(days=1))
    sweep_run(today=today)
    assert Obligation.objects.get(kind=K.RETURN_DESTROY).due_on == today - timedelta(days=1) + timedelta(days=45)


def test_a_terminated_agreement_gets_its_return_or_destroy_duty_and_no_more_term_reminders(executed, today):
    sweep_run(today=today)
    assert Obligation.objects.get(agreement=executed, kind=K.TERM_END).status == "open"
    agreement_transition(agreement=executed, to_status=S.TERMINATED, note="Ended early.")
    sweep_run(today=today)
    assert Obligation.objects.get(agreement=executed, kind=K.TERM_END).status == "cancelled"
    assert Obligation.objects.get(agreement=executed, kind=K.RETURN_DESTROY).due_on == today + timedelta(days=30)


def test_a_terminated_agreements_duty_counts_from_the_termination_not_a_later_line_on_its_timeline(executed, today):
    """A note that changes no status (a status to itself) is not the day the agreement ended."""
    agreement_transition(agreement=executed, to_status=S.TERMINATED, note="Ended early.")
    StatusChange.objects.filter(agreement=executed, to_status=S.TERMINATED).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    services.term.timeline_note(executed, actor=None, note="A note that changes no status.")
    sweep_run(today=today)
    assert Obligation.objects.get(agreement=executed, kind=K.RETURN_DESTROY).clock_started_on == today - timedelta(
        days=10
    )


# --- reminders and escalation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "kind"),
    [(200, None), (91, None), (90, "before:90"), (31, "before:90"), (30, "before:30"), (8, "before:30"),
     (7, "before:7"), (0, "before:7"), (-1, "overdue")],
)  # fmt: skip
def test_term_reminders_have_windows(left, kind, today):
    term = Obligation(kind=K.TERM_END, due_on=today + timedelta(days=left), status="open")
    assert reminder_due(term, today) == kind


def test_reminders_go_out_once_each_and_overdue_duties_are_escalated(
    executed, vendor_editor, district_admin, district_reviewer, today
):
    Agreement.objects.filter(pk=executed.pk).update(contract_end=today + timedelta(days=30))
    result = sweep_run(today=today)
    assert result.reminders == [(Obligation.objects.get(kind=K.TERM_END).pk, "before:30")]
    term_mail = OutboundEmail.objects.get(template="deadline_reminder")
    assert set(term_mail.to) == {district_admin.email, vendor_editor.email}  # both sides; reviewers are not asked
    assert "Due in 30 days" in term_mail.subject
    assert sweep_run(today=today).reminders == []
    assert sweep_run(today=today + timedelta(days=1)).reminders == []  # still the 30-day window
    assert [k for _, k in sweep_run(today=today + timedelta(days=23)).reminders] == ["before:7"]
    # The day after the end the agreement expires: the end-of-term item is met, not escalated.
    after = sweep_run(today=today + timedelta(days=31))
    assert after.expired == [executed.pk] and all(k != "overdue" for _, k in after.reminders)
    # The vendor's return-or-destroy duty: reminded 14 and 3 days before, escalated to the district once late.
    duty = Obligation.objects.get(kind=K.RETURN_DESTROY)
    late = duty.due_on + timedelta(days=1)
    assert [k for _, k in sweep_run(today=late).reminders] == ["overdue"]
    duty.refresh_from_db()
    assert duty.status == Obligation.Status.OVERDUE
    escalation = OutboundEmail.objects.get(template="deadline_overdue")
    assert set(escalation.to) == {district_admin.email, vendor_editor.email}
    assert sweep_run(today=late + timedelta(days=5)).reminders == []
    assert Reminder.objects.filter(obligation=duty, kind="overdue").get().email == escalation


def test_a_district_policy_sets_the_term_reminders(executed, district, today):
    DeadlinePolicy.objects.create(agency=district, term_reminder_days=[120, 45], destruction_days=30)
    Agreement.objects.filter(pk=executed.pk).update(contract_end=today + timedelta(days=100))
    assert [k for _, k in sweep_run(today=today).reminders] == ["before:120"]


def test_the_sweep_queries_do_not_grow_with_agreements_that_are_not_due(catalogues, district, vendor, today):
    def agreements(n):
        for _ in range(n):
            a = make_agreement(agency=district, contractor=vendor)
            Agreement.objects.filter(pk=a.pk).update(contract_end=today + timedelta(days=400))

    def counted():
        with CaptureQueriesContext(connection) as queries:
            sweep_run(today=today)
        return len(queries.captured_queries)

    agreements(2)
    first_few, steady_few = counted(), counted()
    agreements(12)
    first_many, steady_many = counted(), counted()
    assert Obligation.objects.filter(kind=K.TERM_END).count() == 14
    assert first_many == first_few and steady_many == steady_few, (first_few, steady_few, first_many, steady_many)
    assert steady_few <= 10  # a handful of statements, whatever the number of agreements
    assert not OutboundEmail.objects.exists()


def test_the_closure_dates_of_a_district_move_its_business_days(district, district_admin):
    services.closure_add(agency=district, actor=district_admin, day=D(2026, 3, 10), reason="Superintendent's day")
    with pytest.raises(ApplicationError):
        services.closure_add(agency=district, actor=district_admin, day=D(2026, 3, 10), reason="Twice")
    closures = services.closures_of(district.pk)
    assert breach_notice_due(discovered_on=D(2026, 3, 6), closures=closures).dates[1][1] == D(2026, 3, 18)
    assert DistrictClosure.objects.count() == 1


def test_vendor_staff_and_district_admins_only(executed, other_vendor_admin, other_district_admin, today):
    membership = ContractorMembership.objects.filter(contractor=executed.contractor).first()
    assert membership is None or membership.user != other_vendor_admin
    with pytest.raises(ApplicationError):
        services.breach_report_file(
            contractor=executed.contractor, actor=other_vendor_admin, agreements=[executed], **breach_facts(today)
        )
    with pytest.raises(ApplicationError):
        services.closure_add(agency=executed.agency, actor=other_district_admin, day=today, reason="x")
