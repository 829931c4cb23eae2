"""Issue 15.1 in a browser: a district admin sees on the dashboard the e-mails that did not go out (every attempt
failed), and sends one again; the panel empties, and a second click has nothing to send. axe on the page."""

import pytest
from playwright.sync_api import expect

from agreements.mail import email_enqueue
from agreements.models import OutboundEmail

from .conftest import assert_accessible
from .test_signing import signed_in

S = OutboundEmail.Status


@pytest.fixture
def undelivered(transactional_db, agreement, district_admin, with_totp):
    email = email_enqueue(
        to=["vendor@example.org"], template="approved", context={"agreement": agreement}, agreement=agreement
    )
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=S.GIVEN_UP,
        attempts=OutboundEmail.MAX_ATTEMPTS,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    with_totp(district_admin)  # an admin must have two-factor authentication to act
    return email, district_admin


def test_a_district_admin_sends_an_undelivered_email_again(browser, live_server, undelivered, district):
    email, admin = undelivered
    context, page = signed_in(browser, live_server, admin)
    page.goto(f"/district/{district.slug}/")
    panel = page.get_by_role("region", name="E-mails that did not go out")
    expect(panel).to_contain_text("Could not be sent")
    expect(panel).to_contain_text("vendor@example.org")
    expect(panel).to_contain_text("Connection refused")
    assert_accessible(page)

    panel.get_by_role("button", name=f"Send again the e-mail: {email.subject}").click()
    expect(page.get_by_role("status")).to_contain_text("Sending again")
    expect(page.get_by_role("region", name="E-mails that did not go out")).to_have_count(0)
    assert_accessible(page)
    email.refresh_from_db()
    assert email.status == S.QUEUED and email.attempts == 0  # the schedule starts afresh; the sweep or task sends it
    context.close()
