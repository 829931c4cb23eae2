"""Object-level access: who may see and do what, by membership. Anything outside your organisation is a 404.

Views declare it with `member_required`; services refuse with `require_district_staff` / `require_vendor_staff`. Both
read the same memberships, so a page never offers what its service refuses.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from dpa_portal.errors import FORBIDDEN, ApplicationError
from vendors.models import Contractor, ContractorMembership

from .models import DistrictMembership, EducationalAgency

DISTRICT_ADMIN = {DistrictMembership.Role.ADMIN}
DISTRICT_REVIEWERS = {DistrictMembership.Role.ADMIN, DistrictMembership.Role.REVIEWER}
DISTRICT_ANY = set(DistrictMembership.Role)
# Who reads a vendor's breach reports and the facts for NYSED (what happened, whose data, the investigation): the
# district's admins, who act on them, and its reviewers, who advise; a viewer sees on the deadlines page that a
# breach duty exists and when it is due, not the report. (Decision of issue 10; README, "Security".)
BREACH_READERS = DISTRICT_REVIEWERS
VENDOR_ADMIN = {ContractorMembership.Role.ADMIN}
VENDOR_ANY = set(ContractorMembership.Role)


def _membership_sql(organisation, membership, key: str) -> str:
    """The organisation with a slug, with the user's membership of it (its id and role), in one query written out:
    every private page asks it first, and Django took longer to build it from the ORM (about 0.7 ms) than PostgreSQL
    takes to answer it (issue 13). One row at most: a person belongs to an organisation once. The tables' names from
    the models; the user and the slug are parameters."""
    return f"""
SELECT o.*, m.id AS membership_id, m.role AS membership_role
FROM {membership._meta.db_table} m JOIN {organisation._meta.db_table} o ON o.id = m.{key}_id
WHERE m.user_id = %s AND o.slug = %s
"""  # noqa: S608 -- table names from the models, nothing a person typed


_DISTRICT_MEMBER = _membership_sql(EducationalAgency, DistrictMembership, "agency")
_VENDOR_MEMBER = _membership_sql(Contractor, ContractorMembership, "contractor")


def _member(user, slug: str, roles, organisation, membership, key: str, sql: str):
    """(organisation, membership) if the user is on the staff of the organisation with this slug with one of
    `roles`; else 404. The membership holds its id, role, organisation and user; its other fields load if read."""
    if not user.is_authenticated:
        raise Http404
    found = next(iter(organisation.objects.raw(sql, [user.pk, slug])), None)
    if found is None or found.membership_role not in roles:
        raise Http404
    member = membership.from_db(
        membership.objects.db,  # the router's database for reads, which the query used
        ["id", f"{key}_id", "user_id", "role"],
        [found.membership_id, found.pk, user.pk, found.membership_role],
    )
    setattr(member, key, found)
    return found, member


def district_for(user, slug: str, roles=DISTRICT_ANY) -> tuple[EducationalAgency, DistrictMembership]:
    """The district with this slug if the user is on its staff with one of `roles`; else 404."""
    return _member(user, slug, roles, EducationalAgency, DistrictMembership, "agency", _DISTRICT_MEMBER)


def vendor_for(user, slug: str, roles=VENDOR_ANY) -> tuple[Contractor, ContractorMembership]:
    """The contractor with this slug if the user is on its staff with one of `roles`; else 404."""
    return _member(user, slug, roles, Contractor, ContractorMembership, "contractor", _VENDOR_MEMBER)


def _on_side(name: str, found: tuple, side=None, roles=None) -> dict:
    """What a `<thing>_for_user` selector found (thing, side, role), if the person is on `side` with one of `roles`."""
    thing, found_side, role = found
    if (side and found_side != side) or (roles and role not in roles):
        raise Http404
    return {name: thing, "side": found_side, "role": role}


def _agreement(user, kwargs, side=None, roles=None):
    from .selectors import agreement_for_user

    return _on_side("agreement", agreement_for_user(user, kwargs.pop("pk")), side, roles)


def _obligation(user, kwargs, side=None, roles=None):
    from .deadlines.selectors import obligation_for_user

    return _on_side("obligation", obligation_for_user(user, kwargs.pop("pk")), side, roles)


def _district(user, kwargs, side=None, roles=None):
    agency, membership = district_for(user, kwargs.pop("slug"), roles or DISTRICT_ANY)
    return {"agency": agency, "membership": membership}


def _vendor(user, kwargs, side=None, roles=None):
    contractor, membership = vendor_for(user, kwargs.pop("slug"), roles or VENDOR_ANY)
    return {"contractor": contractor, "membership": membership}


def _organisation(user, kwargs, side=None, roles=None):
    """/district/<slug>/... or /vendor/<slug>/... where the URL's `side` says which; admins only by default."""
    key = kwargs.pop("side")
    if key == "district":
        found = _district(user, kwargs, roles=roles or DISTRICT_ADMIN)
        return {"side": key, "organisation": found["agency"], "membership": found["membership"]}
    found = _vendor(user, kwargs, roles=roles or VENDOR_ADMIN)
    return {"side": key, "organisation": found["contractor"], "membership": found["membership"]}


