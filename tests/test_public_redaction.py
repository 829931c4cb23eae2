"""Redaction (8 NYCRR 121.3(e)): a district admin withholds a part of Exhibit B with a reason; the value then
appears nowhere public (page, JSON, CSV, feed, embed, search), and the public PDF served is a copy made without it."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from agreements.models import Agreement
from dpa_portal.errors import ApplicationError
from exhibits.models import Redaction
from exhibits.public.services import redaction_add, redaction_remove

from . import factories
from .public_helpers import fresh_cache_fixture, make_agreement, move, posted_fixture, store_public_copy  # noqa: F401

pytestmark = pytest.mark.usefixtures("fresh_cache")

# For each part that can be withheld: the Exhibit B answers that put a value only it shows, and that value.
SECRETS = {
    "purposes": ({"purposes": "SECRET-PURPOSE-1 lessons"}, "SECRET-PURPOSE-1"),
    "subcontractors": ({}, "SECRET-SUB-2"),  # the subcontractor's name (see secret_agreement)
    "data_transition_details": ({"data_transition_details": "SECRET-TRANSITION-3"}, "SECRET-TRANSITION-3"),
    "storage": ({"storage_other": True, "storage_other_description": "SECRET-STORAGE-4 centre"}, "SECRET-STORAGE-4"),
    "security_measures": ({"security_measures": "SECRET-MEASURES-5"}, "SECRET-MEASURES-5"),
    "encryption_details": ({"encryption_details": "SECRET-ENCRYPTION-6"}, "SECRET-ENCRYPTION-6"),
}
REASON = "Describes our network layout."


def public_texts(client, agreement) -> dict[str, str]:
    slug = agreement.agency.slug
    return {
        "page": client.get(f"/public/{slug}/agreements/{agreement.pk}/").text,
        "list": client.get(f"/public/{slug}/").text,
        "json": client.get(f"/public/{slug}/agreements.json").getvalue().decode(),
        "csv": client.get(f"/public/{slug}/agreements.csv").getvalue().decode("utf-8-sig"),
        "feed": client.get(f"/public/{slug}/feed.atom").getvalue().decode(),
        "statewide feed": client.get("/public/feed.atom").getvalue().decode(),
        "embed": client.get(f"/public/{slug}/embed/").text,
    }


@pytest.fixture
def secret_agreement(catalogues, district, vendor, product):
    from vendors.models import Subcontractor

    answers = {k: v for values, _ in SECRETS.values() for k, v in values.items()}
    sub = Subcontractor.objects.create(contractor=vendor, name="SECRET-SUB-2 Hosting", purpose="Hosts the data")
    return make_agreement(agency=district, contractor=vendor, products=[product], subcontractor=sub, **answers)


@pytest.mark.parametrize("field", list(SECRETS))
def test_a_withheld_part_appears_nowhere_public(client, secret_agreement, district_admin, field):
    secret = SECRETS[field][1]
    before = public_texts(client, secret_agreement)
    assert secret in before["page"] and secret in before["json"] and secret in before["csv"]

    redaction_add(agreement=secret_agreement, field=field, reason=REASON, actor=district_admin)
    after = public_texts(client, secret_agreement)
    for where, text in after.items():
        assert secret not in text, where
    assert "Withheld by the district to protect security." in after["page"] and REASON in after["page"]
    # The other parts stay visible.
    assert all(other in after["page"] for f, (_, other) in SECRETS.items() if f != field)

    data = json.loads(after["json"])["agreements"][0]
    assert data["withheld"] == [{"field": field, "reason": REASON}]
    assert data[field] is None and data["sealed_pdf"] is None
    row = next(csv.DictReader(io.StringIO(after["csv"])))
    assert row["withheld"] == f"{field}: {REASON}"
    assert row[field] == ""


def test_withheld_purposes_show_the_reason_in_the_list_and_the_feed(client, posted, district_admin):
    redaction_add(agreement=posted, field="purposes", reason=REASON, actor=district_admin)
    texts = public_texts(client, posted)
    assert "To provide reading lessons" not in "".join(texts.values())
    assert REASON in texts["list"]
    summary = ET.fromstring(texts["feed"].encode())  # noqa: S314 -- our own feed
    summary = summary.find(".//{http://www.w3.org/2005/Atom}summary").text
    assert "withheld by the district" in summary and REASON in summary


def test_a_withheld_purpose_cannot_be_found_by_searching(client, posted, district_admin):
    slug = posted.agency.slug
    assert "Learning Tools" in client.get(f"/public/{slug}/", {"q": "lessons"}).text
    redaction_add(agreement=posted, field="purposes", reason=REASON, actor=district_admin)
    assert "0 of 1 agreements match" in client.get(f"/public/{slug}/", {"q": "lessons"}).text


def test_the_public_copy_served_is_the_one_without_what_is_withheld_now(client, posted, district_admin):
    """A copy made before a part was withheld is not served; the one made for it is (tests/test_public_copy.py reads
    real ones)."""
    url = f"/public/{posted.agency.slug}/agreements/{posted.pk}/dpa.pdf"
    before = client.get(url)
    assert before.status_code == 200
    redaction_add(agreement=posted, field="encryption_details", reason=REASON, actor=district_admin)
    posted.refresh_from_db()
    assert posted.public_copy_due  # the documents sweep, or the task scheduled after commit, makes it
    assert client.get(url).status_code == 404
    page = client.get(f"/public/{posted.agency.slug}/agreements/{posted.pk}/").text
    assert "not available here yet" in page and url not in page
    withheld = store_public_copy(posted, pdf=b"%PDF-1.7 made without the encryption details")
    assert client.get(url).getvalue() == bytes(withheld.pdf)
    assert withheld.sha256 in client.get(f"/public/{posted.agency.slug}/agreements/{posted.pk}/").text
    redaction_remove(agreement=posted, field="encryption_details", actor=district_admin)
    assert client.get(url).getvalue() == before.getvalue()


# --- the service -------------------------------------------------------------------------------------------


def test_only_an_admin_of_the_district_may_withhold(posted, district_reviewer, other_district_admin, vendor_editor):
    for person in [district_reviewer, other_district_admin, vendor_editor, None]:
        with pytest.raises(ApplicationError):
            redaction_add(agreement=posted, field="purposes", reason=REASON, actor=person)
    assert not Redaction.objects.exists()


@pytest.mark.parametrize(
    ("field", "reason", "message"),
    [
        ("purposes", "   ", "Give the reason"),
        ("contract_end", REASON, "Choose a part"),
        ("purposes", "x" * 501, "500 characters"),
    ],
)
def test_a_redaction_needs_a_listed_part_and_a_reason(posted, district_admin, field, reason, message):
    with pytest.raises(ApplicationError, match=message):
        redaction_add(agreement=posted, field=field, reason=reason, actor=district_admin)


def test_a_part_is_withheld_once_and_the_history_keeps_who(posted, district_admin):
    redaction = redaction_add(agreement=posted, field="storage", reason=f"  {REASON} ", actor=district_admin)
    assert (redaction.reason, redaction.created_by) == (REASON, district_admin)
    with pytest.raises(ApplicationError, match="already withheld"):
        redaction_add(agreement=posted, field="storage", reason=REASON, actor=district_admin)
    redaction_remove(agreement=posted, field="storage", actor=district_admin)
    with pytest.raises(ApplicationError, match="not withheld"):
        redaction_remove(agreement=posted, field="storage", actor=district_admin)
    assert [h.history_type for h in Redaction.history.order_by("history_id")] == ["+", "-"]


def test_a_part_can_be_withheld_before_the_agreement_is_posted(client, catalogues, district, district_admin):
    agreement = make_agreement(agency=district, status=Agreement.Status.VENDOR_SIGNED, security_measures="SECRET-7")
    redaction_add(agreement=agreement, field="security_measures", reason=REASON, actor=district_admin)
    move(agreement, Agreement.Status.EXECUTED, start=Agreement.Status.VENDOR_SIGNED)
    page = client.get(f"/public/{district.slug}/agreements/{agreement.pk}/").text
    assert "SECRET-7" not in page and REASON in page


# --- the district admin's page -----------------------------------------------------------------------------


def manage_url(agreement):
    return f"/public/manage/{agreement.agency.slug}/agreements/{agreement.pk}/redactions/"


@pytest.fixture
def admin_with_mfa(district_admin, with_totp):
    with_totp(district_admin)
    return district_admin


def test_the_redaction_page_is_404_for_everyone_but_the_districts_admins(
    client, posted, district_reviewer, district_viewer, vendor_admin, other_district_admin, with_totp
):
    url = manage_url(posted)
    anonymous = client.get(url)  # sent to sign in, like every other signed-in page (agreements.access)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert client.post(url, {"action": "add", "field": "purposes", "reason": REASON}).status_code == 302
    for person in [district_reviewer, district_viewer, vendor_admin, other_district_admin]:
        with_totp(person)
        client.force_login(person)
        assert client.get(url).status_code == 404, person
        assert client.post(url, {"action": "add", "field": "purposes", "reason": REASON}).status_code == 404
    assert not Redaction.objects.exists()


def test_an_admin_cannot_reach_another_districts_agreement_through_their_own_slug(
    client, catalogues, posted, other_district, admin_with_mfa
):
    theirs = make_agreement(agency=other_district)
    client.force_login(admin_with_mfa)
    url = f"/public/manage/{posted.agency.slug}/agreements/{theirs.pk}/redactions/"
    assert client.get(url).status_code == 404
    assert client.get(manage_url(theirs)).status_code == 404


def test_an_admin_without_an_authenticator_is_sent_to_set_one_up(client, posted, district_admin):
    client.force_login(district_admin)
    response = client.get(manage_url(posted))
    assert response.status_code == 302 and "/2fa/" in response.url


def test_an_admin_withholds_and_shows_again_through_the_page(client, posted, admin_with_mfa):
    client.force_login(admin_with_mfa)
    url = manage_url(posted)
    page = client.get(url).text
    assert "To provide reading lessons to students." in page  # the admin sees what is public now
    response = client.post(url, {"action": "add", "field": "security_measures", "reason": REASON}, follow=True)
    assert "That part is now withheld from the public page." in response.text
    redaction = Redaction.objects.get(agreement=posted)
    assert (redaction.field, redaction.reason, redaction.created_by) == ("security_measures", REASON, admin_with_mfa)
    assert '<option value="security_measures">' not in response.text  # no longer offered

    response = client.post(url, {"action": "add", "field": "purposes", "reason": ""})
    assert response.status_code == 200 and "This field is required." in response.text
    response = client.post(url, {"action": "add", "field": "security_measures", "reason": REASON}, follow=True)
    assert "Select a valid choice." in response.text

    response = client.post(url, {"action": "remove", "field": "security_measures"}, follow=True)
    assert "That part is shown to the public again." in response.text
    assert not Redaction.objects.exists()
    response = client.post(url, {"action": "remove", "field": "security_measures"}, follow=True)
    assert "That part is not withheld." in response.text


def test_the_redaction_page_escapes_what_it_shows(client, catalogues, district, admin_with_mfa):
    hostile = "<script>alert(1)</script>"
    vendor = factories.ContractorFactory(legal_name=hostile)
    agreement = make_agreement(agency=district, contractor=vendor, purposes=hostile)
    redaction_add(agreement=agreement, field="storage", reason=hostile, actor=admin_with_mfa)
    client.force_login(admin_with_mfa)
    page = client.get(manage_url(agreement)).text
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
