"""Reads for the accounts pages and the MFA middleware, each a fixed number of queries."""

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from agreements.models import DistrictMembership
from vendors.models import ContractorMembership

from .models import Invitation, invitations_pending_q, token_hash


def mfa_setup_required(user) -> bool:
    """True if the user is an admin of a district or a vendor and has no authenticator app yet. One query."""
    admin_of_district = DistrictMembership.objects.filter(user=OuterRef("pk"), role=DistrictMembership.Role.ADMIN)
    admin_of_vendor = ContractorMembership.objects.filter(user=OuterRef("pk"), role=ContractorMembership.Role.ADMIN)
    totp = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
    return (
        get_user_model()
        .objects.filter(pk=user.pk)
        .filter(Exists(admin_of_district) | Exists(admin_of_vendor))
        .exclude(Exists(totp))
        .exists()
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation behind a raw token, with what its page shows; None if there is none. One query."""
    return (
        Invitation.objects.select_related("agency", "contractor", "agreement", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )


def staff_of(side, organisation) -> list:
    """The organisation's staff with their accounts, admins first. One query."""
    return list(
        side.membership_model.objects.filter(**{side.org_field: organisation})
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "user__email")
    )


def pending_invitations(*, kinds, agency=None, contractor=None) -> list[Invitation]:
    """Invitations of these kinds from one organisation that can still be accepted, newest first. One query."""
    qs = Invitation.objects.filter(invitations_pending_q(), kind__in=kinds).select_related("invited_by", "contractor")
    if agency is not None:
        qs = qs.filter(agency=agency)
    if contractor is not None:
        qs = qs.filter(contractor=contractor)
    return list(qs.order_by("-created_at"))


def admin_organisations(user) -> list[tuple[str, object]]:
    """(side key, organisation) for every organisation the user administers, districts first. Two queries."""
    districts = DistrictMembership.objects.filter(user=user, role=DistrictMembership.Role.ADMIN)
    vendors = ContractorMembership.objects.filter(user=user, role=ContractorMembership.Role.ADMIN)
    districts, vendors = districts.select_related("agency"), vendors.select_related("contractor")
    return [("district", m.agency) for m in districts] + [("vendor", m.contractor) for m in vendors]
