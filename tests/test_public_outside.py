"""Agreements signed outside the portal on the public pages (issue 12, point 3): posted like the portal's own with the
six items of 121.3(c), "not provided by the district" where the district gave none, withheld as the district chooses
(121.3(e)), marked in the open data and the feeds, found by the search, at the same query counts, and nothing of the
upload (who did it, the vendor's contact, the PDF) on any public page, file or feed."""

import csv
import hashlib
import io
import itertools
import json
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from django.core.cache import cache as django_cache
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from agreements.models import Agreement, OutsideSigning
from agreements.outside import OutsideTerms, outside_agreement_record
from exhibits.models import RedactionField
from exhibits.public.search import statewide_search
from exhibits.public.services import redaction_add
from exhibits.services import bill_of_rights_publish

from . import factories
from .public_helpers import fresh_cache_fixture, make_agreement  # noqa: F401

S = Agreement.Status
ATOM = "{http://www.w3.org/2005/Atom}"
UPLOADER = {"first_name": "Dana", "last_name": "Uploaderson", "email": "dana.uploaderson@hometown.example"}
VENDOR_CONTACT = "pat.contact@vendor.example"
# The six items as an import row gives them (agreements.outside.OutsideTerms' names).
ITEMS = {
    "purposes": "Adaptive math practice for grades 3 to 8.",
    "subcontractor_terms": "Each subprocessor signs terms no less protective than these.",
    "data_transition": "Exported as CSV on request, then erased within 60 days.",
    "accuracy_challenges": "Parents write to the district, which forwards corrections within 15 days.",
    "storage_and_security": "Hosted in a SOC 2 audited data centre; staff access by role.",
    "encryption": "TLS 1.3 in transit, AES-256 on disk.",
}
pytestmark = pytest.mark.usefixtures("fresh_cache")


def imported_agreement(
    *,
    agency,
    uploader,
    contractor=None,
    products=None,
    status=S.EXECUTED,
    items=ITEMS,
    subcontractors=("Cloud Host Co",),
    exhibit_b=None,
):
    """An agreement signed outside the portal, recorded by the import's own service (agreements.outside): executed,
    or expired when its term ended before the import; its PDF carries the signers' e-mail addresses, as such copies
    do. `exhibit_b` is a portal archive's structured Exhibit B (item 4 then in the model DPA's wording)."""
    contractor = contractor or factories.ContractorFactory()
    terms = OutsideTerms(
        contractor=contractor,
        products=[p.name for p in products] if products else [f"Product of {contractor.legal_name}"],
        service_agreement_date=date(2025, 6, 1),
        contract_start=date(2025, 7, 1),
        contract_end=date(2028, 6, 30) if status == S.EXECUTED else date(2026, 6, 30),
        subcontractors=None if subcontractors is None else list(subcontractors),
        student_pii=True,
        vendor_contact_name="Pat Contact",
        vendor_contact_email=VENDOR_CONTACT,
        exhibit_b=exhibit_b,
        **items,
    )
    pdf = f"%PDF-1.4 signed by {VENDOR_CONTACT} and {uploader.email}\n%%EOF".encode()
    agreement = outside_agreement_record(
        agency=agency,
        actor=uploader,
        terms=terms,
        pdf=pdf,
        pdf_filename="Signed DPA - Pat Contact.pdf",
        pdf_has_text=True,
        source_key=hashlib.sha256(f"{agency.pk}:{next(_rows)}".encode()).hexdigest(),
    )
    assert agreement.status == status
    django_cache.clear()  # the tests below read pages right after writing, in one transaction
    return agreement


_rows = itertools.count()


def uploaded_on(agreement, language="en") -> str:
    """The upload day as the pages print it in `language`."""
    with translation.override(language):
        return date_format(timezone.localdate(agreement.outside_signing.uploaded_at), "DATE_FORMAT")


@pytest.fixture
def uploader(district):
    return factories.DistrictMembershipFactory(agency=district, role="admin", user__email=UPLOADER["email"],
                                               user__first_name=UPLOADER["first_name"],
                                               user__last_name=UPLOADER["last_name"]).user  # fmt: skip


@pytest.fixture
def imported(catalogues, district, uploader):
    bill_of_rights_publish(agency=district)
    vendor = factories.ContractorFactory(legal_name="Mathsprout Learning LLC", slug="mathsprout")
    product = factories.ProductFactory(contractor=vendor, name="Sprout Practice")
    return imported_agreement(agency=district, uploader=uploader, contractor=vendor, products=[product])


def page_of(client, agreement, language="en"):
    response = client.get(f"/public/{agreement.agency.slug}/agreements/{agreement.pk}/?language={language}")
    assert response.status_code == 200
    return response.text


def json_of(client, district):
    data = json.loads(client.get(f"/public/{district.slug}/agreements.json").getvalue())
    return {a["id"]: a for a in data["agreements"]}


