"""Reads for the public pages, each a fixed number of queries however many agreements a district has."""

import json

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, JSONObject, Lower
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
from .records import INFO_COLUMNS, OUTSIDE_COLUMNS, row_of


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
            # An amendment or renewal is a new agreement: link the two when both are posted.
            replaces_id=Subquery(posted.filter(pk=OuterRef("previous_id")).values("pk")[:1]),
            **_lifecycle(),
        )
    )


def _lifecycle() -> dict:
    """What a public record says of an agreement's life beyond its status, as annotations: when the vendor certified
    destruction, the posted agreement that replaced it, and the day it ended early (issue 11)."""
    posted = Agreement.objects.filter(status__in=statuses.POSTED)
    return {
        "destruction_certified_at": destruction_certified_at(),
        "replaced_by_id": Subquery(posted.filter(previous=OuterRef("pk")).order_by("-pk").values("pk")[:1]),
        "ended_early_on": Subquery(Termination.objects.filter(agreement=OuterRef("pk")).values("effective_on")[:1]),
    }


def posted_agreement(*, slug: str, pk: int) -> Agreement | None:
    """One posted agreement of this district with what its public record needs (its district included): five
    queries, none for the district alone."""
    return next(iter(posted_agreements().filter(agency__slug=slug, pk=pk).order_by()[:1]), None)


# --- one agreement's public page: its record as ONE row (issue 13) -----------------------------------------------
# The columns of posted_rows (records.record_of reads them) for one agreement, its related rows as an array or a JSON
# list. Written as SQL: the ORM took longer to compile posted_agreements()' joins and subqueries than PostgreSQL takes
# to plan and run them, and then four more queries read the related rows. tests/test_public_record_row.py holds it to
# the record read through the ORM.

# What a public record says of an agreement's life beyond its status, as _lifecycle() annotates it.
_LIFECYCLE_SQL = """
    COALESCE(
        (SELECT x.certified_at FROM agreements_destructioncertificate x
            WHERE x.agreement_id = a.id AND x.status = %(accepted)s ORDER BY x.reviewed_at DESC LIMIT 1),
        (SELECT x.created_at FROM agreements_statuschange x
            WHERE x.agreement_id = a.id AND x.to_status = %(closed)s ORDER BY x.created_at DESC LIMIT 1)
    ) AS destruction_certified_at,
    (SELECT x.effective_on FROM agreements_termination x WHERE x.agreement_id = a.id LIMIT 1) AS ended_early_on,
    (SELECT x.id FROM agreements_agreement x WHERE x.previous_id = a.id AND x.status = ANY(%(posted)s)
        ORDER BY x.id DESC LIMIT 1) AS replaced_by_id"""
_PRODUCT_NAMES_SQL = """ARRAY(SELECT p.name FROM agreements_agreement_products ap
        JOIN vendors_product p ON p.id = ap.product_id WHERE ap.agreement_id = a.id ORDER BY p.name)"""

