"""The public posting for parents: what is posted and what is not, the pages, the sealed PDF, both languages."""

import json
import re
from datetime import date

import pytest
from django.urls import reverse

from agreements.models import Agreement, StatusChange
from agreements.services import agreement_create
from exhibits.public.labels import NYSED_COMPLAINTS
from exhibits.services import bill_of_rights_publish

from . import factories
from .public_helpers import (  # noqa: F401
    fresh_cache_fixture,
    make_agreement,
    move,
    posted_fixture,
    small_pdf,
    small_public_pdf,
)

S = Agreement.Status
NOT_POSTED = [S.DRAFT, S.WITH_VENDOR, S.SUBMITTED, S.APPROVED, S.VENDOR_SIGNED, S.WITHDRAWN]
POSTED = [S.EXECUTED, S.EXPIRED, S.TERMINATED, S.CLOSED]
pytestmark = pytest.mark.usefixtures("fresh_cache")


def vendor_named(name):
    return factories.ContractorFactory(legal_name=name)


@pytest.fixture
def every_status(catalogues, district):
    """One agreement in each status, its vendor named after it."""
    return {
        status: make_agreement(agency=district, contractor=vendor_named(f"Vendor {status}"), status=status)
        for status in [*NOT_POSTED, *POSTED]
    }


def test_only_executed_expired_terminated_and_closed_agreements_are_posted(client, district, every_status):
    page = client.get(f"/public/{district.slug}/").text
    for status, agreement in every_status.items():
        listed = f"Vendor {status}" in page
        detail = client.get(f"/public/{district.slug}/agreements/{agreement.pk}/")
        pdf = client.get(f"/public/{district.slug}/agreements/{agreement.pk}/dpa.pdf")
        if status in POSTED:
            assert listed and detail.status_code == 200 and pdf.status_code == 200, status
        else:
            assert not listed and detail.status_code == 404 and pdf.status_code == 404, status
    assert "4 agreements posted." in page


def test_expired_and_terminated_stay_listed_as_such(client, district, every_status):
    page = client.get(f"/public/{district.slug}/").text
    assert 'public-status-expired">Expired<' in page
    assert 'public-status-terminated">Terminated<' in page
    assert 'public-status-executed">In effect<' in page
    # Agreements in effect come first.
    assert page.index("Vendor executed") < page.index("Vendor expired")


def test_the_destruction_date_is_shown_once_certified(client, district, every_status):
    closed = every_status[S.CLOSED]
    certified = StatusChange.objects.filter(agreement=closed, to_status=S.CLOSED).get().created_at
    page = client.get(f"/public/{district.slug}/agreements/{closed.pk}/").text
    assert "Ended, data destroyed" in page
    assert f"The vendor certified that the data was destroyed on {certified:%b}" in page
    expired = client.get(f"/public/{district.slug}/agreements/{every_status[S.EXPIRED].pk}/").text
    assert "certified that the data was destroyed" not in expired


def test_another_districts_agreement_is_not_on_this_districts_pages(client, catalogues, district, other_district):
    theirs = make_agreement(agency=other_district, contractor=vendor_named("Their Vendor"))
    ours = make_agreement(agency=district, contractor=vendor_named("Our Vendor"))
    for suffix in ["", "dpa.pdf"]:
        assert client.get(f"/public/{district.slug}/agreements/{theirs.pk}/{suffix}").status_code == 404
        assert client.get(f"/public/{other_district.slug}/agreements/{theirs.pk}/{suffix}").status_code == 200
    page = client.get(f"/public/{district.slug}/").text
    assert "Our Vendor" in page and "Their Vendor" not in page
    data = json.loads(client.get(f"/public/{district.slug}/agreements.json").getvalue())
    assert [a["id"] for a in data["agreements"]] == [ours.pk]


