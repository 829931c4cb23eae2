"""Reads that views need, with their related rows fetched up front."""

from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from dpa_portal.links import Links
from vendors.models import Contractor, ContractorMembership, Product

from .models import (
    Agreement,
    DistrictMembership,
    EducationalAgency,
    Obligation,
    OutboundEmail,
    OutsideSigning,
    StatusChange,
    statuses,
)


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
    """The agreements a vendor may see: those its district sent it, and those signed outside the portal (the vendor
    signed them too). A draft, and a draft the district withdrew before sending, are the district's alone; an
    agreement sent and later withdrawn stays in the vendor's record. Two subqueries, indexed on the agreement."""
    sent = StatusChange.objects.filter(agreement=OuterRef("pk"), to_status=Agreement.Status.WITH_VENDOR)
    # An agreement signed outside the portal was signed by the vendor too: it finds it when it joins (issue 12).
    signed_outside = OutsideSigning.objects.filter(agreement=OuterRef("pk"))
    return agreements.filter(Exists(sent) | Exists(signed_outside)).exclude(status__in=HIDDEN_FROM_VENDOR)


# --- The dashboards' menus, searched as you type (issue 13) -----------------------------------------------------

# How many names a menu suggests for what was typed: a district may work with thousands of vendors, and a page that
# listed them all weighed 229 KB (issue 13); the person types a few letters and picks among these.
SUGGESTIONS = 20


def _suggested(names, field: str, text: str, limit: int) -> list[str]:
    """The distinct values of `field` among `names` (a queryset) that contain `text`, those that start with it first,
    then alphabetically; at most `limit`. One query, over the rows of one district or one vendor (its indexes)."""
    text = (text or "").strip()
    if text:
        names = names.filter(**{f"{field}__icontains": text})
    starts = Case(When(**{f"{field}__istartswith": text}, then=0), default=1) if text else Value(0)
    rows = names.annotate(first=starts).values_list(field, "first").distinct().order_by("first", field)[:limit]
    return [name for name, _ in rows]


def district_vendor_names(agency, text: str = "", limit: int = SUGGESTIONS) -> list[str]:
    """The names of the district's vendors (those it has an agreement with) that match what was typed."""
    return _suggested(Agreement.objects.filter(agency=agency), "contractor__legal_name", text, limit)


def district_product_names(agency, text: str = "", limit: int = SUGGESTIONS) -> list[str]:
    """The names of the products named in the district's agreements that match what was typed."""
    return _suggested(Product.objects.filter(agreements__agency=agency), "name", text, limit)


def vendor_products(contractor, text: str = "", limit: int = SUGGESTIONS) -> list[str]:
    """The names of the vendor's products that appear in an agreement it can see (a district may name a product in
    a draft) and match what was typed."""
    visible = sent_to_vendor(Agreement.objects.filter(contractor=contractor))
    return _suggested(Product.objects.filter(contractor=contractor, agreements__in=visible), "name", text, limit)


def vendor_districts(contractor, text: str = "", limit: int = SUGGESTIONS) -> list[str]:
    """The names of the districts of the agreements the vendor can see that match what was typed."""
    visible = sent_to_vendor(Agreement.objects.filter(contractor=contractor))
    return _suggested(visible, "agency__name", text, limit)


# A dashboard's list: newest change first.
LISTED_ORDER = ("-status_changed_at", "-pk")
# What a row of a dashboard's table shows: nothing else is read (Exhibit B, the term's other dates stay behind).
LISTED_FIELDS = (
    "kind",
    "status",
    "status_changed_at",
    "contract_end",
    "runs_until_terminated",
    "agency__name",
    "contractor__legal_name",
)


