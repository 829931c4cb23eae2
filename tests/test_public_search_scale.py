"""The statewide search and feed at statewide size (issue 13): the search reads its GIN indexes and stops at its limit,
its ranking is the same as ranking every match, the feed reads agreement_posted_at with LIMIT in SQL, and neither
costs more queries with more agreements.

The rows are made with SQL (generate_series), not the ORM row by row, and the search documents by the migration's
set-based statement. In the suite: 3,000 agreements. To measure, with the timings and EXPLAIN ANALYZE of a dozen
queries printed:

    SEARCH_SCALE=50000 scripts/test.sh -s -p no:cacheprovider tests/test_public_search_scale.py -k measure
"""

# ruff: noqa: S608 (the SQL names the tables; every value is a parameter)

import os
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import EducationalAgency
from exhibits.catalogues import load_all_catalogues
from exhibits.models import Framework, PublicSearchEntry
from exhibits.public.feeds import LATEST, DistrictFeed, StatewideFeed
from exhibits.public.search import MAX_RESULTS, ranked_sql, search_words, statewide_search
from exhibits.public.search_index import entries_refresh

from .shared import SharedRows

SCALE = int(os.environ.get("SEARCH_SCALE", "3000"))

# What a NOT NULL column without a default that the generator does not name gets, by its type.
EMPTY = {"text": "''", "character varying": "''", "boolean": "false", "integer": "0", "smallint": "0",
         "jsonb": "'{}'::jsonb", "timestamp with time zone": "now()", "date": "current_date"}  # fmt: skip


