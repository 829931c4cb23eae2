"""Speed: query counts that do not grow with the number of agreements, pages cached per district and language, and
the cache invalidated at once when an agreement is posted, changes or expires (exhibits/signals.py)."""

import pytest
from django.core.cache import cache as django_cache
from django.test import Client

from agreements.models import Agreement, AgreementDocument
from agreements.services import agreement_transition
from exhibits.models import Redaction, SupplementalInformation
from exhibits.public import cache
from exhibits.public.services import public_pages_held, redaction_add, redaction_remove
from exhibits.services import bill_of_rights_publish
from vendors.models import Contractor

from . import factories
from .public_helpers import (  # noqa: F401
    fresh_cache_fixture,
    make_agreement,
    move,
    store_executed_document,
    store_public_copy,
)

S = Agreement.Status
pytestmark = pytest.mark.usefixtures("fresh_cache")


def page_urls(district, agreement):
    slug = district.slug
    return [
        "/public/",
        "/public/search/?q=vendor",
        "/public/feed.atom",
        f"/public/{slug}/",
        f"/public/{slug}/?q=vendor&status=executed",
        f"/public/{slug}/agreements/{agreement.pk}/",
        f"/public/{slug}/agreements/{agreement.pk}/dpa.pdf",
        f"/public/{slug}/agreements.json",
        f"/public/{slug}/agreements.csv",
        f"/public/{slug}/feed.atom",
        f"/public/{slug}/embed/",
        f"/public/{slug}/open-data/",
    ]


def add_agreements(district, n):
    """n posted agreements, each with its own vendor, two products, a subcontractor and a redaction."""
    admin = factories.DistrictMembershipFactory(agency=district, role="admin").user
    made = []
    for _ in range(n):
        vendor = factories.ContractorFactory()
        products = factories.ProductFactory.create_batch(2, contractor=vendor)
        agreement = make_agreement(agency=district, contractor=vendor, products=products)
        redaction_add(agreement=agreement, field="security_measures", reason="Security.", actor=admin)
        made.append(agreement)
    make_agreement(agency=district, status=S.EXPIRED)
    make_agreement(agency=district, status=S.CLOSED)
    return made


def test_queries_do_not_grow_with_the_number_of_agreements(client, catalogues, district, django_assert_max_num_queries):
    bill_of_rights_publish(agency=district)
    first = add_agreements(district, 2)[0]
    counts = {}
    # Every page answers, and the same way both times: the sealed copy is 404 (none stored here), the rest are pages.
    status = {url: 404 if url.endswith("/dpa.pdf") else 200 for url in page_urls(district, first)}
    for url in page_urls(district, first):
        with django_assert_max_num_queries(20) as captured:
            assert client.get(url).status_code == status[url], url
        counts[url] = len(captured.captured_queries)
    add_agreements(district, 8)
    django_cache.clear()
    for url in page_urls(district, first):
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == status[url], url


def test_a_cached_page_costs_no_query(client, catalogues, district, django_assert_num_queries):
    """The open data files are streamed, not cached (exhibits/public/opendata.py): asked again with their ETag, they
    are 304 Not Modified without a query, until the district changes."""
    first = add_agreements(district, 2)[0]
    urls = [url for url in page_urls(district, first) if not url.endswith(".pdf")]
    streamed = [url for url in urls if url.endswith((".json", ".csv"))]
    etags = {url: client.get(url)["ETag"] for url in urls if url in streamed}
    for url in urls:
        client.get(url)
    for url in urls:
        with django_assert_num_queries(0):
            if url in streamed:
                assert client.get(url, headers={"if-none-match": etags[url]}).status_code == 304, url
            else:
                assert client.get(url).status_code == 200, url
    make_agreement(agency=district)
    for url in streamed:
        response = client.get(url, headers={"if-none-match": etags[url]})
        assert response.status_code == 200 and response["ETag"] != etags[url], url


@pytest.fixture
def signed(catalogues, district, vendor, product):
    """Signed by both parties, not yet executed: not on the public pages."""
    return make_agreement(agency=district, contractor=vendor, products=[product], status=S.VENDOR_SIGNED)


