"""Issue 13 on the public pages: costs bounded by what a page shows. The index reads stored counts and never counts
the agreements; a district's list is counted, filtered and paginated in SQL and loads only its page; a change makes
stale its own district and only the statewide pages that show it, and a bulk write invalidates once; the open data
files stream, with the same bytes as the whole document and memory flat in the district's size."""

import csv
import io
import itertools
import json
import tracemalloc

import pytest
from django.core.cache import cache as django_cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agreements.models import Agreement, EducationalAgency
from agreements.services import agreement_transition
from dpa_portal.links import Links
from exhibits.models import PublicSearchEntry, SupplementalInformation
from exhibits.public import cache, opendata, selectors
from exhibits.public.records import listings, public_records
from exhibits.public.search_index import entries_refresh
from exhibits.public.services import public_pages_held
from vendors.models import Contractor

from . import factories
from .public_helpers import fresh_cache_fixture, make_agreement  # noqa: F401

S = Agreement.Status
_batches = itertools.count()
pytestmark = pytest.mark.usefixtures("fresh_cache")


def clone_posted(template: Agreement, n: int, *, vendors: int = 7) -> list[int]:
    """n copies of a posted agreement in its district, with Exhibit B and products, made in bulk (as the benchmark
    makes its rows with SQL): cycling through a few vendors, so that the list's order by vendor means something."""
    batch = next(_batches)
    made = Contractor.objects.bulk_create(
        Contractor(legal_name=f"Bulk Vendor {batch}-{i}", slug=f"bulk-{batch}-{i}") for i in range(vendors)
    )
    fields = [f.attname for f in Agreement._meta.concrete_fields if not f.primary_key]
    rows = []
    for i in range(n):
        row = Agreement(**{name: getattr(template, name) for name in fields})
        row.contractor_id = made[i % vendors].pk
        rows.append(row)
    agreements = Agreement.objects.bulk_create(rows)
    info = template.supplemental_information
    info_fields = [f.attname for f in SupplementalInformation._meta.concrete_fields if not f.primary_key]
    SupplementalInformation.objects.bulk_create(
        SupplementalInformation(**{**{name: getattr(info, name) for name in info_fields}, "agreement_id": a.pk})
        for a in agreements
    )
    through = Agreement.products.through
    products = list(template.products.all())
    through.objects.bulk_create(through(agreement_id=a.pk, product_id=p.pk) for a in agreements for p in products)
    cache.posted_count_refresh([template.agency_id])
    return [a.pk for a in agreements]


@pytest.fixture
def template(catalogues, district):
    return make_agreement(agency=district, contractor=factories.ContractorFactory(legal_name="Template Vendor"))


def statements(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


# --- the index -------------------------------------------------------------------------------------------------


def test_the_index_reads_stored_counts_and_never_counts_the_agreements(client, template, other_district):
    clone_posted(template, 30)
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/public/").text
    assert "31 agreements posted" in page and "0 agreements posted" in page
    assert len(captured) == 1
    assert "agreements_agreement" not in statements(captured)[0] and "COUNT(" not in statements(captured)[0].upper()


def test_the_stored_count_follows_postings_and_not_the_moves_between_posted_statuses(catalogues, district):
    def stored():
        return EducationalAgency.objects.get(pk=district.pk).posted_count

    def counted():
        return Agreement.objects.filter(agency=district, status__in=("executed", "expired", "terminated", "closed"))

    first = make_agreement(agency=district)
    make_agreement(agency=district, status=S.APPROVED)
    assert stored() == counted().count() == 1
    second = make_agreement(agency=district)
    agreement_transition(agreement=first, to_status=S.EXPIRED)  # still posted
    assert stored() == counted().count() == 2
    with public_pages_held():  # a bulk writer: counted once, at the end
        agreement_transition(agreement=second, to_status=S.TERMINATED)
        make_agreement(agency=district)
        assert stored() == 2
    assert stored() == counted().count() == 3


# --- a district's list ---------------------------------------------------------------------------------------


def listed_pks(response) -> list[int]:
    import re

    return [int(pk) for pk in re.findall(r'<h3 class="h5" id="agreement-(\d+)">', response.text)]


def test_a_district_list_loads_only_its_page_in_a_constant_number_of_queries(
    client, template, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("exhibits.public.views.PER_PAGE", 5)
    loaded = []
    original = listings

    def counting(rows, slug):
        cards = original(rows, slug)
        loaded.append(len(cards))
        return cards

    monkeypatch.setattr("exhibits.public.views.listings", counting)
    url = f"/public/{template.agency.slug}/"
    clone_posted(template, 9)
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"page": 2})
    clone_posted(template, 60)
    django_cache.clear()
    with django_assert_max_num_queries(len(small)):
        response = client.get(url, {"page": 3})
    assert loaded == [5, 5]  # the page's rows, never the district's
    assert "Page 3 of 14" in response.text and "70 agreements posted." in response.text


