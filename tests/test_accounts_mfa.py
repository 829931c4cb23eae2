"""Two-factor authentication: required of district and vendor admins before they act, set up on allauth's pages."""

import time

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.middleware import EXPLANATION
from accounts.selectors import mfa_setup_required

from . import factories

ACTIVATE = "/accounts/2fa/totp/activate/"


def staff_url(district):
    return reverse("district_staff", args=[district.slug])


def sign_in(client, user):
    """Through allauth's form, as a person does (force_login would skip what allauth records)."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302, response.content
    return response


def test_an_admin_without_an_authenticator_is_sent_to_set_one_up(client, district, district_admin):
    client.force_login(district_admin)
    response = client.get(staff_url(district))
    assert response.status_code == 302 and response.url == ACTIVATE
    assert [str(m) for m in get_messages(response.wsgi_request)] == [EXPLANATION]
    assert client.session["accounts_mfa_next"] == staff_url(district)


def test_a_vendor_admin_without_an_authenticator_is_sent_too(client, vendor, vendor_admin):
    client.force_login(vendor_admin)
    response = client.post(reverse("vendor_staff", args=[vendor.slug]), {"email": "x@example.org", "role": "editor"})
    assert response.status_code == 302 and response.url == ACTIVATE
    assert "accounts_mfa_next" not in client.session  # a POST is not replayed


def test_an_admin_with_an_authenticator_goes_through(client, district, mfa_user):
    client.force_login(mfa_user)
    assert client.get(staff_url(district)).status_code == 200


@pytest.mark.parametrize("persona", ["district_reviewer", "district_viewer", "vendor_editor"])
def test_members_who_are_not_admins_are_not_asked(request, client, persona, district, vendor):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for url in [staff_url(district), reverse("vendor_staff", args=[vendor.slug]), "/somewhere/else/"]:
        assert client.get(url).status_code == 404  # reached the view (or the URL resolver), not the set-up page


@pytest.mark.parametrize(
    ("path", "status", "shows"),
    [
        ("/", 302, "/district/hometown-csd/"),  # the view ran: on to the only dashboard (issue 14.3)
        ("/healthz", 200, '"database": {"status": "ok"}'),
        ("/accounts/staff/", 302, "/district/hometown-csd/staff/"),  # the view ran: to the one staff page
        ("/accounts/login/", 302, "/district/hometown-csd/"),  # allauth: signed in already, to the dashboard
        (ACTIVATE, 200, "Set up two-factor authentication"),  # the set-up page itself
        ("/admin/", 302, "/admin/login/?next=/admin/"),  # the admin's own sign-in (not staff)
        ("/public/hometown-csd/", 200, "Hometown Central School District"),
        ("/static/css/portal.css", 200, "text/css"),
    ],
)
def test_some_paths_are_open_without_an_authenticator(client, settings, district, district_admin, path, status, shows):
    """Each path answers what it answers to anyone signed in: its page, its redirect, never the set-up page."""
    settings.WHITENOISE_USE_FINDERS = True  # serve static files from the source folders, as `make run` does
    sign_in(client, district_admin)  # through allauth, so its set-up page needs no second password prompt
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.get("Location"))
    if status == 302:
        assert response.url == shows
    elif path.startswith("/static/"):
        assert response["Content-Type"].startswith(shows)
        assert b"".join(response.streaming_content) == (settings.BASE_DIR / path.lstrip("/")).read_bytes()
    else:
        assert shows in response.text


def test_htmx_requests_are_redirected_as_a_whole_page(client, district, district_admin):
    client.force_login(district_admin)
    response = client.get(staff_url(district), headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == ACTIVATE


def test_the_check_is_one_query_and_nothing_is_cached(district_admin, with_totp, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert mfa_setup_required(district_admin)
    with_totp(district_admin)
    with django_assert_num_queries(1):
        assert not mfa_setup_required(district_admin)


def test_an_admin_of_several_organisations_is_one_query_too(vendor, district_admin, django_assert_num_queries):
    factories.ContractorMembershipFactory(contractor=vendor, user=district_admin, role="admin")
    with django_assert_num_queries(1):
        assert mfa_setup_required(district_admin)


def test_a_request_costs_the_middleware_one_query(client, district, mfa_user, django_assert_max_num_queries):
    client.force_login(mfa_user)
    # session, user, MFA check, access check, staff, invitations (and a savepoint pair at most)
    with django_assert_max_num_queries(8):
        response = client.get(staff_url(district))
    assert response.status_code == 200  # the staff page itself, not a redirect or an error
    assert f"Staff of {district.name}" in response.text and mfa_user.email in response.text


def test_a_new_admin_sets_up_the_app_gets_recovery_codes_and_returns(
    client, district, district_admin, totp_code, django_capture_on_commit_callbacks
):
    """The whole set-up through allauth's pages: no second password prompt right after signing in."""
    sign_in(client, district_admin)
    response = client.get(staff_url(district))
    assert response.url == ACTIVATE

    page = client.get(ACTIVATE)
    assert page.status_code == 200, page.get("Location")
    assert "Set up two-factor authentication" in page.text and EXPLANATION in page.text
    secret = page.context["form"].secret
    assert f'value="{secret}"' in page.text  # the secret key is shown beside the QR code

    with django_capture_on_commit_callbacks(execute=True):  # allauth announces the new authenticator on commit
        response = client.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302 and response.url == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=district_admin, type=Authenticator.Type.TOTP).exists()

    codes = client.get(response.url)
    assert codes.status_code == 200, codes.get("Location")  # no "confirm access" step either
    assert len(codes.context["unused_codes"]) == 10
    assert all(code in codes.text for code in codes.context["unused_codes"])

    back = client.get(reverse("accounts_continue"))
    assert back.url == staff_url(district)
    assert client.get(back.url).status_code == 200


def test_a_stale_sign_in_must_confirm_the_password_before_setting_up(client, district_admin):
    sign_in(client, district_admin)
    session = client.session
    records = session["account_authentication_methods"]
    records[-1]["at"] = time.time() - 3600
    session["account_authentication_methods"] = records
    session.save()
    response = client.get(ACTIVATE)
    assert response.status_code == 302 and response.url.startswith("/accounts/reauthenticate/")


def test_removing_the_authenticator_still_asks_for_the_password(client, mfa_user, totp_code):
    response = client.post(reverse("account_login"), {"login": mfa_user.email, "password": factories.PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(mfa_user.totp_secret)})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302 and response.url.startswith("/accounts/reauthenticate/")


def test_continue_ignores_addresses_elsewhere(client, district, mfa_user):
    client.force_login(mfa_user)
    session = client.session
    session["accounts_mfa_next"] = "https://evil.example/"
    session.save()
    assert client.get(reverse("accounts_continue")).url == f"/district/{district.slug}/"  # where they start


def test_sign_in_with_an_authenticator_asks_for_the_code(client, mfa_user, totp_code):
    response = sign_in(client, mfa_user)
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    page = client.get(response.url)
    assert "Two-Factor Authentication" in page.text
    wrong = "000000" if totp_code(mfa_user.totp_secret) != "000000" else "111111"
    client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": totp_code(mfa_user.totp_secret)})
    assert client.session["_auth_user_id"] == str(mfa_user.pk)
