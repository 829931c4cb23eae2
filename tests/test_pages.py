"""The landing page, sign-in, the health check, and the Django admin of every model."""

import pytest
from django.contrib import admin
from django.urls import reverse

from agreements.demo import PERSONAS

from . import factories
from .shared import SharedRows, demo_rows

SHARED_ROWS = SharedRows()


SHARED_ROWS.layer()(demo_rows)


demo = SHARED_ROWS.fixture("demo", "demo_rows")


def test_landing_page_says_what_the_portal_is(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Education Law &sect; 2-d" in response.content or "Education Law § 2-d" in response.text
    assert "Try the demo" not in response.text  # no demo users here


def test_landing_page_lists_each_demo_persona_with_the_password(client, demo, settings):
    settings.DEBUG = True
    response = client.get("/")
    for persona in PERSONAS:
        assert persona.email in response.text and persona.who.replace("'", "&#x27;") in response.text
    assert settings.DEMO_PASSWORD in response.text


def test_landing_page_hides_the_demo_password_outside_debug(client, demo, settings):
    settings.DEBUG = False
    response = client.get("/")
    assert "district-admin@example.org" in response.text
    assert settings.DEMO_PASSWORD not in response.text


def test_landing_page_queries_do_not_grow_with_personas(client, demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/")
    assert response.status_code == 200
    # The page did list every persona (one query for all of them), not an error or an empty table.
    for persona in PERSONAS:
        assert persona.email in response.text


def test_sign_in_by_email_shows_the_persona_memberships(client, demo, settings, totp_code_for):
    response = client.post(
        reverse("account_login"), {"login": "DISTRICT-ADMIN@example.org", "password": settings.DEMO_PASSWORD}
    )
    if response.url == reverse("mfa_authenticate"):  # an admin with an authenticator app: allauth asks for a code
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code_for("district-admin@example.org")})
    assert response.url == "/district/liverpool-csd/"  # their only organisation's dashboard
    response = client.get(response.url)
    assert response.status_code == 200 and "Liverpool Central School District: agreements" in response.text
    assert response.context["user"].email == "district-admin@example.org"
    assert client.get("/")["Location"] == "/district/liverpool-csd/"  # and "/" leads there too (issue 14.3)


def test_wrong_password_is_refused_with_a_message(client, demo):
    response = client.post(reverse("account_login"), {"login": "district-admin@example.org", "password": "nope"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert "are not correct" in response.text


def test_hostile_names_are_escaped_on_the_landing_page(client, district):
    user = factories.UserFactory(first_name="<script>alert(1)</script>", last_name="")
    factories.DistrictMembershipFactory(user=user, agency=district)
    district.name = "<img src=x onerror=alert(1)>"
    district.save()
    factories.ContractorMembershipFactory(user=user)  # two organisations: "/" lists them (one goes straight on)
    client.force_login(user)
    text = client.get("/").text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_health_check(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == {"status": "ok"}  # the rest: test_healthz


def test_sign_out_requires_post(client, district_admin):
    client.force_login(district_admin)
    client.get(reverse("account_logout"))  # a confirmation page: a link alone must not sign anyone out
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_admin_changelist_search_and_change_pages(admin_client, demo):
    """Every model is in the admin, and its list, search and change page work on the demo data.

    One test over every admin rather than one per admin: the demo (two PDFs rendered and sealed) loads once.
    """
    for model_admin in admin.site._registry.values():
        opts = model_admin.opts
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, opts.label
        if model_admin.search_fields:
            assert admin_client.get(changelist, {"q": "Liverpool"}).status_code == 200, opts.label
        obj = opts.model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert admin_client.get(change).status_code == 200, opts.label


@pytest.mark.parametrize(
    "label",
    [
        "accounts.User",
        "agreements.EducationalAgency",
        "agreements.Agreement",
        "vendors.Contractor",
        "vendors.Subcontractor",
        "exhibits.SupplementalInformation",
        "exhibits.SecurityPlan",
        "exhibits.CsfResponse",
        "exhibits.BillOfRights",
        "exhibits.FrameworkCategory",
    ],
)
def test_operator_models_have_search_and_filters(label):
    from django.apps import apps

    model_admin = admin.site._registry[apps.get_model(label)]
    assert model_admin.search_fields, label
    assert model_admin.list_filter or label == "exhibits.SecurityPlan", label


def test_every_project_model_is_in_the_admin():
    from django.apps import apps

    project = [
        m for app in ["accounts", "agreements", "vendors", "exhibits"] for m in apps.get_app_config(app).get_models()
    ]
    missing = [
        m._meta.label for m in project if m not in admin.site._registry and not m.__name__.startswith("Historical")
    ]
    assert missing == []


def test_the_agreements_link_goes_to_the_only_dashboard(client, district_admin, district, with_totp):
    with_totp(district_admin)
    client.force_login(district_admin)
    assert client.get("/agreements/")["Location"] == f"/district/{district.slug}/"
    factories.ContractorMembershipFactory(user=district_admin)  # a second organisation: choose on the home page
    assert client.get("/agreements/")["Location"] == "/"
    client.logout()
    assert "/accounts/login/" in client.get("/agreements/")["Location"]
