"""The dashboards at statewide size (issue 13): the same number of queries and a bounded page whatever the number of
agreements, vendors and products; the vendor, product and district menus are searched as you type, never listed whole.

The rows are made with SQL (generate_series), not the ORM row by row. `DASHBOARD_SCALE=20000 scripts/test.sh -s -p
no:cacheprovider tests/test_dashboard_scale.py -k measure` prints the server time of each dashboard at that many
agreements (2,000 of them, with 2,000 vendors, in one district) against a bare Django page of the same size.
"""

# ruff: noqa: S608 (the SQL names tables from the models' _meta; every value is a parameter)

import os
import re
import time

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

from agreements import selectors
from agreements.models import Agreement, EducationalAgency, StatusChange
from exhibits.catalogues import load_all_catalogues
from exhibits.models import Framework
from vendors.models import Contractor, Product

from . import personas
from .helpers import with_totp
from .shared import SharedRows

STATUSES = [s.value for s in Agreement.Status]


# What a column that the generator does not name gets, by its type, when it is NOT NULL and has no default.
EMPTY = {"text": "''", "character varying": "''", "boolean": "false", "integer": "0", "jsonb": "'{}'::jsonb",
         "timestamp with time zone": "now()", "date": "current_date"}  # fmt: skip


def _insert(cursor, table: str, values: dict[str, str], source: str, params) -> None:
    """INSERT INTO table (columns) SELECT expressions FROM source; the NOT NULL columns not named (those other issues
    add while this one is written) get an empty value."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO'"
        " AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    columns = dict(values)
    for name, kind in cursor.fetchall():
        columns.setdefault(name, EMPTY.get(kind, "DEFAULT"))
    names = ", ".join(f'"{n}"' for n in columns)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {', '.join(columns.values())} FROM {source}", params)


def make_statewide(*, district, vendor, agreements: int, district_share: int, vendors: int, tag: str = "") -> None:
    """`agreements` agreements in SQL: `district_share` of them in `district`, with `vendors` vendors made here (each
    with one product, named in its agreements) in turn; the rest spread over 100 other districts made here, one in
    seven of them with `vendor`. Every status appears; all but drafts were sent to the vendor. `tag` tells the names of
    one call's organisations from another's."""
    framework = Framework.objects.order_by("pk").values_list("pk", flat=True).first()
    a, c, p = Agreement._meta.db_table, Contractor._meta.db_table, Product._meta.db_table
    ap = Agreement.products.through._meta.db_table
    agency_table = district._meta.db_table
    sc = StatusChange._meta.db_table
    n_status = len(STATUSES)
    # The organisations with the ORM in bulk (a few thousand rows, every column's default); the agreements in SQL.
    EducationalAgency.objects.bulk_create(
        EducationalAgency(name=f"Scale District {tag}{i:04}", slug=f"scale-district-{tag}{i}") for i in range(1, 101)
    )
    contractors = Contractor.objects.bulk_create(
        Contractor(legal_name=f"Scale Vendor {tag}{i:05} Learning", slug=f"scale-vendor-{tag}{i}")
        for i in range(1, vendors + 1)
    )
    Product.objects.bulk_create(
        Product(contractor=c, name=f"Scale Product {tag}{i:05} Reader", slug="scale-product")
        for i, c in enumerate(contractors, 1)
    )
    with connection.cursor() as cursor:
        others = f"(SELECT array_agg(id ORDER BY id) FROM {agency_table} WHERE slug LIKE %(districts)s)"
        scale_vendors = f"(SELECT array_agg(id ORDER BY id) FROM {c} WHERE slug LIKE %(vendors_like)s)"
        # In the district, vendor i % vendors; elsewhere, the same vendors over the 100 other districts.
        _insert(
            cursor,
            a,
            {
                "agency_id": "CASE WHEN i <= %(share)s THEN %(district)s ELSE (o.ids)[1 + i %% 100] END",
                "contractor_id": "CASE WHEN i <= %(share)s OR i %% 7 <> 0 THEN (v.ids)[1 + i %% %(vendors)s]"
                " ELSE %(vendor)s END",
                "framework_id": "%(framework)s",
                "service_agreement_date": "date '2026-01-01'",
                "contract_start": "date '2026-07-01'",
                "contract_end": "date '2027-06-30' + (i %% 700)",
                "status": "(%(statuses)s::text[])[1 + i %% %(n_status)s]",
                "status_changed_at": "now() - i * interval '1 minute'",
                "kind": "'new'",
            },
            f"generate_series(1, %(n)s) i, {others} o(ids), {scale_vendors} v(ids)",
            {
                "share": district_share,
                "district": district.pk,
                "vendors": vendors,
                "vendor": vendor.pk,
                "framework": framework,
                "statuses": STATUSES,
                "n_status": n_status,
                "n": agreements,
                "districts": f"scale-district-{tag}%",
                "vendors_like": f"scale-vendor-{tag}%",
            },
        )
        cursor.execute(
            f"""INSERT INTO {ap} (agreement_id, product_id)
            SELECT {a}.id, {p}.id FROM {a} JOIN {p} ON {p}.contractor_id = {a}.contractor_id
            WHERE {a}.id NOT IN (SELECT agreement_id FROM {ap})""",
        )
        cursor.execute(
            f"""INSERT INTO {sc} (agreement_id, from_status, to_status, note, created_at)
            SELECT id, 'draft', 'with_vendor', '', created_at FROM {a} WHERE status <> 'draft'
            AND NOT EXISTS (SELECT 1 FROM {sc} s WHERE s.agreement_id = {a}.id)""",
        )
        cursor.execute(f"ANALYZE {a}; ANALYZE {ap}; ANALYZE {c}; ANALYZE {p}; ANALYZE {sc}; ANALYZE {agency_table}")


# --- A district with 2,000 agreements and 2,000 vendors, built once for the tests of this module ----------------

SHARED_ROWS = SharedRows()


@SHARED_ROWS.layer()
def statewide_rows(rows):
    load_all_catalogues()
    district, vendor = personas.district(), personas.vendor()
    make_statewide(district=district, vendor=vendor, agreements=3000, district_share=2000, vendors=2000)
    return {
        "district": district,
        "vendor": vendor,
        "admin": with_totp(personas.district_user(district)),
        "editor": personas.vendor_user(vendor),
    }


statewide = SHARED_ROWS.fixture("statewide", "statewide_rows")

# A page of 25 agreements with the issue-12 panels: what the dashboard weighs whatever the district's size.
MOST_BYTES = 60_000


def test_the_district_dashboard_lists_no_menu_and_stays_small(client, statewide):
    client.force_login(statewide["admin"])
    response = client.get(reverse("district_dashboard", args=[statewide["district"].slug]))
    text = response.text
    assert len(response.content) < MOST_BYTES
    assert text.count("<option") == len(Agreement.Status) + 1  # the status menu's; none of a vendor or product
    assert text.count("Scale Vendor ") == 25 and "Page 1 of 80" in text
    assert 'list="vendor-options"' in text and 'list="product-options"' in text
    assert sum(n for _, _, n in response.context["counts"]) == 2000


def test_the_vendor_dashboard_lists_no_menu_and_stays_small(client, statewide):
    client.force_login(statewide["editor"])
    response = client.get(reverse("vendor_dashboard", args=[statewide["vendor"].slug]))
    assert len(response.content) < MOST_BYTES
    assert 'list="district-options"' in response.text and response.text.count("Scale District ") == 25
    # One in seven of the 1,000 agreements outside the district is the vendor's; it never sees the drafts.
    sent = len([i for i in range(2001, 3001) if i % 7 == 0 and STATUSES[i % len(STATUSES)] != "draft"])
    assert response.context["page"].paginator.count == sum(n for _, _, n in response.context["counts"]) == sent


@pytest.mark.parametrize(
    ("persona", "name", "side", "index"),
    [
        ("admin", "district_dashboard", "district", "agreement_agency_changed"),
        ("editor", "vendor_dashboard", "vendor", "agreement_contractor_changed"),
    ],
)
def test_a_dashboards_page_is_read_in_order_from_its_index(client, statewide, persona, name, side, index):
    """The page's rows, newest change first, read from the (organisation, status_changed_at, id) index and stopped at
    the page's end, not the organisation's thousands of rows sorted for each page. At this size the planner may still
    rather sort them, so it is asked for a plan without a sort, which reads the index only if the index fits."""
    client.force_login(statewide[persona])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name, args=[statewide[side].slug])).status_code == 200
    [sql] = [
        q["sql"] for q in queries.captured_queries if '"status_changed_at" DESC' in q["sql"] and "LIMIT" in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_sort = on")
        cursor.execute("SET LOCAL enable_seqscan = on")
    # The page's ids: a LIMIT straight over the index (the outer query then orders its 25 rows, and their products).
    assert re.search(rf"Limit .*\n\s*->  Index (Only )?Scan using {index} ", plan), plan


def test_menus_suggest_a_few_names_that_start_with_what_was_typed_first(client, statewide):
    client.force_login(statewide["admin"])
    url = reverse("district_suggest_vendors", args=[statewide["district"].slug])
    names = client.get(url, {"vendor": "scale vendor 0001"}).context["names"]
    assert names == [f"Scale Vendor {i:05} Learning" for i in range(10, 20)]
    # A name that starts with what was typed comes before those that contain it.
    first = Contractor.objects.create(legal_name="Learning First Ltd", slug="learning-first")
    Agreement.objects.filter(agency=statewide["district"], contractor__slug="scale-vendor-1").update(contractor=first)
    names = client.get(url, {"vendor": "learning"}).context["names"]
    assert names == ["Learning First Ltd"] + [f"Scale Vendor {i:05} Learning" for i in range(2, 21)]
    assert client.get(url, {"vendor": "01999"}).context["names"] == ["Scale Vendor 01999 Learning"]
    assert len(client.get(url, {"vendor": "0"}).context["names"]) == selectors.SUGGESTIONS  # 2,000 match: 20 shown
    assert len(client.get(url).context["names"]) == selectors.SUGGESTIONS  # nothing typed: the first names
    assert client.get(url, {"vendor": "100%"}).context["names"] == []  # typed text, not a LIKE pattern
    fragment = client.get(url, {"q": "Vendor 00042 Learn"}).text
    assert fragment.strip() == '<option value="Scale Vendor 00042 Learning"></option>'
    products = reverse("district_suggest_products", args=[statewide["district"].slug])
    assert client.get(products, {"product": "00042 READER"}).context["names"] == ["Scale Product 00042 Reader"]


def test_vendor_menus_suggest_only_what_the_vendor_sees(client, statewide):
    client.force_login(statewide["editor"])
    url = reverse("vendor_suggest_districts", args=[statewide["vendor"].slug])
    names = client.get(url, {"district": "Scale"}).context["names"]
    assert len(names) == 20 and all(name.startswith("Scale District ") for name in names)
    assert statewide["district"].name not in client.get(url, {"district": "Hometown"}).text  # none with the vendor


def test_a_name_typed_in_full_filters_as_a_picked_one_does(client, statewide):
    client.force_login(statewide["admin"])
    url = reverse("district_dashboard", args=[statewide["district"].slug])

    def count(**params):
        return client.get(url, params).context["page"].paginator.count

    assert count(vendor="Scale Vendor 00007 Learning") == 1
    assert count(vendor="scale vendor 00007 learning") == 1  # any case
    assert count(vendor="scale-vendor-7") == 1  # the slug of links made before the menus were searched
    assert count(vendor="Scale Vendor 00007") == 0  # a part of a name is what the search box is for
    assert count(product="Scale Product 00007 Reader") == 1
    assert count(q="00007") == 1 and count(q="reader", status="executed") == 200


def _dashboards(district, vendor, admin, editor):
    return [
        (admin, reverse("district_dashboard", args=[district.slug]), {}),
        (admin, reverse("district_dashboard", args=[district.slug]), {"q": "learning", "status": "submitted"}),
        (admin, reverse("district_dashboard", args=[district.slug]), {"vendor": "x", "product": "y"}),
        (editor, reverse("vendor_dashboard", args=[vendor.slug]), {}),
        (admin, reverse("district_suggest_vendors", args=[district.slug]), {"vendor": "scale"}),
        (editor, reverse("vendor_suggest_products", args=[vendor.slug]), {"product": "scale"}),
    ]


def test_the_dashboards_spend_as_many_queries_for_200_agreements_as_for_10(
    client, catalogues, district, vendor, django_assert_num_queries
):
    admin, editor = with_totp(personas.district_user(district)), personas.vendor_user(vendor)
    make_statewide(district=district, vendor=vendor, agreements=20, district_share=10, vendors=10, tag="a")
    counts = []
    for user, url, params in _dashboards(district, vendor, admin, editor):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        counts.append(len(queries))
    make_statewide(district=district, vendor=vendor, agreements=400, district_share=190, vendors=190, tag="b")
    assert Agreement.objects.filter(agency=district).count() == 200
    for (user, url, params), n in zip(_dashboards(district, vendor, admin, editor), counts, strict=True):
        client.force_login(user)
        with django_assert_num_queries(n):
            assert client.get(url, params).status_code == 200


# --- A bare Django page of the same size: the yardstick of issue 13 ------------------------------------------------

BARE = {"size": 0}


def bare(request):
    return HttpResponse("x" * BARE["size"])


urlpatterns = [path("bare-page/", bare), path("", include("dpa_portal.urls"))]


def _server_time(client, url, runs=15, **params) -> tuple[float, float, int]:
    """The fastest of `runs` requests (after one to warm up; the fastest, as other work on the machine only adds
    to it): its wall-clock seconds and the seconds of this process's CPU (the server's Python, without PostgreSQL),
    and the size of the page in bytes."""
    response = client.get(url, params)
    assert response.status_code == 200
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url, params)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu), len(response.content)


SCALE = int(os.environ.get("DASHBOARD_SCALE", "0"))


@pytest.mark.skipif(not SCALE, reason="a measurement: DASHBOARD_SCALE=20000 prints the dashboards' times")
@pytest.mark.urls(__name__)
def test_measure_dashboards(client, catalogues, district, vendor):
    vendors = int(os.environ.get("DASHBOARD_VENDORS", "2000"))
    make_statewide(district=district, vendor=vendor, agreements=SCALE, district_share=2000, vendors=vendors)
    admin = with_totp(personas.district_user(district))
    editor = personas.vendor_user(vendor)
    rows = []
    for user, name, slug, params in [
        (admin, "district_dashboard", district.slug, {}),
        (admin, "district_dashboard", district.slug, {"status": "executed"}),
        (admin, "district_dashboard", district.slug, {"vendor": "Scale Vendor 00007 Learning"}),
        (admin, "district_dashboard", district.slug, {"q": "00042"}),
        (admin, "district_dashboard", district.slug, {"q": "reader"}),
        (admin, "district_dashboard", district.slug, {"page": "70"}),
        (editor, "vendor_dashboard", vendor.slug, {}),
        (admin, "district_suggest_vendors", district.slug, {"vendor": "Vendor 0004"}),
    ]:
        client.force_login(user)
        seconds, cpu, size = _server_time(client, reverse(name, args=[slug]), **params)
        BARE["size"] = size
        bare_seconds, bare_cpu, _ = _server_time(client, "/bare-page/")
        rows.append((name, params, seconds, cpu, size, bare_seconds, bare_cpu))
        if os.environ.get("DASHBOARD_QUERIES"):
            with CaptureQueriesContext(connection) as queries:
                client.get(reverse(name, args=[slug]), params)
            for query in queries.captured_queries:
                print(query["time"], query["sql"][:300])
                if float(query["time"]) > 0.002:
                    with connection.cursor() as cursor:
                        cursor.execute("EXPLAIN ANALYZE " + query["sql"])
                        print("\n".join(row[0] for row in cursor.fetchall()))
    print(f"\n{SCALE:,} agreements; 2,000 of them and 2,000 vendors in the district")
    print("page, filters: fastest of 15 (wall clock; Python CPU), size; a bare page of the same size, signed in alike")
    for name, params, seconds, cpu, size, bare_seconds, bare_cpu in rows:
        print(
            f"{name:20} {params!s:45} {seconds * 1000:6.1f} ms ({cpu * 1000:5.1f} CPU) {size / 1024:6.1f} KB"
            f"  bare {bare_seconds * 1000:5.1f} ms ({bare_cpu * 1000:4.1f} CPU)  x{seconds / bare_seconds:5.1f}"
        )