def test_every_page_in_turn_is_the_whole_list_in_its_order(client, template, monkeypatch):
    """The SQL order is the order the records define (in effect first, then by vendor, newest first)."""
    monkeypatch.setattr("exhibits.public.views.PER_PAGE", 4)
    pks = clone_posted(template, 13)
    Agreement.objects.filter(pk__in=pks[:3]).update(status=S.EXPIRED)
    agency = template.agency
    records = public_records(selectors.posted_agreements().filter(agency=agency))
    expected = [r.pk for r in sorted(records, key=lambda r: r.sort_key)]
    pages = [listed_pks(client.get(f"/public/{agency.slug}/", {"page": n})) for n in range(1, 5)]
    assert [pk for page in pages for pk in page] == expected
    assert [len(page) for page in pages] == [4, 4, 4, 2]
    # Past the last page: the last page, as Django's paginator does; a filter counts within the district.
    assert listed_pks(client.get(f"/public/{agency.slug}/", {"page": 99})) == pages[-1]
    expired = client.get(f"/public/{agency.slug}/", {"status": "expired"})
    assert "3 of 14 agreements match." in expired.text and sorted(listed_pks(expired)) == sorted(pks[:3])


def test_the_order_by_vendor_reads_the_search_entries_and_holds_without_one(client, template, monkeypatch):
    """The list orders by the vendor's name as the statewide search's entry keeps it (selectors._search_entry); a
    vendor renamed reorders it; an agreement whose entry is missing sorts by its vendor's own name all the same."""
    monkeypatch.setattr("exhibits.public.views.PER_PAGE", 50)
    pks = clone_posted(template, 14)
    entries_refresh()  # the bulk rows' entries, as the benchmark and a merge write them
    agency = template.agency

    def expected():
        records = public_records(selectors.posted_agreements().filter(agency=agency))
        return [r.pk for r in sorted(records, key=lambda r: r.sort_key)]

    def listed():
        django_cache.clear()
        return listed_pks(client.get(f"/public/{agency.slug}/"))

    assert listed() == expected()
    renamed = Agreement.objects.get(pk=pks[0]).contractor
    renamed.legal_name = "AAA First Now"
    renamed.save()  # the entries follow (search_index's receivers)
    assert PublicSearchEntry.objects.get(agreement_id=pks[0]).vendor == "AAA First Now"
    assert listed()[:2] == [pk for pk in expected() if pk in pks[::7]] == expected()[:2]
    PublicSearchEntry.objects.filter(agreement_id__in=pks[1:3]).delete()
    assert listed() == expected()


def test_the_search_box_never_finds_a_withheld_purpose(client, template, district_admin):
    from exhibits.public.services import redaction_add

    agency = template.agency
    assert listed_pks(client.get(f"/public/{agency.slug}/", {"q": "reading lessons"})) == [template.pk]
    redaction_add(agreement=template, field="purposes", reason="Names a product in development.", actor=district_admin)
    assert listed_pks(client.get(f"/public/{agency.slug}/", {"q": "reading lessons"})) == []
    assert listed_pks(client.get(f"/public/{agency.slug}/", {"q": "template"})) == [template.pk]