def csv_of(client, district):
    text = client.get(f"/public/{district.slug}/agreements.csv").getvalue().decode("utf-8-sig")
    return {int(row["id"]): row for row in csv.DictReader(io.StringIO(text))}


def feed_entries(client, url):
    root = ET.fromstring(client.get(url).getvalue())  # noqa: S314 -- our own feed
    return root.findall(f"{ATOM}entry")


def test_an_imported_agreement_is_posted_on_the_list_and_its_page_with_the_six_items(client, district, imported):
    listing = client.get(f"/public/{district.slug}/").text
    assert "Mathsprout Learning LLC: Sprout Practice" in listing
    assert "Signed outside the portal." in listing and "1 agreement posted." in listing
    page = page_of(client, imported)
    for heading in ["1. What the data is used for", "2. Who else handles the data",
                    "3. How long, and what happens to the data at the end", "4. How to correct wrong data",
                    "5. Where the data is stored and how it is protected", "6. Encryption"]:  # fmt: skip
        assert heading in page
    for text in ITEMS.values():
        assert text in page, text
    assert "<li>Cloud Host Co</li>" in page  # the subcontractors the district lists
    assert "July 1, 2025 to June 30, 2028" in page  # item 3: the term
    assert f"Signed outside the portal. The district uploaded it on {uploaded_on(imported)}." in page
    assert "Not provided by the district." not in page
    # The model DPA's fixed wording is not put in the mouth of an agreement that may not use it.
    assert "Contractor agrees to facilitate such corrections" not in page
    assert "Data will be encrypted while in motion and at rest." not in page


def test_an_item_the_district_has_not_given_reads_not_provided_by_the_district(client, district, uploader, imported):
    bare = imported_agreement(agency=district, uploader=uploader, items={}, subcontractors=None)
    page = page_of(client, bare)
    assert page.count("Not provided by the district.") == 6  # each of the six items once
    assert "Not stated." not in page
    spanish = page_of(client, bare, "es")
    assert spanish.count("El distrito no lo ha proporcionado.") == 6
    assert f"Firmado fuera del portal. El distrito lo subió el {uploaded_on(bare, 'es')}." in spanish
    # A portal agreement keeps its own wording for an empty answer.
    portal = make_agreement(agency=district, purposes="")
    assert "Not provided by the district." not in page_of(client, portal)
    # Items given in part: no subcontractors (an empty list) is an answer, not a gap.
    none = imported_agreement(agency=district, uploader=uploader, items={}, subcontractors=())
    page = page_of(client, none)
    assert "The company does not use subcontractors." in page and page.count("Not provided by the district.") == 5


def test_item_4_in_the_model_wording_uses_exhibit_bs_correction_days(client, district, uploader, imported):
    exhibit_b = {
        "purposes": "Reading lessons.",
        "receives_student_pii": True,
        "subcontractor_use": "will_use",
        "subcontractors": [{"name": "Archive Host", "purpose": "Hosting", "receives_pii": True}],
        "correction_days": 10,
        "storage_contractor_hosted": True,
        "security_measures": "Audited yearly.",
        "encryption_details": "AES-256.",
    }
    archived = imported_agreement(agency=district, uploader=uploader, exhibit_b=exhibit_b)
    page = page_of(client, archived)
    assert "Contractor agrees to facilitate such corrections within 10 days of receiving the EA's" in page
    assert ITEMS["accuracy_challenges"] not in page  # the model's wording is what that agreement says
    assert "Data will be encrypted while in motion and at rest." in page
    assert "Contractor will utilize subcontractors." in page and '<th scope="row">Archive Host</th>' in page
    assert "Not provided by the district." not in page
    data = json_of(client, district)
    assert data[archived.pk]["correction_days"] == 10 and data[archived.pk]["accuracy_challenges"] == ""
    assert data[imported.pk]["correction_days"] is None  # its own words, no model days
    assert data[imported.pk]["accuracy_challenges"] == ITEMS["accuracy_challenges"]


def public_outputs(client, district, agreement):
    """Every public place an agreement appears, as text."""
    slug = district.slug
    urls = [f"/public/{slug}/", f"/public/{slug}/agreements/{agreement.pk}/", f"/public/{slug}/agreements.json",
            f"/public/{slug}/agreements.csv", f"/public/{slug}/feed.atom", "/public/feed.atom",
            f"/public/{slug}/embed/", "/public/search/?q=mathsprout", f"/public/{slug}/?q=sprout"]  # fmt: skip
    outputs = {}
    for language in ["en", "es"]:
        for url in urls:
            response = client.get(f"{url}{'&' if '?' in url else '?'}language={language}")
            assert response.status_code == 200, url
            outputs[f"{url} ({language})"] = response.getvalue().decode("utf-8-sig")
    return outputs


