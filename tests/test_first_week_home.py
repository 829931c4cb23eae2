"""Issue 14.3 and 14.9: the home page leads each visitor where they would go (a parent to the search, the districts'
pages and /verify/; signed-in staff to their dashboard, and sign-in lands there), and the two-factor set-up page keeps
its secret until a code confirms it."""

import re

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.conf import settings as django_settings
from django.urls import reverse

from . import factories
from .helpers import ESCAPED, HOSTILE

ACTIVATE = "/accounts/2fa/totp/activate/"
SECRET_SHOWN = re.compile(r'id="authenticator_secret" type="text" value="([A-Z2-7]+)"')


def sign_in(client, user, *, code=None, next_url=None):
    """Through allauth's pages, as a person does: e-mail and password, then the authenticator's code if asked."""
    data = {"login": user.email, "password": factories.PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("account_login"), data)
    assert response.status_code == 302, response.content
    if code is not None:
        assert response.url == reverse("mfa_authenticate")
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 302, response.content
    assert client.session["_auth_user_id"] == str(user.pk)
    return response.url


# --- an anonymous visitor: a landing page that leads somewhere ---------------------------------------------------


def test_the_landing_page_leads_a_parent_to_the_search_the_districts_and_verify(client, db):
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    # The statewide search box, the districts' pages, the check of a PDF, and sign-in for staff.
    assert '<form method="get" action="/public/search/" role="search"' in text and 'name="q"' in text
    assert 'href="/public/"' in text and "Your district's pages" in text
    assert 'href="/verify/"' in text and "Check a copy of an agreement" in text
    assert 'href="/accounts/login/"' in text
    # In the public pages' frame, with their language switch; never kept by a shared cache (the same address sends a
    # signed-in person elsewhere).
    assert '<body class="public">' in text and 'action="/i18n/setlang/"' in text and 'lang="es"' in text
    assert page["Cache-Control"] == "private, no-store"
    assert "Try the demo" not in text  # no demo users here


