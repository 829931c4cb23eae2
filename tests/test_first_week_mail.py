"""Issue 14.6: the district's note reaches the vendor's invitation e-mail, and a name that ends a sentence ends it with
one period ("CodeHS, Inc.", never "CodeHS, Inc..") in e-mails, messages and pages."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.template import engines
from django.urls import reverse

from accounts.models import Invitation
from accounts.services import invitation_create
from agreements.mail import outbound_email_send
from agreements.models import Agreement, OutboundEmail
from agreements.services import agreement_approve, agreement_send_to_vendor, agreement_transition
from dpa_portal.sentences import full_stop
from vendors.models import Contractor

from . import factories
from .helpers import ESCAPED, HOSTILE

S = Agreement.Status
NAME = "CodeHS, Inc."
NOTE = f"Please start with Exhibit C.\nQuestions: call Pat. {HOSTILE}"
CONTACT = "lead@codehs.example"


@pytest.fixture
def codehs(vendor):
    """The vendor of the agreement fixture, named as the issue's was: a legal name that ends with its own period."""
    Contractor.objects.filter(pk=vendor.pk).update(legal_name=NAME)
    vendor.refresh_from_db()
    return vendor


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load sentences %}" + source).render(context)


# --- the rule -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ended"),
    [
        ("CodeHS", "CodeHS."),
        ("CodeHS, Inc.", "CodeHS, Inc."),
        ("Acme Co. ", "Acme Co."),  # a stray space does not hide the period
        ("Yahoo!", "Yahoo!"),
        ("Who Knows?", "Who Knows?"),
        ("Liverpool Central School District", "Liverpool Central School District."),
        ("", "."),
    ],
)
def test_a_name_ends_a_sentence_with_one_period(name, ended):
    assert full_stop(name) == ended
    assert render("{{ name|full_stop }}", name=name) == ended.replace("'", "&#x27;")


def test_the_filter_escapes_what_it_ends_and_keeps_safe_text_safe():
    assert render("{{ name|full_stop }}", name="<b>AT&T Inc.</b>") == "&lt;b&gt;AT&amp;T Inc.&lt;/b&gt;."
    assert render("{{ name|full_stop }}", name="AT&T Inc.") == "AT&amp;T Inc."
    assert render("{% autoescape off %}{{ name|full_stop }}{% endautoescape %}", name="AT&T") == "AT&T."
    assert render("{{ name|safe|full_stop }}", name="<em>Acme</em>") == "<em>Acme</em>."


NAME_THEN_PERIOD = re.compile(
    r"\{\{ ?[\w.]*(agency|contractor|organisation|owner|vendor|district)[\w.]* ?\}\}(</(strong|a|em)>)?\.(\s|<|$)"
)


@pytest.mark.parametrize("folder", ["emails", "accounts"])
def test_no_e_mail_or_accounts_template_writes_a_period_after_a_name(folder):
    """The e-mails and the invitation and staff pages end each such sentence with the filter, not a written period."""
    found = [
        f"{path.name}: {match.group(0)}"
        for path in sorted((Path(settings.BASE_DIR) / "templates" / folder).glob("*.*"))
        for match in NAME_THEN_PERIOD.finditer(path.read_text())
    ]
    assert found == []


# --- the invitation e-mail carries the district's note ---------------------------------------------------------


def test_sending_to_a_vendor_without_staff_invites_its_contact_with_the_note(agreement, codehs, district_admin):
    agreement_send_to_vendor(agreement=agreement, actor=district_admin, contact_email=CONTACT, note=NOTE)
    invitation = Invitation.objects.get(email=CONTACT)
    assert invitation.agreement_id == agreement.pk and invitation.contractor_id == codehs.pk
    row = OutboundEmail.objects.get(template="invitation", to=[CONTACT])

    # The text part quotes the note as written; the HTML part escaped, its line breaks kept.
    assert "The district's note:\nPlease start with Exhibit C.\nQuestions: call Pat. " + HOSTILE in row.body_text
    assert "<blockquote>Please start with Exhibit C.<br>Questions: call Pat. " + ESCAPED in row.body_html
    assert HOSTILE not in row.body_html

    # What the vendor's contact receives (the locmem backend), read back after the worker's send.
    assert outbound_email_send(pk=row.pk) is True
    (sent,) = [m for m in mail.outbox if m.to == [CONTACT]]
    assert "Please start with Exhibit C." in sent.body and "Questions: call Pat." in sent.body
    assert "Please start with Exhibit C." in sent.alternatives[0][0]
    assert "Inc.." not in sent.body + sent.subject + sent.alternatives[0][0]


def test_without_a_note_the_invitation_says_nothing_of_one(district, district_admin):
    invitation_create(
        kind=Invitation.Kind.VENDOR_CONTACT,
        email=CONTACT,
        role="admin",
        invited_by=district_admin,
        agency=district,
        contractor_name=NAME,
    )
    row = OutboundEmail.objects.get(template="invitation")
    assert "note" not in row.body_text and "blockquote" not in row.body_html
    assert NAME in row.body_text