def _insert(cursor, table: str, values: dict[str, str], source: str, params=None) -> None:
    """INSERT INTO table (columns) SELECT expressions FROM source; NOT NULL columns not named get an empty value."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO'"
        " AND column_default IS NULL AND is_identity = 'NO' AND column_name <> 'id'",
        [table],
    )
    columns = dict(values)
    for name, kind in cursor.fetchall():
        columns.setdefault(name, EMPTY.get(kind, "DEFAULT"))
    names = ", ".join(f'"{n}"' for n in columns)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {', '.join(columns.values())} FROM {source}", params or {})
    # Statistics of what this transaction wrote, before the next join reads it: without them the planner may take a
    # table left nearly empty by earlier tests for a few rows and nest loops over thousands (seen: minutes in CI).
    cursor.execute(f"ANALYZE {table}")


HOSTS = ["Amazon Web Services (AWS)", "Google Cloud Platform", "Microsoft Azure", "Twilio", "SendGrid", "Snowflake",
         "Cloudflare", "Zendesk"]  # fmt: skip


def make_statewide(n: int) -> dict:
    """`n` agreements, nine in ten posted, over n/1000 districts (at least 20) and n/50 vendors (at least 60), each
    vendor with a product and one or two subcontractors named in its agreements' Exhibit B; vendor 1 is CodeHS, in
    one agreement of 50; one posted agreement in 97 withholds its subcontractors. Returns the seconds it took."""
    districts, vendors = max(20, n // 1000), max(60, n // 50)
    framework = Framework.objects.order_by("pk").values_list("pk", flat=True).first()
    started = time.monotonic()
    with connection.cursor() as cursor:
        _insert(
            cursor,
            "agreements_educationalagency",
            {
                "name": "(ARRAY['Liverpool','Hometown','Riverside','Lakeview','Greenfield','Oakdale','Springfield',"
                "'Fairport','Hillcrest','Brookhaven'])[1 + i %% 10] || ' ' || i || (ARRAY[' Central School District',"
                "' Union Free School District',' City School District'])[1 + i %% 3]",
                "slug": "'sx-district-' || i",
            },
            "generate_series(1, %(n)s) i",
            {"n": districts},
        )
        _insert(
            cursor,
            "vendors_contractor",
            {
                "legal_name": "CASE WHEN i = 1 THEN 'CodeHS' ELSE (ARRAY['Bright','Code','Learn','Math','Read',"
                "'Science','Kid','Class','Smart','Edu','Story','Pixel','Quiz','Lab','Nova','Sky','Word','Star',"
                "'Maple','River'])[1 + i %% 20] || (ARRAY['path','ly','wise','works','hub','nest','spark','box',"
                "'boost','craft','zone','verse','scope','bridge','field','ware','mind','flow','grid','leaf'])"
                "[1 + (i / 20) %% 20] || ' ' || (ARRAY['Learning','Education','Inc.','LLC','Labs','Systems',"
                "'Software','Technologies','Corp.','Co.'])[1 + (i / 400) %% 10] || ' ' || i END",
                "slug": "'sx-vendor-' || i",
                "created_at": "now()",
                "updated_at": "now()",
            },
            "generate_series(1, %(n)s) i",
            {"n": vendors},
        )
        _insert(
            cursor,
            "vendors_product",
            {
                "contractor_id": "c.id",
                "name": "split_part(c.legal_name, ' ', 1) || ' ' || (ARRAY['Reader','Math','Studio','Classroom',"
                "'Tutor','Library','Assessment','Planner'])[1 + c.id %% 8]",
                "slug": "'sx-product'",
                "created_at": "now()",
            },
            "vendors_contractor c WHERE c.slug LIKE 'sx-vendor-%%'",
        )
        _insert(
            cursor,
            "vendors_subcontractor",
            {
                "contractor_id": "c.id",
                "name": "CASE WHEN k = 1 THEN (%(hosts)s::text[])[1 + c.id %% 8] ELSE 'Rare Host ' || c.id END",
                "purpose": "'Hosting'",
                "created_at": "now()",
                "updated_at": "now()",
            },
            "vendors_contractor c, generate_series(1, 2) k"
            " WHERE c.slug LIKE 'sx-vendor-%%' AND (k = 1 OR c.id %% 3 = 0)",
            {"hosts": HOSTS},
        )
        ids = (
            "(SELECT array_agg(id ORDER BY id) FROM agreements_educationalagency"
            " WHERE slug LIKE 'sx-district-%%') d(ids),"
            " (SELECT array_agg(id ORDER BY id) FROM vendors_contractor WHERE slug LIKE 'sx-vendor-%%') v(ids)"
        )
        _insert(
            cursor,
            "agreements_agreement",
            {
                "agency_id": "d.ids[1 + i %% %(districts)s]",
                "contractor_id": "CASE WHEN i %% 50 = 3 THEN v.ids[1]"
                " ELSE v.ids[1 + (i::bigint * 7919) %% %(vendors)s] END",
                "framework_id": "%(framework)s",
                "service_agreement_date": "date '2026-01-01'",
                "contract_start": "date '2026-07-01'",
                "contract_end": "date '2027-06-30'",
                "status": "CASE WHEN i %% 10 = 0 THEN 'draft' WHEN i %% 10 = 1 THEN 'expired' ELSE 'executed' END",
                "status_changed_at": "now() - i * interval '1 minute'",
                "posted_at": "CASE WHEN i %% 10 = 0 THEN NULL ELSE now() - i * interval '1 minute' END",
                "kind": "'new'",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"generate_series(1, %(n)s) i, {ids}",
            {"n": n, "districts": districts, "vendors": vendors, "framework": framework},
        )
        mine = "agreements_agreement a JOIN vendors_contractor c ON c.id = a.contractor_id AND c.slug LIKE 'sx-%%'"
        cursor.execute(
            f"INSERT INTO agreements_agreement_products (agreement_id, product_id)"
            f" SELECT a.id, p.id FROM {mine} JOIN vendors_product p ON p.contractor_id = c.id"
        )
        _insert(cursor, "exhibits_supplementalinformation", {"agreement_id": "a.id", "correction_days": "21"}, mine)
        cursor.execute("ANALYZE agreements_agreement_products")
        cursor.execute(
            "INSERT INTO exhibits_supplementalinformation_subcontractors (supplementalinformation_id, subcontractor_id)"
            f" SELECT si.id, s.id FROM {mine} JOIN exhibits_supplementalinformation si ON si.agreement_id = a.id"
            " JOIN vendors_subcontractor s ON s.contractor_id = c.id"
        )
        _insert(
            cursor,
            "exhibits_redaction",
            {"agreement_id": "a.id", "field": "'subcontractors'", "reason": "'Security'", "created_at": "now()"},
            f"{mine} WHERE a.id %% 97 = 0 AND a.status <> 'draft'",
        )
        generated = time.monotonic() - started
        started = time.monotonic()
        entries_refresh(everything=True)  # written, then indexed, as the migration does
        indexed = time.monotonic() - started
        cursor.execute("ANALYZE")  # every table written here: the feed's records join several
    return {"generate": generated, "index": indexed, "districts": districts, "vendors": vendors}


SHARED_ROWS = SharedRows()


@SHARED_ROWS.layer()
def statewide_rows(rows):
    load_all_catalogues()
    return make_statewide(SCALE)


statewide = SHARED_ROWS.fixture("statewide", "statewide_rows")


def explain(sql, params, *, analyze=False, seqscan=True) -> str:
    with connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


def ranked_by_reading_every_match(words) -> list[int]:
    """The ranking the search's query must equal: every match of the whole document, ranked by tier, the newest first
    (what its union of three limited tiers avoids reading)."""
    _, params = ranked_sql(words)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT agreement_id FROM exhibits_publicsearchentry, to_tsquery('simple', %(query)s) q
            WHERE document @@ q
            ORDER BY CASE WHEN names @@ q THEN 1 WHEN suppliers @@ q THEN 2 ELSE 3 END, agreement_id DESC
            LIMIT %(limit)s""",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


# A rare vendor, a prefix, subcontractors common and rare, words in every district's name, a one-letter word (whole,
# not a prefix), a three-letter prefix, a vendor with a district, a product word, nothing, short words together;
# prefixes together (each found in the indexes as a word of its own), prefixes longer than the indexes' (PREFIX_TO).
QUERIES = ["codehs", "code", "aws", "amazon web", "google cloud", "rare host 3", "central", "school", "liverpool",
           "a", "sch", "learn", "codehs lakeview", "reader", "zebra", "a b c", "code cla", "learnbr tut",
           "brightbridg", "technologi", "sciencesc ass liv"]  # fmt: skip