_RECORD_SQL = f"""
SELECT a.id AS pk, a.kind, a.status, a.posted_at, a.status_changed_at, a.contract_start, a.contract_end, a.review_on,
    {_LIFECYCLE_SQL},
    (SELECT x.id FROM agreements_agreement x WHERE x.id = a.previous_id AND x.status = ANY(%(posted)s)) AS replaces_id,
    d.slug AS district_slug, d.name AS district_name, d.post_exhibit_c,
    c.legal_name AS vendor, c.slug AS vendor_slug, c.website AS vendor_website,
    b.id AS info, {", ".join(f"b.{name}" for name in INFO_COLUMNS)},
    o.id AS outside, {", ".join(f"o.{name}" for name in OUTSIDE_COLUMNS)},
    {_PRODUCT_NAMES_SQL} AS product_names,
    -- In Subcontractor's Meta.ordering (by vendor, then name), as posted_agreements() prefetches them.
    (SELECT json_agg(json_build_object('name', s.name, 'purpose', s.purpose, 'receives_pii', s.receives_pii,
            'written_agreement', s.written_agreement) ORDER BY sc.legal_name, s.name)
        FROM exhibits_supplementalinformation_subcontractors bs
        JOIN vendors_subcontractor s ON s.id = bs.subcontractor_id JOIN vendors_contractor sc ON sc.id = s.contractor_id
        WHERE bs.supplementalinformation_id = b.id)::text AS subcontractor_rows,
    (SELECT json_agg(json_build_object('field', r.field, 'reason', r.reason)) FROM exhibits_redaction r
        WHERE r.agreement_id = a.id)::text AS redaction_rows,
    -- As AgreementDocument.filename names a public copy.
    (SELECT json_agg(json_build_object('public_scope', x.public_scope, 'document_id', x.document_id,
            'sha256', x.sha256, 'size', x.size,
            'filename', 'dpa-' || d.slug || '-' || c.slug || '-' || x.document_id || '-public-copy.pdf'))
        FROM agreements_agreementdocument x WHERE x.agreement_id = a.id AND x.kind = %(public_copy)s)::text AS copy_rows
FROM agreements_agreement a
JOIN agreements_educationalagency d ON d.id = a.agency_id
JOIN vendors_contractor c ON c.id = a.contractor_id
LEFT JOIN exhibits_supplementalinformation b ON b.agreement_id = a.id
LEFT JOIN agreements_outsidesigning o ON o.agreement_id = a.id
WHERE a.id = %(pk)s AND d.slug = %(slug)s AND a.status = ANY(%(posted)s)
"""  # noqa: S608 -- built at import from constants; the values reach it only as parameters
_JSON_LISTS = ("subcontractor_rows", "redaction_rows", "copy_rows")


def posted_row(*, slug: str, pk: int) -> dict | None:
    """The row records.record_of makes the public record of, for one posted agreement of this district: one query.
    On SQLite (`make run`) read through the ORM (posted_agreement) instead."""
    if connection.vendor != "postgresql":
        agreement = posted_agreement(slug=slug, pk=pk)
        return row_of(agreement) if agreement else None
    rows = _rows(_RECORD_SQL, pk=pk, slug=slug, public_copy=str(AgreementDocument.Kind.PUBLIC_COPY))
    if not rows:
        return None
    row = rows[0]
    for name in _JSON_LISTS:
        row[name] = json.loads(row[name]) if row[name] else []
    return row


