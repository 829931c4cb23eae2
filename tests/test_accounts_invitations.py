"""Invitations as services: hashed single-use tokens, expiry, revocation, the right person, the e-mail."""

import hashlib
import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Invitation
from accounts.services import (
    invitation_accept,
    invitation_accept_as_new_user,
    invitation_create,
    invitation_landing_url,
    invitation_revoke,
)
from agreements.models import DistrictMembership, OutboundEmail
from dpa_portal.errors import ApplicationError
from vendors.models import Contractor, ContractorMembership

from . import factories

Kind = Invitation.Kind
HOSTILE = "<script>alert(1)</script>"


def invite_staff(district, district_admin, email="new.person@example.org", role="reviewer"):
    return invitation_create(
        kind=Kind.DISTRICT_STAFF, email=email, role=role, invited_by=district_admin, agency=district
    )


def invite_new_vendor(district, district_admin, name="Brand New Edtech, Inc.", email="lead@brandnew.example"):
    return invitation_create(
        kind=Kind.VENDOR_CONTACT,
        email=email,
        role="admin",
        invited_by=district_admin,
        agency=district,
        contractor_name=name,
    )


# --- the token --------------------------------------------------------------------------------------------------


def test_only_the_hash_of_the_token_is_stored(district, district_admin):
    invitation, token = invite_staff(district, district_admin)
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_invitation WHERE id = %s", [invitation.pk])
        row = cursor.fetchone()
    assert not any(token in str(value) for value in row)


def test_tokens_differ_between_invitations(district, district_admin):
    _, first = invite_staff(district, district_admin, email="a@example.org")
    _, second = invite_staff(district, district_admin, email="b@example.org")
    assert first != second


def test_an_invitation_expires_after_fourteen_days(district, district_admin):
    invitation, _ = invite_staff(district, district_admin)
    assert invitation.expires_at - invitation.created_at == timedelta(days=14)
    assert invitation.status == "pending"


# --- accepting --------------------------------------------------------------------------------------------------


def test_district_staff_invitation_makes_the_invitee_a_member_with_the_role(district, district_admin):
    invitation, token = invite_staff(district, district_admin, email="Reviewer.Person@Example.org", role="reviewer")
    assert invitation.email == "reviewer.person@example.org"
    user = factories.UserFactory(email="reviewer.person@example.org")
    accepted = invitation_accept(token=token, user=user)
    assert accepted.accepted_by == user and accepted.accepted_at is not None
    membership = DistrictMembership.objects.get(agency=district, user=user)
    assert membership.role == DistrictMembership.Role.REVIEWER
    assert invitation_landing_url(accepted, user) == f"/district/{district.slug}/"


def test_the_address_matches_regardless_of_case(district, district_admin):
    _, token = invite_staff(district, district_admin, email="casey@example.org")
    user = factories.UserFactory(email="Casey@Example.org")
    invitation_accept(token=token, user=user)
    assert DistrictMembership.objects.filter(agency=district, user=user).exists()


def test_a_second_acceptance_fails(district, district_admin):
    _, token = invite_staff(district, district_admin)
    user = factories.UserFactory(email="new.person@example.org")
    invitation_accept(token=token, user=user)
    with pytest.raises(ApplicationError, match="already been used"):
        invitation_accept(token=token, user=user)
    assert DistrictMembership.objects.filter(user=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_acceptances_at_the_same_moment_succeed_once(district, district_admin):
    _, token = invite_staff(district, district_admin)
    user = factories.UserFactory(email="new.person@example.org")
    barrier = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            barrier.wait()
            with transaction.atomic():
                invitation_accept(token=token, user=user)
            outcomes.append("accepted")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", "refused"]
    assert DistrictMembership.objects.filter(user=user).count() == 1


def test_an_expired_invitation_cannot_be_accepted(district, district_admin):
    invitation, token = invite_staff(district, district_admin)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=15), expires_at=timezone.now() - timedelta(seconds=1)
    )
    user = factories.UserFactory(email="new.person@example.org")
    with pytest.raises(ApplicationError, match="expired"):
        invitation_accept(token=token, user=user)
    assert not DistrictMembership.objects.filter(user=user).exists()