def test_the_documents_were_written_for_posted_agreements_only(statewide):
    posted = int(SCALE * 0.9)
    assert PublicSearchEntry.objects.filter(agreement__agency__slug__startswith="sx-").count() == posted
    # The withheld subcontractors are in no document.
    withheld = PublicSearchEntry.objects.filter(agreement__redactions__field="subcontractors")
    assert withheld.exists() and not withheld.exclude(subcontractors="").exists()


def test_a_rare_word_reads_the_gin_index_of_each_tier(statewide):
    sql, params = ranked_sql(search_words("codehs"))
    plan = explain(sql, params, seqscan=False)
    for index in ("public_search_names", "public_search_suppliers", "public_search_document"):
        assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "Seq Scan" not in plan
    assert "Gather" not in explain(sql, params)  # no parallel workers started for branches a search skips


# (window, further): the search's own, larger than this table (the window holds every entry), and windows small
# enough here that a word's matches lie past the window, past what is read on after it, or across both.
WINDOWS = [(20_000, 40_000), (300, 600), (100, 2_000), (1_000, 300), (50, 50)]


@pytest.mark.parametrize("q", QUERIES)
def test_the_ranking_is_that_of_every_match(statewide, q):
    words = search_words(q)
    every_match = ranked_by_reading_every_match(words)
    with connection.cursor() as cursor:
        for window, further in WINDOWS:
            sql, params = ranked_sql(words, window=window, further=further)
            cursor.execute(sql, params)
            assert [row[0] for row in cursor.fetchall()] == every_match, (window, further)
    assert len(every_match) <= MAX_RESULTS


def test_withheld_subcontractors_are_not_found_at_scale(statewide):
    withheld = set(
        PublicSearchEntry.objects.filter(agreement__redactions__field="subcontractors").values_list("pk", flat=True)
    )
    found = {h.pk for g in statewide_search("rare host") for h in g.hits}
    assert found and not found & withheld


def test_a_search_costs_one_query_at_any_size(statewide, django_assert_num_queries):
    for q in ("codehs", "school", "sch"):
        with django_assert_num_queries(1):
            hits = sum(len(g.hits) for g in statewide_search(q))
        assert hits == (SCALE // 50 if q == "codehs" else MAX_RESULTS), q


def test_the_statewide_feed_reads_the_posted_at_index_and_stops(statewide, client):
    with CaptureQueriesContext(connection) as queries:
        items = StatewideFeed().items()
    assert len(items) == LATEST
    assert [r.posted_at for r in items] == sorted((r.posted_at for r in items), reverse=True)
    newest = queries.captured_queries[0]["sql"]
    assert "LIMIT 50" in newest and "ORDER BY" in newest
    plan = explain(newest, None, seqscan=False)
    assert "agreement_posted_at" in plan and "Sort" not in plan, plan
    # Its other queries read the fifty agreements by their ids: none orders or filters the whole table by a subquery.
    per_row = [q["sql"][:200] for q in queries.captured_queries[1:] if "IN (" not in q["sql"]]
    assert not per_row, per_row
    district = EducationalAgency.objects.get(slug=items[0].district_slug)
    with CaptureQueriesContext(connection) as district_queries:
        DistrictFeed().items(district)
    assert len(district_queries.captured_queries) == len(queries.captured_queries)
    response = client.get("/public/feed.atom")
    assert response.status_code == 200 and response.text.count("<entry>") == LATEST


def test_measure(statewide, capsys):
    """Prints what it took to build and index, and each query's plan and time (run with -s; see the docstring)."""
    lines = [
        f"{SCALE} agreements ({statewide['districts']} districts, {statewide['vendors']} vendors):"
        f" generated in {statewide['generate']:.1f} s, documents written in {statewide['index']:.1f} s"
    ]
    slowest = 0.0
    for q in QUERIES:
        sql, params = ranked_sql(search_words(q))
        plan = explain(sql, params, analyze=True)
        execution = float(plan.rsplit("Execution Time: ", 1)[1].split(" ")[0])
        started = time.monotonic()
        groups = statewide_search(q)
        whole = (time.monotonic() - started) * 1000
        slowest = max(slowest, execution)
        hits = sum(len(g.hits) for g in groups)
        lines.append(
            f"\n=== {q!r}: {hits} hits in {len(groups)} districts; SQL {execution:.1f} ms; search() {whole:.1f} ms"
        )
        lines.append(plan)
    feed_sql = (
        "SELECT id FROM agreements_agreement WHERE status IN ('executed', 'expired', 'terminated', 'closed')"
        " AND posted_at IS NOT NULL ORDER BY posted_at DESC, id DESC LIMIT 50"
    )
    lines.append("\n=== statewide feed's newest fifty")
    lines.append(explain(feed_sql, None, analyze=True))
    started = time.monotonic()
    StatewideFeed().items()
    lines.append(f"StatewideFeed().items(): {(time.monotonic() - started) * 1000:.1f} ms")
    with capsys.disabled():
        print("\n".join(lines))
    assert slowest < 100, f"the slowest search took {slowest:.1f} ms of SQL"
