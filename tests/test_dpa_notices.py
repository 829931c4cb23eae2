"""The DPA's duties that set no number of days (issue 11.7): the vendor's notices under II.6(c), II.6(e), II.7 and
III.1, recorded when given (the subpoena's due by the disclosure), and the district's request for reimbursement of its
notification costs (II.14), due by the date it names."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.deadlines import rules, selectors, services
from agreements.deadlines.rules import RULES
from agreements.deadlines.sweep import reminder_due
from agreements.models import Agreement, Obligation, OutboundEmail
from dpa_portal.errors import ApplicationError

from .helpers import ESCAPED, HOSTILE
from .public_helpers import make_agreement

K = Obligation.Kind
S = Agreement.Status


@pytest.fixture
def executed(catalogues, district, vendor, product):
    return make_agreement(agency=district, contractor=vendor, products=[product])


# kind, the date's offset from today, its due date's offset (None: no due date), late
DATES = [
    (K.SUBCONTRACTOR_NOTICE, -2, None, False),
    (K.SUBCONTRACTOR_NOTICE, 0, None, False),
    (K.SUBPOENA_NOTICE, 5, 5, False),  # notice before complying, as II.6(e) asks
    (K.SUBPOENA_NOTICE, 0, 0, False),  # no later than the disclosure
    (K.SUBPOENA_NOTICE, -3, -3, True),  # after the PII was disclosed: late
    (K.TRAINING, -30, None, False),
    (K.PARENT_REFERRAL, -1, None, False),
]


@pytest.mark.parametrize(("kind", "offset", "due_offset", "late"), DATES)
def test_each_vendor_notice_is_recorded_when_given_with_its_date(
    executed, district_admin, vendor_editor, kind, offset, due_offset, late
):
    today = timezone.localdate()
    day = today + timedelta(days=offset)
    notice = services.dpa_notice_give(
        agreement=executed, actor=vendor_editor, kind=kind, happened_on=day, details="What happened."
    )
    rule = RULES[kind]
    assert rule.clocks == () and rule.owed_by == rules.VENDOR  # the DPA sets no number of days
    assert notice.status == Obligation.Status.MET and notice.met_by == vendor_editor
    assert notice.source == rule.source and notice.title == rule.title and notice.met_note == "What happened."
    assert notice.due_on == (None if due_offset is None else today + timedelta(days=due_offset))
    assert notice.clock_started_on == min(day, today)
    assert notice.is_late is late
    email = OutboundEmail.objects.get(template="deadline_notice")
    assert district_admin.email in email.to and rule.source in email.body_text


def test_only_the_vendors_staff_give_notices_and_only_what_holds(
    executed, district, vendor, district_admin, vendor_editor, other_vendor
):
    from . import factories

    today = timezone.localdate()
    outsider = factories.ContractorMembershipFactory(contractor=other_vendor).user
    give = services.dpa_notice_give
    for actor in (district_admin, outsider):
        with pytest.raises(ApplicationError):
            give(agreement=executed, actor=actor, kind=K.TRAINING, happened_on=today, details="Trained.")
    draft = make_agreement(agency=district, contractor=vendor, status=S.APPROVED)
    bad = [
        {"agreement": draft},  # not in effect
        {"kind": K.REIMBURSEMENT},  # the district asks for that one
        {"kind": K.BREACH_NOTICE},  # a breach is reported on its own form
        {"happened_on": today + timedelta(days=1)},  # only a disclosure can be ahead
        {"details": "   "},
    ]
    for changes in bad:
        args = {"agreement": executed, "kind": K.TRAINING, "happened_on": today, "details": "Trained.", **changes}
        with pytest.raises(ApplicationError):
            give(actor=vendor_editor, **args)
    assert not Obligation.objects.exists()


def test_the_district_asks_for_reimbursement_by_a_date_it_names(
    executed, vendor, district_admin, district_reviewer, vendor_editor
):
    today = timezone.localdate()
    by = today + timedelta(days=20)
    ask = services.reimbursement_request
    for actor in (district_reviewer, vendor_editor):
        with pytest.raises(ApplicationError):
            ask(agreement=executed, actor=actor, details="Invoice 12.", due_on=by)
    for when in (today, today - timedelta(days=1)):
        with pytest.raises(ApplicationError):
            ask(agreement=executed, actor=district_admin, details="Invoice 12.", due_on=when)
    duty = ask(agreement=executed, actor=district_admin, details="Invoice 12: $4,210 of mailing.", due_on=by)
    assert duty.kind == K.REIMBURSEMENT and duty.is_open and duty.owed_by == "vendor"
    assert duty.due_on == by and duty.clock_started_on == today and duty.source == "DPA Article II.14"
    assert "Invoice 12" in duty.due_explanation and '"promptly"' in duty.due_explanation
    assert reminder_due(duty, by - timedelta(days=RULES[K.REIMBURSEMENT].reminders[0])) is not None
    assert reminder_due(duty, by + timedelta(days=1)) == "overdue"
    # On the vendor's deadlines, and the vendor records the payment.
    sections = selectors.deadlines_for_user(vendor_editor)
    assert duty.pk in [o.pk for section in sections for o in section["obligations"]]
    met = services.obligation_meet(obligation=duty, actor=vendor_editor, note="Paid by cheque 881.")
    assert met.status == Obligation.Status.MET


def test_the_notices_page(client, catalogues, district, vendor, people):
    from .test_deadlines import breach_facts

    executed = make_agreement(agency=district, contractor=vendor)
    report = services.breach_report_file(
        contractor=vendor, actor=people["vendor_editor"], agreements=[executed], **breach_facts(timezone.localdate())
    )
    url = reverse("agreement_notices", args=[executed.pk])
    client.force_login(people["vendor_editor"])
    page = client.get(url).content.decode()
    assert "Give a notice to" in page and RULES[K.SUBPOENA_NOTICE].title in page
    assert "Ask for reimbursement" not in page
    day = timezone.localdate()
    response = client.post(
        url, {"kind": K.PARENT_REFERRAL, "happened_on": day.isoformat(), "details": HOSTILE}, follow=True
    )
    body = response.content.decode()
    assert "Notice given to" in body and ESCAPED in body and HOSTILE not in body
    assert Obligation.objects.get(kind=K.PARENT_REFERRAL).met_note == HOSTILE
    client.force_login(people["district_admin"])
    page = client.get(url).content.decode()
    assert RULES[K.PARENT_REFERRAL].title in page and "Give a notice to" not in page
    assert "Ask for reimbursement" in page
    detail = client.get(reverse("agreement_detail", args=[executed.pk])).content.decode()
    assert url in detail
    response = client.post(
        reverse("agreement_reimbursement", args=[executed.pk]),
        {"due_on": (day + timedelta(days=14)).isoformat(), "details": "Invoice 7.", "breach_report": report.pk},
        follow=True,
    )
    assert "Reimbursement asked of" in response.content.decode()
    duty = Obligation.objects.get(kind=K.REIMBURSEMENT)
    assert duty.due_on == day + timedelta(days=14) and duty.breach_report == report
    # Once per breach.
    again = client.post(
        reverse("agreement_reimbursement", args=[executed.pk]),
        {"due_on": (day + timedelta(days=14)).isoformat(), "details": "Again.", "breach_report": report.pk},
        follow=True,
    )
    assert "already asked for" in again.content.decode()
    assert Obligation.objects.filter(kind=K.REIMBURSEMENT).count() == 1
