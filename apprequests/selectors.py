"""Reads of the app requests: who is a requester where, and their own requests."""

from datetime import timedelta

from django.db.models import Count, Min
from django.http import Http404
from django.utils import timezone
from django.utils.timesince import timesince

from agreements.models.statuses import AgreementStatus
from vendors.models import Product

from .models import AppRequest, Requester, StaffDomain

# What waits for the district's triage (issue 16.3): the rest was answered (approved, in review) or decided.
OPEN = [AppRequest.Status.SUBMITTED, AppRequest.Status.FAST_TRACK_OFFERED, AppRequest.Status.MORE_INFO_ASKED]
# A queue longer than this is read in pages of the oldest: a district's open requests are tens, not thousands.
QUEUE_LIMIT = 500


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
    return AppRequest.objects.filter(requester=requester).select_related("agreement__agency")


def staff_domains_of(agency):
    return StaffDomain.objects.filter(agency=agency)


def agency_for_email(email: str):
    """The district whose staff domain the address is at, or None."""
    domain = email.rsplit("@", 1)[-1].strip().casefold() if "@" in email else ""
    found = StaffDomain.objects.select_related("agency").filter(domain=domain).first() if domain else None
    return found.agency if found else None


# --- triage (issue 16.3) ------------------------------------------------------------------------------------------


def open_key(agency, pk: int) -> str | None:
    """The name key of the district's open request `pk` (its group's), or None: decided, or not the district's."""
    return AppRequest.objects.filter(agency=agency, pk=pk, status__in=OPEN).values_list("name_key", flat=True).first()


def queue_groups(agency, *, key: str | None = None) -> list[dict]:
    """The district's open requests, one group per app (the requests sharing a name key), the longest waiting first;
    each group's requests oldest first; with `key`, that app's alone. One query."""
    rows = AppRequest.objects.filter(agency=agency, status__in=OPEN)
    if key is not None:
        rows = rows.filter(name_key=key)
    rows = rows.select_related("requester__user", "product__contractor").order_by("created_at", "pk")[:QUEUE_LIMIT]
    groups: dict[str, dict] = {}
    for row in rows:
        group = groups.setdefault(row.name_key or f"#{row.pk}", {"key": row.name_key, "requests": []})
        group["requests"].append(row)
    for group in groups.values():
        group["first"] = group["requests"][0]
        group["teachers"] = sorted(
            {r.requester.user.get_full_name() or r.requester.user.email for r in group["requests"]}
        )
        group["product"] = next((r.product for r in group["requests"] if r.product_id), None)
    return list(groups.values())


def queue_summary(agency) -> list[dict]:
    """How many open requests wait in each status and since when (the oldest's last change), for the dashboard: one
    query."""
    rows = (
        AppRequest.objects.filter(agency=agency, status__in=OPEN)
        .values("status")
        .annotate(count=Count("pk"), oldest=Min("status_changed_at"))
        .order_by()
    )
    found = {row["status"]: row for row in rows}
    labels = dict(AppRequest.Status.choices)
    now = timezone.now()
    return [
        {"status": s, "label": labels[s], "waited": _waited(found[s]["oldest"], now), **found[s]}
        for s in OPEN
        if s in found
    ]


def _waited(since, now) -> str:
    """ "3 days, 2 hours"; "under a minute" where timesince would say "0 minutes"."""
    return timesince(since, now) if now - since >= timedelta(minutes=1) else "under a minute"


def approved_products(agency):
    """The apps the district may offer instead of one it declines: products of its agreements in effect."""
    executed = Product.objects.filter(agreements__agency=agency, agreements__status=AgreementStatus.EXECUTED)
    return Product.objects.filter(pk__in=executed.values("pk")).select_related("contractor").order_by("name")