def test_a_revoked_invitation_cannot_be_accepted_nor_revoked_again(district, district_admin):
    invitation, token = invite_staff(district, district_admin)
    invitation_revoke(invitation=invitation, actor=district_admin)
    user = factories.UserFactory(email="new.person@example.org")
    with pytest.raises(ApplicationError, match="withdrawn"):
        invitation_accept(token=token, user=user)
    with pytest.raises(ApplicationError, match="already accepted or withdrawn"):
        invitation_revoke(invitation=invitation, actor=district_admin)


def test_an_accepted_invitation_cannot_be_revoked(district, district_admin):
    invitation, token = invite_staff(district, district_admin)
    invitation_accept(token=token, user=factories.UserFactory(email="new.person@example.org"))
    with pytest.raises(ApplicationError):
        invitation_revoke(invitation=invitation, actor=district_admin)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and invitation.status == "accepted"


def test_an_unknown_token_is_refused(district, district_admin):
    invite_staff(district, district_admin)
    with pytest.raises(ApplicationError, match="not valid"):
        invitation_accept(token="not-a-token", user=factories.UserFactory())


def test_someone_with_another_address_cannot_accept(district, district_admin):
    _, token = invite_staff(district, district_admin, email="intended@example.org")
    stranger = factories.UserFactory(email="stranger@example.org")
    with pytest.raises(ApplicationError, match=r"sent to intended@example\.org"):
        invitation_accept(token=token, user=stranger)
    assert not DistrictMembership.objects.filter(user=stranger).exists()
    assert Invitation.objects.get().accepted_at is None  # still usable by the right person


def test_an_existing_member_keeps_their_role(district, district_admin):
    _, token = invite_staff(district, district_admin, email="later@example.org", role="admin")
    user = factories.UserFactory(email="later@example.org")
    factories.DistrictMembershipFactory(agency=district, user=user, role="viewer")  # added meanwhile
    invitation_accept(token=token, user=user)
    assert DistrictMembership.objects.get(agency=district, user=user).role == "viewer"


def test_a_new_account_is_created_and_accepts_in_one_step(district, district_admin):
    _, token = invite_staff(district, district_admin, email="fresh@example.org", role="viewer")
    user = invitation_accept_as_new_user(
        token=token, first_name=" Ada ", last_name="Lovelace", password="a long enough passphrase"
    )
    assert (user.email, user.first_name, user.last_name) == ("fresh@example.org", "Ada", "Lovelace")
    assert user.check_password("a long enough passphrase")
    assert EmailAddress.objects.get(user=user).verified
    assert DistrictMembership.objects.get(user=user).role == "viewer"


def test_no_account_is_left_behind_when_the_invitation_is_unusable(district, district_admin):
    invitation, token = invite_staff(district, district_admin, email="late@example.org")
    invitation_revoke(invitation=invitation, actor=district_admin)
    with pytest.raises(ApplicationError):
        invitation_accept_as_new_user(token=token, first_name="L", last_name="Ate", password="whatever it is 123")
    assert not factories.UserFactory._meta.model.objects.filter(email="late@example.org").exists()


# --- vendors ------------------------------------------------------------------------------------------------


def test_a_district_invitation_creates_the_new_vendor_whose_first_contact_is_its_admin(district, district_admin):
    invitation, token = invite_new_vendor(district, district_admin)
    contractor = Contractor.objects.get(legal_name="Brand New Edtech, Inc.")
    assert contractor.slug == "brand-new-edtech-inc"
    assert invitation.contractor == contractor and invitation.agency == district and invitation.role == "admin"
    assert not contractor.memberships.exists()

    user = factories.UserFactory(email="lead@brandnew.example")
    invitation_accept(token=token, user=user)
    membership = ContractorMembership.objects.get(contractor=contractor)
    assert membership.user == user and membership.role == ContractorMembership.Role.ADMIN


def test_a_new_vendor_gets_a_unique_slug(district, district_admin, vendor):
    invite_new_vendor(district, district_admin, name="Learning Tools", email="a@lt.example")
    assert Contractor.objects.get(legal_name="Learning Tools").slug == "learning-tools-2"