# --- caching that fits the data -------------------------------------------------------------------------------


def test_a_change_in_one_district_leaves_the_statewide_pages_that_do_not_show_it_cached(
    catalogues, district, other_district, django_assert_num_queries
):
    ours = make_agreement(agency=district, contractor=factories.ContractorFactory(legal_name="Ours Learning"))
    make_agreement(agency=other_district, contractor=factories.ContractorFactory(legal_name="Theirs Learning"))
    client = Client()
    theirs_only = "/public/search/?q=theirs"
    showing_ours = ["/public/search/?q=ours", "/public/feed.atom"]
    for url in ["/public/", theirs_only, *showing_ours]:
        client.get(url)
    info = ours.supplemental_information
    info.purposes = "Changed in our district only."
    info.save()
    agreement_transition(agreement=ours, to_status=S.EXPIRED)  # as the sweep does: still posted
    for url in ["/public/", theirs_only]:  # the index lists counts and names only; the search shows theirs only
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200, url
    assert "Changed in our district only." in client.get("/public/feed.atom").getvalue().decode()
    assert "Expired" in client.get("/public/search/?q=ours").text


def test_a_posting_makes_every_statewide_page_stale(catalogues, district, other_district, django_assert_num_queries):
    client = Client()
    client.get("/public/search/?q=fresh")
    client.get("/public/")
    make_agreement(agency=other_district, contractor=factories.ContractorFactory(legal_name="Fresh Vendor"))
    assert "Fresh Vendor" in client.get("/public/search/?q=fresh").text
    assert "1 agreement posted" in client.get("/public/").text


def test_the_sweeps_expirations_invalidate_once(catalogues, district, other_district):
    """What agreements/deadlines/sweep.py gets by holding the public pages: no query per row to find districts, one
    bump per district at the end, no statewide bump (nothing entered or left the posted statuses)."""
    mine = [make_agreement(agency=district) for _ in range(3)]
    make_agreement(agency=other_district)
    before = {s: cache.version(s) for s in (district.slug, other_district.slug, cache.STATEWIDE)}
    with public_pages_held(), CaptureQueriesContext(connection) as held:
        for agreement in mine:
            agreement_transition(agreement=agreement, to_status=S.EXPIRED)
        assert cache.version(district.slug) == before[district.slug]
    assert not [sql for sql in statements(held) if '"agreements_educationalagency"."slug"' in sql]
    assert cache.version(district.slug) == before[district.slug] + 1
    assert cache.version(other_district.slug) == before[other_district.slug]
    assert cache.version(cache.STATEWIDE) == before[cache.STATEWIDE]


# --- open data streams -----------------------------------------------------------------------------------------


