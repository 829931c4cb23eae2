"""Business rules for invitations and staff. Writes take keyword-only arguments and are named <thing>_<verb>."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from agreements.mail import email_enqueue
from agreements.selectors import memberships_of
from dpa_portal.errors import EXISTS, FORBIDDEN, STATE, ApplicationError
from dpa_portal.sentences import full_stop
from vendors.models import Contractor
from vendors.services import contractor_create

from .models import Invitation, token_hash
from .sides import DISTRICT, VENDOR, side_of_membership

INVITATION_LIFETIME = timedelta(days=14)
Kind = Invitation.Kind


def home_url_for(user, memberships=None) -> str:
    """Where a signed-in person starts (after signing in, at "/", after accepting an invitation or setting up MFA, the
    Agreements link): the dashboard of their only organisation, district or vendor; a platform operator who belongs to
    none, the operators' admin; else the home page, which lists their organisations to choose from (issue 14.3).

    `memberships`: `memberships_of(user)` when the caller has it already.
    """
    memberships = memberships_of(user) if memberships is None else memberships
    if len(memberships) == 1:
        return memberships[0][2]
    if not memberships and user.is_staff:
        return reverse("admin:index")
    if not memberships and (requester := user.requester_roles.select_related("agency").first()):  # issue 16
        return reverse("apprequests_mine", args=[requester.agency.slug])
    return reverse("home")


# --- invitations ---------------------------------------------------------------------------------------------


def invitation_create(
    *, kind, email, role, invited_by, agency=None, contractor=None, contractor_name=None, agreement=None, note=""
) -> tuple[Invitation, str]:
    """Create an invitation and queue its e-mail. Returns the invitation and the raw token (shown nowhere else).

    - district staff: `agency` and a district role; `invited_by` is an admin of the agency.
    - vendor contact: `agency` (the inviting district) and either an existing `contractor` or `contractor_name`, the
      legal name of a vendor new to the portal, created now. Role is "admin": the invitee founds or joins the
      vendor's organisation. An existing vendor that already has staff manages its own people, so a district may
      then only invite someone already on that staff (e.g. to land them on `agreement`).
    - vendor staff: `contractor` and a vendor role; `invited_by` is an admin of the contractor.

    `note`: what the district wrote when it sent the agreement, quoted in the e-mail (issue 14.6).
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError("Enter the e-mail address of the person to invite.") from exc
    with transaction.atomic():
        if kind == Kind.DISTRICT_STAFF:
            _check_staff_invitation(DISTRICT, agency, role, invited_by, email)
            contractor = None
        elif kind == Kind.VENDOR_STAFF:
            _check_staff_invitation(VENDOR, contractor, role, invited_by, email)
            agency = None
        elif kind == Kind.VENDOR_CONTACT:
            contractor = _vendor_contact_contractor(agency, invited_by, email, role, contractor, contractor_name)
            if agreement is not None and (agreement.agency_id != agency.pk or agreement.contractor_id != contractor.pk):
                raise ApplicationError("That agreement is not between this district and this vendor.")
        else:
            raise ApplicationError(f"Unknown kind of invitation: {kind}.")
        if agreement is not None and kind != Kind.VENDOR_CONTACT:
            raise ApplicationError("Only an invitation to a vendor can point at an agreement.")

        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation = Invitation.objects.create(
            kind=kind,
            email=email,
            role=role,
            agency=agency,
            contractor=contractor,
            agreement=agreement,
            token_hash=token_hash(token),
            invited_by=invited_by,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        email_enqueue(
            to=[email],
            template="invitation",
            context={
                "invitation": invitation,
                "inviter": invited_by.get_full_name() or invited_by.email,
                "organisation": invitation.organisation,
                "agency": agency,
                "agreement": agreement,
                "role": invitation.get_role_display(),
                "accept_path": reverse("invitation_accept", args=[token]),
                "note": (note or "").strip(),
            },
            agreement=agreement,
        )
    return invitation, token


def _check_staff_invitation(side, organisation, role, invited_by, email):
    if organisation is None:
        raise ApplicationError(f"A {side.key} staff invitation needs its {side.noun}.")
    if role not in side.roles.values:
        raise ApplicationError(f"{role!r} is not a role of {side.noun} staff.")
    if not side.is_admin(invited_by, organisation):
        raise ApplicationError(f"Only an admin of {organisation} can invite its staff.", code=FORBIDDEN)
    if side.membership_model.objects.filter(**{side.org_field: organisation}, user__email__iexact=email).exists():
        raise ApplicationError(
            f"{email} is already on the staff of {organisation}; change their role instead.", code=EXISTS
        )


def _vendor_contact_contractor(agency, invited_by, email, role, contractor, contractor_name):
    """The contractor a district's vendor invitation points at, created if the district names a new vendor."""
    if agency is None:
        raise ApplicationError("An invitation to a vendor comes from a district.", code=FORBIDDEN)
    if not DISTRICT.is_admin(invited_by, agency):
        raise ApplicationError(f"Only an admin of {agency} can invite vendors.", code=FORBIDDEN)
    if role != VENDOR.roles.ADMIN:
        raise ApplicationError("A vendor contact is invited as the admin of the vendor's organisation.")
    contractor_name = (contractor_name or "").strip()
    if (contractor is None) == (not contractor_name):
        raise ApplicationError("Choose a vendor on the portal or type the legal name of a new one, not both.")
    if contractor is None:
        if Contractor.objects.filter(legal_name__iexact=contractor_name).exists():
            raise ApplicationError(f"{contractor_name} is already on the portal: choose it from the list.", code=EXISTS)
        return contractor_create(legal_name=contractor_name)
    staff = contractor.memberships.all()
    if staff.exists() and not staff.filter(user__email__iexact=email).exists():
        raise ApplicationError(
            f"{contractor} manages its own staff on the portal: invite someone already on it, "
            "or ask the vendor's admin to add this person.",
            code=FORBIDDEN,
        )
    return contractor


def invitation_problem(invitation: Invitation | None, *, now=None) -> str | None:
    """Why this invitation cannot be accepted (a message for the invitee), or None if it can."""
    now = now or timezone.now()
    if invitation is None:
        return "This invitation link is not valid. Check that you copied the whole link from the e-mail."
    if invitation.accepted_at:
        return "This invitation has already been used. Sign in with the account that accepted it."
    if invitation.revoked_at:
        return "This invitation was withdrawn. Ask the person who invited you for a new one."
    if invitation.expires_at <= now:
        return "This invitation has expired. Ask the person who invited you for a new one."
    return None


def invitation_accept(*, token: str, user) -> Invitation:
    """Accept the invitation for `user`: mark it used (exactly once) and make them a member of the organisation.

    Raises ApplicationError for an unknown, used, revoked or expired token, or one sent to another address.
    """
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_related("agency", "contractor").filter(token_hash=token_hash(token)).first()
        )
        problem = invitation_problem(invitation, now=now)
        if problem:
            raise ApplicationError(problem)
        if not user.is_active or user.email.strip().lower() != invitation.email:
            raise ApplicationError(
                f"This invitation was sent to {invitation.email}, and you are signed in as {user.email}. "
                "Sign out, then open the link again.",
                code=FORBIDDEN,
            )
        if invitation.kind == Kind.VENDOR_CONTACT:
            _check_vendor_contact_may_join(invitation.contractor, user)
        # The conditional UPDATE is the guard: of two clicks at once, only one finds the row still unused.
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if claimed != 1:
            raise ApplicationError("This invitation has already been used. Sign in with the account that accepted it.")
        invitation.accepted_at, invitation.accepted_by = now, user

        side = DISTRICT if invitation.kind == Kind.DISTRICT_STAFF else VENDOR
        # Someone already on the staff keeps their role: an invitation never demotes anyone.
        side.membership_model.objects.get_or_create(
            **{side.org_field: invitation.organisation, "user": user}, defaults={"role": invitation.role}
        )
    return invitation


