"""Statewide search: which districts have posted an agreement with a vendor, for a product or naming a subcontractor
(the stored document of exhibits/public/search_index.py, PostgreSQL full-text search, with an icontains fallback for
SQLite). tests/test_public_search_scale.py checks its plans and timings on thousands of agreements."""

import importlib
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import Agreement
from agreements.services import agreement_transition
from exhibits.models import PublicSearchEntry
from exhibits.public import search
from exhibits.public.search import search_words, statewide_search
from exhibits.public.search_index import entries_refresh
from exhibits.public.services import public_pages_held, redaction_add, redaction_remove
from vendors.models import Subcontractor

from . import factories
from .public_helpers import fresh_cache_fixture, make_agreement  # noqa: F401

S = Agreement.Status
pytestmark = pytest.mark.usefixtures("fresh_cache")


@pytest.fixture
def state(catalogues, district, other_district):
    """CodeHS posted in both districts, Brightpath only in one, and a third district whose agreement is a draft."""
    codehs = factories.ContractorFactory(legal_name="CodeHS", slug="codehs")
    brightpath = factories.ContractorFactory(legal_name="Brightpath Reading, Inc.", slug="brightpath")
    drafts = factories.EducationalAgencyFactory(name="Draft Valley CSD", slug="draft-valley")
    course = factories.ProductFactory(contractor=codehs, name="Computer Science Curriculum")
    phonics = factories.ProductFactory(contractor=brightpath, name="Phonics Garden")
    return {
        "ours": make_agreement(agency=district, contractor=codehs, products=[course]),
        "theirs": make_agreement(agency=other_district, contractor=codehs, products=[course], status=S.EXPIRED),
        "bright": make_agreement(agency=other_district, contractor=brightpath, products=[phonics]),
        "draft": make_agreement(agency=drafts, contractor=codehs, products=[course], status=S.SUBMITTED),
    }


def district_names(groups):
    return [g.name for g in groups]


def test_a_vendor_is_found_in_every_district_that_posted_an_agreement(state, district, other_district):
    groups = statewide_search("codehs")
    assert sorted(district_names(groups)) == sorted([district.name, other_district.name])  # not Draft Valley
    assert all([h.vendor for h in g.hits] == ["CodeHS"] for g in groups)


@pytest.mark.parametrize(
    ("q", "vendors"),
    [
        ("phonics", {"Brightpath Reading, Inc."}),  # a product
        ("Phon", {"Brightpath Reading, Inc."}),  # a prefix
        ("computer science", {"CodeHS"}),  # every word
        ("BRIGHTPATH reading", {"Brightpath Reading, Inc."}),
        ("code", {"CodeHS"}),
        ("nothing like it", set()),
        ("", set()),
        ("'&|!:*()<>", set()),  # tsquery syntax is not passed through
    ],
)
def test_search_matches_vendor_and_product_names(state, q, vendors):
    assert {h.vendor for g in statewide_search(q) for h in g.hits} == vendors


def test_the_district_name_is_searched_too(state, other_district):
    groups = statewide_search("Elsewhere")
    assert district_names(groups) == [other_district.name]
    assert {h.vendor for h in groups[0].hits} == {"CodeHS", "Brightpath Reading, Inc."}


def test_a_vendor_name_ranks_above_a_district_name(catalogues, district):
    reading_district = factories.EducationalAgencyFactory(name="Reading City School District", slug="reading-city")
    make_agreement(agency=reading_district, contractor=factories.ContractorFactory(legal_name="Maths Co"))
    make_agreement(agency=district, contractor=factories.ContractorFactory(legal_name="Reading Rocket"))
    assert district_names(statewide_search("reading")) == [district.name, reading_district.name]


def test_search_words_are_letters_and_digits_only():
    assert search_words("  Code-HS & <b>K12</b> niño_s ") == ["code", "hs", "b", "k12", "b", "niño", "s"]
    assert len(search_words("a " * 50)) == 8