def test_a_vendor_already_on_the_portal_cannot_be_created_again(district, district_admin, vendor):
    with pytest.raises(ApplicationError, match="already on the portal"):
        invite_new_vendor(district, district_admin, name="learning tools, inc.")
    assert Contractor.objects.count() == 1


def test_a_vendor_with_staff_manages_its_own_people(district, district_admin, vendor, vendor_admin):
    """A district cannot make a stranger a member (let alone an admin) of a vendor that has staff."""
    with pytest.raises(ApplicationError, match="manages its own staff"):
        invitation_create(
            kind=Kind.VENDOR_CONTACT,
            email="stranger@example.org",
            role="admin",
            invited_by=district_admin,
            agency=district,
            contractor=vendor,
        )


def test_a_vendor_contact_on_its_staff_lands_on_the_agreement(
    district, district_admin, vendor, vendor_editor, agreement
):
    _, token = invitation_create(
        kind=Kind.VENDOR_CONTACT,
        email=vendor_editor.email,
        role="admin",
        invited_by=district_admin,
        agency=district,
        contractor=vendor,
        agreement=agreement,
    )
    accepted = invitation_accept(token=token, user=vendor_editor)
    assert invitation_landing_url(accepted, vendor_editor) == f"/agreements/{agreement.pk}/"
    # Already on the vendor's staff: the district's invitation does not promote the editor.
    assert ContractorMembership.objects.get(user=vendor_editor).role == ContractorMembership.Role.EDITOR
    assert OutboundEmail.objects.get(template="invitation").agreement == agreement


def test_the_agreement_must_be_between_the_district_and_the_vendor(
    district, district_admin, other_vendor, agreement, other_district_admin
):
    with pytest.raises(ApplicationError, match="not between"):
        invitation_create(
            kind=Kind.VENDOR_CONTACT,
            email="x@example.org",
            role="admin",
            invited_by=district_admin,
            agency=district,
            contractor=other_vendor,
            agreement=agreement,
        )


def test_only_one_of_two_invitations_founds_a_vendor_without_staff(district, district_admin, other_district_admin):
    contractor = factories.ContractorFactory(legal_name="Unclaimed Co")
    tokens = []
    for admin, agency, email in [
        (district_admin, district, "one@unclaimed.example"),
        (other_district_admin, other_district_admin.district_memberships.get().agency, "two@unclaimed.example"),
    ]:
        _, token = invitation_create(
            kind=Kind.VENDOR_CONTACT, email=email, role="admin", invited_by=admin, agency=agency, contractor=contractor
        )
        tokens.append(token)
    invitation_accept(token=tokens[0], user=factories.UserFactory(email="one@unclaimed.example"))
    with pytest.raises(ApplicationError, match="already has its own staff"):
        invitation_accept(token=tokens[1], user=factories.UserFactory(email="two@unclaimed.example"))
    assert contractor.memberships.count() == 1


def test_a_vendor_admin_invites_its_staff(vendor, vendor_admin):
    invitation, token = invitation_create(
        kind=Kind.VENDOR_STAFF, email="dev@example.org", role="editor", invited_by=vendor_admin, contractor=vendor
    )
    assert invitation.agency is None
    user = factories.UserFactory(email="dev@example.org")
    invitation_accept(token=token, user=user)
    assert ContractorMembership.objects.get(contractor=vendor, user=user).role == "editor"