def whole_json(agency) -> bytes:
    """The JSON as it was built before it streamed: the whole document at once."""
    records = public_records(selectors.posted_agreements().filter(agency=agency).order_by("pk"))
    absolute = Client().get("/").wsgi_request.build_absolute_uri
    document = {
        "format": opendata.FORMAT,
        "district": {"name": agency.name, "slug": agency.slug, "url": absolute(f"/public/{agency.slug}/")},
        "agreements": [opendata.agreement_data(r, Links(absolute)) for r in records],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def whole_csv(agency) -> bytes:
    records = public_records(selectors.posted_agreements().filter(agency=agency).order_by("pk"))
    absolute = Client().get("/").wsgi_request.build_absolute_uri
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=opendata.CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for r in records:
        writer.writerow(opendata.csv_row(opendata.agreement_data(r, Links(absolute))))
    return out.getvalue().encode("utf-8-sig")


@pytest.mark.parametrize("count", [0, 1, 7])
def test_the_streams_are_the_bytes_of_the_whole_documents(client, catalogues, district, monkeypatch, count):
    monkeypatch.setattr(opendata, "CHUNK", 3)  # several chunks, one partly filled
    if count:
        clone_posted(make_agreement(agency=district), count - 1)
    for url, whole in [("agreements.json", whole_json), ("agreements.csv", whole_csv)]:
        response = client.get(f"/public/{district.slug}/{url}")
        assert response.streaming
        body = response.getvalue()
        assert body == whole(district), url
    assert len(json.loads(whole_json(district))["agreements"]) == count


def test_the_first_bytes_leave_before_the_last_agreement_is_read(client, template, monkeypatch):
    monkeypatch.setattr(opendata, "CHUNK", 10)
    clone_posted(template, 59)
    read = []
    original = opendata.record_of
    monkeypatch.setattr(opendata, "record_of", lambda row: read.append(row["pk"]) or original(row))
    for url in ["agreements.json", "agreements.csv"]:
        read.clear()
        stream = iter(client.get(f"/public/{template.agency.slug}/{url}").streaming_content)
        while not read:
            next(stream)
        assert len(read) == 10, url  # bytes out after one chunk read, 50 to go
        assert sum(1 for _ in stream) >= 5
        assert len(read) == 60


def streamed_peak(client, slug, url) -> tuple[int, int]:
    tracemalloc.start()
    try:
        size = sum(len(piece) for piece in client.get(f"/public/{slug}/{url}").streaming_content)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_the_streams_memory_stays_flat_in_the_districts_size(client, catalogues, district, monkeypatch):
    """100 against 400 agreements: four times the bytes, about the same peak (a whole build grew with the size)."""
    monkeypatch.setattr(opendata, "CHUNK", 50)
    template = make_agreement(agency=district)
    clone_posted(template, 99)
    small = {url: streamed_peak(client, district.slug, url) for url in ("agreements.json", "agreements.csv")}
    clone_posted(template, 300)
    large = {url: streamed_peak(client, district.slug, url) for url in ("agreements.json", "agreements.csv")}
    for url in small:
        (small_peak, small_size), (large_peak, large_size) = small[url], large[url]
        assert large_size > 3.5 * small_size, url
        assert large_peak < 1.3 * small_peak, (url, small_peak, large_peak)
    tracemalloc.start()
    whole_json(district)  # the whole document built at once, as before issue 13
    whole_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert large["agreements.json"][0] < whole_peak / 2, (large, whole_peak)


def test_the_open_data_reads_its_ids_without_a_server_side_cursor(client, template):
    """Through a cursor PostgreSQL planned for the first rows, walking the whole table's primary key in order to find
    one district's (120 ms before the first byte at a million agreements): the ids are read whole, the rows chunked."""
    clone_posted(template, 5)
    for name in ("agreements.json", "agreements.csv"):
        with CaptureQueriesContext(connection) as read:
            response = client.get(f"/public/{template.agency.slug}/{name}")
            body = b"".join(response.streaming_content)
        assert body and not [q["sql"] for q in read.captured_queries if q["sql"].lstrip().startswith("DECLARE")]


def test_menus_give_way_to_the_search_box_past_the_limit(client, template, monkeypatch):
    """A district that posts more agreements than the menus' limit shows the search box alone (reading every vendor
    and product of thousands of agreements was most of a cold page's cost); an old link with ?vendor= still filters."""
    monkeypatch.setattr("exhibits.public.views.MENU_LIMIT", 3)
    slug = template.agency.slug
    page = client.get(f"/public/{slug}/").text
    assert 'name="vendor"' in page and 'name="product"' in page  # one agreement: its menus are short
    clone_posted(template, 9, vendors=5)
    django_cache.clear()
    page = client.get(f"/public/{slug}/").text
    assert 'name="vendor"' not in page and 'name="product"' not in page and 'name="q"' in page
    vendor = Agreement.objects.filter(agency=template.agency).exclude(pk=template.pk).first().contractor
    filtered = client.get(f"/public/{slug}/", {"vendor": vendor.slug})
    expected = Agreement.objects.filter(agency=template.agency, contractor=vendor).count()
    assert f"{expected} of 10 agreements match" in filtered.text and len(listed_pks(filtered)) == expected