@pytest.mark.parametrize(
    "path",
    ["", "agreements/1/", "agreements/1/dpa.pdf", "agreements.json", "agreements.csv", "feed.atom", "embed/",
     "open-data/"],
)  # fmt: skip
def test_an_unknown_district_is_404(client, db, path):
    assert client.get(f"/public/no-such-district/{path}").status_code == 404


def test_the_agreement_page_shows_every_item_of_exhibit_b(client, district, posted):
    page = client.get(f"/public/{district.slug}/agreements/{posted.pk}/").text
    for heading in [
        "1. What the data is used for",
        "2. Who else handles the data",
        "3. How long, and what happens to the data at the end",
        "4. How to correct wrong data",
        "5. Where the data is stored and how it is protected",
        "6. Encryption",
    ]:
        assert heading in page
    for answer in [
        "To provide reading lessons to students.",
        "Contractor will utilize subcontractors.",
        "Cloud Host Co",
        "Data is returned as CSV, then deleted within 30 days.",
        "within 21 days of receiving the EA's written request",
        "Using a cloud or infrastructure owned and hosted by a third party.",
        "Access limited to trained staff; audits each year.",
        "Data will be encrypted while in motion and at rest.",
        "TLS 1.2+ in motion; AES-256 at rest.",
        "July 1, 2026 to June 30, 2027",
        "Reading Coach",
        "Student data",
    ]:
        assert answer in page, answer
    # The DPA's own wording is marked as English, for screen readers on the Spanish page.
    assert page.count('class="legal-text" lang="en"') >= 6


def test_the_pdf_link_serves_exactly_the_stored_public_copy(client, district, posted):
    page = client.get(f"/public/{district.slug}/agreements/{posted.pk}/").text
    url = f"/public/{district.slug}/agreements/{posted.pk}/dpa.pdf"
    assert f'href="{url}"' in page
    response = client.get(url)
    document = posted.documents.get(kind="public_copy")
    assert response.getvalue() == small_public_pdf() == bytes(document.pdf) != small_pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{document.filename}"'
    assert document.filename.startswith(f"dpa-{district.slug}-learning-tools-")
    assert document.sha256 in page and posted.documents.get(kind="executed").sha256 not in page


def test_the_district_page_shows_the_latest_bill_of_rights_and_complaint_contacts(client, district, posted):
    bill_of_rights_publish(agency=district, preamble="Version two of the preamble.", items=["First right.", "Second."])
    page = client.get(f"/public/{district.slug}/").text
    assert "Version two of the preamble." in page and "<li>First right.</li>" in page
    assert "version 2" in page
    assert "Parents (including legal guardians" not in page  # version 1's preamble
    assert f'href="mailto:{district.complaint_email}"' in page
    for contact in [
        NYSED_COMPLAINTS["email"],
        NYSED_COMPLAINTS["phone"],
        NYSED_COMPLAINTS["url"],
        "89 Washington Avenue",
    ]:
        assert contact in page


def test_the_model_bill_of_rights_carries_the_district_and_nysed_contacts(client, district, posted):
    page = client.get(f"/public/{district.slug}/").text
    assert f"Complaints should be submitted to the EA at: by email to {district.complaint_email}" in page
    assert "by email to privacy@nysed.gov" in page


def test_a_district_without_agreements_or_bill_of_rights_still_has_a_page(client, db, fresh_cache):
    agency = factories.EducationalAgencyFactory(name="Quiet Hollow CSD", slug="quiet-hollow")
    page = client.get("/public/quiet-hollow/").text
    assert "Quiet Hollow CSD" in page
    assert "The district has not published its Bill of Rights here yet." in page
    assert "The district has not posted any agreement here yet." in page
    assert agency.name in client.get("/public/").text


def test_the_index_lists_districts_with_their_counts(client, district, other_district, posted):
    page = client.get("/public/").text
    assert f'<a href="/public/{district.slug}/">{district.name}</a>' in page
    assert "1 agreement posted" in page and "0 agreements posted" in page
    assert 'role="search"' in page and 'action="/public/search/"' in page