def test_redactions_withhold_the_imported_texts_as_for_the_portals_own(client, district, uploader, imported):
    for field in RedactionField.values:
        redaction_add(agreement=imported, field=field, reason=f"Reason {field}.", actor=uploader)
    django_cache.clear()
    withheld = [text for key, text in ITEMS.items() if key != "accuracy_challenges"] + ["Cloud Host Co"]
    for where, text in public_outputs(client, district, imported).items():
        for secret in withheld:
            assert secret not in text, (where, secret)
    page = page_of(client, imported)
    for field in RedactionField.values:
        assert f"Reason {field}." in page
    assert "Not provided by the district." not in page  # withheld is not missing
    # Item 4 is not a part a district may withhold (there is no RedactionField for it): it stays.
    assert ITEMS["accuracy_challenges"] in page
    data = json_of(client, district)[imported.pk]
    assert data["subcontractor_terms"] is None and data["subcontractors"] is None
    assert data["purposes"] is None and data["encryption_details"] is None
    assert csv_of(client, district)[imported.pk]["subcontractor_terms"] == ""


def test_only_the_subcontractors_redaction_withholds_the_subcontractor_terms(client, district, uploader, imported):
    redaction_add(agreement=imported, field="purposes", reason="Names a system.", actor=uploader)
    django_cache.clear()
    page = page_of(client, imported)
    assert ITEMS["subcontractor_terms"] in page and ITEMS["purposes"] not in page
    redaction_add(agreement=imported, field="subcontractors", reason="Names our hosts.", actor=uploader)
    django_cache.clear()
    page = page_of(client, imported)
    assert ITEMS["subcontractor_terms"] not in page and "Names our hosts." in page


def test_no_copy_of_an_imported_agreement_is_offered(client, district, imported):
    slug = district.slug
    document = imported.outside_signing.document
    assert client.get(f"/public/{slug}/agreements/{imported.pk}/dpa.pdf").status_code == 404
    page = page_of(client, imported)
    assert "dpa.pdf" not in page and document.document_id not in page and document.sha256 not in page
    assert "The portal has no copy of it to publish" in page
    assert "The signed agreement is not available here yet." not in page
    assert json_of(client, district)[imported.pk]["sealed_pdf"] is None
    row = csv_of(client, district)[imported.pk]
    assert row["sealed_pdf_url"] == "" and row["sealed_pdf_sha256"] == ""


def test_open_data_and_feeds_mark_it_signed_outside_the_portal(client, district, imported):
    portal = make_agreement(agency=district, contractor=factories.ContractorFactory(legal_name="Portal Vendor"))
    data = json_of(client, district)
    mine = data[imported.pk]
    assert mine["signed_outside_portal"] is True and mine["uploaded_on"] == timezone.localdate().isoformat()
    assert mine["vendor"] == "Mathsprout Learning LLC" and mine["products"] == ["Sprout Practice"]
    assert mine["status"] == "executed" and mine["contract_end"] == "2028-06-30"
    assert mine["purposes"] == ITEMS["purposes"] and mine["encryption_details"] == ITEMS["encryption"]
    assert mine["subcontractor_terms"] == ITEMS["subcontractor_terms"]
    # The district lists names: whether each receives PII under a written agreement is not said, so null.
    assert mine["subcontractors"] == [
        {"name": "Cloud Host Co", "purpose": "", "receives_pii": None, "written_agreement": None}
    ]
    assert list(mine)[-4:] == ["signed_outside_portal", "uploaded_on", "subcontractor_terms", "accuracy_challenges"]
    assert data[portal.pk]["signed_outside_portal"] is False and data[portal.pk]["uploaded_on"] is None
    rows = csv_of(client, district)
    assert rows[imported.pk]["signed_outside_portal"] == "true" and rows[portal.pk]["signed_outside_portal"] == "false"
    assert rows[imported.pk]["uploaded_on"] == mine["uploaded_on"]
    assert rows[imported.pk]["accuracy_challenges"] == ITEMS["accuracy_challenges"]
    for url in [f"/public/{district.slug}/feed.atom", "/public/feed.atom"]:
        entries = {e.find(f"{ATOM}link").get("href"): e for e in feed_entries(client, url)}
        outside = entries[f"http://testserver/public/{district.slug}/agreements/{imported.pk}/"]
        assert [c.get("term") for c in outside.findall(f"{ATOM}category")] == ["signed_outside_portal"]
        summary = outside.find(f"{ATOM}summary").text
        assert f"Signed outside the portal. The district uploaded it on {uploaded_on(imported)}." in summary
        assert ITEMS["purposes"] in summary
        own = entries[f"http://testserver/public/{district.slug}/agreements/{portal.pk}/"]
        assert own.findall(f"{ATOM}category") == [] and "outside the portal" not in own.find(f"{ATOM}summary").text
    spanish = client.get(f"/public/{district.slug}/feed.atom?language=es").text
    assert f"Firmado fuera del portal. El distrito lo subió el {uploaded_on(imported, 'es')}." in spanish


