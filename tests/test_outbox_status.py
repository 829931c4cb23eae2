"""Duty-bearing e-mails say on the portal whether they went out (issue 15.1): the breach report's notice (on the
district's and the vendor's page), a duty's reminder, an invitation. One partial (agreements/_email_delivery.html)
through one tag ({% email_status %}), read with one query."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from accounts.services import invitation_create
from agreements.deadlines import services
from agreements.mail import email_enqueue, outbound_email_send
from agreements.models import Obligation, OutboundEmail
from agreements.outbox_status import email_delivery

from .public_helpers import make_agreement
from .test_deadlines import breach_facts

S = OutboundEmail.Status
About = OutboundEmail.About


@pytest.fixture
def report(catalogues, district, vendor, product, people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    executed = make_agreement(agency=district, contractor=vendor, products=[product])
    today = timezone.localdate()
    return services.breach_report_file(
        contractor=vendor, actor=people["vendor_editor"], agreements=[executed], **breach_facts(today)
    )


def notice_of(report) -> OutboundEmail:
    return OutboundEmail.objects.get(about_kind=About.BREACH_REPORT, about_id=report.pk)


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_breach_notice_says_whether_it_went_out(client, report, district, vendor, people):
    email = notice_of(report)
    assert email.agreement.agency == district
    district_page = reverse("district_breach", args=[district.slug, report.pk])
    vendor_page = reverse("vendor_breach", args=[vendor.slug, report.pk])
    assert "Being sent." in page(client, people["district_admin"], district_page)

    OutboundEmail.objects.filter(pk=email.pk).update(
        status=S.GIVEN_UP, attempts=OutboundEmail.MAX_ATTEMPTS, last_error="SMTPRecipientsRefused: mailbox full"
    )
    shown = page(client, people["district_admin"], district_page)
    assert "Could not be sent" in shown and "mailbox full" in shown
    send_again = reverse("district_email_send_again", args=[district.slug, email.pk])
    assert send_again in shown  # the district's admins may send it again from here
    shown = page(client, people["district_reviewer"], district_page)
    assert "Could not be sent" in shown and send_again not in shown  # a reviewer reads it, an admin acts
    shown = page(client, people["vendor_editor"], vendor_page)
    assert "Could not be sent" in shown and send_again not in shown  # the vendor knows its notice did not arrive

    client.force_login(people["district_admin"])
    assert client.post(send_again, {"next": district_page}).url == district_page
    assert outbound_email_send(pk=email.pk) is True
    shown = page(client, people["vendor_editor"], vendor_page)
    assert "E-mailed to" in shown and f"{len(email.to)} address" in shown


def test_a_reminder_says_whether_it_went_out_to_the_party_that_owes_the_duty(client, report, district, people):
    duty = report.obligations.filter(owed_by=Obligation.Party.DISTRICT).first()
    today = timezone.localdate()
    context = {"obligation": duty, "days_left": 3, "today": today}
    email = email_enqueue(
        to=["admin@example.org"], template="deadline_reminder", context=context, agreement=duty.agreement
    )
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=S.FAILED, attempts=2, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    url = reverse("obligation_detail", args=[duty.pk])
    shown = page(client, people["district_admin"], url)
    assert 'id="reminder-email"' in shown and "Not sent yet" in shown and "trying again at" in shown


def test_an_invitation_says_whether_it_went_out(client, district, people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    admin = people["district_admin"]
    invitation, _ = invitation_create(
        kind=Invitation.Kind.DISTRICT_STAFF, email="new@example.org", role="reviewer", invited_by=admin, agency=district
    )
    email = OutboundEmail.objects.get(about_kind=About.INVITATION, about_id=invitation.pk)
    outbound_email_send(pk=email.pk)
    shown = page(client, admin, reverse("district_staff", args=[district.slug]))
    assert "new@example.org" in shown and "E-mailed to 1 address on" in shown


def test_the_latest_email_about_each_thing_in_one_query(report, django_assert_num_queries):
    first = notice_of(report)
    again = OutboundEmail.objects.create(
        template=first.template, to=first.to, subject=first.subject, body_text="again", agreement=first.agreement,
        about_kind=About.BREACH_REPORT, about_id=report.pk,
    )  # fmt: skip
    with django_assert_num_queries(1):
        found = email_delivery(About.BREACH_REPORT, [report.pk, 999_999])
    assert found == {report.pk: again}