def test_an_amendment_links_to_the_agreement_it_replaces(client, catalogues, district, vendor, product, posted):
    amendment = agreement_create(
        agency=district, contractor=vendor, products=[product], framework=factories.csf("1.1"),
        previous=posted, kind=Agreement.Kind.AMENDMENT, contract_start=date(2026, 7, 1),
    )  # fmt: skip
    old = f"/public/{district.slug}/agreements/{posted.pk}/"
    assert "A later agreement replaces this one." not in client.get(old).text  # not posted yet
    move(amendment, S.EXECUTED)
    assert f'href="/public/{district.slug}/agreements/{amendment.pk}/"' in client.get(old).text
    new = client.get(f"/public/{district.slug}/agreements/{amendment.pk}/").text
    assert "This agreement amends an earlier one." in new and f'href="{old}"' in new


# --- the district's search and filters ---------------------------------------------------------------------


@pytest.fixture
def listing(catalogues, district):
    reading = factories.ContractorFactory(legal_name="Readwell Inc.", slug="readwell")
    maths = factories.ContractorFactory(legal_name="Numbers Co", slug="numbers-co")
    return {
        "reading": make_agreement(
            agency=district, contractor=reading, products=[factories.ProductFactory(contractor=reading, name="Phonics")]
        ),
        "maths": make_agreement(
            agency=district,
            contractor=maths,
            products=[factories.ProductFactory(contractor=maths, name="Fractions Lab")],
            purposes="Geometry homework and quizzes.",
            receives_student_pii=False,
            receives_appr_data=True,
            status=S.EXPIRED,
        ),
    }


def titles(response) -> list[str]:
    return re.findall(r'<h3 class="h5" id="agreement-\d+"><a [^>]+>([^<]+)</a>', response.text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Readwell Inc.: Phonics", "Numbers Co: Fractions Lab"]),
        ({"q": "readwell"}, ["Readwell Inc.: Phonics"]),
        ({"q": "fractions"}, ["Numbers Co: Fractions Lab"]),
        ({"q": "geometry quizzes"}, ["Numbers Co: Fractions Lab"]),  # every word, in the purposes
        ({"vendor": "numbers-co"}, ["Numbers Co: Fractions Lab"]),
        ({"product": "Phonics"}, ["Readwell Inc.: Phonics"]),
        ({"pii": "appr"}, ["Numbers Co: Fractions Lab"]),
        ({"pii": "student"}, ["Readwell Inc.: Phonics"]),
        ({"status": "expired"}, ["Numbers Co: Fractions Lab"]),
        ({"status": "executed", "q": "fractions"}, []),
        ({"vendor": "not-a-vendor", "status": "draft"}, ["Readwell Inc.: Phonics", "Numbers Co: Fractions Lab"]),
    ],
)
def test_search_and_filters_of_a_district_list(client, district, listing, query, expected):
    response = client.get(f"/public/{district.slug}/", query)
    assert response.status_code == 200
    assert titles(response) == expected


def test_filter_choices_come_from_the_posted_agreements(client, district, listing):
    make_agreement(agency=district, contractor=vendor_named("Unposted Vendor"), status=S.APPROVED)
    page = client.get(f"/public/{district.slug}/").text
    assert '<option value="readwell">Readwell Inc.</option>' in page
    assert '<option value="Fractions Lab">Fractions Lab</option>' in page
    assert "Unposted Vendor" not in page


def test_a_long_list_is_paginated(client, catalogues, district, settings, monkeypatch):
    monkeypatch.setattr("exhibits.public.views.PER_PAGE", 2)
    for n in range(3):
        make_agreement(agency=district, contractor=vendor_named(f"Paged Vendor {n}"))
    first = client.get(f"/public/{district.slug}/", {"q": "paged"})
    assert len(titles(first)) == 2 and "Page 1 of 2" in first.text
    assert "?q=paged&amp;page=2#agreements" in first.text
    assert len(titles(client.get(f"/public/{district.slug}/", {"q": "paged", "page": 2}))) == 1