@pytest.mark.parametrize(
    "kind, role, inviter, message",
    [
        (Kind.DISTRICT_STAFF, "reviewer", "district_reviewer", "Only an admin"),
        (Kind.DISTRICT_STAFF, "editor", "district_admin", "not a role"),
        (Kind.DISTRICT_STAFF, "viewer", "other_district_admin", "Only an admin"),
        (Kind.VENDOR_STAFF, "editor", "vendor_editor", "Only an admin"),
        (Kind.VENDOR_STAFF, "reviewer", "vendor_admin", "not a role"),
        (Kind.VENDOR_STAFF, "editor", "district_admin", "Only an admin"),
        (Kind.VENDOR_CONTACT, "admin", "district_reviewer", "Only an admin"),
        (Kind.VENDOR_CONTACT, "editor", "district_admin", "as the admin"),
    ],
)
def test_who_may_invite_whom(request, district, vendor, kind, role, inviter, message):
    organisation = {"contractor": vendor} if kind == Kind.VENDOR_STAFF else {"agency": district}
    if kind == Kind.VENDOR_CONTACT:
        organisation["contractor_name"] = "Some Vendor"
    with pytest.raises(ApplicationError, match=message):
        invitation_create(
            kind=kind, email="x@example.org", role=role, invited_by=request.getfixturevalue(inviter), **organisation
        )
    assert not Invitation.objects.exists() and not OutboundEmail.objects.exists()
    assert not Contractor.objects.filter(legal_name="Some Vendor").exists()


def test_someone_already_on_the_staff_is_not_invited_again(district, district_admin, district_reviewer):
    with pytest.raises(ApplicationError, match="already on the staff"):
        invite_staff(district, district_admin, email=district_reviewer.email.upper())


@pytest.mark.parametrize("email", ["", "   ", "not an address", None])
def test_an_invitation_needs_an_address(district, district_admin, email):
    with pytest.raises(ApplicationError, match="Enter the e-mail address"):
        invite_staff(district, district_admin, email=email)


def test_a_vendor_invitation_names_one_vendor(district, district_admin, vendor):
    for extra in [{}, {"contractor": vendor, "contractor_name": "Another"}]:
        with pytest.raises(ApplicationError, match="not both"):
            invitation_create(
                kind=Kind.VENDOR_CONTACT, email="x@example.org", role="admin", invited_by=district_admin,
                agency=district, **extra,
            )  # fmt: skip


# --- the e-mail -------------------------------------------------------------------------------------------------


def test_the_invitation_email_is_queued_with_the_link(district, district_admin, settings):
    settings.SITE_URL = "https://dpa.example.org"
    _, token = invite_staff(district, district_admin, email="new.person@example.org", role="reviewer")
    email = OutboundEmail.objects.get(template="invitation")
    link = f"https://dpa.example.org/accounts/invitations/{token}/"
    assert email.to == ["new.person@example.org"]
    assert email.status == OutboundEmail.Status.QUEUED
    assert link in email.body_text and f'href="{link}"' in email.body_html
    assert district.name in email.subject
    assert "as reviewer" in email.body_text


def test_hostile_names_are_escaped_in_the_html_email(district, district_admin):
    district_admin.first_name, district_admin.last_name = HOSTILE, ""
    district_admin.save()
    invite_new_vendor(district, district_admin, name=HOSTILE)
    email = OutboundEmail.objects.get(template="invitation")
    assert HOSTILE not in email.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.body_html
    # The plain-text part and the subject are not HTML: the name appears as typed, not as entities.
    assert HOSTILE in email.body_text and "&lt;" not in email.body_text
    assert HOSTILE in email.subject


# --- constraints ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "district_staff", "role": "reviewer"},  # no agency
        {"kind": "district_staff", "role": "editor", "agency": True},
        {"kind": "vendor_staff", "role": "editor", "agency": True},  # no contractor
        {"kind": "vendor_contact", "role": "admin", "contractor": True},  # no inviting district
        {"kind": "district_staff", "role": "viewer", "agency": True, "expires_in": timedelta(0)},
        {"kind": "district_staff", "role": "viewer", "agency": True, "email": "Upper@Example.org"},
        {"kind": "district_staff", "role": "viewer", "agency": True, "accepted_and_revoked": True},
    ],
)
def test_the_database_refuses_inconsistent_invitations(district, vendor, fields):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            kind=fields["kind"],
            role=fields["role"],
            email=fields.get("email", "x@example.org"),
            agency=district if fields.get("agency") else None,
            contractor=vendor if fields.get("contractor") else None,
            token_hash="0" * 64,
            created_at=now,
            expires_at=now + fields.get("expires_in", timedelta(days=1)),
            accepted_at=now if fields.get("accepted_and_revoked") else None,
            revoked_at=now if fields.get("accepted_and_revoked") else None,
        )
