"""Statewide search: which districts have posted an agreement with a vendor or for a product (PostgreSQL full-text
search, with an icontains fallback for SQLite)."""

import re
from types import SimpleNamespace

import pytest

from agreements.models import Agreement
from exhibits.public.search import search_words, statewide_search

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


def test_the_search_page_says_when_nothing_matches(client, state):
    page = client.get("/public/search/", {"q": "zebra"}).text
    assert "No posted agreement matches &ldquo;zebra&rdquo;." in page
    assert "Results" not in client.get("/public/search/").text


def test_the_search_page_in_spanish(client, state):
    page = client.get("/public/search/", {"q": "codehs", "language": "es"}).text
    assert "2 acuerdos coinciden con &ldquo;codehs&rdquo;." in page
