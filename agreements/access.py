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