def _named(field: str, value: str) -> Q:
    """A menu's filter: the name as the menu suggests it (any case), or the slug that links and bookmarks carry."""
    return Q(**{f"{field}__slug": value}) | Q(
        **{f"{field}__{'legal_name' if field == 'contractor' else 'name'}__iexact": value}
    )


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
    """Agreements of one district or one vendor, filtered, newest change first (`LISTED_ORDER`): what a dashboard
    lists, a page of which `dashboard_page` reads. A vendor, product or district is given by its name (what the menus
    suggest, or what the person typed in full) or its slug. Products are matched in a subquery rather than a join, so
    no row is repeated and no DISTINCT over the whole list is needed."""
    qs = Agreement.objects.all()
    if agency is not None:
        qs = qs.filter(agency=agency)
    if contractor is not None:
        qs = sent_to_vendor(qs.filter(contractor=contractor))
    if q:
        # EXISTS, which PostgreSQL runs as one hashed scan of the products whose name matches: a few milliseconds for
        # a rare word at 20,000 products statewide. A word that most products share makes it read their every
        # agreement; a row-by-row subquery was tried instead and was worse where the state has few products (the
        # planner scans them once per row). What fixes both is a trigram index on the names (issue 13, left).
        named = Product.objects.filter(agreements=OuterRef("pk"), name__icontains=q)
        qs = qs.filter(Q(contractor__legal_name__icontains=q) | Q(agency__name__icontains=q) | Exists(named))
    if status:
        qs = qs.filter(status=status)
    if vendor:
        qs = qs.filter(_named("contractor", vendor))
    if district:
        qs = qs.filter(_named("agency", district))
    if product:
        qs = qs.filter(
            Exists(Product.objects.filter(Q(slug=product) | Q(name__iexact=product), agreements=OuterRef("pk")))
        )
    if term_end_before:
        qs = qs.filter(contract_end__lte=term_end_before)
    if term_end_after:
        qs = qs.filter(contract_end__gte=term_end_after)
    return qs.order_by(*LISTED_ORDER)


def dashboard_page(agreements, *, counts: list, filters: dict, number, per_page: int):
    """One page of a dashboard's list (`agreement_list`), since a district's or a vendor's list holds a few thousand
    agreements at most: with no filter, or the status alone, how many there are is read from the counts per status
    (`status_counts`) that the page shows anyway, and the page's ids are sliced in SQL (LIMIT and OFFSET: page 80
    costs what page 1 does); filtered, the ids of all that match are read in order in one query, and counted and
    sliced here, instead of a COUNT and the page each testing every agreement against the filters (a search for a
    word most products share took twice the time it takes: issue 13). The rows are `_listed`."""
    ids = agreements.values_list("pk", flat=True)
    if {name for name, value in filters.items() if value} <= {"status"}:
        paginator = Paginator(ids, per_page)
        status = filters.get("status")
        paginator.count = sum(n for value, _, n in counts if not status or value == status)
    else:
        paginator = Paginator(list(ids), per_page)
    page = paginator.get_page(number)
    page.object_list = _listed(page.object_list)
    return page


# The words of a row's status and kind, looked up once (get_status_display searches the field's choices every time).
STATUS_LABELS = dict(Agreement.Status.choices)
KIND_LABELS = dict(Agreement.Kind.choices)


# What a dashboard's row shows, in the list's order, for the ids of a page (a list, or the list's query sliced):
# written out for PostgreSQL, as Django took longer to build the query from the ORM (about a millisecond) than
# PostgreSQL takes to answer it (issue 13); each agreement's products' names an array. The tables' names from the
# models.
_LISTED_COLUMNS = (
    "pk", "kind", "status", "status_changed_at", "contract_end", "runs_until_terminated", "vendor", "district",
    "product_names",
)  # fmt: skip
_LISTED = f"""
SELECT a.id, a.kind, a.status, a.status_changed_at, a.contract_end, a.runs_until_terminated, c.legal_name, d.name,
    ARRAY(SELECT p.name FROM {Agreement.products.through._meta.db_table} ap
          JOIN {Product._meta.db_table} p ON p.id = ap.product_id WHERE ap.agreement_id = a.id ORDER BY p.name)
FROM {Agreement._meta.db_table} a
JOIN {Contractor._meta.db_table} c ON c.id = a.contractor_id
JOIN {EducationalAgency._meta.db_table} d ON d.id = a.agency_id
WHERE {{where}}
ORDER BY a.status_changed_at DESC, a.id DESC
"""  # noqa: S608 -- table names from the models; the ids a parameter, or the ORM's query of them with its parameters