def _check_vendor_contact_may_join(contractor, user):
    # Lock the vendor so that two invitations to an organisation without staff cannot both found it.
    Contractor.objects.select_for_update().filter(pk=contractor.pk).first()
    staff = contractor.memberships.all()
    if staff.exists() and not staff.filter(user=user).exists():
        raise ApplicationError(
            f"{contractor} already has its own staff on the portal. Ask its admin to add you to the organisation.",
            code=FORBIDDEN,
        )


def invitation_accept_as_new_user(*, token: str, first_name: str, last_name: str, password: str):
    """Create the invitee's account (with the invited address, which the link proves) and accept. Returns the user.

    The password must already have passed the validators (the form does that); nothing is kept if acceptance fails.
    """
    from allauth.account.models import EmailAddress

    invitation = Invitation.objects.filter(token_hash=token_hash(token)).first()
    problem = invitation_problem(invitation)
    if problem:
        raise ApplicationError(problem)
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                email=invitation.email, password=password, first_name=first_name.strip(), last_name=last_name.strip()
            )
            # Following the link proves the address, so it is verified for allauth (password reset, notices).
            EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
            invitation_accept(token=token, user=user)
    except IntegrityError as exc:
        raise ApplicationError(
            f"An account for {invitation.email} already exists: sign in to accept.", code=EXISTS
        ) from exc
    return user


