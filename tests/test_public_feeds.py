"""The Atom feeds read only what an entry shows (feeds.Entry, not the full public record) and make their XML without
the syndication framework's per-entry look-ups, and say exactly what they said before: the same XML as a feed made
from records.public_record by the framework, a withheld purpose replaced by its reason, in any language; a fixed
number of queries, each feed's newest rows read from its index on posted_at."""

import os
import re

import pytest
from django.contrib.syndication.views import Feed
from django.core.cache import cache as django_cache
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import F
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from agreements.models import Agreement, EducationalAgency
from exhibits.catalogues import load_all_catalogues
from exhibits.public import selectors
from exhibits.public.feeds import LATEST, DistrictFeed, StatewideFeed
from exhibits.public.records import public_records
from exhibits.public.services import redaction_add

from . import factories
from .public_helpers import fresh_cache_fixture, make_agreement  # noqa: F401
from .shared import SharedRows
from .test_public_outside import ITEMS, imported_agreement
from .test_public_search_scale import make_statewide

S = Agreement.Status
SECRET = "SECRET-PURPOSE-7 of the network"
REASON = "Describes our <network> & its layout."
HOSTILE = '<script>alert("x")</script> & Co'


def from_records(feed_class):
    """The same feed made the way it was before feeds.Entry: every entry a full public record, and the feed made by
    the syndication framework's own get_feed, each link reversed."""

    class FromRecords(feed_class):
        def get_feed(self, obj, request):
            return Feed.get_feed(self, obj, request)

        def item_link(self, r):
            return reverse("public_agreement", args=[r.district_slug, r.pk])

        def items(self, agency=None):
            posted = selectors.posted_agreements().filter(posted_at__isnull=False)
            if agency is not None:
                posted = posted.filter(agency=agency)
            return public_records(posted.order_by(F("posted_at").desc(), F("pk").desc())[:LATEST])

    return FromRecords()


def body(feed, request, **kwargs) -> bytes:
    return feed(request, **kwargs).content


@pytest.fixture
def posted(catalogues, district, other_district, district_admin):
    """Each kind of entry: withheld purposes, several products, hostile text, signed outside the portal, ended, and
    an agreement not posted; one in another district."""
    vendor = factories.ContractorFactory(legal_name=HOSTILE)
    made = {
        "withheld": make_agreement(agency=district, purposes=SECRET),
        "products": make_agreement(
            agency=district, contractor=vendor, products=factories.ProductFactory.create_batch(3, contractor=vendor)
        ),
        "hostile": make_agreement(agency=district, purposes=HOSTILE),
        "no purposes": make_agreement(agency=district, purposes=""),
        "closed": make_agreement(agency=district, status=S.CLOSED),
        "outside": imported_agreement(agency=district, uploader=district_admin),
        "outside, none given": imported_agreement(
            agency=district, uploader=district_admin, items={**ITEMS, "purposes": ""}, subcontractors=None
        ),
        "draft": make_agreement(agency=district, status=S.DRAFT, purposes="DRAFT-ONLY purposes"),
        "elsewhere": make_agreement(agency=other_district),
    }
    redaction_add(agreement=made["withheld"], field="purposes", reason=REASON, actor=district_admin)
    redaction_add(agreement=made["hostile"], field="security_measures", reason="Security.", actor=district_admin)
    django_cache.clear()
    return made


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_feeds_say_what_the_public_records_say(posted, district, language):
    request = RequestFactory().get("/public/feed.atom")
    with translation.override(language):
        for feed_class, kwargs in [(DistrictFeed, {"slug": district.slug}), (StatewideFeed, {})]:
            made = body(feed_class(), request, **kwargs)
            assert made == body(from_records(feed_class), request, **kwargs), feed_class
            text = made.decode()
            assert SECRET not in text and "DRAFT-ONLY" not in text
            assert "Describes our &amp;lt;network&amp;gt; &amp;amp; its layout." in text  # HTML, then XML
            assert text.count("<entry>") == (7 if feed_class is DistrictFeed else 8)


def test_the_feed_views_serve_the_same_xml(client, posted, district):
    for url, feed, kwargs in [
        (f"/public/{district.slug}/feed.atom", DistrictFeed, {"slug": district.slug}),
        ("/public/feed.atom", StatewideFeed, {}),
    ]:
        response = client.get(url)
        assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
        assert response.content == body(from_records(feed), RequestFactory().get(url), **kwargs)


# --- at statewide size ---------------------------------------------------------------------------------------------