def _listed_rows(ids) -> list[dict]:
    """`_listed`'s rows before their links and labels, for the page's ids (a list, or the list's query sliced): one
    query on PostgreSQL; elsewhere (SQLite for `make run`), the same from the ORM and one more for the products' names.
    An empty page sends none."""
    if isinstance(ids, list) and not ids:
        return []
    if connection.vendor == "postgresql":
        if isinstance(ids, list):
            where, params = "a.id = ANY(%s)", [ids]
        else:
            try:
                ids_sql, params = ids.query.sql_with_params()
            except EmptyResultSet:  # the ORM's empty slice
                return []
            where = f"a.id IN ({ids_sql})"
        with connection.cursor() as cursor:
            cursor.execute(_LISTED.format(where=where), params)
            return [dict(zip(_LISTED_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    rows = list(
        Agreement.objects.filter(pk__in=ids)
        .order_by(*LISTED_ORDER)
        .values(*_LISTED_COLUMNS[:6], vendor=F("contractor__legal_name"), district=F("agency__name"))
    )
    products = {row["pk"]: [] for row in rows}
    links = Agreement.products.through.objects.filter(agreement__in=products).order_by("product__name")
    for agreement_id, name in links.values_list("agreement_id", "product__name"):
        products[agreement_id].append(name)
    for row in rows:
        row["product_names"] = products[row["pk"]]
    return rows


def _listed(ids) -> list[dict]:
    """The agreements of a page, given by the list's ids sliced in SQL (a subquery of the same query), in the list's
    order (`LISTED_ORDER`): what the table shows and nothing else, as dicts of values (building three model instances
    a row was most of the time the rows took; a template reads a dict's key at its first try, a model's attribute at
    its second): `pk`, `url` (its page), `kind` and `kind_label`, `status` and `status_label`, `status_changed_at`,
    `contract_end`, `runs_until_terminated`, the names of its `vendor` and `district`, and `product_names`, its
    products' names in alphabetical order.
    Only the page is joined to the vendors and districts: the whole list joined first, PostgreSQL hashed every vendor
    in the state to sort a district's few thousand rows (3.6 ms of the 4.8 ms the query took at 20,000 vendors)."""
    rows = _listed_rows(ids)
    links = Links()  # each row's link, the agreement page's URL reversed once (a reverse per row: a sixth of the table)
    for row in rows:
        row["url"] = links.url("agreement_detail", row["pk"])
        row["status_label"] = STATUS_LABELS[row["status"]]
        row["kind_label"] = KIND_LABELS[row["kind"]]
    return rows


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


# --- Agreements signed outside the portal (issue 12) -----------------------------------------------------------

# The fields of an agreement signed outside the portal that the district gives (the names of OutsideTerms, which the
# import template's columns use), with the words the pages use for each; `read_from_pdf` holds these names.
OUTSIDE_FIELD_LABELS = {
    "service_agreement_date": "Service Agreement date",
    "contract_start": "contract start date",
    "contract_end": "contract end date",
    "review_on": "next review date",
    "purposes": "purposes (item 1)",
    "subcontractors": "subcontractors (item 2)",
    "subcontractor_terms": "how subcontractors are bound (item 2)",
    "data_transition": "data transition and destruction (item 3)",
    "accuracy_challenges": "challenges to data accuracy (item 4)",
    "storage_and_security": "storage and security (item 5)",
    "encryption": "encryption (item 6)",
    "student_pii": "student PII",
    "appr_data": "APPR data",
    "vendor_contact_name": "vendor contact's name",
    "vendor_contact_email": "vendor contact's e-mail",
}
# The six items of 8 NYCRR 121.3(c), as the list of what is missing names them.
OUTSIDE_ITEMS = {
    1: "the exclusive purposes for which the data will be used",
    2: "how subcontractors are bound",
    3: "what happens to the data when the agreement ends",
    4: "challenges to data accuracy",
    5: "where the data is stored and how it is protected",
    6: "encryption",
}


def outside_missing(agreement) -> list[str]:
    """What the district has still to give of an agreement signed outside the portal, as phrases for its pages;
    then the values read from the PDF that nobody confirmed yet. Reads the agreement's OutsideSigning and Exhibit B
    (select_related them to spend no query)."""
    outside = agreement.outside_signing
    info = agreement.supplemental_information
    missing = list(agreement.term_missing)  # the same phrases as a draft's term (issue 11.1)
    given = {
        1: bool(info.purposes.strip()),
        2: bool(outside.subcontractor_terms.strip() or info.subcontractor_use),
        3: bool(info.data_transition_details.strip() or outside.accuracy_model_wording),
        4: bool(outside.accuracy_challenges.strip() or outside.accuracy_model_wording),
        5: bool(
            info.security_measures.strip()
            or info.storage_third_party_cloud
            or info.storage_contractor_hosted
            or info.storage_other
        ),
        6: bool(info.encryption_details.strip() or outside.accuracy_model_wording),
    }
    missing += [f"121.3(c) item {n}: {OUTSIDE_ITEMS[n]}" for n, ok in given.items() if not ok]
    if not (info.receives_student_pii or info.receives_appr_data):
        missing.append("the kinds of PII (student data, APPR data)")
    if outside.document_id is None:
        missing.append("the signed PDF")
    if not outside.vendor_contact_email:
        missing.append("the vendor's contact")
    missing += [f"read from the PDF, please confirm: {OUTSIDE_FIELD_LABELS.get(f, f)}" for f in outside.read_from_pdf]
    return missing


# Of an agreement signed outside the portal (issue 12): something the district has still to give, as
# agreements.outside.outside_missing words it (the same tests, in SQL, so the dashboard counts them in one query).
_B = "supplemental_information__"
_O = "outside_signing__"
OUTSIDE_INCOMPLETE = (
    TERM_INCOMPLETE
    | Q(runs_until_terminated=True, review_on__isnull=True)
    | Q(**{f"{_B}purposes": ""})
    | Q(**{f"{_O}subcontractor_terms": "", f"{_B}subcontractor_use": ""})
    | Q(**{f"{_B}data_transition_details": "", f"{_O}accuracy_model_wording": False})
    | Q(**{f"{_O}accuracy_challenges": "", f"{_O}accuracy_model_wording": False})
    | Q(
        **{
            f"{_B}security_measures": "",
            f"{_B}storage_third_party_cloud": False,
            f"{_B}storage_contractor_hosted": False,
            f"{_B}storage_other": False,
        }
    )
    | Q(**{f"{_B}encryption_details": "", f"{_O}accuracy_model_wording": False})
    | Q(**{f"{_B}receives_student_pii": False, f"{_B}receives_appr_data": False})
    | Q(**{f"{_O}document__isnull": True})
    | Q(**{f"{_O}vendor_contact_email": ""})
    | ~Q(**{f"{_O}read_from_pdf": []})
)


def outside_to_complete(*, agency, limit: int = 20) -> tuple[int, list, int]:
    """The district's agreements signed outside the portal that lack something (the count, and the oldest `limit`
    with what each lacks in `.missing`), for its dashboard, and how many it has signed outside the portal at all (its
    dashboard looks for their past duties only if there are any). One query for a district that imported none, as
    most have; two more for one that did, whatever their number."""
    signed_outside = Agreement.objects.filter(agency=agency, outside_signing__isnull=False)
    totals = signed_outside.aggregate(all=Count("pk"), incomplete=Count("pk", filter=OUTSIDE_INCOMPLETE))
    count = totals["incomplete"]
    listed = list(
        signed_outside.filter(OUTSIDE_INCOMPLETE)
        .select_related("contractor", "outside_signing", "supplemental_information")
        .prefetch_related(Prefetch("products", queryset=Product.objects.order_by("name")))
        .order_by("outside_signing__uploaded_at", "pk")[:limit]
        if count
        else []
    )
    for agreement in listed:
        agreement.missing = outside_missing(agreement)
    return count, listed, totals["all"]


def outside_review_duties(*, agency=None, agreement=None, limit: int = 20) -> list:
    """The open duties of imported agreements whose due date had passed when they were imported: the district reviews
    them rather than being e-mailed that they are overdue (agreements.deadlines.services.outside). One query."""
    duties = Obligation.objects.filter(
        agreement__outside_signing__isnull=False,
        status__in=Obligation.OPEN_STATUSES,
        due_on__lt=F("agreement__outside_signing__uploaded_at__date"),
    )
    if agency is not None:
        duties = duties.filter(agency=agency)
    if agreement is not None:
        duties = duties.filter(agreement=agreement)
    return list(duties.select_related("agreement__contractor").order_by("due_on", "pk")[:limit])


# The district dashboard's counts, written out: Django took longer to build the query from the ORM (about 0.7 ms) than
# PostgreSQL takes to answer it (issue 13). The counts per status from the index on (district, status) alone; the
# drafts lacking their term (as TERM_INCOMPLETE says: tests/test_dashboard_rows.py checks that the count and
# agreements_missing_term agree), the agreements signed outside the portal counted once each, and the e-mails that did
# not go out (through the outbox's index on status: few rows), beside them (the whole district's rows read for these
# took twice as long). The tables' names from the models.
_DISTRICT_COUNTS = f"""
SELECT a.status, COUNT(*),
    (SELECT COUNT(*) FROM {Agreement._meta.db_table} d WHERE d.agency_id = %(agency)s AND d.status = %(draft)s
        AND (d.service_agreement_date IS NULL OR d.contract_start IS NULL
             OR (d.contract_end IS NULL AND NOT d.runs_until_terminated))),
    (SELECT COUNT(*) FROM {OutsideSigning._meta.db_table} o JOIN {Agreement._meta.db_table} s ON s.id = o.agreement_id
        WHERE s.agency_id = %(agency)s),
    (SELECT COUNT(*) FROM {OutboundEmail._meta.db_table} e JOIN {Agreement._meta.db_table} g ON g.id = e.agreement_id
        WHERE e.status IN ({", ".join(f"%(undelivered_{n})s" for n in range(len(OutboundEmail.UNDELIVERED)))})
        AND g.agency_id = %(agency)s)
FROM {Agreement._meta.db_table} a
WHERE a.agency_id = %(agency)s
GROUP BY a.status
"""  # noqa: S608 -- table names from the models, nothing a person typed


class DistrictCounts(NamedTuple):
    statuses: list[tuple[str, str, int]]  # (status, label, count) for every status, in lifecycle order
    missing_term: int  # drafts lacking their term (agreements_missing_term lists them)
    signed_outside: int  # agreements signed outside the portal (outside_to_complete looks at them)
    undelivered: int  # e-mails about its agreements that did not go out (outbox_status.district_undelivered)


def district_counts(*, agency) -> DistrictCounts:
    """The district dashboard's counts, in one query. The dashboard reads the lists behind the last three only when
    there is something to list, as few districts have."""
    params = {
        "agency": agency.pk,
        "draft": statuses.AgreementStatus.DRAFT.value,
        # OutboundEmail.UNDELIVERED, a parameter each (SQLite, make run's database, has no ANY).
        **{f"undelivered_{n}": status.value for n, status in enumerate(OutboundEmail.UNDELIVERED)},
    }
    with connection.cursor() as cursor:
        cursor.execute(_DISTRICT_COUNTS, params)
        rows = cursor.fetchall()
    counts = {row[0]: row[1] for row in rows}
    missing_term, signed_outside, undelivered = rows[0][2:] if rows else (0, 0, 0)
    listed = [(s.value, s.label, counts.get(s.value, 0)) for s in Agreement.Status]
    return DistrictCounts(listed, missing_term, signed_outside, undelivered)


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
