"""Reads for the deadline pages, each a fixed number of queries however many duties, reports or requests there are."""

from django.db.models import F, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from vendors.models import ContractorMembership

from ..models import DistrictMembership, statuses
from . import rules
from .models import BreachReport, DestructionCertificate, Obligation, ParentRequest

OPEN = Obligation.OPEN_STATUSES
RELATED = ("agency", "contractor", "agreement", "breach_report", "parent_request")
SOONEST_FIRST = (F("due_on").asc(nulls_last=True), "pk")


def _open_obligations():
    return Obligation.objects.filter(status__in=OPEN).select_related(*RELATED).order_by(*SOONEST_FIRST)


def _vendor_visible(qs):
    return qs.filter(kind__in=rules.VENDOR_VISIBLE)


def deadlines_for_user(user) -> list[dict]:
    """For each of the user's organisations (districts first): what is due and overdue, soonest first. Four queries."""
    districts = list(DistrictMembership.objects.filter(user=user).select_related("agency").order_by("agency__name"))
    vendors = list(
        ContractorMembership.objects.filter(user=user).select_related("contractor").order_by("contractor__legal_name")
    )
    sections = []
    if districts:
        by_agency: dict[int, list] = {}
        for o in _open_obligations().filter(agency__in=[m.agency_id for m in districts]):
            by_agency.setdefault(o.agency_id, []).append(o)
        for m in districts:
            sections.append(
                {"side": "district", "org": m.agency, "role": m.role, "obligations": by_agency.get(m.agency_id, [])}
            )
    if vendors:
        by_contractor: dict[int, list] = {}
        for o in _vendor_visible(_open_obligations()).filter(contractor__in=[m.contractor_id for m in vendors]):
            by_contractor.setdefault(o.contractor_id, []).append(o)
        for m in vendors:
            sections.append(
                {
                    "side": "vendor",
                    "org": m.contractor,
                    "role": m.role,
                    "obligations": by_contractor.get(m.contractor_id, []),
                }
            )
    return sections


def feed_obligations(user) -> list[Obligation]:
    """Every open duty the user sees on the deadlines page, for the calendar feed. Three queries."""
    agencies = DistrictMembership.objects.filter(user=user).values("agency")
    contractors = ContractorMembership.objects.filter(user=user).values("contractor")
    visible = Q(agency__in=agencies) | (Q(contractor__in=contractors) & Q(kind__in=rules.VENDOR_VISIBLE))
    return list(_open_obligations().filter(visible).exclude(due_on=None))


def obligation_for_user(user, pk: int) -> tuple[Obligation, str, str]:
    """The duty if the user belongs to its district, or to its vendor when the vendor may see it; else 404.

    Returns (obligation, side, role)."""
    if not user.is_authenticated:
        raise Http404
    obligation = get_object_or_404(Obligation.objects.select_related(*RELATED, "met_by", "certificate"), pk=pk)
    role = DistrictMembership.objects.filter(agency=obligation.agency_id, user=user).values_list("role", flat=True)
    if role := role.first():
        return obligation, "district", role
    if obligation.contractor_id and obligation.kind in rules.VENDOR_VISIBLE:
        role = ContractorMembership.objects.filter(contractor=obligation.contractor_id, user=user)
        if role := role.values_list("role", flat=True).first():
            return obligation, "vendor", role
    raise Http404


# --- breach reports ---------------------------------------------------------------------------------------------


def breach_reports_for_district(agency):
    """Reports that reached this district, each with this district's duties. Three queries."""
    duties = Obligation.objects.filter(agency=agency).order_by("kind")
    return (
        BreachReport.objects.filter(agreements__agency=agency)
        .distinct()
        .select_related("contractor")
        .prefetch_related(Prefetch("obligations", queryset=duties, to_attr="duties"))
        .order_by("-filed_at")
    )


def breach_report_for_district(agency, pk: int) -> BreachReport:
    report = breach_reports_for_district(agency).filter(pk=pk).first()
    if report is None:
        raise Http404
    report.duty = {o.kind: o for o in report.duties}
    return report


def breach_reports_for_vendor(contractor):
    """The vendor's reports, each with its notice to every district (on time or not). Two queries."""
    notices = Obligation.objects.filter(kind=Obligation.Kind.BREACH_NOTICE).select_related("agency")
    return (
        # A breach a district recorded itself is the district's record, not the vendor's report.
        BreachReport.objects.filter(contractor=contractor, source=BreachReport.Source.PORTAL)
        .prefetch_related(Prefetch("obligations", queryset=notices.order_by("agency__name"), to_attr="notices"))
        .order_by("-filed_at")
    )


def breach_report_for_vendor(contractor, pk: int) -> BreachReport:
    report = breach_reports_for_vendor(contractor).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


# --- parent requests ----------------------------------------------------------------------------------------------


def parent_requests_for_district(agency):
    """The district's requests, newest first, each with its duty. Two queries."""
    return (
        ParentRequest.objects.filter(agency=agency)
        .select_related("agreement__contractor")
        .prefetch_related(Prefetch("obligations", queryset=Obligation.objects.order_by("pk"), to_attr="duties"))
    )


def parent_request_for_district(agency, pk: int) -> ParentRequest:
    request = parent_requests_for_district(agency).select_related("closed_by").filter(pk=pk).first()
    if request is None:
        raise Http404
    return request


# --- an agreement's duties and its destruction certificates -----------------------------------------------------------


def agreement_deadlines(agreement, side: str) -> dict:
    """What the agreement page shows of its deadlines: its duties (a vendor sees its own and the end of term) and its
    destruction certificates. Two queries."""
    duties = Obligation.objects.filter(agreement=agreement).exclude(status=Obligation.Status.CANCELLED)
    if side == "vendor":
        duties = _vendor_visible(duties)
    certificates = list(
        DestructionCertificate.objects.filter(agreement=agreement)
        .select_related("reviewed_by")
        .order_by("-certified_at")
    )
    return {
        "obligations": list(duties.select_related("breach_report", "parent_request").order_by(*SOONEST_FIRST)),
        "certificates": certificates,
        "pending": next((c for c in certificates if c.status == DestructionCertificate.Status.SUBMITTED), None),
        "accepted": next((c for c in certificates if c.status == DestructionCertificate.Status.ACCEPTED), None),
    }


def require_ended(agreement) -> None:
    """The destruction pages exist only for an agreement that ended (expired, terminated or closed); else 404."""
    if agreement.status not in statuses.ENDED_OR_CLOSED:
        raise Http404
