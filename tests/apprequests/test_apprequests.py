"""App requests (issue 16, the foundation): staff domains, sign-up by e-mail domain, a requester's pages, and the
instant answer on submit; with hostile text and the limits of what people type."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import home_url_for
from agreements.models import OutboundEmail
from agreements.models.statuses import AgreementStatus as S
from apprequests import services
from apprequests.models import APP_REQUEST_LENGTHS, AppRequest, Requester, SignUpLink, StaffDomain
from dpa_portal.errors import ApplicationError
from dpa_portal.lengths import max_lines
from exhibits.services import submission_record

from .. import factories
from ..helpers import ESCAPED, HOSTILE, fill_complete
from ..public_helpers import make_agreement

FIELDS = {
    "app_name": "Sunrise Math",
    "website": "https://www.sunrisemath.com/classroom",
    "vendor_name": "",
    "purpose": "Practice fractions",
    "grades": "3-5",
    "student_count": 60,
    "students_sign_in": "yes",
    "data_seen": "Names and class rosters",
}


@pytest.fixture
def domain(district):
    return StaffDomain.objects.create(agency=district, domain="hometowncsd.org")


@pytest.fixture
def requester(district):
    user = factories.UserFactory(email="teacher@hometowncsd.org")
    return Requester.objects.create(user=user, agency=district)


def sign_up_token(email):
    """The token of the link e-mailed to `email`: read from the message as the person would."""
    body = OutboundEmail.objects.filter(template="apprequest_sign_up", to=[email]).latest("pk").body_text
    return body.split("/requests/sign-up/")[1].split("/")[0]


# --- models and limits ------------------------------------------------------------------------------------------


def test_every_text_field_a_person_types_has_its_limit_in_the_model_and_the_database(requester):
    for name, limit in APP_REQUEST_LENGTHS.items():
        field = AppRequest._meta.get_field(name)
        validators = {type(v).__name__: v.limit_value for v in field.validators}
        assert field.max_length == limit and validators["MaxLinesValidator"] == max_lines(limit)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds it for writers that skip forms
        AppRequest.objects.create(agency=requester.agency, requester=requester, **{**FIELDS, "purpose": "x" * 2001})


def test_a_domain_belongs_to_one_district_and_a_person_is_a_requester_once(district, other_district, requester):
    StaffDomain.objects.create(agency=district, domain="hometowncsd.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffDomain.objects.create(agency=other_district, domain="hometowncsd.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Requester.objects.create(user=requester.user, agency=district)


def test_the_districts_admins_list_domains_and_nobody_else(district, district_admin, district_reviewer):
    added = services.staff_domain_add(agency=district, domain=" @HometownCSD.org ", actor=district_admin)
    assert added.domain == "hometowncsd.org"
    for bad in ("gmail.com", "not a domain", "hometowncsd.org"):
        with pytest.raises(ApplicationError):
            services.staff_domain_add(agency=district, domain=bad, actor=district_admin)
    with pytest.raises(ApplicationError):
        services.staff_domain_add(agency=district, domain="other.org", actor=district_reviewer)


# --- sign-up ----------------------------------------------------------------------------------------------------


def test_sign_up_answers_alike_for_a_known_and_an_unknown_domain(client, domain):
    url = reverse("apprequests_sign_up")
    known = client.post(url, {"email": "New.Teacher@HometownCSD.org"})
    unknown = client.post(url, {"email": "new.teacher@elsewhere.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.content.decode().replace("New.Teacher@HometownCSD.org", "X") == unknown.content.decode().replace(
        "new.teacher@elsewhere.org", "X"
    )
    sent = OutboundEmail.objects.get(template="apprequest_sign_up")
    assert sent.to == ["new.teacher@hometowncsd.org"]  # one e-mail, to the district's address only
    assert SignUpLink.objects.get().token_hash not in sent.body_text  # the raw token is in the link, not its hash
    assert "The link works once, for 48 hours." in sent.body_text


def test_the_link_creates_the_account_and_the_requester_and_signs_in(client, domain, district):
    client.post(reverse("apprequests_sign_up"), {"email": "new.teacher@hometowncsd.org"})
    url = reverse("apprequests_sign_up_confirm", args=[sign_up_token("new.teacher@hometowncsd.org")])
    assert client.get(url).status_code == 200
    weak = client.post(url, {"first_name": "Ann", "last_name": "Lee", "password1": "123", "password2": "123"})
    assert weak.status_code == 200 and not User.objects.filter(email="new.teacher@hometowncsd.org").exists()
    good = {"first_name": "Ann", "last_name": "Lee", "password1": "correct horse 42", "password2": "correct horse 42"}
    response = client.post(url, good)
    assert response.status_code == 302 and response.url == reverse("apprequests_mine", args=[district.slug])
    user = User.objects.get(email="new.teacher@hometowncsd.org")
    assert Requester.objects.filter(user=user, agency=district).exists()
    assert not user.district_memberships.exists()  # a requester is not on the district's staff
    assert client.get(reverse("apprequests_mine", args=[district.slug])).status_code == 200
    assert home_url_for(user) == reverse("apprequests_mine", args=[district.slug])
    # Used once: a second visit is a 404, as is an unknown token.
    assert client.get(url).status_code == 404
    assert client.get(reverse("apprequests_sign_up_confirm", args=["nope"])).status_code == 404


def test_an_expired_link_is_refused(client, domain):
    client.post(reverse("apprequests_sign_up"), {"email": "late@hometowncsd.org"})
    token = sign_up_token("late@hometowncsd.org")
    SignUpLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("apprequests_sign_up_confirm", args=[token])).status_code == 404
    with pytest.raises(ApplicationError):
        services.sign_up_complete(token=token, password="correct horse 42")


def test_an_existing_account_at_the_domain_becomes_a_requester_without_a_new_password(client, domain, district):
    user = factories.UserFactory(email="old.hand@hometowncsd.org")
    client.post(reverse("apprequests_sign_up"), {"email": "old.hand@hometowncsd.org"})
    url = reverse("apprequests_sign_up_confirm", args=[sign_up_token("old.hand@hometowncsd.org")])
    assert "already have an account" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302 and response.url == reverse("account_login")
    assert Requester.objects.filter(user=user, agency=district).exists()
    assert "_auth_user_id" not in client.session  # the link proves the address; the password still signs in


def test_asking_for_links_is_rate_limited_per_address(client, settings, domain):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "requests_sign_up": "3/h"}
    url = reverse("apprequests_sign_up")
    for _ in range(3):
        assert client.post(url, {"email": "a@elsewhere.org"}, REMOTE_ADDR="198.51.100.9").status_code == 200
    refused = client.post(url, {"email": "a@hometowncsd.org"}, REMOTE_ADDR="198.51.100.9")
    assert refused.status_code == 429 and "asking for sign-up links" in refused.content.decode()
    assert client.get(url, REMOTE_ADDR="198.51.100.9").status_code == 200  # reading the page is not counted
    assert not OutboundEmail.objects.filter(template="apprequest_sign_up").exists()


# --- the instant answer -----------------------------------------------------------------------------------------


@pytest.fixture
def sunrise(catalogues):
    contractor = factories.ContractorFactory(legal_name="Sunrise Learning, Inc.", website="https://sunrisemath.com")
    return factories.ProductFactory(contractor=contractor, name="Sunrise Math")


def test_an_app_with_an_agreement_in_effect_is_approved_on_the_spot(requester, sunrise, district_admin):
    agreement = make_agreement(agency=requester.agency, contractor=sunrise.contractor, products=[sunrise])
    OutboundEmail.objects.all().delete()
    # Another name, same web domain as the vendor's: the same app.
    app_request = services.app_request_submit(requester=requester, **{**FIELDS, "app_name": "SunriseMath Classroom"})
    assert app_request.status == AppRequest.Status.APPROVED
    assert (app_request.agreement, app_request.product) == (agreement, sunrise)
    told = OutboundEmail.objects.get(template="apprequest_new")
    assert told.to == [district_admin.email]


def test_an_agreement_under_way_is_in_review(requester, sunrise):
    make_agreement(agency=requester.agency, contractor=sunrise.contractor, products=[sunrise], status=S.SUBMITTED)
    app_request = services.app_request_submit(requester=requester, **{**FIELDS, "website": "https://elsewhere.io"})
    assert app_request.status == AppRequest.Status.IN_REVIEW and "in review" in app_request.answer


def test_other_new_york_districts_signatures_offer_the_fast_track(requester, sunrise, other_district):
    outside = factories.EducationalAgencyFactory(name="Outside Signing CSD")
    make_agreement(agency=outside, contractor=sunrise.contractor, products=[sunrise])  # no answers in the portal
    app_request = services.app_request_submit(requester=requester, **FIELDS)
    # Named, but no fast track: there are no answers to start from.
    assert app_request.status == AppRequest.Status.SUBMITTED
    assert "outside the portal: Outside Signing CSD." in app_request.answer
    signed = make_agreement(agency=other_district, contractor=sunrise.contractor, products=[sunrise])
    fill_complete(signed)
    submission_record(agreement=signed, actor=None)  # answered and signed through the portal
    far = factories.EducationalAgencyFactory(name="Far Away District", state="VT")
    make_agreement(agency=far, contractor=sunrise.contractor, products=[sunrise])
    app_request = services.app_request_submit(requester=requester, **FIELDS)
    assert app_request.status == AppRequest.Status.FAST_TRACK_OFFERED and app_request.product == sunrise
    assert f"this app: {other_district.name}. The district can start its own" in app_request.answer
    assert "Far Away" not in app_request.answer and "Outside Signing" not in app_request.answer


def test_an_app_nobody_has_waits_for_the_director(requester, sunrise):
    fields = {**FIELDS, "app_name": "Moonbeam Reader", "website": "https://moonbeam.example"}
    app_request = services.app_request_submit(requester=requester, **fields)
    assert app_request.status == AppRequest.Status.SUBMITTED and app_request.product is None and not app_request.answer
    with pytest.raises(ValidationError):
        services.app_request_submit(requester=requester, **{**FIELDS, "website": "not a website"})


# --- a requester's pages ----------------------------------------------------------------------------------------


def test_a_requester_asks_and_sees_only_their_own_requests_with_hostile_text_escaped(
    client, requester, district, district_admin
):
    other = Requester.objects.create(user=factories.UserFactory(), agency=district)
    services.app_request_submit(requester=other, **{**FIELDS, "app_name": "Someone Else's App"})
    client.force_login(requester.user)
    new_url = reverse("apprequests_new", args=[district.slug])
    assert client.get(new_url).status_code == 200
    response = client.post(new_url, {**FIELDS, "app_name": HOSTILE, "purpose": HOSTILE})
    assert response.status_code == 302
    page = client.get(reverse("apprequests_mine", args=[district.slug])).content.decode()
    assert ESCAPED in page and HOSTILE not in page and "Someone Else" not in page
    told = OutboundEmail.objects.filter(template="apprequest_new").latest("pk")
    assert HOSTILE not in told.body_html and ESCAPED in told.body_html


def test_a_teachers_pages_offer_their_requests_not_the_reviewers_menus(client, requester, district):
    """The header of a teacher's pages: their requests, a new one, the public list; not Agreements, Deadlines, Staff
    (the dashboards' menus, which a teacher cannot use)."""
    client.force_login(requester.user)
    for name in ("apprequests_mine", "apprequests_new"):
        page = client.get(reverse(name, args=[district.slug])).content.decode()
        header = page.split("</header>")[0]
        assert ">My app requests<" in header and ">Request an app<" in header and ">Apps in use<" in header
        assert reverse("apprequests_public_list", args=[district.slug]) in header
        for menu in (reverse("agreements_home"), reverse("deadlines"), reverse("staff_index")):
            assert f'href="{menu}"' not in header


def test_the_teacher_is_told_at_once_whether_the_app_is_approved_or_sent(client, requester, sunrise):
    client.force_login(requester.user)
    new_url = reverse("apprequests_new", args=[requester.agency.slug])
    sent = client.post(new_url, {**FIELDS, "app_name": "Pixel Paint", "website": "https://pixel.example"}, follow=True)
    page = sent.content.decode()
    assert "Your request for Pixel Paint was sent to" in page
    assert "The district's technology office looks at it next" in page
    make_agreement(agency=requester.agency, contractor=sunrise.contractor, products=[sunrise])
    approved = client.post(new_url, FIELDS, follow=True).content.decode()
    assert f"{FIELDS['app_name']} is approved: {requester.agency} has a data privacy agreement for it." in approved


def test_the_staff_domains_page(client, district, district_admin, with_totp):
    with_totp(district_admin)
    client.force_login(district_admin)
    url = reverse("apprequests_staff_domains", args=[district.slug])
    refused = client.post(url, {"domain": HOSTILE})
    assert refused.status_code == 200 and HOSTILE not in refused.content.decode()
    assert client.post(url, {"domain": "hometowncsd.org"}).status_code == 302
    page = client.get(url).content.decode()
    assert "hometowncsd.org" in page
    assert url in client.get(reverse("district_contacts", args=[district.slug])).content.decode()
    assert client.post(url, {"remove": "x"}).status_code == 302 and StaffDomain.objects.exists()
    client.post(url, {"remove": StaffDomain.objects.get().pk})
    assert not StaffDomain.objects.exists()


def test_my_requests_costs_the_same_queries_for_one_request_or_many(client, requester, sunrise):
    make_agreement(agency=requester.agency, contractor=sunrise.contractor, products=[sunrise])
    client.force_login(requester.user)
    url = reverse("apprequests_mine", args=[requester.agency.slug])

    def read():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        return len(captured), page.count("See the agreement")

    services.app_request_submit(requester=requester, **FIELDS)  # approved, linked to the agreement
    read()  # the session's first read of the page
    queries, links = read()
    for _ in range(4):
        services.app_request_submit(requester=requester, **FIELDS)
    assert links == 1 and read() == (queries, 5) and queries <= 8


def test_the_admin_names_products_and_people_by_id_not_in_a_list_of_all(admin_client, requester):
    app_request = services.app_request_submit(requester=requester, **FIELDS)
    page = admin_client.get(reverse("admin:apprequests_apprequest_change", args=[app_request.pk]))
    assert page.status_code == 200
    for name in ("agency", "requester", "product", "agreement", "alternative", "decided_by"):
        assert re.search(rf'<input[^>]*name="{name}"[^>]*vForeignKeyRawIdAdminField', page.content.decode()), name
