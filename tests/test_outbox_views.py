"""E-mails that did not go out, shown to the people who can act on them (issue 15.1): the district dashboard's panel
and its "Send again" (district admins only), and the admin's outbox with its "Needs a person" filter and action."""

import pytest
from django.core import mail
from django.urls import reverse

from agreements.mail import email_enqueue, outbound_email_send
from agreements.models import OutboundEmail

S = OutboundEmail.Status


@pytest.fixture
def given_up(agreement, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email = email_enqueue(
        to=["vendor@example.org"], template="approved", context={"agreement": agreement}, agreement=agreement
    )
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=S.GIVEN_UP, attempts=OutboundEmail.MAX_ATTEMPTS, last_error="ConnectionRefusedError: refused"
    )
    return email


def send_again_url(agency, email):
    return reverse("district_email_send_again", args=[agency.slug, email.pk])


@pytest.fixture
def district_admin(people):
    return people["district_admin"]  # with two-factor authentication, as an admin must have to act


@pytest.fixture
def other_district_admin(people):
    return people["other_district"]


def test_the_dashboard_lists_the_undelivered_emails_for_the_admins(client, given_up, district, district_admin):
    client.force_login(district_admin)
    page = client.get(reverse("district_dashboard", args=[district.slug])).content.decode()
    assert 'id="undelivered"' in page and "Could not be sent" in page and "vendor@example.org" in page
    assert send_again_url(district, given_up) in page
    OutboundEmail.objects.filter(pk=given_up.pk).update(status=S.SENT)
    page = client.get(reverse("district_dashboard", args=[district.slug])).content.decode()
    assert 'id="undelivered"' not in page  # nothing left to act on


def test_staff_who_are_not_admins_see_no_panel(client, given_up, district, people):
    client.force_login(people["district_reviewer"])
    page = client.get(reverse("district_dashboard", args=[district.slug])).content.decode()
    assert 'id="undelivered"' not in page and send_again_url(district, given_up) not in page


def test_send_again_queues_it_once_and_it_is_sent_once(client, given_up, district, district_admin):
    client.force_login(district_admin)
    url = send_again_url(district, given_up)
    response = client.post(url)
    assert response.status_code == 302 and response.url.endswith("#undelivered")
    given_up.refresh_from_db()
    assert given_up.status == S.QUEUED and given_up.attempts == 0
    response = client.post(url, follow=True)  # a second click
    assert "not waiting to be sent again" in response.content.decode()
    assert outbound_email_send(pk=given_up.pk) is True
    assert client.post(url, follow=True).status_code == 200
    assert outbound_email_send(pk=given_up.pk) is False
    assert len(mail.outbox) == 1


def test_send_again_goes_back_to_the_page_it_came_from_on_this_site_only(client, given_up, district, district_admin):
    client.force_login(district_admin)
    url = send_again_url(district, given_up)
    assert client.post(url, {"next": "/deadlines/"}).url == "/deadlines/"
    OutboundEmail.objects.filter(pk=given_up.pk).update(status=S.GIVEN_UP)
    assert client.post(url, {"next": "https://evil.example/"}).url.endswith("#undelivered")


def test_send_again_is_a_post(client, given_up, district, district_admin):
    client.force_login(district_admin)
    assert client.get(send_again_url(district, given_up)).status_code == 405
    given_up.refresh_from_db()
    assert given_up.status == S.GIVEN_UP


def test_send_again_needs_the_csrf_token(given_up, district, district_admin):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(district_admin)
    assert client.post(send_again_url(district, given_up)).status_code == 403
    given_up.refresh_from_db()
    assert given_up.status == S.GIVEN_UP


# The URLs whose every persona these tests try (tests/test_authorization.py's walk over the URLconf reads this):
# the district's admins may, everyone else gets a 404, signed out a sign-in page.
URLS = {"district_email_send_again"}
WRONG_PERSONAS = [
    "district_reviewer", "district_viewer", "other_district", "vendor_admin", "vendor_editor", "other_vendor",
]  # fmt: skip


@pytest.mark.parametrize("persona", WRONG_PERSONAS)
def test_no_one_else_may_send_it_again(client, given_up, district, persona, people):
    client.force_login(people[persona])
    assert client.post(send_again_url(district, given_up)).status_code == 404  # as for a page that does not exist
    given_up.refresh_from_db()
    assert given_up.status == S.GIVEN_UP


def test_signed_out_is_sent_to_sign_in(client, given_up, district):
    response = client.post(send_again_url(district, given_up))
    assert response.status_code == 302 and "login" in response.url
    given_up.refresh_from_db()
    assert given_up.status == S.GIVEN_UP


def test_another_districts_admin_cannot_reach_it_through_their_own_district(
    client, given_up, other_district, other_district_admin
):
    client.force_login(other_district_admin)
    response = client.post(send_again_url(other_district, given_up), follow=True)
    assert "not about one of this district" in response.content.decode()
    given_up.refresh_from_db()
    assert given_up.status == S.GIVEN_UP


def test_the_admin_filters_what_needs_a_person_and_sends_it_again(admin_client, given_up, agreement):
    client = admin_client
    sent = email_enqueue(to=["x@example.org"], template="approved", context={"agreement": agreement})
    OutboundEmail.objects.filter(pk=sent.pk).update(status=S.SENT)
    changelist = reverse("admin:agreements_outboundemail_changelist")
    page = client.get(changelist, {"status__exact": "given_up"}).content.decode()
    assert "Needs a person" in page and given_up.subject in page
    response = client.post(
        changelist, {"action": "send_again", "_selected_action": [given_up.pk, sent.pk]}, follow=True
    )
    assert "1 e-mail(s) queued again. 1 left alone" in response.content.decode()
    given_up.refresh_from_db()
    sent.refresh_from_db()
    assert given_up.status == S.QUEUED and sent.status == S.SENT