def test_a_posted_agreement_appears_at_once_although_the_pages_were_cached(client, district, signed):
    slug = district.slug
    files = ["", "agreements.json", "agreements.csv", "feed.atom", "embed/"]
    urls = [*(f"/public/{slug}/{f}" for f in files), "/public/feed.atom", "/public/search/?q=learning"]
    for url in urls:
        assert "Learning Tools" not in client.get(url).getvalue().decode(), url
    assert client.get(f"/public/{slug}/agreements/{signed.pk}/").status_code == 404
    assert "0 agreements posted" in client.get("/public/").text

    store_executed_document(signed)  # as the sealing task does, then
    agreement_transition(agreement=signed, to_status=S.EXECUTED)

    for url in urls:
        assert "Learning Tools" in client.get(url).getvalue().decode(), url
    assert client.get(f"/public/{slug}/agreements/{signed.pk}/").status_code == 200
    assert "1 agreement posted" in client.get("/public/").text


@pytest.fixture
def executed(signed):
    return move(signed, S.EXECUTED, start=S.VENDOR_SIGNED)


def cached_page(client, agreement):
    return client.get(f"/public/{agreement.agency.slug}/agreements/{agreement.pk}/").text


def test_pages_are_served_from_the_cache_until_invalidated(client, executed):
    assert "To provide reading lessons" in cached_page(client, executed)
    # A change that no signal sees (a queryset update) does not reach the cached page...
    SupplementalInformation.objects.filter(agreement=executed).update(purposes="Changed behind the back of the cache.")
    assert "To provide reading lessons" in cached_page(client, executed)
    # ...until the district's pages are invalidated.
    cache.invalidate(executed.agency.slug)
    assert "Changed behind the back of the cache." in cached_page(client, executed)


def test_expiry_changes_the_pages_at_once(client, executed):
    assert "In effect" in cached_page(client, executed)
    agreement_transition(agreement=executed, to_status=S.EXPIRED)
    assert "Expired" in cached_page(client, executed)
    agreement_transition(agreement=executed, to_status=S.CLOSED)
    assert "certified that the data was destroyed" in cached_page(client, executed)


def test_a_redaction_added_or_removed_changes_the_pages_at_once(client, executed, district_admin):
    json_url = f"/public/{executed.agency.slug}/agreements.json"
    assert "AES-256" in cached_page(client, executed) and "AES-256" in client.get(json_url).getvalue().decode()
    redaction_add(agreement=executed, field="encryption_details", reason="Security.", actor=district_admin)
    assert "AES-256" not in cached_page(client, executed) and "AES-256" not in client.get(json_url).getvalue().decode()
    redaction_remove(agreement=executed, field="encryption_details", actor=district_admin)
    assert "AES-256" in cached_page(client, executed)
    Redaction.objects.create(agreement=executed, field="purposes", reason="Set by an operator.")
    assert "Set by an operator." in cached_page(client, executed)


def test_exhibit_b_saved_changes_the_pages_at_once(client, executed):
    assert "To provide reading lessons" in cached_page(client, executed)
    info = executed.supplemental_information
    info.purposes = "Corrected purposes."
    info.save()
    assert "Corrected purposes." in cached_page(client, executed)
    info.subcontractors.clear()
    assert "Cloud Host Co" not in cached_page(client, executed)


def test_the_sealed_document_stored_changes_the_pages_at_once(client, executed):
    AgreementDocument.objects.filter(agreement=executed).delete()
    cache.invalidate(executed.agency.slug)
    assert "not available here yet" in cached_page(client, executed)
    store_executed_document(executed)
    assert "not available here yet" in cached_page(client, executed)  # the parties' copy is never linked
    store_public_copy(executed)
    assert "dpa.pdf" in cached_page(client, executed)


def test_the_bill_of_rights_and_the_vendor_name_change_the_pages_at_once(client, executed):
    district_page = f"/public/{executed.agency.slug}/"
    client.get(district_page)
    bill_of_rights_publish(agency=executed.agency, preamble="A new preamble.", items=["One."])
    assert "A new preamble." in client.get(district_page).text
    vendor = Contractor.objects.get(pk=executed.contractor_id)
    vendor.legal_name = "Renamed Learning"
    vendor.save()
    assert "Renamed Learning" in client.get(district_page).text
    assert "Renamed Learning" in client.get("/public/search/?q=renamed").text


