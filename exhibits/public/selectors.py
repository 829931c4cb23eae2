"""Reads for the public pages, each a fixed number of queries however many agreements a district has."""

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower
from django.shortcuts import get_object_or_404

from agreements.models import (
    Agreement,
    AgreementDocument,
    DestructionCertificate,
    EducationalAgency,
    PublicScope,
    StatusChange,
    Termination,
    statuses,
)
from exhibits.models import BillOfRights, Redaction, RedactionField, SupplementalInformation
from vendors.models import Contractor, Product, Subcontractor

from .labels import STATUS_ORDER


def _became(status):
    """When the agreement last became `status`, from its log of status changes."""
    changes = StatusChange.objects.filter(agreement=OuterRef("pk"), to_status=status).order_by("-created_at")
    return Subquery(changes.values("created_at")[:1])


def destruction_certified_at():
    """When the vendor certified that the data is destroyed (DPA II.9(c)): the accepted DestructionCertificate's date.

    An agreement closed without a certificate in the portal (by an operator, for a certification received on paper)
    falls back to when it became closed, which only a certification does.
    """
    accepted = DestructionCertificate.objects.filter(
        agreement=OuterRef("pk"), status=DestructionCertificate.Status.ACCEPTED
    ).order_by("-reviewed_at")
    return Coalesce(Subquery(accepted.values("certified_at")[:1]), _became(Agreement.Status.CLOSED))


def posted_agreements():
    """Every posted agreement with what its public record needs: seven queries for any number of them."""
    posted = Agreement.objects.filter(status__in=statuses.POSTED)
    return (
        # outside_signing: an agreement signed outside the portal (issue 12), joined here so that no row costs a query.
        posted.select_related("agency", "contractor", "supplemental_information", "outside_signing")
        .prefetch_related(
            # Into lists (to_attr), not related managers: Django makes a queryset per agreement and relation for a
            # manager's cache, which was most of the time of a district's open data (records.py reads the lists).
            Prefetch("products", queryset=Product.objects.order_by("name"), to_attr="public_products"),
            Prefetch(
                "supplemental_information__subcontractors",
                queryset=Subcontractor.objects.all(),
                to_attr="public_subcontractors",
            ),
            "redactions",  # a related manager's cache still: PublicScope.of (agreements) reads it that way
            # The public copies, never the executed DPA: records.py picks the one of the district's current choice.
            Prefetch(
                "documents",
                queryset=AgreementDocument.objects.filter(kind=AgreementDocument.Kind.PUBLIC_COPY).defer(
                    "pdf", "public_source"
                ),
                to_attr="public_copies",
            ),
        )
        .annotate(
            destruction_certified_at=destruction_certified_at(),
            # An amendment or renewal is a new agreement: link the two when both are posted.
            replaces_id=Subquery(posted.filter(pk=OuterRef("previous_id")).values("pk")[:1]),
            replaced_by_id=Subquery(posted.filter(previous=OuterRef("pk")).order_by("-pk").values("pk")[:1]),
            # Ended early (issue 11): the effective date the district recorded, which the page states.
            ended_early_on=Subquery(Termination.objects.filter(agreement=OuterRef("pk")).values("effective_on")[:1]),
        )
    )


def posted_history(*, agency, pk: int) -> list[Agreement]:
    """The posted agreements of the chain of amendments and renewals that agreement `pk` belongs to, oldest first, so
    that its public page shows the current one and its history (issue 11.3). One query: the district's posted
    agreements, walked in memory (a step seen twice ends the walk, whatever the data says)."""
    posted = {
        a.pk: a
        for a in Agreement.objects.filter(status__in=statuses.POSTED, agency=agency)
        .only("pk", "previous_id", "kind", "status", "contract_start", "agency_id")
        .order_by("pk")
    }
    if pk not in posted:
        return []
    later = {}
    for a in posted.values():
        later.setdefault(a.previous_id, a)  # of several made from one agreement, the earliest
    chain, seen = [posted[pk]], {pk}
    while (earlier := posted.get(chain[0].previous_id)) and earlier.pk not in seen:
        chain.insert(0, earlier)
        seen.add(earlier.pk)
    while (after := later.get(chain[-1].pk)) and after.pk not in seen:
        chain.append(after)
        seen.add(after.pk)
    return chain


def district_public(slug: str) -> EducationalAgency:
    return get_object_or_404(EducationalAgency, slug=slug)


def bill_of_rights_current(agency) -> BillOfRights | None:
    return BillOfRights.objects.filter(agency=agency).order_by("-version").first()


def districts_with_counts():
    """All districts by name, each with the number of its posted agreements: one query over the districts, the count
    stored (EducationalAgency.posted_count, kept by exhibits/signals.py), never counted over the agreements."""
    return EducationalAgency.objects.only("name", "slug", "posted_count").order_by("name")


