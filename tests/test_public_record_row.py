"""An agreement's public page reads its record as ONE row of values written in SQL (selectors.posted_row, issue 13):
the same record as the ORM's instances give for every branch (withheld parts, public copies, a chain, signed outside
the portal), nothing of another district or of an agreement not posted, and one query for the whole page. A district's
list reads its cards' rows in SQL too (selectors.district_listing): the same rows as through the ORM (SQLite)."""

from types import SimpleNamespace

import pytest

from agreements.models import Agreement
from exhibits.public import selectors
from exhibits.public.records import public_record, record_of

from . import factories
from .public_helpers import fresh_cache_fixture, make_agreement  # noqa: F401
from .test_public_opendata_rows import SECRETS, varied  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("fresh_cache")


def test_the_row_makes_the_same_record_as_the_instance(varied, district, django_assert_num_queries):  # noqa: F811
    agreements = list(selectors.posted_agreements().filter(agency=district).order_by("pk"))
    assert len(agreements) == 7  # every branch of a record: see varied
    for agreement in agreements:
        with django_assert_num_queries(1):
            row = selectors.posted_row(slug=district.slug, pk=agreement.pk)
        assert record_of(row) == public_record(agreement), agreement.pk


def test_the_sqlite_fallback_reads_the_same_record(varied, district, monkeypatch):  # noqa: F811
    from_sql = record_of(selectors.posted_row(slug=district.slug, pk=varied.pk))
    monkeypatch.setattr(selectors, "connection", SimpleNamespace(vendor="sqlite"))
    assert record_of(selectors.posted_row(slug=district.slug, pk=varied.pk)) == from_sql


def test_no_row_for_another_district_or_an_agreement_not_posted(catalogues, district, other_district):
    posted = make_agreement(agency=district)
    approved = make_agreement(agency=district, status=Agreement.Status.APPROVED)
    assert selectors.posted_row(slug=district.slug, pk=posted.pk)["pk"] == posted.pk
    assert selectors.posted_row(slug=other_district.slug, pk=posted.pk) is None
    assert selectors.posted_row(slug=district.slug, pk=approved.pk) is None
    assert selectors.posted_row(slug=district.slug, pk=0) is None


def test_a_cold_agreement_page_is_one_query(client, varied, district, django_assert_num_queries):  # noqa: F811
    with django_assert_num_queries(1):
        page = client.get(f"/public/{district.slug}/agreements/{varied.pk}/")
    assert page.status_code == 200
    assert "Withheld: encryption_details." in page.text
    assert not [secret for secret in SECRETS.values() if secret in page.text]
    # One in a chain of amendments: one more query for the chain.
    amended = Agreement.objects.filter(agency=district, previous__isnull=False).get()
    with django_assert_num_queries(2):
        assert client.get(f"/public/{district.slug}/agreements/{amended.pk}/").status_code == 200
    vendor = factories.ContractorFactory(legal_name="Unposted Vendor")
    unposted = make_agreement(agency=district, contractor=vendor, status=Agreement.Status.APPROVED)
    with django_assert_num_queries(1):
        assert client.get(f"/public/{district.slug}/agreements/{unposted.pk}/").status_code == 404


def test_the_listing_rows_are_the_orms(varied, district, monkeypatch, django_assert_num_queries):  # noqa: F811
    everything = selectors.district_filter()
    with django_assert_num_queries(2):  # the page's ids, then their rows with their products
        rows = selectors.district_listing(district, everything)
    assert [row["pk"] for row in rows] == selectors.district_page_ids(district, everything)
    assert any(row["purposes_withheld"] for row in rows) and any(len(row["products"]) == 2 for row in rows)
    assert any(row["uploaded_at"] for row in rows) and any(row["destruction_certified_at"] for row in rows)
    monkeypatch.setattr(selectors, "connection", SimpleNamespace(vendor="sqlite"))
    assert selectors.district_listing(district, everything) == rows
