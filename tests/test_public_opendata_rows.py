"""The open data reads rows of values, not model instances (issue 13): the same records as the pages' (one rule,
records.record_of, withholds for both), the same JSON as json.dumps, URLs as reverse() makes them, and one query per
chunk of agreements."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Agreement
from agreements.services import agreement_create
from dpa_portal.links import Links
from exhibits.models import RedactionField
from exhibits.public import opendata, selectors
from exhibits.public.records import Withheld, public_records, record_of
from exhibits.public.services import redaction_add

from . import factories
from .public_helpers import exhibit_b, fresh_cache_fixture, make_agreement, move, store_public_copy  # noqa: F401
from .test_public_outside import imported_agreement

S = Agreement.Status
pytestmark = pytest.mark.usefixtures("fresh_cache")
SECRETS = {
    "purposes": "SECRET-PURPOSE-71",
    "data_transition_details": "SECRET-TRANSITION-72",
    "security_measures": "SECRET-SECURITY-73",
    "encryption_details": "SECRET-ENCRYPTION-74",
    "storage_other_description": "SECRET-STORAGE-75",
}


@pytest.fixture
def varied(catalogues, district, district_admin):
    """Agreements that take every branch of a record: withheld parts with a public copy for that scope, every part
    withheld, closed, terminated, an amendment of a posted one, signed outside the portal (names only), and one with
    two products and other storage."""
    withheld = make_agreement(agency=district)
    redaction_add(agreement=withheld, field="purposes", reason="Names a system.", actor=district_admin)
    redaction_add(agreement=withheld, field="storage", reason="Names a data centre.", actor=district_admin)
    store_public_copy(withheld)  # the copy for what the district posts now
    secret = make_agreement(agency=district, storage_other=True, **SECRETS)
    for field in RedactionField.values:
        redaction_add(agreement=secret, field=field, reason=f"Withheld: {field}.", actor=district_admin)
    make_agreement(agency=district, status=S.CLOSED, receives_appr_data=True)
    make_agreement(agency=district, status=S.TERMINATED, subcontractor=False)
    vendor = factories.ContractorFactory(legal_name="Två Produkter AB")
    amended = make_agreement(
        agency=district,
        contractor=vendor,
        products=[factories.ProductFactory(contractor=vendor, name=name) for name in ("Zeta", "Alpha")],
        storage_other=True,
        storage_other_description='Quotes " and \\ and \u2028 and \U0001f600',
    )
    amendment = agreement_create(
        agency=district, contractor=vendor, framework=amended.framework, previous=amended, kind=Agreement.Kind.AMENDMENT
    )
    exhibit_b(amendment)
    move(amendment, S.EXECUTED)
    imported_agreement(agency=district, uploader=district_admin, subcontractors=("Host A", "Host B"))
    return secret


def test_rows_make_the_same_records_as_instances(varied, district):
    rows = selectors.posted_rows(district)
    records = [record_of(row) for row in rows]
    assert records == public_records(selectors.posted_agreements().filter(agency=district).order_by("pk"))
    # Every branch taken, so that the comparison means something.
    assert any(r.document and r.withheld for r in records) and any(r.document is None for r in records)
    assert any(isinstance(r.subcontractors, Withheld) for r in records)
    assert any(r.uploaded_on and r.subcontractors and r.subcontractors[0].receives_pii is None for r in records)
    assert any(r.replaces for r in records) and any(r.replaced_by for r in records)
    assert any(r.destruction_certified_at for r in records) and any(r.products == ("Alpha", "Zeta") for r in records)


def test_a_withheld_part_is_in_no_chunk_of_the_open_data(client, varied, district, monkeypatch):
    monkeypatch.setattr(opendata, "CHUNK", 2)  # the withheld agreement in a chunk of its own, others around it
    for url in ["agreements.json", "agreements.csv"]:
        body = client.get(f"/public/{district.slug}/{url}").getvalue().decode("utf-8-sig")
        assert "Withheld: encryption_details." in body, url
        for secret in SECRETS.values():
            assert secret not in body, (url, secret)
    data = {
        a["id"]: a for a in json.loads(client.get(f"/public/{district.slug}/agreements.json").getvalue())["agreements"]
    }
    assert data[varied.pk]["withheld"] == [{"field": f, "reason": f"Withheld: {f}."} for f in RedactionField.values]


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": [], "b": {}, "c": [{"x": None, "y": True, "z": False}], "d": 0, "e": -7},
        ["\x00\x1f\t\n\r", '"\\/', "\u2028\u2029", "Peñasco \U0001f600", "</script>", ""],
        {"nested": {"deeper": [["a", 1], {"k": "v"}]}},
    ],
)
def test_the_json_is_what_json_dumps_writes(value):
    assert opendata._json(value, "") == json.dumps(value, ensure_ascii=False, indent=2)
    document = json.dumps({"agreements": [value]}, ensure_ascii=False, indent=2)
    assert f'{{\n  "agreements": [\n    {opendata._json(value, "    ")}\n  ]\n}}' == document


def test_the_links_are_the_reversed_urls(rf):
    absolute = rf.get("/", HTTP_HOST="testserver").build_absolute_uri
    links = Links(absolute)
    for slug in ["district-0", "hometown", "a0"]:
        for pk in [0, 1, 10, 100, 4242]:
            for view in ["public_agreement", "public_agreement_pdf"]:
                assert links.url(view, slug, pk) == absolute(reverse(view, args=[slug, pk]))


def test_one_query_per_chunk(catalogues, district, monkeypatch):
    monkeypatch.setattr(opendata, "CHUNK", 2)
    counts = []
    for _ in range(3):
        make_agreement(agency=district)
        make_agreement(agency=district)
        with CaptureQueriesContext(connection) as captured:
            Client().get(f"/public/{district.slug}/agreements.json").getvalue()
        counts.append(len(captured))
    assert counts[1] - counts[0] == counts[2] - counts[1] == 1, counts
