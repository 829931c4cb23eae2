"""The two kinds of organisation whose staff the portal manages, described once so that views and services serve
both: a district (EducationalAgency, DistrictMembership) and a vendor (Contractor, ContractorMembership)."""

from dataclasses import dataclass
from typing import Any

from agreements.models import DistrictMembership
from vendors.models import ContractorMembership

from .models import InvitationKind


@dataclass(frozen=True)
class Side:
    key: str  # "district" or "vendor": the URL prefix and the prefix of URL names
    noun: str
    membership_model: Any
    org_field: str  # the membership's foreign key to the organisation
    roles: Any  # the membership's Role choices
    staff_kind: str  # the Invitation kind that brings in this side's staff
    issued_kinds: tuple  # the Invitation kinds this side sends (and so may revoke)

    def is_admin(self, user, organisation) -> bool:
        if user is None or not user.is_authenticated:
            return False
        return self.membership_model.objects.filter(
            **{self.org_field: organisation}, user=user, role=self.roles.ADMIN
        ).exists()


DISTRICT = Side(
    key="district",
    noun="district",
    membership_model=DistrictMembership,
    org_field="agency",
    roles=DistrictMembership.Role,
    staff_kind=InvitationKind.DISTRICT_STAFF,
    issued_kinds=(InvitationKind.DISTRICT_STAFF, InvitationKind.VENDOR_CONTACT),
)
VENDOR = Side(
    key="vendor",
    noun="vendor",
    membership_model=ContractorMembership,
    org_field="contractor",
    roles=ContractorMembership.Role,
    staff_kind=InvitationKind.VENDOR_STAFF,
    issued_kinds=(InvitationKind.VENDOR_STAFF,),
)
SIDES = {side.key: side for side in (DISTRICT, VENDOR)}


def side_of_membership(membership) -> Side:
    return DISTRICT if isinstance(membership, DistrictMembership) else VENDOR
