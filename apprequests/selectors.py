"""Reads of the app requests: who is a requester where, and their own requests."""

from django.http import Http404

from .models import AppRequest, Requester, StaffDomain


def requester_for(user, slug: str) -> Requester:
    """The person's Requester at the district with this slug, else 404 (as agreements.access does for members): a
    requester reaches only their own district's request pages, and nobody else reaches them at all."""
    if not user.is_authenticated:
        raise Http404
    requester = Requester.objects.select_related("agency").filter(user=user, agency__slug=slug).first()
    if requester is None:
        raise Http404
    return requester


def requests_of(requester: Requester):
    """The requester's own requests, newest first, with what their answers link to."""
    return AppRequest.objects.filter(requester=requester).select_related("agreement__agency", "product")


def staff_domains_of(agency):
    return StaffDomain.objects.filter(agency=agency)


def agency_for_email(email: str):
    """The district whose staff domain the address is at, or None."""
    domain = email.rsplit("@", 1)[-1].strip().casefold() if "@" in email else ""
    found = StaffDomain.objects.select_related("agency").filter(domain=domain).first() if domain else None
    return found.agency if found else None