# What a URL names, and how to find it for a person from the URL's arguments.
_FINDERS = {
    "district": _district,  # slug -> agency, membership
    "vendor": _vendor,  # slug -> contractor, membership
    "organisation": _organisation,  # side, slug -> side, organisation, membership (admins unless `roles` says)
    "agreement": _agreement,  # pk -> agreement, side ("district" or "vendor"), role
    "obligation": _obligation,  # pk -> obligation, side, role
}


def member_required(of: str, *, side: str | None = None, roles=None):
    """View decorator: the person must be signed in and belong to the district, vendor, agreement or duty that the
    URL names (`of`), on `side` with one of `roles` when given; anyone else gets a 404, as for a thing that does not
    exist. The view receives what was found instead of the URL's slug or pk, e.g.

        @member_required("district", roles=DISTRICT_ADMIN)
        def contacts(request, agency, membership): ...
    """
    find = _FINDERS[of]

    def decorator(view):
        @login_required
        @wraps(view)
        def guarded(request, *args, **kwargs):
            found = find(request.user, kwargs, side=side, roles=roles)  # takes the URL arguments it reads
            return view(request, *args, **found, **kwargs)

        guarded.member_of = of  # read by tests/test_access.py, which finds any private page left unguarded
        return guarded

    return decorator


# --- The same rules for services, which get ids rather than slugs -----------------------------------------------


def is_district_staff(user, agency_id: int, roles=DISTRICT_ANY) -> bool:
    return DistrictMembership.objects.filter(agency=agency_id, user=user, role__in=roles).exists()


def is_vendor_staff(user, contractor_id: int, roles=VENDOR_ANY) -> bool:
    return ContractorMembership.objects.filter(contractor=contractor_id, user=user, role__in=roles).exists()


def require_district_staff(actor, agency_id: int, roles=DISTRICT_ANY) -> None:
    """Refuse a step unless `actor` is on the district's staff with one of `roles`."""
    if actor is None or not is_district_staff(actor, agency_id, roles):
        who = "admins" if set(roles) == DISTRICT_ADMIN else "staff with the right role"
        raise ApplicationError(f"Only the district's {who} can do that.", code=FORBIDDEN)


def require_vendor_staff(actor, contractor_id: int, roles=VENDOR_ANY) -> None:
    """Refuse a step unless `actor` is on the vendor's staff with one of `roles`."""
    if actor is None or not is_vendor_staff(actor, contractor_id, roles):
        who = "admins" if set(roles) == VENDOR_ADMIN else "staff"
        raise ApplicationError(f"Only the vendor's {who} can do that.", code=FORBIDDEN)


def district_emails(agency_id: int, roles=DISTRICT_ANY) -> list[str]:
    """The e-mail addresses of a district's staff with one of `roles`. One query."""
    staff = DistrictMembership.objects.filter(agency=agency_id, role__in=roles)
    return list(staff.values_list("user__email", flat=True))


def vendor_emails(contractor_id: int) -> list[str]:
    """The e-mail addresses of a vendor's staff. One query."""
    return list(ContractorMembership.objects.filter(contractor=contractor_id).values_list("user__email", flat=True))