# 2,000 agreements over 20 districts in the suite. To see the plans at a district's real size (EXPLAIN ANALYZE):
#     FEED_SCALE=100000 scripts/test.sh -s -p no:cacheprovider tests/test_public_feeds.py -k plans
SCALE = int(os.environ.get("FEED_SCALE", "2000"))
SHARED_ROWS = SharedRows()


@SHARED_ROWS.layer()
def statewide_rows(rows):
    load_all_catalogues()
    return make_statewide(SCALE)


statewide = SHARED_ROWS.fixture("statewide", "statewide_rows")


def feed_sql(feed, *args) -> str:
    """The SQL of the feed's one query (the newest rows with their columns and products' names), after checking that
    it lists the LATEST newest."""
    with CaptureQueriesContext(connection) as queries:
        items = feed.items(*args)
    assert len(items) == LATEST
    assert [(r.posted_at, r.pk) for r in items] == sorted(((r.posted_at, r.pk) for r in items), reverse=True)
    assert all(r.products for r in items)  # each made with a product
    assert len(queries.captured_queries) == 1
    return queries.captured_queries[0]["sql"]


def plan_of(sql: str, *, planner_may_sort=True, without=()) -> str:
    """The plan of `sql`, with the indexes named in `without` set aside: dropped in a savepoint rolled back after."""
    with transaction.atomic(), connection.cursor() as cursor:
        for index in without:
            cursor.execute(f'DROP INDEX "{index}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not planner_may_sort:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
        cursor.execute("SET LOCAL enable_sort = on")
        transaction.set_rollback(True)
    return plan


def test_each_feed_reads_its_index_and_stops(statewide):
    """The statewide feed reads agreement_posted_at in its order. A district's reads agreement_agency_posted_at,
    which gives its order too: at a district of a hundred rows the planner may rather sort them, so it is asked here
    for a plan without a sort, which exists only if the index fits the query (see test_plans for real sizes). The
    statewide index is set aside for that question: read with the district as a filter it gives the order too, and
    the planner took it in one run of the suite."""
    plan = plan_of(feed_sql(StatewideFeed()))
    assert "agreement_posted_at" in plan and "Sort" not in plan, plan
    district = EducationalAgency.objects.get(slug="sx-district-3")
    plan = plan_of(feed_sql(DistrictFeed(), district), planner_may_sort=False, without=["agreement_posted_at"])
    assert "Index Scan using agreement_agency_posted_at" in plan and "Sort" not in plan, plan


def test_a_cold_feed_costs_the_same_queries_at_any_size(client, statewide, django_assert_num_queries):
    for url, queries in [("/public/feed.atom", 1), ("/public/sx-district-3/feed.atom", 2)]:
        django_cache.clear()
        with django_assert_num_queries(queries):
            assert client.get(url).text.count("<entry>") == LATEST


def test_a_statewide_feed_after_the_cache_is_emptied_restarts_its_districts_together(client, statewide, monkeypatch):
    """The districts' versions, lost with the cache, are started again together in one round trip (a pipeline of
    SET NX: exhibits/public/cache.py), not one call or three each: at a million agreements the feed shows fifty."""
    backend, calls = caches["default"], []
    for name in ("get", "get_many", "add", "set"):
        method = getattr(backend, name)
        monkeypatch.setattr(backend, name, lambda *a, _m=method, _n=name, **k: calls.append(_n) or _m(*a, **k))
    django_cache.clear()
    shown = set(re.findall(r"/public/(sx-district-\d+)/agreements/", client.get("/public/feed.atom").text))
    assert len(shown) > 10
    # The statewide version (get, add), the page (get, set), the districts' versions (get_many; the pipeline).
    assert calls.count("add") == 1 and len(calls) <= 6, calls


def test_plans(statewide, capsys):
    """Prints the plan of each feed's query with its timing (run with -s at FEED_SCALE, see above)."""
    district = EducationalAgency.objects.get(slug="sx-district-3")
    lines = [f"{SCALE} agreements, {EducationalAgency.objects.count()} districts"]
    for name, sql in [("statewide", feed_sql(StatewideFeed())), ("district", feed_sql(DistrictFeed(), district))]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        lines += [f"\n=== {name} feed", plan]
        assert f"rows={LATEST} loops=1" in plan.splitlines()[0], plan  # the newest LATEST, read and stopped
        if SCALE >= 100_000:  # below that, a district's hundred rows may be sorted rather than read in order
            assert "_posted_at" in plan, plan  # one of the two indexes on posted_at
    with capsys.disabled():
        print("\n".join(lines))