def test_an_expired_import_is_posted_as_expired(client, district, uploader, imported):
    ended = imported_agreement(agency=district, uploader=uploader, status=S.EXPIRED)
    assert 'public-status-expired">Expired<' in page_of(client, ended)
    assert json_of(client, district)[ended.pk]["status"] == "expired"


def test_the_search_finds_imported_agreements_by_vendor_and_product(client, district, other_district, imported):
    for q in ["mathsprout", "sprout practice", "Mathsprout Learning"]:
        groups = statewide_search(q)
        assert [(g.slug, [h.pk for h in g.hits]) for g in groups] == [(district.slug, [imported.pk])], q
    page = client.get("/public/search/?q=sprout").text
    assert f"/public/{district.slug}/agreements/{imported.pk}/" in page
    # And the search box of the district's own list.
    listing = client.get(f"/public/{district.slug}/?q=sprout").text
    assert "1 of 1 agreements matches." in listing and "Mathsprout Learning LLC" in listing
    assert statewide_search("nosuchvendor") == []


def test_nothing_private_reaches_a_public_page_file_or_feed(client, district, imported):
    document = imported.outside_signing.document
    private = [
        UPLOADER["email"],
        UPLOADER["last_name"],  # the uploader's name, which the timeline (not the public) shows
        VENDOR_CONTACT,
        "Pat Contact",
        "Signed DPA - Pat Contact.pdf",
        reverse("agreement_document", args=[imported.pk, "uploaded"]),
        "/documents/",
        document.document_id,
        document.sha256,
    ]
    outputs = public_outputs(client, district, imported)
    assert ITEMS["purposes"] in outputs[f"/public/{district.slug}/agreements.json (en)"]  # they do carry the agreement
    for where, text in outputs.items():
        for secret in private:
            assert secret not in text, (where, secret)


HOSTILE = '<script>alert("x")</script>'


def test_imported_texts_are_escaped(client, district, uploader, imported):
    hostile = imported_agreement(
        agency=district,
        uploader=uploader,
        items={"subcontractor_terms": HOSTILE, "accuracy_challenges": f"=cmd {HOSTILE}"},
    )
    page = page_of(client, hostile)
    assert HOSTILE not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert json_of(client, district)[hostile.pk]["subcontractor_terms"] == HOSTILE
    assert csv_of(client, district)[hostile.pk]["accuracy_challenges"] == f"'=cmd {HOSTILE}"


def test_a_change_to_the_outside_signing_reaches_the_cached_pages(client, district, imported):
    assert "Now given." not in page_of(client, imported)
    signing = OutsideSigning.objects.get(agreement=imported)
    signing.accuracy_challenges = "Now given."
    signing.save()  # as outside_agreement_complete does, without any other change
    assert "Now given." in page_of(client, imported)
    assert (
        json.loads(client.get(f"/public/{district.slug}/agreements.json").getvalue())["agreements"][0][
            "accuracy_challenges"
        ]
        == "Now given."
    )


def query_urls(district, agreement):
    slug = district.slug
    return [
        "/public/search/?q=vendor",
        "/public/feed.atom",
        f"/public/{slug}/",
        f"/public/{slug}/?q=vendor&status=executed",
        f"/public/{slug}/agreements/{agreement.pk}/",
        f"/public/{slug}/agreements.json",
        f"/public/{slug}/agreements.csv",
        f"/public/{slug}/feed.atom",
        f"/public/{slug}/embed/",
    ]


def test_queries_do_not_grow_with_imported_agreements(
    client, catalogues, district, uploader, django_assert_max_num_queries
):
    """As tests/test_public_cache.py asserts for the portal's own: a list of portal and imported agreements costs the
    same number of queries with 3 agreements as with 11 (outside_signing is joined, not read per row)."""
    first = imported_agreement(agency=district, uploader=uploader)
    make_agreement(agency=district)
    imported_agreement(agency=district, uploader=uploader, status=S.EXPIRED, items={})
    counts = {}
    for url in query_urls(district, first):
        with django_assert_max_num_queries(20) as captured:
            assert client.get(url).status_code == 200, url
        counts[url] = len(captured.captured_queries)
    for n in range(6):
        imported_agreement(agency=district, uploader=uploader, status=S.EXPIRED if n % 2 else S.EXECUTED)
    make_agreement(agency=district)
    make_agreement(agency=district, status=S.CLOSED)
    assert Agreement.objects.filter(agency=district).count() == 11
    django_cache.clear()
    for url in query_urls(district, first):
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200, url