def test_a_change_invalidates_only_its_own_district_and_a_posting_the_statewide_pages(
    catalogues, executed, other_district
):
    """Issue 13: a change within the posted statuses (the sweep's expirations, a termination) makes stale its own
    district only; the statewide pages that show that district see it by its version. A posting changes what every
    statewide page can list, so it moves the statewide version too."""
    make_agreement(agency=other_district)
    ours, theirs, statewide = executed.agency.slug, other_district.slug, cache.STATEWIDE
    before = {scope: cache.version(scope) for scope in (ours, theirs, statewide)}
    agreement_transition(agreement=executed, to_status=S.TERMINATED)
    after = {scope: cache.version(scope) for scope in (ours, theirs, statewide)}
    assert after[ours] > before[ours]
    assert after[theirs] == before[theirs] and after[statewide] == before[statewide]
    make_agreement(agency=executed.agency)
    assert cache.version(statewide) > after[statewide] and cache.version(theirs) == after[theirs]


def test_changes_before_posting_do_not_invalidate(catalogues, district):
    agreement = make_agreement(agency=district, status=S.WITH_VENDOR)
    before = cache.version(district.slug)
    info = agreement.supplemental_information
    info.purposes = "Still being written."
    info.save()
    agreement_transition(agreement=agreement, to_status=S.SUBMITTED)
    assert cache.version(district.slug) == before


def test_the_version_is_bumped_again_after_commit(catalogues, executed, django_capture_on_commit_callbacks):
    slug = executed.agency.slug
    before = cache.version(slug)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        agreement_transition(agreement=executed, to_status=S.EXPIRED)
    assert callbacks and cache.version(slug) == before + 2


def test_a_lost_version_starts_again_above_the_old_one(district):
    first = cache.version(district.slug)
    django_cache.delete(f"public:version:{district.slug}")
    assert cache.version(district.slug) > first


def test_lost_versions_start_again_together_above_the_old_ones(db, monkeypatch):
    """After the cache is emptied, a statewide search shows up to 200 districts: their versions start again in one
    round trip (a pipeline), not one add each; one that another process started first keeps its number."""
    scopes = [f"district-{n}" for n in range(200)]
    before = cache._versions(scopes)
    django_cache.delete_many([f"public:version:{s}" for s in scopes])
    monkeypatch.setattr(cache.cache, "add", None)  # not called once per version
    assert cache._restart_many(scopes[:1]) and django_cache.get("public:version:district-0") > before["district-0"]
    django_cache.delete("public:version:district-0")
    django_cache.set("public:version:district-7", 42, timeout=None)  # started by another process meanwhile
    after = cache._versions(scopes)
    assert after["district-7"] == 42
    assert all(after[s] > before[s] for s in scopes if s != "district-7")
    assert cache._versions(scopes) == after  # stored


def test_the_pages_work_when_the_cache_does_not(client, executed, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache.cache, "get", broken)
    monkeypatch.setattr(cache.cache, "incr", broken)
    assert "To provide reading lessons" in cached_page(client, executed)
    agreement_transition(agreement=executed, to_status=S.EXPIRED)  # the transition does not fail either
    assert Agreement.objects.get(pk=executed.pk).status == S.EXPIRED


def test_a_bulk_write_invalidates_its_district_once_at_the_end(district, vendor, product, catalogues):
    """An import's batch holds the signals' per-row invalidation (exhibits.public.services.public_pages_held) and
    invalidates the district once when it ends: the pages cached before show what it wrote."""
    agreement = make_agreement(agency=district, contractor=vendor, products=[product])
    url = f"/public/{district.slug}/agreements/{agreement.pk}/"
    assert "Held until the batch ends" not in Client().get(url).getvalue().decode()  # now cached
    before = cache.version(district.slug)
    with public_pages_held(district.slug):
        info = SupplementalInformation.objects.get(agreement=agreement)
        info.purposes = "Held until the batch ends"
        info.save()
        assert cache.version(district.slug) == before  # held: no bump per row
    assert cache.version(district.slug) > before
    assert "Held until the batch ends" in Client().get(url).getvalue().decode()
