"""Open data: JSON, CSV, the Atom feeds and the embeddable list parse, keep a stable shape and order, and carry
hostile text safely (escaped in HTML, data in JSON, no formulas in CSV, text in Atom)."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from agreements.models import Agreement
from exhibits.public.opendata import CSV_COLUMNS, csv_safe
from exhibits.public.services import redaction_add

from . import factories
from .public_helpers import fresh_cache_fixture, make_agreement, posted_fixture  # noqa: F401

S = Agreement.Status
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
pytestmark = pytest.mark.usefixtures("fresh_cache")


def atom(response):
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.getvalue())  # noqa: S314 -- our own feed


def rows(response):
    return list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def test_json_lists_every_posted_agreement_by_id_with_the_documented_fields(client, catalogues, district, posted):
    later = make_agreement(agency=district, contractor=factories.ContractorFactory(legal_name="Álgebra Añil S.A."))
    make_agreement(agency=district, status=S.APPROVED)
    response = client.get(f"/public/{district.slug}/agreements.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.getvalue()  # streamed: read once
    assert "Álgebra Añil" in body.decode("utf-8")  # UTF-8, not \\u escapes
    data = json.loads(body)
    assert data["format"] == "dpa-portal/exhibit-b/1"
    assert data["district"] == {
        "name": district.name,
        "slug": district.slug,
        "url": f"http://testserver/public/{district.slug}/",
    }
    assert [a["id"] for a in data["agreements"]] == [posted.pk, later.pk]
    first = data["agreements"][0]
    assert list(first) == [
        "id", "url", "vendor", "products", "kind", "replaces", "replaced_by", "status", "posted_on", "contract_start",
        "contract_end", "ended_early_on", "data_destruction_certified_on", "pii_types", "purposes", "subcontractor_use",
        "subcontractors", "data_transition_details", "correction_days", "storage", "security_measures",
        "encryption_details", "withheld", "sealed_pdf", "signed_outside_portal", "uploaded_on", "subcontractor_terms",
        "accuracy_challenges",
    ]  # fmt: skip
    document = posted.documents.get(kind="public_copy")  # never the executed DPA, which has the audit trail
    assert first["vendor"] == "Learning Tools, Inc." and first["products"] == ["Reading Coach"]
    assert first["status"] == "executed" and first["contract_end"] == "2027-06-30"
    assert first["pii_types"] == ["student"]
    assert first["subcontractors"] == [
        {"name": "Cloud Host Co", "purpose": "Hosting", "receives_pii": True, "written_agreement": True}
    ]
    assert first["storage"] == {"third_party_cloud": True, "contractor_hosted": False, "other": ""}
    assert first["sealed_pdf"] == {
        "url": f"http://testserver/public/{district.slug}/agreements/{posted.pk}/dpa.pdf",
        "document_id": document.document_id,
        "sha256": document.sha256,
        "size": document.size,
        "exhibit_c": False,
    }


def test_csv_has_the_documented_columns_in_a_stable_order(client, catalogues, district, posted):
    closed = make_agreement(agency=district, status=S.CLOSED, receives_appr_data=True)
    response = client.get(f"/public/{district.slug}/agreements.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{district.slug}-agreements.csv"'
    body = response.getvalue()  # streamed: read once
    assert body.startswith("\ufeff".encode())  # so spreadsheets read it as UTF-8
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(table[0]) == CSV_COLUMNS
    assert [int(r["id"]) for r in table] == [posted.pk, closed.pk]
    assert table[0]["products"] == "Reading Coach" and table[0]["storage"] == "third_party_cloud"
    assert table[1]["pii_types"] == "student; appr" and table[1]["status"] == "closed"
    assert table[1]["data_destruction_certified_on"] != ""
    assert client.get(f"/public/{district.slug}/agreements.csv").getvalue() == body  # the same bytes again


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("Plain name", "Plain name"),
        ("a=b", "a=b"),
        (None, ""),
        (21, "21"),
    ],
)
def test_csv_cells_cannot_start_a_formula(value, cell):
    assert csv_safe(value) == cell


def test_csv_from_hostile_answers_holds_no_formula(client, catalogues, district):
    vendor = factories.ContractorFactory(legal_name="=cmd|'/C calc'!A0")
    make_agreement(
        agency=district,
        contractor=vendor,
        products=[factories.ProductFactory(contractor=vendor, name="@SUM(1+1)")],
        purposes="+danger",
        security_measures="-1",
    )
    row = rows(client.get(f"/public/{district.slug}/agreements.csv"))[0]
    assert row["vendor"] == "'=cmd|'/C calc'!A0"
    assert row["products"] == "'@SUM(1+1)"
    assert row["purposes"] == "'+danger" and row["security_measures"] == "'-1"
    assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_the_atom_feeds_list_newly_posted_agreements(client, catalogues, district, other_district, posted):
    theirs = make_agreement(agency=other_district, contractor=factories.ContractorFactory(legal_name="Elsewhere Co"))
    make_agreement(agency=district, status=S.SUBMITTED, contractor=factories.ContractorFactory(legal_name="Draft Co"))
    feed = atom(client.get(f"/public/{district.slug}/feed.atom"))
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text == f"Data privacy agreements posted by {district.name}"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Learning Tools, Inc.: Reading Coach"]
    entry = entries[0]
    assert entry.find(f"{ATOM}link").get("href") == f"http://testserver/public/{district.slug}/agreements/{posted.pk}/"
    assert "To provide reading lessons to students." in entry.find(f"{ATOM}summary").text
    assert entry.find(f"{ATOM}published").text

    statewide = atom(client.get("/public/feed.atom"))
    titles = [e.find(f"{ATOM}title").text for e in statewide.findall(f"{ATOM}entry")]
    assert titles[0] == f"{other_district.name}: Elsewhere Co: {theirs.products.get().name}"  # newest first
    assert f"{district.name}: Learning Tools, Inc.: Reading Coach" in titles
    assert not any("Draft Co" in t for t in titles)


def test_the_feed_is_translated(client, district, posted):
    feed = atom(client.get(f"/public/{district.slug}/feed.atom", {"language": "es"}))
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
    assert feed.find(f"{ATOM}title").text.startswith("Acuerdos de privacidad de datos publicados por")


# --- the embeddable list -----------------------------------------------------------------------------------


def test_the_embed_may_be_framed_and_no_other_page_may(client, district, posted):
    embed = client.get(f"/public/{district.slug}/embed/")
    assert embed.status_code == 200 and "X-Frame-Options" not in embed
    assert f'href="http://testserver/public/{district.slug}/agreements/{posted.pk}/" target="_top"' in embed.text
    assert "Learning Tools, Inc.: Reading Coach" in embed.text
    for url in [f"/public/{district.slug}/", f"/public/{district.slug}/open-data/", "/public/"]:
        assert client.get(url)["X-Frame-Options"] == "DENY"


def test_the_open_data_page_gives_the_iframe_code_to_paste(client, district, posted):
    page = client.get(f"/public/{district.slug}/open-data/").text
    code = (
        f"&lt;iframe src=&quot;http://testserver/public/{district.slug}/embed/?language=en&quot; "
        f"title=&quot;Data privacy agreements of {district.name}&quot;"
    )
    assert code in page
    assert f"/public/{district.slug}/embed/?language=es" in page
    assert f'href="/public/{district.slug}/agreements.json"' in page
    assert f'href="/public/{district.slug}/agreements.csv"' in page
    assert f'href="/public/{district.slug}/feed.atom"' in page


def test_the_embed_in_spanish(client, district, posted):
    embed = client.get(f"/public/{district.slug}/embed/", {"language": "es"}).text
    assert '<html lang="es">' in embed and "Vigente" in embed


# --- hostile text ------------------------------------------------------------------------------------------


@pytest.fixture
def hostile(catalogues, district, district_admin):
    vendor = factories.ContractorFactory(legal_name=HOSTILE, slug="hostile")
    agreement = make_agreement(
        agency=district,
        contractor=vendor,
        products=[factories.ProductFactory(contractor=vendor, name=HOSTILE)],
        purposes=HOSTILE,
        security_measures=HOSTILE,
    )
    redaction_add(agreement=agreement, field="storage", reason=HOSTILE, actor=district_admin)
    return agreement


def test_hostile_text_is_escaped_in_every_page(client, district, hostile):
    for url in [
        f"/public/{district.slug}/",
        f"/public/{district.slug}/?language=es",
        f"/public/{district.slug}/agreements/{hostile.pk}/",
        f"/public/{district.slug}/agreements/{hostile.pk}/?language=es",
        f"/public/{district.slug}/embed/",
        "/public/search/?q=alert",
        f"/public/search/?q={HOSTILE}",
    ]:
        page = client.get(url).text
        assert HOSTILE not in page, url
        assert ESCAPED in page, url


def test_hostile_text_is_plain_data_in_json_and_csv(client, district, hostile):
    response = client.get(f"/public/{district.slug}/agreements.json")
    assert response["X-Content-Type-Options"] == "nosniff"
    data = json.loads(response.getvalue())["agreements"][0]
    assert data["vendor"] == data["purposes"] == data["products"][0] == HOSTILE
    assert data["withheld"] == [{"field": "storage", "reason": HOSTILE}]
    row = rows(client.get(f"/public/{district.slug}/agreements.csv"))[0]
    assert row["vendor"] == HOSTILE and row["withheld"] == f"storage: {HOSTILE}"


def test_hostile_text_is_text_in_the_feeds(client, district, hostile):
    for url in [f"/public/{district.slug}/feed.atom", "/public/feed.atom"]:
        entry = atom(client.get(url)).find(f"{ATOM}entry")
        assert entry.find(f"{ATOM}title").text.endswith(f"{HOSTILE}: {HOSTILE}")  # a text title
        summary = entry.find(f"{ATOM}summary")
        assert summary.get("type") == "html"
        assert HOSTILE not in summary.text and ESCAPED in summary.text  # HTML that shows the text, runs nothing
