"""Object-level access: who may see and do what, by membership. Anything outside your organisation is a 404."""

from django.http import Http404

from vendors.models import Contractor, ContractorMembership

from .models import DistrictMembership, EducationalAgency

DISTRICT_ADMIN = {DistrictMembership.Role.ADMIN}
DISTRICT_REVIEWERS = {DistrictMembership.Role.ADMIN, DistrictMembership.Role.REVIEWER}
DISTRICT_ANY = set(DistrictMembership.Role)
VENDOR_ADMIN = {ContractorMembership.Role.ADMIN}
VENDOR_ANY = set(ContractorMembership.Role)


def district_for(user, slug: str, roles=DISTRICT_ANY) -> tuple[EducationalAgency, DistrictMembership]:
    """The district with this slug if the user is on its staff with one of `roles`; else 404."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        DistrictMembership.objects.select_related("agency").filter(user=user, agency__slug=slug, role__in=roles).first()
    )
    if membership is None:
        raise Http404
    return membership.agency, membership


def vendor_for(user, slug: str, roles=VENDOR_ANY) -> tuple[Contractor, ContractorMembership]:
    """The contractor with this slug if the user is on its staff with one of `roles`; else 404."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        ContractorMembership.objects.select_related("contractor")
        .filter(user=user, contractor__slug=slug, role__in=roles)
        .first()
    )
    if membership is None:
        raise Http404
    return membership.contractor, membership


# --- The same rules for services, which get ids rather than slugs -----------------------------------------------


def is_district_staff(user, agency_id: int, roles=DISTRICT_ANY) -> bool:
    return DistrictMembership.objects.filter(agency=agency_id, user=user, role__in=roles).exists()


def is_vendor_staff(user, contractor_id: int, roles=VENDOR_ANY) -> bool:
    return ContractorMembership.objects.filter(contractor=contractor_id, user=user, role__in=roles).exists()


def district_emails(agency_id: int, roles=DISTRICT_ANY) -> list[str]:
    """The e-mail addresses of a district's staff with one of `roles`. One query."""
    staff = DistrictMembership.objects.filter(agency=agency_id, role__in=roles)
    return list(staff.values_list("user__email", flat=True))


def vendor_emails(contractor_id: int) -> list[str]:
    """The e-mail addresses of a vendor's staff. One query."""
    return list(ContractorMembership.objects.filter(contractor=contractor_id).values_list("user__email", flat=True))
