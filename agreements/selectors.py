"""Reads that views need, with their related rows fetched up front."""

from django.contrib.auth import get_user_model

from vendors.models import ContractorMembership

from .models import DistrictMembership


def demo_personas_present(personas) -> list:
    """The demo personas whose accounts exist here (load_demo was run), in the order given. One query."""
    existing = set(
        get_user_model().objects.filter(email__in=[p.email for p in personas]).values_list("email", flat=True)
    )
    return [p for p in personas if p.email in existing]


def memberships_of(user) -> list:
    """Every organisation the user belongs to, districts first, each with its role. Two queries."""
    districts = DistrictMembership.objects.filter(user=user).select_related("agency")
    vendors = ContractorMembership.objects.filter(user=user).select_related("contractor")
    return [(m.agency, m.get_role_display()) for m in districts] + [
        (m.contractor, m.get_role_display()) for m in vendors
    ]