def test_the_send_page_passes_the_note_on(client, agreement, codehs, district_admin, with_totp):
    with_totp(district_admin)
    client.force_login(district_admin)
    response = client.post(
        reverse("agreement_send", args=[agreement.pk]), {"contact_email": CONTACT, "note": "Due by June 1."}
    )
    assert response.status_code == 302
    row = OutboundEmail.objects.get(template="invitation", to=[CONTACT])
    assert "The district's note:\nDue by June 1." in row.body_text
    assert agreement.status_changes.get(to_status=S.WITH_VENDOR).note == "Due by June 1."


# --- one period after a name -----------------------------------------------------------------------------------


def test_the_approval_e_mail_ends_the_vendor_s_name_with_one_period(agreement, codehs, district_admin, vendor_editor):
    for step in (S.WITH_VENDOR, S.SUBMITTED):
        agreement_transition(agreement=agreement, to_status=step, actor=district_admin)
    agreement_approve(agreement=Agreement.objects.get(pk=agreement.pk), actor=district_admin)
    row = OutboundEmail.objects.get(template="approved", to__contains=[vendor_editor.email])
    assert f"approved the answers of {NAME} The next step is signing" in row.body_text
    assert f"approved the answers of <strong>{NAME}</strong> The next" in row.body_html
    assert "Inc.." not in row.body_text + row.body_html + row.subject


def test_a_name_without_its_own_period_still_gets_one(agreement, vendor, district_admin, vendor_editor):
    Contractor.objects.filter(pk=vendor.pk).update(legal_name="CodeHS")
    for step in (S.WITH_VENDOR, S.SUBMITTED):
        agreement_transition(agreement=agreement, to_status=step, actor=district_admin)
    agreement_approve(agreement=Agreement.objects.get(pk=agreement.pk), actor=district_admin)
    row = OutboundEmail.objects.get(template="approved", to__contains=[vendor_editor.email])
    assert "approved the answers of CodeHS. The next step" in row.body_text


def test_the_invitation_page_and_the_welcome_message(client, district, district_admin, codehs):
    _, token = invitation_create(
        kind=Invitation.Kind.VENDOR_CONTACT,
        email=CONTACT,
        role="admin",
        invited_by=district_admin,
        agency=district,
        contractor=codehs,
    )
    url = reverse("invitation_accept", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert f"for <strong>{NAME}</strong> You will manage" in page.text and "Inc.." not in page.text

    password = "plum orchard lantern 42"
    response = client.post(
        url, {"first_name": "Lee", "last_name": "Lead", "password1": password, "password2": password}, follow=True
    )
    said = [str(m) for m in response.context["messages"]]
    assert f"Welcome to {NAME}" in said, said


def test_the_district_s_message_after_inviting_a_vendor(client, district, district_admin, codehs, with_totp):
    with_totp(district_admin)
    client.force_login(district_admin)
    response = client.post(
        reverse("district_vendor_invite", args=[district.slug]),
        {"email": CONTACT, "contractor": codehs.pk},
        follow=True,
    )
    said = [str(m) for m in response.context["messages"]]
    assert f"Invitation sent to {CONTACT} at {NAME}" in said, said


def test_a_staff_member_removed_from_a_vendor_named_with_a_period(client, codehs, with_totp):
    admin = factories.ContractorMembershipFactory(contractor=codehs, role="admin").user
    editor = factories.ContractorMembershipFactory(contractor=codehs, role="editor")
    with_totp(admin)
    client.force_login(admin)
    response = client.post(
        reverse("vendor_staff_remove", args=[codehs.slug, editor.pk]),
        follow=True,
    )
    said = [str(m) for m in response.context["messages"]]
    assert f"{editor.user} is no longer on the staff of {NAME}" in said, said


def test_the_invitation_page_shows_the_districts_note_escaped(client, agreement, codehs, district_admin):
    """The contact who opens the link reads the note there too, as the e-mail quoted it (escaped, its lines kept)."""
    agreement_send_to_vendor(agreement=agreement, actor=district_admin, contact_email=CONTACT, note=NOTE)
    row = OutboundEmail.objects.get(template="invitation", to=[CONTACT])
    path = re.search(r"/accounts/invitations?/[^/\s]+/", row.body_text).group(0)
    page = client.get(path).text
    assert "note</figcaption>" in page
    assert '<blockquote class="mb-0">Please start with Exhibit C.<br>Questions: call Pat. ' + ESCAPED in page
    assert HOSTILE not in page


def test_an_invitation_to_staff_shows_no_note(client, district, district_admin):
    _, token = invitation_create(
        kind=Invitation.Kind.DISTRICT_STAFF, email="new@example.org", role="viewer", invited_by=district_admin,
        agency=district,
    )  # fmt: skip
    page = client.get(reverse("invitation_accept", args=[token])).text
    assert "Join" in page and "note</figcaption>" not in page
