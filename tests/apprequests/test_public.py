"""The district's approved-apps list (issue 16.4): its rows and statuses, the same rows as JSON and CSV, in English
and Spanish, without anything of who asked, with hostile text escaped and formulas defused, at a constant number of
queries; linked from the district's page and the public footer."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models.statuses import AgreementStatus as S
from apprequests import public
from apprequests.models import AppRequest, Requester

from .. import factories
from ..helpers import ESCAPED, HOSTILE
from ..public_helpers import make_agreement

FIELDS = {
    "website": "https://apps.example/classroom",
    "purpose": "PURPOSE-SECRET practice",
    "grades": "3-5",
    "student_count": 60,
    "students_sign_in": "yes",
    "data_seen": "DATA-SECRET rosters",
}
TEACHERS = [("tess.teacher@hometowncsd.org", "Tess", "Quillfeather"), ("lib@hometowncsd.org", "Lorna", "Bookwright")]


def ask(requester, app_name, **fields):
    return AppRequest.objects.create(
        agency=requester.agency, requester=requester, app_name=app_name, **{**FIELDS, **fields}
    )


@pytest.fixture
def world(catalogues, district):
    tess, lorna = (
        Requester.objects.create(
            user=factories.UserFactory(email=email, first_name=first, last_name=last), agency=district
        )
        for email, first, last in TEACHERS
    )
    sunrise_vendor = factories.ContractorFactory(legal_name="Sunrise Learning, Inc.")
    sunrise = factories.ProductFactory(contractor=sunrise_vendor, name="Sunrise Math")
    approved = make_agreement(agency=district, contractor=sunrise_vendor, products=[sunrise])
    moon = factories.ProductFactory(name="Moonbeam Reader")
    in_review = make_agreement(agency=district, contractor=moon.contractor, products=[moon], status=S.SUBMITTED)
    ask(tess, "SunriseMath", status=AppRequest.Status.APPROVED, product=sunrise, agreement=approved)
    ask(lorna, "Sunrise Math!", status=AppRequest.Status.APPROVED, product=sunrise, agreement=approved)  # grouped
    ask(tess, "Moonbeam", status=AppRequest.Status.IN_REVIEW, product=moon, agreement=in_review)
    ask(
        lorna,
        "Comet Notes",
        status=AppRequest.Status.DECLINED,
        reason="Sells ads to students.",
        reason_shown=True,
        alternative=sunrise,
    )
    ask(tess, "comet notes", status=AppRequest.Status.DECLINED)  # the same app by its name key
    ask(tess, "Dusk Chat", status=AppRequest.Status.DECLINED, reason="INTERNAL-NOTE legal said no", reason_shown=False)
    ask(lorna, HOSTILE, status=AppRequest.Status.DECLINED, reason=HOSTILE, reason_shown=True)
    ask(lorna, '=HYPERLINK("http://evil.example")', status=AppRequest.Status.MORE_INFO_ASKED)
    ask(tess, "Not Yet Read", status=AppRequest.Status.SUBMITTED)  # nobody at the district has acted: not listed
    ask(tess, "Changed My Mind", status=AppRequest.Status.WITHDRAWN)
    return {"approved": approved, "in_review": in_review, "sunrise": sunrise}


def test_one_row_per_app_with_the_status_a_parent_can_rely_on(world, district):
    rows = {app.name: app for app in public.approved_apps(district)}
    assert sorted(rows) == sorted(
        ["Sunrise Math", "Moonbeam Reader", "Comet Notes", "Dusk Chat", HOSTILE, '=HYPERLINK("http://evil.example")']
    )
    assert rows["Sunrise Math"].status == public.APPROVED
    assert rows["Sunrise Math"].agreement_id == world["approved"].pk
    assert rows["Moonbeam Reader"].status == public.IN_REVIEW and rows["Moonbeam Reader"].agreement_id is None
    comet = rows["Comet Notes"]
    assert (comet.status, comet.reason, comet.alternative) == (
        public.NOT_APPROVED,
        "Sells ads to students.",
        "Sunrise Math",
    )
    assert comet.alternative_agreement_id == world["approved"].pk
    assert rows["Dusk Chat"].status == public.NOT_APPROVED and rows["Dusk Chat"].reason == ""  # not chosen to show
    assert rows['=HYPERLINK("http://evil.example")'].status == public.IN_REVIEW  # the district asked for more


def test_an_agreement_that_ends_or_is_withdrawn_changes_the_row_when_read(world, district):
    from tests.public_helpers import move

    move(world["approved"], S.TERMINATED, start=S.EXECUTED)
    move(world["in_review"], S.WITHDRAWN, start=S.SUBMITTED)
    rows = {app.name: app for app in public.approved_apps(district)}
    assert (rows["Sunrise Math"].status, rows["Sunrise Math"].agreement_id) == (public.ENDED, world["approved"].pk)
    assert rows["Moonbeam Reader"].status == public.NOT_APPROVED
    assert rows["Comet Notes"].alternative_agreement_id is None  # the alternative is not approved any more either


def test_page_json_and_csv_show_the_rows_and_nothing_of_who_asked(client, world, district):
    page = client.get(reverse("apprequests_public_list", args=[district.slug]))
    data = client.get(reverse("apprequests_public_json", args=[district.slug]))
    sheet = client.get(reverse("apprequests_public_csv", args=[district.slug]))
    assert page.status_code == data.status_code == sheet.status_code == 200
    html, text, table = page.content.decode(), data.content.decode(), sheet.content.decode("utf-8-sig")
    for body in (html, text, table):
        for email, first, last in TEACHERS:
            assert email not in body and first not in body and last not in body and "hometowncsd" not in body
        for secret in ("PURPOSE-SECRET", "DATA-SECRET", "INTERNAL-NOTE", "Not Yet Read", "Changed My Mind"):
            assert secret not in body
        assert "Sells ads to students." in body
    assert HOSTILE not in html and ESCAPED in html
    assert "Approved: data privacy agreement in effect" in html
    agreement_url = reverse("public_agreement", args=[district.slug, world["approved"].pk])
    assert f'href="{agreement_url}"' in html
    apps = {app["name"]: app for app in json.loads(text)["apps"]}
    assert apps["Sunrise Math"]["agreement_url"] == f"http://testserver{agreement_url}"
    assert apps["Dusk Chat"] == {
        "name": "Dusk Chat",
        "status": "not_approved",
        "status_label": "Not approved",
        "agreement_url": None,
        "reason": None,
        "alternative": None,
        "alternative_agreement_url": None,
    }
    rows = list(csv.DictReader(io.StringIO(table)))
    assert len(rows) == len(apps) == 6
    assert '\'=HYPERLINK("http://evil.example")' in [row["name"] for row in rows]  # shown as text, not a formula
    assert sheet["Content-Disposition"] == f'attachment; filename="{district.slug}-apps.csv"'
    district_page = client.get(reverse("public_district", args=[district.slug]))
    assert page.get("Cache-Control") == district_page.get("Cache-Control")  # public, as the district's other pages


def test_in_spanish(client, world, district):
    page = client.get(reverse("apprequests_public_list", args=[district.slug]), {"language": "es"})
    html = page.content.decode()
    assert '<html lang="es">' in html and "En revisión" in html and "No aprobada" in html
    assert "Aplicaciones en uso" in html
    data = client.get(reverse("apprequests_public_json", args=[district.slug]), {"language": "es"})
    labels = {app["status"]: app["status_label"] for app in data.json()["apps"]}
    assert labels["in_review"] == "En revisión"


def test_linked_from_the_district_page_and_the_footer(client, district):
    html = client.get(reverse("public_district", args=[district.slug])).content.decode()
    assert f'href="{reverse("apprequests_public_list", args=[district.slug])}"' in html
    assert f'href="{reverse("apprequests_sign_up")}"' in html
    assert client.get(reverse("apprequests_public_list", args=["no-such-district"])).status_code == 404


def test_the_list_costs_the_same_queries_for_few_apps_or_many(client, catalogues, district):
    teacher = Requester.objects.create(user=factories.UserFactory(), agency=district)
    url = reverse("apprequests_public_list", args=[district.slug])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    ask(teacher, "App 0", status=AppRequest.Status.DECLINED)
    ask(teacher, "App 00", status=AppRequest.Status.IN_REVIEW, product=factories.ProductFactory())
    few = queries()
    for n in range(1, 30):
        product = factories.ProductFactory()
        ask(teacher, f"App {n}", status=AppRequest.Status.IN_REVIEW, product=product)
    assert queries() == few <= 3  # the district, its requests, its agreements for them


def test_an_app_the_district_signed_for_before_anyone_asked_is_on_the_list(catalogues, district):
    """In use without a request (an agreement from before the portal had requests); a later request for it by name
    joins its row, and an agreement of another district puts nothing on this list."""
    product = factories.ProductFactory(name="Atlas Maps")
    agreement = make_agreement(agency=district, contractor=product.contractor, products=[product])
    elsewhere = factories.ProductFactory(name="Elsewhere")
    make_agreement(agency=factories.EducationalAgencyFactory(), contractor=elsewhere.contractor, products=[elsewhere])
    teacher = Requester.objects.create(user=factories.UserFactory(), agency=district)
    ask(teacher, "ATLAS maps", status=AppRequest.Status.DECLINED)
    assert public.approved_apps(district) == [
        public.PublicApp("Atlas Maps", public.APPROVED, agreement_id=agreement.pk)
    ]