def _rows(sql: str, **params) -> list[dict]:
    """The rows of one of the queries above as dicts, with the constants every one of them reads."""
    params |= {
        "posted": [str(status) for status in statuses.POSTED],
        "accepted": str(DestructionCertificate.Status.ACCEPTED),
        "closed": str(Agreement.Status.CLOSED),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def posted_history(*, slug: str, pk: int) -> list[Agreement]:
    """The posted agreements of the chain of amendments and renewals that agreement `pk` belongs to, oldest first, so
    that its public page shows the current one and its history (issue 11.3). One query: the district's posted
    agreements, walked in memory (a step seen twice ends the walk, whatever the data says)."""
    posted = {
        a.pk: a
        for a in Agreement.objects.filter(status__in=statuses.POSTED, agency__slug=slug)
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
    return EducationalAgency.objects.order_by("name").values_list("name", "slug", "posted_count")


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


# The columns a card of the list shows (records.Listing), read as values: none of Exhibit B's long texts but the
# purposes, no model instances (building them was most of a cold page's time).
_LISTING = {
    "vendor": F("contractor__legal_name"),
    "purposes": F("supplemental_information__purposes"),
    "student_pii": F("supplemental_information__receives_student_pii"),
    "appr_data": F("supplemental_information__receives_appr_data"),
    "uploaded_at": F("outside_signing__uploaded_at"),
    # The reason the district gives for withholding the purposes, if it does (records.Listing shows it instead).
    "purposes_withheld": Subquery(
        Redaction.objects.filter(agreement=OuterRef("pk"), field=RedactionField.PURPOSES).values("reason")[:1]
    ),
}


def district_page_ids(agency, match: Q, start: int = 0, stop: int | None = None) -> list[int]:
    """The ids of rows [start:stop] of the district's list, in its order (in effect first, then by vendor, newest
    first): an OFFSET within the district (see views.district for why not a keyset). Only narrow columns are sorted;
    the cards' columns are read for the page's rows alone (district_listing)."""
    ordered = (
        _district_posted(agency)
        .filter(match)
        .annotate(entry=_search_entry())
        .annotate(status_rank=_STATUS_RANK, vendor_key=Lower(Coalesce("entry__vendor", _VENDOR)))
        .order_by("status_rank", "vendor_key", "-pk")
    )
    return list(ordered.values_list("pk", flat=True)[start:stop])


# The vendor's name to order a district's list by, from the statewide search's entry of each posted agreement
# (search_index.py keeps it as the vendor's legal name, read through the entries' index on the district): joining the
# vendors instead read all of them, 20,000 statewide, to sort one district's 2,000 rows (5 ms of a 25 ms page at a
# million agreements, against 1.7 ms). An agreement whose entry is missing still sorts by its vendor's own name.
def _search_entry() -> FilteredRelation:
    # A new one for each query: Django records its alias on it when a query adds it.
    return FilteredRelation("public_search_entry", condition=Q(public_search_entry__agency=F("agency")))


_VENDOR = Subquery(Contractor.objects.filter(pk=OuterRef("contractor_id")).order_by().values("legal_name")[:1])


def district_listing(agency, match: Q, start: int = 0, stop: int | None = None) -> list[dict]:
    """The rows [start:stop] of the district's list in its order, each with the columns of records.Listing and its
    products' names: two queries, however long Exhibit B's texts are (the page's ids, then their rows)."""
    ids = district_page_ids(agency, match, start, stop)
    if connection.vendor == "postgresql":
        found = {row["pk"]: row for row in _rows(_LISTING_SQL, ids=ids, purposes=str(RedactionField.PURPOSES))}
    else:
        found = _listing_orm(ids)
    return [found[pk] for pk in ids if pk in found]


# The columns of _LISTING and _lifecycle() for a page of ids, with the products' names, as SQL: one query where the
# ORM took two and longer to compile the first than PostgreSQL took to run it.
_LISTING_SQL = f"""
SELECT a.id AS pk, a.status, a.contract_start, a.contract_end, a.review_on,
    c.legal_name AS vendor, b.purposes, b.receives_student_pii AS student_pii, b.receives_appr_data AS appr_data,
    o.uploaded_at,
    (SELECT r.reason FROM exhibits_redaction r WHERE r.agreement_id = a.id AND r.field = %(purposes)s)
        AS purposes_withheld,
    {_LIFECYCLE_SQL},
    {_PRODUCT_NAMES_SQL} AS products
FROM agreements_agreement a
JOIN vendors_contractor c ON c.id = a.contractor_id
LEFT JOIN exhibits_supplementalinformation b ON b.agreement_id = a.id
LEFT JOIN agreements_outsidesigning o ON o.agreement_id = a.id
WHERE a.id = ANY(%(ids)s)
"""  # noqa: S608 -- built at import from constants; the values reach it only as parameters


def _listing_orm(ids) -> dict[int, dict]:
    """_LISTING_SQL's rows by id through the ORM, for SQLite (`make run`)."""
    found = {
        row["pk"]: row
        for row in Agreement.objects.filter(pk__in=ids)
        .annotate(**_LISTING, **_lifecycle())
        .values("pk", "status", "contract_start", "contract_end", "review_on", *_LISTING, *_lifecycle())
    }
    for row in found.values():
        row["products"] = []
    named = Agreement.products.through.objects.filter(agreement_id__in=ids)
    for agreement_id, name in named.order_by("product__name").values_list("agreement_id", "product__name"):
        found[agreement_id]["products"].append(name)
    return found


def district_menus(agency, *, limit: int, vendor: str = "", product: str = ""):
    """The vendors (slug, name) and product names of the district's posted agreements for the filters' menus, both
    None when the district posts more than `limit` agreements: reading every vendor and product of thousands of
    agreements was most of a cold page's cost, and a menu of hundreds of entries is no use to anyone (the search box
    finds vendors and products then). Menus left out still know the `vendor` or `product` asked for, if the district
    has it, so that a link with ?vendor= keeps working. Up to two queries, bounded by `limit` or by what is asked."""

    # Built only when read: building both querysets cost a cold page of a big district a third of a millisecond for
    # menus it does not show.
    def vendors():
        posted = _district_posted(agency).values("pk")
        return Contractor.objects.filter(agreements__in=posted).values_list("slug", "legal_name").distinct().order_by()

    def products():
        posted = _district_posted(agency).values("pk")
        return Product.objects.filter(agreements__in=posted).values_list("name", flat=True).distinct().order_by()

    if agency.posted_count <= limit:
        vendor_menu, product_menu = list(vendors()), list(products())
        return vendor_menu, product_menu, vendor_menu, product_menu
    asked_vendor = list(vendors().filter(slug=vendor)) if vendor else []
    asked_product = list(products().filter(name=product)) if product else []
    return None, None, asked_vendor, asked_product


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


# --- a district's open data: its posted agreements as rows of values (issue 13) -----------------------------------
# Building model instances, their related managers and prefetched lists was most of the time of a district's JSON
# and CSV. These rows hold the same values (records.row_of reads them from an instance) and become the same records
# (records.record_of), each agreement's related rows read with it as arrays: one query for a chunk of agreements.
# A chunk at a time, not one query for the district: PostgreSQL compiles a query estimated as costly as a whole big
# district's (JIT), which took longer than running it.


def posted_ids(agency):
    """The ids of the district's posted agreements in order (through the index on district and status, then sorted)."""
    return _district_posted(agency).order_by("pk").values_list("pk", flat=True)


def _array(queryset, **columns):
    """The related rows of each agreement, in the queryset's order, as a list of dicts of these columns."""
    return ArraySubquery(queryset.values(row=JSONObject(**columns)))


def posted_rows(agency):
    """The district's posted agreements by id, each a dict of the columns records.record_of reads (those of
    posted_agreements(), as records.row_of reads them from an instance). Build it once and read a chunk at a time
    with .filter(pk__in=ids): building it costs more than running it for a few hundred agreements."""
    return (
        posted_agreements()
        .prefetch_related(None)
        .filter(agency=agency)
        .order_by("pk")
        .values(
            "pk",
            "kind",
            "status",
            "posted_at",
            "status_changed_at",
            "contract_start",
            "contract_end",
            "review_on",
            "destruction_certified_at",
            "ended_early_on",
            "replaces_id",
            "replaced_by_id",
            district_slug=F("agency__slug"),
            district_name=F("agency__name"),
            post_exhibit_c=F("agency__post_exhibit_c"),
            vendor=F("contractor__legal_name"),
            vendor_slug=F("contractor__slug"),
            vendor_website=F("contractor__website"),
            info=F("supplemental_information__id"),
            **{name: F(f"supplemental_information__{name}") for name in INFO_COLUMNS},
            outside=F("outside_signing__id"),
            **{name: F(f"outside_signing__{name}") for name in OUTSIDE_COLUMNS},
            # In the order of posted_agreements()' prefetches: products by name, subcontractors as Subcontractor's
            # Meta.ordering (by vendor, then name).
            product_names=ArraySubquery(
                Product.objects.filter(agreements=OuterRef("pk")).order_by("name").values("name")
            ),
            subcontractor_rows=_array(
                Subcontractor.objects.filter(exhibits_b__agreement=OuterRef("pk")).order_by("contractor", "name"),
                name="name",
                purpose="purpose",
                receives_pii="receives_pii",
                written_agreement="written_agreement",
            ),
            # Unordered (records.record_of orders them): Meta.ordering would join the agreement for nothing.
            redaction_rows=_array(
                Redaction.objects.filter(agreement=OuterRef("pk")).order_by(), field="field", reason="reason"
            ),
            copy_rows=_array(
                AgreementDocument.objects.filter(
                    agreement=OuterRef("pk"), kind=AgreementDocument.Kind.PUBLIC_COPY
                ).order_by(),
                public_scope="public_scope",
                document_id="document_id",
                sha256="sha256",
                size="size",
                # As AgreementDocument.filename names a public copy.
                filename=Concat(
                    Value("dpa-"),
                    OuterRef("agency__slug"),
                    Value("-"),
                    OuterRef("contractor__slug"),
                    Value("-"),
                    "document_id",
                    Value("-public-copy.pdf"),
                    output_field=CharField(),
                ),
            ),
        )
    )