# --- English and Spanish -----------------------------------------------------------------------------------


def test_pages_are_in_english_by_default(client, district, posted):
    response = client.get(f"/public/{district.slug}/")
    assert '<html lang="en">' in response.text
    assert "Agreements with companies" in response.text
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("how", ["parameter", "cookie", "browser"])
def test_pages_in_spanish(client, district, posted, settings, how):
    url = f"/public/{district.slug}/agreements/{posted.pk}/"
    if how == "parameter":
        response = client.get(url, {"language": "es"})
    elif how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
        response = client.get(url)
    else:
        response = client.get(url, headers={"accept-language": "es-US,es;q=0.9"})
    page = response.text
    assert '<html lang="es">' in page
    assert "Acuerdo con Learning Tools, Inc." in page
    assert "1. Para qué se usan los datos" in page
    assert "Lo que dice el acuerdo (en inglés):" in page
    assert "del 1 de julio de 2026 al 30 de junio de 2027" in page
    assert 'lang="en"' in page  # the DPA's wording and the vendor's answers stay English, marked as such
    assert response["Content-Language"] == "es"


def test_the_language_switch_posts_to_set_language_and_the_choice_sticks(client, district, posted, settings):
    page = client.get(f"/public/{district.slug}/", {"q": "reading", "language": "en"}).text
    assert 'action="/i18n/setlang/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    # Back to this page, without the ?language= that would override the choice.
    assert '<input type="hidden" name="next" value="/public/hometown-csd/?q=reading">' in page
    assert '<button type="submit" class="btn btn-outline-primary btn-sm" name="language" value="es" lang="es">' in page
    response = client.post("/i18n/setlang/", {"language": "es", "next": f"/public/{district.slug}/?q=reading"})
    assert response.status_code == 302 and response.url == f"/public/{district.slug}/?q=reading"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get(f"/public/{district.slug}/").text
    assert "Acuerdos con empresas" in page and 'value="en" lang="en">English</button>' in page


def test_a_language_parameter_is_remembered_on_pages_but_not_by_files(client, district, posted, settings):
    client.get(f"/public/{district.slug}/embed/", {"language": "es"})
    client.get(f"/public/{district.slug}/feed.atom", {"language": "es"})
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    client.get(f"/public/{district.slug}/", {"language": "es"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert "Acuerdos con empresas" in client.get(f"/public/{district.slug}/").text


def test_each_language_has_its_own_cached_page(client, district, posted):
    url = f"/public/{district.slug}/"
    assert "Agreements with companies" in client.get(url, {"language": "en"}).text
    assert "Acuerdos con empresas" in client.get(url, {"language": "es"}).text
    assert "Agreements with companies" in client.get(url, {"language": "en"}).text


def test_the_print_stylesheet_is_linked(client, district, posted):
    page = client.get(f"/public/{district.slug}/agreements/{posted.pk}/").text
    assert "/static/css/public.css" in page
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/public.css")).read()  # noqa: SIM115
    assert "@media print" in css and ".language-switch" in css


def test_public_urls_are_under_public(db):
    for name, args in [
        ("public_index", []),
        ("public_search", []),
        ("public_feed", []),
        ("public_district", ["x"]),
        ("public_agreement", ["x", 1]),
        ("public_agreement_pdf", ["x", 1]),
        ("public_agreements_json", ["x"]),
        ("public_agreements_csv", ["x"]),
        ("public_district_feed", ["x"]),
        ("public_embed", ["x"]),
        ("public_open_data", ["x"]),
        ("public_redactions", ["x", 1]),
    ]:
        assert reverse(name, args=args).startswith("/public/")


def test_public_pages_refuse_writes(client, district, posted):
    assert client.post(f"/public/{district.slug}/").status_code == 405
    assert client.head(f"/public/{district.slug}/").status_code == 200