def test_the_landing_page_in_spanish_as_the_public_pages(client, db):
    spanish = client.get("/?language=es")
    assert spanish.status_code == 200
    assert '<html lang="es">' in spanish.text
    assert "Acuerdos de privacidad de datos para las escuelas de Nueva York" in spanish.text
    assert "Para padres, estudiantes y maestros" in spanish.text and "Iniciar sesión" in spanish.text
    assert "For parents, students and teachers" not in spanish.text
    assert spanish.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "es"  # remembered, as the switch does
    again = client.get("/")
    assert "Las páginas de su distrito" in again.text

    browser_asks = client.__class__().get("/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Comprobar la copia de un acuerdo" in browser_asks.text
    english = client.__class__().get("/")
    assert '<html lang="en">' in english.text and "Check a copy of an agreement" in english.text


def test_the_landing_page_makes_one_query_for_anyone(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # the demo personas present, if any
        assert client.get("/").status_code == 200


# --- signed in: straight to where they work -----------------------------------------------------------------------


def test_one_organisation_goes_to_its_dashboard(client, district, vendor, district_admin, vendor_editor):
    client.force_login(district_admin)
    assert client.get("/")["Location"] == f"/district/{district.slug}/"
    client.force_login(vendor_editor)
    assert client.get("/")["Location"] == f"/vendor/{vendor.slug}/"


def test_several_organisations_choose_on_the_home_page(client, district, vendor, vendor_editor):
    factories.DistrictMembershipFactory(agency=district, user=vendor_editor, role="viewer")
    client.force_login(vendor_editor)
    page = client.get("/")
    assert page.status_code == 200 and "Choose where to work" in page.text
    assert f'Viewer at <a href="/district/{district.slug}/">{district.name}</a>' in page.text
    assert f'Editor at <a href="/vendor/{vendor.slug}/">' in page.text
    assert "Operations" not in page.text  # not a platform operator


def test_a_platform_operator_goes_to_the_admin(client, db):
    operator = factories.UserFactory(is_staff=True)
    client.force_login(operator)
    assert client.get("/")["Location"] == reverse("admin:index")
    assert sign_in(client.__class__(), operator) == reverse("admin:index")  # and signing in lands there


def test_an_operator_who_also_works_for_a_district_starts_there(client, district):
    operator = factories.DistrictMembershipFactory(agency=district, role="viewer").user
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    client.force_login(operator)
    assert client.get("/")["Location"] == f"/district/{district.slug}/"


def test_someone_in_no_organisation_is_told_how_to_join(client, db):
    client.force_login(factories.UserFactory())
    page = client.get("/")
    assert page.status_code == 200 and "does not belong to a district or a vendor yet" in page.text


def test_an_operator_in_several_organisations_also_finds_the_admin(client, district, vendor, vendor_editor):
    factories.DistrictMembershipFactory(agency=district, user=vendor_editor, role="viewer")
    vendor_editor.is_staff = True
    vendor_editor.save(update_fields=["is_staff"])
    client.force_login(vendor_editor)
    assert f'href="{reverse("admin:index")}">Operations</a>' in client.get("/").text


def test_names_are_escaped_on_the_chooser(client, district, vendor, vendor_editor):
    district.name = HOSTILE
    district.save()
    factories.DistrictMembershipFactory(agency=district, user=vendor_editor, role="viewer")
    client.force_login(vendor_editor)
    text = client.get("/").text
    assert HOSTILE not in text and ESCAPED in text


# --- signing in lands on the dashboard, or on the page asked for ---------------------------------------------------


def test_signing_in_with_an_authenticator_lands_on_the_dashboard(
    client, district, district_admin, with_totp, totp_code
):
    secret = with_totp(district_admin)
    assert sign_in(client, district_admin, code=totp_code(secret)) == f"/district/{district.slug}/"


def test_signing_in_keeps_the_page_asked_for_through_the_authenticator_step(
    client, district, district_admin, with_totp, totp_code
):
    secret = with_totp(district_admin)
    login_page = client.get(reverse("account_login") + "?next=/deadlines/")
    assert 'name="next" value="/deadlines/"' in login_page.text
    assert sign_in(client, district_admin, code=totp_code(secret), next_url="/deadlines/") == "/deadlines/"


def test_signing_in_never_follows_a_next_address_elsewhere(client, vendor, vendor_editor):
    assert sign_in(client, vendor_editor, next_url="https://evil.example/") == f"/vendor/{vendor.slug}/"


def test_signing_in_from_the_landing_page_and_going_home_again(client, district, vendor, vendor_editor):
    assert sign_in(client, vendor_editor, next_url="/") == "/"  # an explicit "/" is kept...
    assert client.get("/")["Location"] == f"/vendor/{vendor.slug}/"  # ...and "/" goes on to the dashboard


# --- two-factor set-up keeps its secret until it is confirmed (14.9) ------------------------------------------------


def secret_shown(response) -> str:
    assert response.status_code == 200, response.get("Location")
    match = SECRET_SHOWN.search(response.text)
    assert match, response.text
    assert f"secret={match.group(1)}" in response.context["totp_url"]  # the QR code holds the same secret
    return match.group(1)


def test_reloading_the_set_up_page_keeps_the_secret_and_its_code_works(client, district, district_admin, totp_code):
    sign_in(client, district_admin)  # an admin without an authenticator: sent to set one up
    first = secret_shown(client.get(ACTIVATE))
    assert secret_shown(client.get(ACTIVATE)) == first  # reloaded: the app that scanned the first QR still fits
    wrong = client.post(ACTIVATE, {"code": "000000" if totp_code(first) != "000000" else "111111"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert secret_shown(client.get(ACTIVATE)) == first  # a wrong code does not change it either

    confirmed = client.post(ACTIVATE, {"code": totp_code(first)})
    assert confirmed.status_code == 302 and confirmed.url == reverse("mfa_view_recovery_codes")
    totp = Authenticator.objects.get(user=district_admin, type=Authenticator.Type.TOTP)
    assert decrypt(totp.data["secret"]) == first


def test_each_session_sets_up_its_own_secret(client, district, district_admin, vendor, vendor_admin):
    sign_in(client, district_admin)
    other = client.__class__()
    sign_in(other, vendor_admin)
    assert secret_shown(client.get(ACTIVATE)) != secret_shown(other.get(ACTIVATE))


def test_after_confirming_a_new_set_up_starts_from_a_new_secret(client, district, district_admin, totp_code):
    sign_in(client, district_admin)
    first = secret_shown(client.get(ACTIVATE))
    client.post(ACTIVATE, {"code": totp_code(first)})
    assert client.get(ACTIVATE)["Location"] == reverse("mfa_deactivate_totp")  # one authenticator app at a time
    Authenticator.objects.filter(user=district_admin).delete()  # as if removed (allauth asks the password again)
    assert secret_shown(client.get(ACTIVATE)) != first
