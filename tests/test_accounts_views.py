"""The accounts pages: accepting an invitation, staff pages, inviting a vendor, the admin; and who may see them."""

import re
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from accounts.services import invitation_create, invitation_revoke
from agreements.models import DistrictMembership, OutboundEmail
from vendors.models import Contractor, ContractorMembership

from . import factories

Kind = Invitation.Kind
HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PASSWORD = "plum orchard lantern 42"


@pytest.fixture
def district_admin_mfa(district_admin, with_totp):
    with_totp(district_admin)
    return district_admin


@pytest.fixture
def vendor_admin_mfa(vendor_admin, with_totp):
    with_totp(vendor_admin)
    return vendor_admin


def invite(district, admin, email="invitee@example.org", role="reviewer"):
    return invitation_create(kind=Kind.DISTRICT_STAFF, email=email, role=role, invited_by=admin, agency=district)


def accept_url(token):
    return reverse("invitation_accept", args=[token])


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- accepting an invitation -----------------------------------------------------------------------------------


def test_the_invitee_sees_who_invited_them_to_what_and_creates_an_account(client, district, district_admin):
    _, token = invite(district, district_admin, email="invitee@example.org", role="reviewer")
    page = client.get(accept_url(token))
    assert page.status_code == 200
    assert f"{district_admin.get_full_name()} invited you to join the staff of" in page.text
    assert district.name in page.text and "as reviewer" in page.text
    assert 'value="invitee@example.org"' in page.text and "readonly" in page.text

    response = client.post(
        accept_url(token),
        {"first_name": "Rita", "last_name": "Reviewer", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302 and response.url == f"/district/{district.slug}/"  # their only organisation
    user = get_user_model().objects.get(email="invitee@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)  # signed in
    assert DistrictMembership.objects.get(user=user).role == "reviewer"
    assert user.first_name == "Rita"


def test_a_vendor_contact_lands_on_the_agreement(client, district, district_admin, vendor, agreement):
    vendor.memberships.all().delete()  # a vendor without staff yet
    _, token = invitation_create(
        kind=Kind.VENDOR_CONTACT, email="lead@vendor.example", role="admin", invited_by=district_admin,
        agency=district, contractor=vendor, agreement=agreement,
    )  # fmt: skip
    response = client.post(
        accept_url(token), {"first_name": "Lee", "last_name": "Lead", "password1": PASSWORD, "password2": PASSWORD}
    )
    # The new vendor admin sets up two-factor authentication first, then continues to the agreement.
    assert response.url == "/accounts/2fa/totp/activate/"
    assert client.session["accounts_mfa_next"] == f"/agreements/{agreement.pk}/"
    assert ContractorMembership.objects.get(contractor=vendor).user.email == "lead@vendor.example"


@pytest.mark.parametrize(
    "password1, password2, error",
    [
        ("short", "short", "too short"),
        ("12345678901234", "12345678901234", "entirely numeric"),
        ("invitee-example-org", "invitee-example-org", "too similar"),
        (PASSWORD, PASSWORD + "x", "didn\u2019t match"),
    ],
)
def test_the_password_passes_the_validators(client, district, district_admin, password1, password2, error):
    _, token = invite(district, district_admin)
    response = client.post(
        accept_url(token), {"first_name": "I", "last_name": "N", "password1": password1, "password2": password2}
    )
    assert response.status_code == 200 and error in response.text
    assert not get_user_model().objects.filter(email="invitee@example.org").exists()
    assert Invitation.objects.get().accepted_at is None


def test_someone_with_an_account_is_asked_to_sign_in(client, district, district_admin):
    factories.UserFactory(email="invitee@example.org")
    _, token = invite(district, district_admin)
    page = client.get(accept_url(token))
    assert "You already have an account" in page.text
    assert f'href="/accounts/login/?next=/accounts/invitations/{token}/"' in page.text
    assert "password1" not in page.text
    client.post(accept_url(token), {"first_name": "X", "last_name": "Y", "password1": PASSWORD, "password2": PASSWORD})
    assert Invitation.objects.get().accepted_at is None


def test_a_signed_in_invitee_accepts_with_a_button(client, district, district_admin):
    user = factories.UserFactory(email="invitee@example.org")
    _, token = invite(district, district_admin, role="viewer")
    client.force_login(user)
    assert "Accept the invitation" in client.get(accept_url(token)).text
    response = client.post(accept_url(token))
    assert response.url == f"/district/{district.slug}/"
    assert DistrictMembership.objects.get(user=user).role == "viewer"


def test_an_invitee_with_an_authenticator_goes_straight_to_the_agreement(
    client, district, district_admin, vendor, vendor_editor, agreement, with_totp
):
    with_totp(vendor_editor)
    _, token = invitation_create(
        kind=Kind.VENDOR_CONTACT, email=vendor_editor.email, role="admin", invited_by=district_admin,
        agency=district, contractor=vendor, agreement=agreement,
    )  # fmt: skip
    client.force_login(vendor_editor)
    assert client.post(accept_url(token)).url == f"/agreements/{agreement.pk}/"


def test_someone_signed_in_with_another_address_cannot_accept(client, district, district_admin, vendor_editor):
    _, token = invite(district, district_admin, email="invitee@example.org")
    client.force_login(vendor_editor)
    page = client.get(accept_url(token))
    assert page.status_code == 403 and "but this invitation is for invitee@example.org" in page.text
    assert client.post(accept_url(token)).status_code == 403
    assert not DistrictMembership.objects.filter(user=vendor_editor).exists()


@pytest.mark.parametrize("state, status, message", [
    ("unknown", 404, "not valid"),
    ("used", 410, "already been used"),
    ("expired", 410, "expired"),
    ("revoked", 410, "withdrawn"),
])  # fmt: skip
def test_a_link_that_cannot_be_used_says_why(client, district, district_admin, state, status, message):
    invitation, token = invite(district, district_admin)
    if state == "unknown":
        token = token[:-2] + "xx"
    elif state == "used":
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    elif state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(
            created_at=timezone.now() - timedelta(days=20), expires_at=timezone.now() - timedelta(days=6)
        )
    else:
        invitation_revoke(invitation=invitation, actor=district_admin)
    for response in [client.get(accept_url(token)), client.post(accept_url(token), {"first_name": "a"})]:
        assert response.status_code == status and message in response.text
    assert not get_user_model().objects.filter(email="invitee@example.org").exists()


def test_hostile_text_is_escaped_on_the_invitation_page(client, district, district_admin):
    district_admin.first_name, district_admin.last_name = HOSTILE, ""
    district_admin.save()
    _, token = invitation_create(
        kind=Kind.VENDOR_CONTACT, email="a@b.example", role="admin", invited_by=district_admin, agency=district,
        contractor_name=HOSTILE,
    )  # fmt: skip
    text = client.get(accept_url(token)).text
    assert HOSTILE not in text and ESCAPED in text


# --- staff pages -----------------------------------------------------------------------------------------------


def test_the_staff_page_lists_people_invitations_and_invites(client, district, district_admin_mfa, district_reviewer):
    invite(district, district_admin_mfa, email="pending@example.org", role="viewer")
    client.force_login(district_admin_mfa)
    url = reverse("district_staff", args=[district.slug])
    page = client.get(url)
    assert page.status_code == 200
    for text in [district_admin_mfa.email, district_reviewer.email, "pending@example.org", "Send invitation"]:
        assert text in page.text

    response = client.post(url, {"email": "Someone.New@Example.org", "role": "reviewer"})
    assert response.status_code == 302 and response.url == url
    invitation = Invitation.objects.get(email="someone.new@example.org")
    assert invitation.kind == Kind.DISTRICT_STAFF and invitation.role == "reviewer" and invitation.agency == district
    assert OutboundEmail.objects.filter(template="invitation", to=["someone.new@example.org"]).exists()


def test_an_invitation_that_breaks_a_rule_shows_why(client, district, district_admin_mfa, district_reviewer):
    client.force_login(district_admin_mfa)
    url = reverse("district_staff", args=[district.slug])
    response = client.post(url, {"email": district_reviewer.email, "role": "viewer"})
    assert response.status_code == 200 and "already on the staff" in response.text
    response = client.post(url, {"email": "not an address", "role": "boss"})
    assert response.status_code == 200 and "Enter a valid email address" in response.text
    assert not Invitation.objects.exists()


def test_an_admin_changes_a_role_and_removes_someone(client, district, district_admin_mfa, district_reviewer):
    client.force_login(district_admin_mfa)
    member = DistrictMembership.objects.get(user=district_reviewer)
    response = client.post(reverse("district_staff_role", args=[district.slug, member.pk]), {"role": "admin"})
    assert response.url == reverse("district_staff", args=[district.slug])
    member.refresh_from_db()
    assert member.role == "admin"
    client.post(reverse("district_staff_remove", args=[district.slug, member.pk]))
    assert not DistrictMembership.objects.filter(pk=member.pk).exists()


def test_the_last_admin_can_be_neither_demoted_nor_removed(client, district, district_admin_mfa):
    client.force_login(district_admin_mfa)
    member = DistrictMembership.objects.get(user=district_admin_mfa)
    url = reverse("district_staff", args=[district.slug])
    for action, data in [("district_staff_role", {"role": "viewer"}), ("district_staff_remove", {})]:
        response = client.post(reverse(action, args=[district.slug, member.pk]), data, follow=True)
        assert response.redirect_chain[-1][0] == url
        assert "they are the last admin of Hometown Central School District" in response.text
    member.refresh_from_db()
    assert member.role == "admin"


def test_an_admin_who_steps_down_leaves_the_staff_page(client, district, district_admin_mfa, with_totp):
    other = factories.DistrictMembershipFactory(agency=district, role="admin").user
    with_totp(other)
    client.force_login(district_admin_mfa)
    member = DistrictMembership.objects.get(user=district_admin_mfa)
    response = client.post(reverse("district_staff_role", args=[district.slug, member.pk]), {"role": "viewer"})
    assert response.url == f"/district/{district.slug}/"  # still a viewer there


def test_a_vendor_admin_manages_vendor_staff(client, vendor, vendor_admin_mfa, vendor_editor):
    client.force_login(vendor_admin_mfa)
    url = reverse("vendor_staff", args=[vendor.slug])
    page = client.get(url)
    assert vendor_editor.email in page.text and '<option value="editor"' in page.text
    client.post(url, {"email": "dev@vendor.example", "role": "editor"})
    invitation = Invitation.objects.get()
    assert (invitation.kind, invitation.contractor, invitation.agency) == (Kind.VENDOR_STAFF, vendor, None)
    member = ContractorMembership.objects.get(user=vendor_editor)
    client.post(reverse("vendor_staff_role", args=[vendor.slug, member.pk]), {"role": "admin"})
    member.refresh_from_db()
    assert member.role == "admin"


def test_an_admin_withdraws_an_invitation(client, district, district_admin_mfa):
    invitation, _ = invite(district, district_admin_mfa)
    client.force_login(district_admin_mfa)
    url = reverse("district_invitation_revoke", args=[district.slug, invitation.pk])
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.url == reverse("district_staff", args=[district.slug])
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    response = client.post(url, follow=True)
    assert "already accepted or withdrawn" in response.text


def test_invitations_of_another_organisation_cannot_be_withdrawn(
    client, district, vendor, district_admin_mfa, vendor_admin_mfa
):
    vendor_invitation, _ = invitation_create(
        kind=Kind.VENDOR_STAFF, email="x@example.org", role="editor", invited_by=vendor_admin_mfa, contractor=vendor
    )
    client.force_login(district_admin_mfa)
    url = reverse("district_invitation_revoke", args=[district.slug, vendor_invitation.pk])
    assert client.post(url).status_code == 404
    # A vendor cannot withdraw what a district sent to it either.
    district_invitation, _ = invitation_create(
        kind=Kind.VENDOR_CONTACT, email=vendor_admin_mfa.email, role="admin", invited_by=district_admin_mfa,
        agency=district, contractor=vendor,
    )  # fmt: skip
    client.force_login(vendor_admin_mfa)
    url = reverse("vendor_invitation_revoke", args=[vendor.slug, district_invitation.pk])
    assert client.post(url).status_code == 404
    assert not Invitation.objects.filter(revoked_at__isnull=False).exists()


def test_hostile_names_are_escaped_on_the_staff_page(client, district, district_admin_mfa):
    factories.DistrictMembershipFactory(agency=district, role="viewer", user__first_name=HOSTILE)
    invite(district, district_admin_mfa, email="pending@example.org")
    district_admin_mfa.last_name = HOSTILE
    district_admin_mfa.save()
    client.force_login(district_admin_mfa)
    text = client.get(reverse("district_staff", args=[district.slug])).text
    assert HOSTILE not in text and ESCAPED in text


@pytest.mark.parametrize("side", ["district", "vendor"])
def test_the_staff_page_costs_the_same_queries_for_many_people(
    request, client, side, district, vendor, django_assert_max_num_queries
):
    admin = request.getfixturevalue(f"{side}_admin_mfa")
    org = district if side == "district" else vendor
    url = reverse(f"{side}_staff", args=[org.slug])
    client.force_login(admin)

    def grow(n):
        for _ in range(n):
            if side == "district":
                factories.DistrictMembershipFactory(agency=district, role="reviewer")
                invite(district, admin, email=f"p{Invitation.objects.count()}@example.org")
            else:
                factories.ContractorMembershipFactory(contractor=vendor, role="editor")
                invitation_create(
                    kind=Kind.VENDOR_STAFF, email=f"p{Invitation.objects.count()}@example.org", role="editor",
                    invited_by=admin, contractor=vendor,
                )  # fmt: skip

    grow(2)
    with django_assert_max_num_queries(7) as few:
        client.get(url)
    grow(25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).text.count("Withdraw<span") == 27


# --- inviting a vendor ---------------------------------------------------------------------------------------


def test_a_district_admin_invites_a_new_vendor(client, district, district_admin_mfa):
    client.force_login(district_admin_mfa)
    url = reverse("district_vendor_invite", args=[district.slug])
    assert "Vendor already on the portal" in client.get(url).text
    response = client.post(url, {"email": "lead@newco.example", "contractor": "", "legal_name": "NewCo Learning LLC"})
    assert response.status_code == 302
    contractor = Contractor.objects.get(legal_name="NewCo Learning LLC")
    invitation = Invitation.objects.get(kind=Kind.VENDOR_CONTACT)
    assert invitation.contractor == contractor and invitation.agency == district
    page = client.get(url)
    assert "lead@newco.example" in page.text and "NewCo Learning LLC" in page.text
    assert "Invitation sent to lead@newco.example at NewCo Learning LLC." in messages_of(page)


@pytest.mark.parametrize("data, error", [
    ({"contractor": "", "legal_name": ""}, "Choose a vendor from the list or type"),
    ({"contractor": "VENDOR", "legal_name": "Also This"}, "not both"),
    ({"contractor": "", "legal_name": "learning tools, inc."}, "already on the portal"),
    ({"contractor": "VENDOR", "legal_name": ""}, "manages its own staff"),
])  # fmt: skip
def test_a_vendor_invitation_that_breaks_a_rule_shows_why(
    client, district, district_admin_mfa, vendor, vendor_admin, data, error
):
    client.force_login(district_admin_mfa)
    data = {**data, "email": "someone@example.org"}
    data["contractor"] = str(vendor.pk) if data["contractor"] == "VENDOR" else ""
    response = client.post(reverse("district_vendor_invite", args=[district.slug]), data)
    assert response.status_code == 200 and error in response.text
    assert not Invitation.objects.exists() and Contractor.objects.count() == 1


def test_the_vendor_invitations_list_costs_the_same_queries_when_it_grows(
    client, district, district_admin_mfa, django_assert_max_num_queries
):
    client.force_login(district_admin_mfa)
    url = reverse("district_vendor_invite", args=[district.slug])

    def grow(n):
        for _ in range(n):
            i = Invitation.objects.count()
            invitation_create(
                kind=Kind.VENDOR_CONTACT, email=f"c{i}@example.org", role="admin", invited_by=district_admin_mfa,
                agency=district, contractor_name=f"Vendor Number {i}",
            )  # fmt: skip

    grow(2)
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    grow(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).text.count("Withdraw<span") == 22


def test_hostile_vendor_names_are_escaped_on_the_invite_page(client, district, district_admin_mfa):
    client.force_login(district_admin_mfa)
    url = reverse("district_vendor_invite", args=[district.slug])
    client.post(url, {"email": "a@b.example", "contractor": "", "legal_name": HOSTILE})
    text = client.get(url).text
    assert HOSTILE not in text and ESCAPED in text


# --- who may open what ---------------------------------------------------------------------------------------

DISTRICT_URLS = [
    ("GET", "district_staff", False),
    ("POST", "district_staff", False),
    ("POST", "district_staff_role", True),
    ("POST", "district_staff_remove", True),
    ("POST", "district_invitation_revoke", True),
    ("GET", "district_vendor_invite", False),
    ("POST", "district_vendor_invite", False),
]
VENDOR_URLS = [
    ("GET", "vendor_staff", False),
    ("POST", "vendor_staff", False),
    ("POST", "vendor_staff_role", True),
    ("POST", "vendor_staff_remove", True),
    ("POST", "vendor_invitation_revoke", True),
]
WRONG_FOR_DISTRICT = ["other_district_admin", "district_reviewer", "district_viewer", "vendor_admin", "vendor_editor",
                      "other_vendor_admin"]  # fmt: skip
WRONG_FOR_VENDOR = ["other_vendor_admin", "vendor_editor", "district_admin", "district_reviewer"]


def signed_in_as(client, user, with_totp):
    """Admins get an authenticator app first, so that the answer comes from the view, not the MFA middleware."""
    if not Authenticator.objects.filter(user=user).exists():
        with_totp(user)
    client.force_login(user)


@pytest.fixture
def targets(district, vendor, district_admin_mfa, vendor_admin_mfa):
    """A member and an invitation on each side, for the URLs that act on one."""
    district_invitation, _ = invite(district, district_admin_mfa)
    vendor_invitation, _ = invitation_create(
        kind=Kind.VENDOR_STAFF, email="x@example.org", role="editor", invited_by=vendor_admin_mfa, contractor=vendor
    )
    return {
        "district_staff_role": DistrictMembership.objects.get(user=district_admin_mfa).pk,
        "district_staff_remove": DistrictMembership.objects.get(user=district_admin_mfa).pk,
        "district_invitation_revoke": district_invitation.pk,
        "vendor_staff_role": ContractorMembership.objects.get(user=vendor_admin_mfa).pk,
        "vendor_staff_remove": ContractorMembership.objects.get(user=vendor_admin_mfa).pk,
        "vendor_invitation_revoke": vendor_invitation.pk,
    }


def _url(name, with_pk, org, targets):
    return reverse(name, args=[org.slug, targets[name]] if with_pk else [org.slug])


def _call(client, method, url):
    data = {"email": "x@y.example", "role": "admin", "legal_name": "Z"}
    return client.get(url) if method == "GET" else client.post(url, data)


def _nothing_changed(district_admin, vendor_admin):
    assert DistrictMembership.objects.get(user=district_admin).role == "admin"
    assert ContractorMembership.objects.get(user=vendor_admin).role == "admin"
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 2
    assert not Contractor.objects.filter(legal_name="Z").exists()


@pytest.mark.parametrize("method, name, with_pk", DISTRICT_URLS + VENDOR_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(
    client, district, vendor, targets, district_admin_mfa, vendor_admin_mfa, method, name, with_pk
):
    org = district if name.startswith("district") else vendor
    url = _url(name, with_pk, org, targets)
    response = _call(client, method, url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")
    _nothing_changed(district_admin_mfa, vendor_admin_mfa)


@pytest.mark.parametrize("persona", WRONG_FOR_DISTRICT)
@pytest.mark.parametrize("method, name, with_pk", DISTRICT_URLS)
def test_district_pages_are_404_for_everyone_but_its_admins(
    request, client, district, targets, district_admin_mfa, vendor_admin_mfa, with_totp, persona, method, name, with_pk
):
    signed_in_as(client, request.getfixturevalue(persona), with_totp)
    assert _call(client, method, _url(name, with_pk, district, targets)).status_code == 404
    _nothing_changed(district_admin_mfa, vendor_admin_mfa)


@pytest.mark.parametrize("persona", WRONG_FOR_VENDOR)
@pytest.mark.parametrize("method, name, with_pk", VENDOR_URLS)
def test_vendor_pages_are_404_for_everyone_but_its_admins(
    request, client, vendor, targets, district_admin_mfa, vendor_admin_mfa, with_totp, persona, method, name, with_pk
):
    signed_in_as(client, request.getfixturevalue(persona), with_totp)
    assert _call(client, method, _url(name, with_pk, vendor, targets)).status_code == 404
    _nothing_changed(district_admin_mfa, vendor_admin_mfa)


def test_members_of_one_organisation_cannot_act_on_another_through_its_ids(
    client, district, other_district, district_admin_mfa, other_district_admin
):
    """The organisation in the URL is yours, but the member belongs to another: 404."""
    client.force_login(district_admin_mfa)
    foreign = DistrictMembership.objects.get(user=other_district_admin)
    for name in ["district_staff_role", "district_staff_remove"]:
        assert client.post(reverse(name, args=[district.slug, foreign.pk]), {"role": "viewer"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == "admin"


# --- the staff entry point, sign-in and sign-up ----------------------------------------------------------------


def test_the_staff_link_goes_straight_to_the_only_organisation(client, district, district_admin_mfa):
    client.force_login(district_admin_mfa)
    response = client.get(reverse("staff_index"))
    assert response.url == reverse("district_staff", args=[district.slug])


def test_the_staff_link_lists_several_organisations_or_explains(client, district, vendor, district_admin_mfa):
    factories.ContractorMembershipFactory(contractor=vendor, user=district_admin_mfa, role="admin")
    client.force_login(district_admin_mfa)
    page = client.get(reverse("staff_index"))
    assert reverse("district_staff", args=[district.slug]) in page.text
    assert reverse("vendor_staff", args=[vendor.slug]) in page.text
    client.force_login(factories.UserFactory())
    assert "Only an organisation's admins" in client.get(reverse("staff_index")).text
    client.logout()
    assert client.get(reverse("staff_index")).url.startswith("/accounts/login/")


def test_the_sign_in_page_is_the_portals(client, db):
    page = client.get(reverse("account_login"))
    assert page.status_code == 200
    assert re.search(r"<title>\s*Sign in\s*\| DPA Portal</title>", page.text)
    assert 'for="id_login"' in page.text and "E-mail address" in page.text
    assert 'href="/accounts/password/reset/"' in page.text and "Forgot your password?" in page.text
    assert "/accounts/signup/" not in page.text


def test_nobody_signs_up_without_an_invitation(client, db):
    page = client.get("/accounts/signup/")
    assert "Sign Up Closed" in page.text
    client.post("/accounts/signup/", {"email": "x@example.org", "password1": PASSWORD, "password2": PASSWORD})
    assert not get_user_model().objects.exists()


def test_password_reset_renders_in_the_portal_and_sends_mail(client, district_admin):
    page = client.get(reverse("account_reset_password"))
    assert page.status_code == 200 and "DPA Portal" in page.text and " form-control" in page.text
    client.post(reverse("account_reset_password"), {"email": district_admin.email})
    # allauth sends this one through Django's mail directly (pytest-django's mailoutbox is another list here).
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [district_admin.email]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


# --- where people start: their only organisation's dashboard, else the home page listing them -----------------


def sign_in(client, user, *, code=None, data=None):
    """Through allauth's pages: e-mail and password, then the authenticator code if `code` is given."""
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": factories.PASSWORD, **(data or {})}
    )
    if code is not None:
        assert response.url == reverse("mfa_authenticate")
        response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    return response.url


def test_a_district_admin_and_a_vendor_editor_start_on_their_dashboards(
    client, district, vendor, district_admin, vendor_editor, with_totp, totp_code
):
    secret = with_totp(district_admin)
    assert sign_in(client, district_admin, code=totp_code(secret)) == f"/district/{district.slug}/"
    page = client.get(f"/district/{district.slug}/")
    assert page.status_code == 200 and f"{district.name}: agreements" in page.text
    client.logout()
    assert sign_in(client, vendor_editor) == f"/vendor/{vendor.slug}/"
    page = client.get(f"/vendor/{vendor.slug}/")
    assert page.status_code == 200 and f"{vendor.legal_name}: agreements with districts" in page.text


def test_someone_in_two_organisations_starts_on_the_home_page_that_lists_them(client, district, vendor, vendor_editor):
    factories.DistrictMembershipFactory(agency=district, user=vendor_editor, role="viewer")
    assert sign_in(client, vendor_editor) == "/"
    page = client.get("/")
    assert page.status_code == 200 and "Signed in as" in page.text
    assert f'<a href="/district/{district.slug}/">' in page.text and f'<a href="/vendor/{vendor.slug}/">' in page.text


def test_an_address_to_go_back_to_still_wins_after_signing_in(client, vendor_editor):
    assert sign_in(client, vendor_editor, data={"next": "/deadlines/"}) == "/deadlines/"


def test_an_invited_vendor_editor_starts_on_the_vendor_dashboard(client, vendor, vendor_admin):
    _, token = invitation_create(
        kind=Kind.VENDOR_STAFF, email="editor@vendor.example", role="editor", invited_by=vendor_admin, contractor=vendor
    )
    response = client.post(
        accept_url(token), {"first_name": "Eli", "last_name": "Editor", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302 and response.url == f"/vendor/{vendor.slug}/"


def test_an_invited_district_admin_sets_up_mfa_then_starts_on_the_dashboard(
    client, district, district_admin_mfa, with_totp
):
    _, token = invite(district, district_admin_mfa, email="new.admin@example.org", role="admin")
    response = client.post(
        accept_url(token), {"first_name": "Ada", "last_name": "Admin", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.url == "/accounts/2fa/totp/activate/"  # an admin protects the account first
    assert client.session["accounts_mfa_next"] == f"/district/{district.slug}/"
    with_totp(get_user_model().objects.get(email="new.admin@example.org"))  # as the set-up page does
    assert client.get(reverse("accounts_continue")).url == f"/district/{district.slug}/"


def test_an_invitee_who_joins_a_second_organisation_starts_on_the_home_page(
    client, district, district_admin, vendor_editor
):
    _, token = invite(district, district_admin, email=vendor_editor.email, role="viewer")
    client.force_login(vendor_editor)
    assert client.post(accept_url(token)).url == "/"


# --- the operators' admin ------------------------------------------------------------------------------------


def test_the_admin_finds_invitations_and_never_shows_the_token_hash(admin_client, district, district_admin):
    invitation, _ = invite(district, district_admin, email="findme@example.org")
    changelist = reverse("admin:accounts_invitation_changelist")
    assert "findme@example.org" in admin_client.get(changelist, {"q": "findme"}).text
    assert "findme@example.org" in admin_client.get(changelist, {"status": "pending", "kind": "district_staff"}).text
    assert "findme@example.org" not in admin_client.get(changelist, {"status": "accepted"}).text
    change = admin_client.get(reverse("admin:accounts_invitation_change", args=[invitation.pk]))
    assert change.status_code == 200 and invitation.token_hash not in change.text
    assert admin_client.get(reverse("admin:accounts_invitation_add")).status_code == 403

    admin_client.post(changelist, {"action": "revoke", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
