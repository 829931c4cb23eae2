"""Reads that views need, with their related rows fetched up front."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from vendors.models import ContractorMembership, Product

from .models import Agreement, DistrictMembership, EducationalAgency, StatusChange, statuses


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
    return [
        (m.agency, m.get_role_display(), reverse("district_dashboard", args=[m.agency.slug])) for m in districts
    ] + [(m.contractor, m.get_role_display(), reverse("vendor_dashboard", args=[m.contractor.slug])) for m in vendors]


# --- Agreements as the district and the vendor see them --------------------------------------------------------

HIDDEN_FROM_VENDOR = statuses.HIDDEN_FROM_VENDOR


def sent_to_vendor(agreements):
    """The agreements a vendor may see: those its district sent it. A draft, and a draft the district withdrew before
    sending, are the district's alone; an agreement sent and later withdrawn stays in the vendor's record. One
    subquery, indexed on the agreement."""
    sent = StatusChange.objects.filter(agreement=OuterRef("pk"), to_status=Agreement.Status.WITH_VENDOR)
    return agreements.filter(Exists(sent)).exclude(status__in=HIDDEN_FROM_VENDOR)


def vendor_products(contractor):
    """The vendor's products that appear in an agreement it can see (a district may name a product in a draft)."""
    visible = sent_to_vendor(Agreement.objects.filter(contractor=contractor))
    return Product.objects.filter(contractor=contractor, agreements__in=visible).distinct().order_by("name")


def vendor_districts(contractor):
    """The districts of the agreements the vendor can see."""
    visible = sent_to_vendor(Agreement.objects.filter(contractor=contractor))
    return EducationalAgency.objects.filter(pk__in=visible.values("agency")).order_by("name")


def agreement_list(
    *,
    agency=None,
    contractor=None,
    q=None,
    status=None,
    vendor=None,
    product=None,
    district=None,
    term_end_before=None,
    term_end_after=None,
):
    """Agreements of one district or one vendor, filtered; contractor, agency and products fetched up front."""
    qs = Agreement.objects.select_related("agency", "contractor").prefetch_related(
        Prefetch("products", queryset=Product.objects.order_by("name"))
    )
    if agency is not None:
        qs = qs.filter(agency=agency)
    if contractor is not None:
        qs = sent_to_vendor(qs.filter(contractor=contractor))
    if q:
        qs = qs.filter(
            Q(contractor__legal_name__icontains=q) | Q(products__name__icontains=q) | Q(agency__name__icontains=q)
        ).distinct()
    if status:
        qs = qs.filter(status=status)
    if vendor:
        qs = qs.filter(contractor__slug=vendor)
    if district:
        qs = qs.filter(agency__slug=district)
    if product:
        qs = qs.filter(products__slug=product)
    if term_end_before:
        qs = qs.filter(contract_end__lte=term_end_before)
    if term_end_after:
        qs = qs.filter(contract_end__gte=term_end_after)
    return qs.order_by("-status_changed_at", "-pk")


# Of an agreement made before the term was required (issue 11.1): what it lacks. Drafts must complete it to be sent.
TERM_INCOMPLETE = (
    Q(service_agreement_date__isnull=True)
    | Q(contract_start__isnull=True)
    | Q(runs_until_terminated=False, contract_end__isnull=True)
)


def agreements_missing_term(*, agency, limit: int = 20) -> list:
    """The district's drafts without a complete term, oldest first, for its dashboard to list with links (a few:
    they are left from before the rule, and new ones are completed before they are sent)."""
    return list(
        Agreement.objects.filter(TERM_INCOMPLETE, agency=agency, status=statuses.AgreementStatus.DRAFT)
        .select_related("contractor")
        .order_by("created_at", "pk")[:limit]
    )


def status_counts(*, agency=None, contractor=None) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in lifecycle order. One query."""
    qs = Agreement.objects.all()
    if agency is not None:
        qs = qs.filter(agency=agency)
    if contractor is not None:
        qs = sent_to_vendor(qs.filter(contractor=contractor))
    counts = dict(qs.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    hidden = HIDDEN_FROM_VENDOR if contractor is not None else []
    return [(s.value, s.label, counts.get(s.value, 0)) for s in Agreement.Status if s not in hidden]


def agreement_for_user(user, pk: int):
    """The agreement if the user belongs to its district or (once sent) its vendor, with the user's role.

    Returns (agreement, side, role) where side is "district" or "vendor"; anything else is a 404.
    """
    if not user.is_authenticated:
        raise Http404
    agreement = get_object_or_404(
        Agreement.objects.select_related("agency", "contractor", "framework", "previous"), pk=pk
    )
    district = DistrictMembership.objects.filter(agency=agreement.agency_id, user=user).values_list("role", flat=True)
    if role := district.first():
        return agreement, "district", role
    vendor = ContractorMembership.objects.filter(contractor=agreement.contractor_id, user=user)
    role = vendor.values_list("role", flat=True).first()
    if role and sent_to_vendor(Agreement.objects.filter(pk=agreement.pk)).exists():
        return agreement, "vendor", role
    raise Http404