def test_the_indexes_hold_each_words_prefixes_as_words(db):
    """public_search_prefixes (migration exhibits 0009), the indexes' expression: a word's first 3 to 10 letters."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT public_search_prefixes(to_tsvector('simple', 'CodeHS Brightbridge io'), 3, 10)")
        lexemes = set(re.findall(r"'([^']+)'", cursor.fetchone()[0]))
    bright = {"brightbridge"[:n] for n in range(3, 11)}
    assert lexemes == {"codehs", "cod", "code", "codeh", "io", "brightbridge"} | bright


@pytest.mark.parametrize(
    ("words", "query", "indexed"),
    [
        (["a", "cod", "codehs"], "a & cod:* & codehs:*", "a & cod & codehs"),
        (["brightbrid", "brightbridg"], "brightbrid:* & brightbridg:*", "brightbrid & brightbridg:*"),
    ],
)
def test_a_prefix_is_a_word_of_the_index_up_to_its_longest(words, query, indexed):
    _, params = search.ranked_sql(words)
    assert (params["query"], params["indexed"]) == (query, indexed)


def test_the_sqlite_fallback_finds_the_same_districts(state, district, other_district, monkeypatch):
    monkeypatch.setattr("exhibits.public.search.connection", SimpleNamespace(vendor="sqlite"))
    assert sorted(district_names(statewide_search("codeh"))) == sorted([district.name, other_district.name])
    assert {h.vendor for g in statewide_search("garden") for h in g.hits} == {"Brightpath Reading, Inc."}
    assert statewide_search("draft valley") == []


def test_the_search_page_groups_results_by_district(client, state, district, other_district):
    page = client.get("/public/search/", {"q": "codehs"}).text
    assert "2 agreements match &ldquo;codehs&rdquo;." in page
    headings = re.findall(r'<h3 id="district-[^"]+" class="h5"><a href="([^"]+)">([^<]+)</a></h3>', page)
    assert sorted(headings) == sorted(
        [(f"/public/{district.slug}/", district.name), (f"/public/{other_district.slug}/", other_district.name)]
    )
    assert f'href="/public/{other_district.slug}/agreements/{state["theirs"].pk}/"' in page
    assert "(Expired)" in page
    assert 'value="codehs"' in page  # the box keeps what was typed


def test_names_on_the_index_and_in_results_are_escaped_and_counted_in_each_language(client, catalogues, district):
    """The index's list and the search's results are written by tags (public_records.district_list, search_results):
    every name escaped, each district's count in the page's language."""
    hostile = '<script>alert("x")</script> & Sons'
    vendor = factories.ContractorFactory(legal_name=f"Zorblax {hostile}")
    product = factories.ProductFactory(contractor=vendor, name=f"Zorblax Reader {hostile}")
    district.name = f"Hometown {hostile}"
    district.save()
    for _ in range(2):
        make_agreement(agency=district, contractor=vendor, products=[product])
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons"
    for page in (client.get("/public/").text, client.get("/public/search/", {"q": "zorblax"}).text):
        assert "<script>alert" not in page and escaped in page
    assert f'<a href="/public/{district.slug}/">Hometown {escaped}</a>' in client.get("/public/").text
    assert "(2 agreements posted)" in client.get("/public/").text
    assert "(2 acuerdos publicados)" in client.get("/public/", HTTP_ACCEPT_LANGUAGE="es").text


def test_the_search_page_says_when_nothing_matches(client, state):
    page = client.get("/public/search/", {"q": "zebra"}).text
    assert "No posted agreement matches &ldquo;zebra&rdquo;." in page
    assert "Results" not in client.get("/public/search/").text


def test_the_search_page_in_spanish(client, state):
    page = client.get("/public/search/", {"q": "codehs", "language": "es"}).text
    assert "2 acuerdos coinciden con &ldquo;codehs&rdquo;." in page


# --- Subcontractors (issue 14.10), what is withheld, and the stored document kept current (issue 13) ------------


def vendors_found(q):
    return {h.vendor for g in statewide_search(q) for h in g.hits}


def entry_writes(queries):
    """The statements that wrote the search document (the others only read it, or nothing of it)."""
    return [q["sql"] for q in queries if "INSERT INTO exhibits_publicsearchentry" in q["sql"]]


@pytest.fixture
def aws(catalogues, district):
    """A posted agreement whose Exhibit B names Amazon Web Services (AWS) as a subcontractor."""
    vendor = factories.ContractorFactory(legal_name="Brightpath Reading, Inc.")
    subcontractor = Subcontractor.objects.create(contractor=vendor, name="Amazon Web Services (AWS)", purpose="Hosting")
    return make_agreement(agency=district, contractor=vendor, subcontractor=subcontractor)


def test_a_subcontractor_is_found(aws):
    assert vendors_found("AWS") == {"Brightpath Reading, Inc."}
    assert vendors_found("amazon web") == {"Brightpath Reading, Inc."}


def test_a_withheld_subcontractor_is_never_searchable(aws, district_admin):
    """121.3(e): the district withholds the subcontractors; nobody finds the agreement by them, nor reads them in its
    stored document. Shown again, they are found again."""
    redaction_add(agreement=aws, field="subcontractors", reason="Protects our network.", actor=district_admin)
    assert vendors_found("aws") == set()
    entry = PublicSearchEntry.objects.get(agreement=aws)
    assert entry.subcontractors == ""
    assert "aws" not in str(entry.document) and "amazon" not in str(entry.suppliers)
    assert vendors_found("brightpath") == {"Brightpath Reading, Inc."}  # the rest stays searchable
    redaction_remove(agreement=aws, field="subcontractors", actor=district_admin)
    assert vendors_found("aws") == {"Brightpath Reading, Inc."}


def test_a_redaction_of_another_part_keeps_the_subcontractors(aws, district_admin):
    redaction_add(agreement=aws, field="purposes", reason="Protects our network.", actor=district_admin)
    assert vendors_found("aws") == {"Brightpath Reading, Inc."}


def test_vendors_and_products_rank_before_subcontractors_before_districts(catalogues, district, other_district):
    """The weights: vendor and product names (A) first, then the subcontractors (B), then the district (C)."""
    by_district = factories.EducationalAgencyFactory(name="Cloudview Central School District", slug="cloudview")
    make_agreement(
        agency=by_district, contractor=factories.ContractorFactory(legal_name="Maths Co"), subcontractor=False
    )
    by_subcontractor = factories.ContractorFactory(legal_name="Able Reading")
    host = Subcontractor.objects.create(contractor=by_subcontractor, name="Cloudflare", purpose="Network")
    make_agreement(agency=district, contractor=by_subcontractor, subcontractor=host)
    make_agreement(agency=other_district, contractor=factories.ContractorFactory(legal_name="Zed Cloud Labs"))
    groups = statewide_search("cloud")  # grouped by district, the district of the best match first
    assert [(g.name, [h.vendor for h in g.hits]) for g in groups] == [
        (other_district.name, ["Zed Cloud Labs"]),
        (district.name, ["Able Reading"]),
        (by_district.name, ["Maths Co"]),
    ]


def test_only_posted_agreements_have_a_document(state):
    assert set(PublicSearchEntry.objects.values_list("agreement", flat=True)) == {
        state[name].pk for name in ("ours", "theirs", "bright")
    }


def test_renames_reach_the_document(state, other_district):
    codehs = state["ours"].contractor
    codehs.legal_name = "Codetopia"
    codehs.save()
    assert vendors_found("codehs") == set()
    assert vendors_found("codetopia") == {"Codetopia"}
    product = state["bright"].products.get()
    product.name = "Vowel Valley"
    product.save()
    assert vendors_found("vowel") == {"Brightpath Reading, Inc."} and vendors_found("phonics") == set()
    other_district.name = "Riverbend City School District"
    other_district.save()
    assert [g.name for g in statewide_search("riverbend")] == ["Riverbend City School District"]
    host = Subcontractor.objects.get(contractor=codehs, name="Cloud Host Co")
    host.name = "Skyhost"
    host.save()
    assert vendors_found("skyhost") == {"Codetopia"}


def test_products_and_subcontractors_of_an_agreement_change(state):
    bright = state["bright"]
    extra = factories.ProductFactory(contractor=bright.contractor, name="Spelling Bee")
    bright.products.add(extra)
    assert vendors_found("spelling") == {"Brightpath Reading, Inc."}
    bright.products.remove(extra)
    assert vendors_found("spelling") == set()
    bright.supplemental_information.subcontractors.clear()
    assert vendors_found("cloud host") == {"CodeHS"}  # the two CodeHS agreements still name theirs
    extra.agreements.add(bright)  # from the product's side
    assert vendors_found("spelling") == {"Brightpath Reading, Inc."}


def test_the_sweep_expiring_agreements_writes_no_search_document(state):
    """Expired, terminated and closed stay posted: nothing searched changes, so nothing is written."""
    with CaptureQueriesContext(connection) as queries:
        agreement_transition(agreement=state["ours"], to_status=Agreement.Status.EXPIRED)
    assert not [q for q in queries.captured_queries if "exhibits_publicsearchentry" in q["sql"]]
    assert [(h.vendor, h.status) for g in statewide_search("codehs") for h in g.hits] == [
        ("CodeHS", "expired"),
        ("CodeHS", "expired"),
    ]


def test_an_import_batch_writes_the_documents_once(catalogues, district, django_capture_on_commit_callbacks):
    """public_pages_held (an import's batch): each agreement's changes are collected and written in one statement
    when the batch commits, not once per row and signal."""
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
        public_pages_held(district.slug),
    ):
        for n in range(3):
            make_agreement(agency=district, contractor=factories.ContractorFactory(legal_name=f"Batch {n}"))
        assert vendors_found("batch") == set()  # not yet: at the commit
    assert len(entry_writes(queries.captured_queries)) == 1
    assert vendors_found("batch") == {"Batch 0", "Batch 1", "Batch 2"}


def test_one_agreement_executed_outside_a_batch_is_one_statement(catalogues, district):
    agreement = make_agreement(agency=district, status=Agreement.Status.VENDOR_SIGNED)
    with CaptureQueriesContext(connection) as queries:
        agreement_transition(agreement=agreement, to_status=Agreement.Status.EXECUTED)
    assert len(entry_writes(queries.captured_queries)) == 1
    assert PublicSearchEntry.objects.filter(agreement=agreement).exists()


def test_the_migrations_backfill_writes_what_the_signals_keep(state, aws, district_admin):
    """The migration's set-based backfill (its own copy of the SQL) and entries_refresh(everything=True) write the
    same rows as the signals did, withheld parts left out."""
    redaction_add(agreement=aws, field="subcontractors", reason="Protects our network.", actor=district_admin)
    columns = ("agreement_id", "agency_id", "district", "vendor", "products", "subcontractors")
    kept = sorted(PublicSearchEntry.objects.values_list(*columns))
    documents = {e.pk: (e.names, e.suppliers, e.document) for e in PublicSearchEntry.objects.all()}
    migration = importlib.import_module("exhibits.migrations.0006_public_search_entry")
    for rebuild in (
        lambda: migration.backfill(None, SimpleNamespace(connection=connection)),
        lambda: entries_refresh(everything=True),
    ):
        PublicSearchEntry.objects.all().delete()
        rebuild()
        assert sorted(PublicSearchEntry.objects.values_list(*columns)) == kept
        assert {e.pk: (e.names, e.suppliers, e.document) for e in PublicSearchEntry.objects.all()} == documents
    with connection.cursor() as cursor:  # the rebuild dropped its GIN indexes to write, and built them again
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexdef LIKE %s", ["% USING gin %document%"])
        assert [row[0] for row in cursor.fetchall()] == ["public_search_document"]


def test_a_search_is_one_query_however_many_match(catalogues, district, django_assert_num_queries):
    vendor = factories.ContractorFactory(legal_name="Counted Learning")
    make_agreement(agency=district, contractor=vendor)
    with django_assert_num_queries(1):
        assert len(statewide_search("counted")[0].hits) == 1
    for _ in range(4):
        make_agreement(agency=district, contractor=vendor)
    with django_assert_num_queries(1):
        assert len(statewide_search("counted")[0].hits) == 5
    with django_assert_num_queries(1):
        assert statewide_search("zebra") == []


def test_the_hits_read_with_the_ranking_are_those_the_orm_reads(state, district):
    """search._HITS reads what a hit shows in the ranking's query; SQLite reads the ranked ids' through the ORM."""
    vendor = factories.ContractorFactory(legal_name="Codehs Twin")
    products = [factories.ProductFactory(contractor=vendor, name=name) for name in ("Zeta", "Alpha", "Mu")]
    make_agreement(agency=district, contractor=vendor, products=products)
    for q in ("codehs", "cloud", "school", "zebra"):
        sql, params = search.ranked_sql(search_words(q))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        rows = search._full_text(search_words(q))
        assert [tuple(row) for row in rows] == search._rows_of(ids), q
    assert ["Alpha", "Mu", "Zeta"] in [row[-1] for row in search._full_text(["codehs"])]
    assert any(row[1] != Agreement.Status.EXECUTED for row in search._full_text(["codehs"]))


def test_the_sqlite_fallback_finds_subcontractors_but_not_withheld_ones(aws, district_admin, monkeypatch):
    monkeypatch.setattr("exhibits.public.search.connection", SimpleNamespace(vendor="sqlite"))
    assert vendors_found("aws") == {"Brightpath Reading, Inc."}
    redaction_add(agreement=aws, field="subcontractors", reason="Protects our network.", actor=district_admin)
    assert vendors_found("aws") == set()
