"""Reads for the accounts pages and the MFA middleware, each a fixed number of queries."""

from allauth.mfa.models import Authenticator
from django.db import connection

from agreements.models import Agreement, DistrictMembership, StatusChange
from vendors.models import ContractorMembership

from .models import Invitation, invitations_pending_q, token_hash

# An admin of a district or a vendor without an authenticator app: the ORM's three EXISTS, written out. The tables'
# names from the models; the values are parameters.
_MFA_SETUP_REQUIRED = f"""
SELECT (EXISTS (SELECT 1 FROM {DistrictMembership._meta.db_table} WHERE user_id = %s AND role = %s)
        OR EXISTS (SELECT 1 FROM {ContractorMembership._meta.db_table} WHERE user_id = %s AND role = %s))
    AND NOT EXISTS (SELECT 1 FROM {Authenticator._meta.db_table} WHERE user_id = %s AND type = %s)
"""  # noqa: S608 -- table names from the models, nothing a person typed


def mfa_setup_required(user) -> bool:
    """True if the user is an admin of a district or a vendor and has no authenticator app yet. One query, written
    out: the middleware asks it on every signed-in request, and Django took ten times as long to build it from the
    ORM (about a millisecond) as PostgreSQL takes to answer it (issue 13)."""
    admin = (DistrictMembership.Role.ADMIN, ContractorMembership.Role.ADMIN)
    with connection.cursor() as cursor:
        cursor.execute(_MFA_SETUP_REQUIRED, [user.pk, admin[0], user.pk, admin[1], user.pk, Authenticator.Type.TOTP])
        return bool(cursor.fetchone()[0])


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation behind a raw token, with what its page shows; None if there is none. One query."""
    return (
        Invitation.objects.select_related("agency", "contractor", "agreement", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_note(invitation: Invitation) -> str:
    """What the district wrote when it sent the agreement the invitation is for (its e-mail quotes it too): the note of
    the agreement's latest change to "with the vendor", or "" if none. One query, none without an agreement."""
    if invitation.agreement_id is None:
        return ""
    sent = StatusChange.objects.filter(agreement_id=invitation.agreement_id, to_status=Agreement.Status.WITH_VENDOR)
    return sent.order_by("-created_at", "-pk").values_list("note", flat=True).first() or ""


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