# --- a district's list: filtered, counted and paginated in SQL, bounded by the district's own agreements ---------

# The order of the list: in effect first, then the ended ones (labels.STATUS_ORDER), then by vendor, newest first.
_STATUS_RANK = Case(*(When(status=s, then=Value(n)) for s, n in STATUS_ORDER.items()), output_field=IntegerField())


def _district_posted(agency):
    # The index on (agency, status) finds them: every query below is bounded by the district's own size.
    return Agreement.objects.filter(agency=agency, status__in=statuses.POSTED)


def district_filter(*, words=(), vendor="", product="", pii="", status="") -> Q:
    """What the search box and the filters of a district's list keep, as SQL. Every word must be in the vendor's name,
    a product's name or the purposes, never in a part the district withholds (as PublicAgreement.searchable_text)."""
    match = Q()
    for word in words:
        in_products = Exists(Product.objects.filter(agreements=OuterRef("pk"), name__icontains=word))
        in_purposes = Exists(
            SupplementalInformation.objects.filter(agreement=OuterRef("pk"), purposes__icontains=word)
        ) & ~Exists(Redaction.objects.filter(agreement=OuterRef("pk"), field=RedactionField.PURPOSES))
        match &= Q(contractor__legal_name__icontains=word) | Q(in_products) | Q(in_purposes)
    if vendor:
        match &= Q(contractor__slug=vendor)
    if product:
        match &= Q(Exists(Product.objects.filter(agreements=OuterRef("pk"), name=product)))
    if pii:
        field = {"student": "receives_student_pii", "appr": "receives_appr_data"}[pii]
        match &= Q(Exists(SupplementalInformation.objects.filter(agreement=OuterRef("pk"), **{field: True})))
    if status:
        match &= Q(status=status)
    return match


def district_counts(agency, match: Q) -> tuple[int, int]:
    """How many agreements the district posts, and how many of them match: one aggregate over the district."""
    counts = _district_posted(agency).aggregate(total=Count("pk"), matching=Count("pk", filter=match))
    return counts["total"], counts["matching"]


def district_page_ids(agency, match: Q, start: int, stop: int) -> list[int]:
    """The ids of one page of the district's list, in its order: an OFFSET within the district (see views.district
    for why not a keyset)."""
    ordered = (
        _district_posted(agency)
        .filter(match)
        .annotate(status_rank=_STATUS_RANK, vendor_key=Lower("contractor__legal_name"))
        .order_by("status_rank", "vendor_key", "-pk")
    )
    return list(ordered.values_list("pk", flat=True)[start:stop])


def posted_by_ids(ids: list[int]) -> list[Agreement]:
    """These posted agreements with all their public record needs, in the order of `ids`: seven queries."""
    found = {a.pk: a for a in posted_agreements().filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def district_menus(agency, *, limit: int, vendor: str = "", product: str = ""):
    """The vendors (slug, name) and product names of the district's posted agreements for the filters' menus, each
    None when the district has more than `limit` (a menu of thousands of entries is no use to anyone, and was most
    of the page's cost: the search box finds vendors and products then). A menu left out still knows the `vendor` or
    `product` asked for, if the district has it, so that a link with ?vendor= keeps working. Two to four queries,
    bounded by the district."""
    posted = _district_posted(agency).values("pk")
    vendors = Contractor.objects.filter(agreements__in=posted).values_list("slug", "legal_name").distinct().order_by()
    products = Product.objects.filter(agreements__in=posted).values_list("name", flat=True).distinct().order_by()
    vendor_menu, product_menu = list(vendors[: limit + 1]), list(products[: limit + 1])
    if len(vendor_menu) > limit:
        vendor_menu = None
        asked_vendor = list(vendors.filter(slug=vendor)) if vendor else []
    if len(product_menu) > limit:
        product_menu = None
        asked_product = list(products.filter(name=product)) if product else []
    return (
        vendor_menu,
        product_menu,
        asked_vendor if vendor_menu is None else vendor_menu,
        asked_product if product_menu is None else product_menu,
    )


def public_copy(*, slug: str, pk: int) -> AgreementDocument | None:
    """The sealed public copy of a posted agreement of this district, for what the district posts now: without the
    parts it withholds, with Exhibit C only if it posts it. None while that copy is still being made. Three queries."""
    agreement = (
        Agreement.objects.filter(pk=pk, agency__slug=slug, status__in=statuses.POSTED)
        .select_related("agency")
        .prefetch_related("redactions")
        .first()
    )
    if agreement is None:
        return None
    return (
        AgreementDocument.objects.select_related("agreement__agency", "agreement__contractor")
        .defer("public_source")
        .filter(
            agreement=agreement,
            kind=AgreementDocument.Kind.PUBLIC_COPY,
            public_scope=PublicScope.of(agreement).key,
        )
        .first()
    )