def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    """Withdraw a pending invitation so that its link stops working."""
    now = timezone.now()
    revoked = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if revoked != 1:
        raise ApplicationError(f"The invitation to {invitation.email} was already accepted or withdrawn.", code=STATE)
    invitation.revoked_at = now
    return invitation


def invitation_landing_url(invitation: Invitation, user) -> str:
    """Where the invitee goes after accepting: the agreement they were invited to, else their start page."""
    if invitation.kind == Kind.VENDOR_CONTACT and invitation.agreement_id:
        return f"/agreements/{invitation.agreement_id}/"
    return home_url_for(user)


# --- staff ---------------------------------------------------------------------------------------------------


def membership_role_change(*, membership, role: str, actor):
    """Give a member another role; the organisation always keeps at least one admin."""
    side = side_of_membership(membership)
    if role not in side.roles.values:
        raise ApplicationError(f"{role!r} is not a role of {side.noun} staff.")
    with transaction.atomic():
        locked = _lock_for_staff_change(side, membership)
        if locked.role == role:
            return locked
        if locked.role == side.roles.ADMIN:
            _check_not_last_admin(side, locked, "demote")
        locked.role = role
        locked.save(update_fields=["role"])
    membership.role = role
    return locked


def membership_remove(*, membership, actor) -> None:
    """Take a person off an organisation's staff; the organisation always keeps at least one admin."""
    side = side_of_membership(membership)
    with transaction.atomic():
        locked = _lock_for_staff_change(side, membership)
        if locked.role == side.roles.ADMIN:
            _check_not_last_admin(side, locked, "remove")
        locked.delete()


def _lock_for_staff_change(side, membership):
    # Lock the organisation: two admins demoting each other at once must not leave it without one.
    org_model = side.membership_model._meta.get_field(side.org_field).related_model
    org_id = getattr(membership, f"{side.org_field}_id")
    org_model.objects.select_for_update().filter(pk=org_id).first()
    try:
        return side.membership_model.objects.select_related("user", side.org_field).get(pk=membership.pk)
    except side.membership_model.DoesNotExist as exc:
        raise ApplicationError("That person is no longer on the staff.", code=STATE) from exc


def _check_not_last_admin(side, membership, verb: str):
    others = side.membership_model.objects.filter(
        **{side.org_field: getattr(membership, f"{side.org_field}_id")}, role=side.roles.ADMIN
    ).exclude(pk=membership.pk)
    if not others.exists():
        organisation = getattr(membership, side.org_field)
        raise ApplicationError(
            f"You cannot {verb} {membership.user}: they are the last admin of {full_stop(organisation)} "
            "Make someone else an admin first.",
            code=FORBIDDEN,
        )
