"""The headers every response carries: a strict Content-Security-Policy and a Permissions-Policy; framing only for the
embeddable list; `Cache-Control: private, no-store` on everything but the public pages. And the templates keep the
policy possible: no inline script, style or event handler anywhere."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.services import invitation_create

from .public_helpers import fresh_cache_fixture, make_agreement, posted_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.usefixtures("fresh_cache")

POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-src": "'self'",
    "manifest-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}
FEATURES_OFF = ["camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "midi"]


def csp(response) -> dict:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response.get('Content-Type')}"
    return {name: value for name, _, value in (part.strip().partition(" ") for part in header.split(";"))}


def permissions(response) -> dict:
    return dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))


@pytest.fixture
def urls(settings, district, posted, district_reviewer):
    """Pages of each kind: anonymous, public (pages, files, feeds), signed-in, a party's document, a static file."""
    # WhiteNoise serves static files from the apps' folders, as in development (a deployment collects them).
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True
    slug, pk = district.slug, posted.pk
    public = [
        "/public/",
        "/public/search/?q=reading",
        f"/public/{slug}/",
        f"/public/{slug}/agreements/{pk}/",
        f"/public/{slug}/agreements/{pk}/dpa.pdf",
        f"/public/{slug}/agreements.json",
        f"/public/{slug}/agreements.csv",
        f"/public/{slug}/feed.atom",
        "/public/feed.atom",
        f"/public/{slug}/open-data/",
        f"/public/{slug}/embed/",
    ]
    private = [
        reverse("district_dashboard", args=[slug]),
        reverse("agreement_detail", args=[pk]),
        reverse("agreement_document", args=[pk, "executed"]),
        reverse("deadlines"),
        reverse("staff_index"),
    ]
    anonymous = ["/", reverse("verify"), reverse("account_login")]
    return {"public": public, "private": private, "anonymous": anonymous, "static": ["/static/css/portal.css"]}


def get_all(client, urls, user):
    responses = {}
    for url in urls["public"] + urls["anonymous"] + urls["static"]:
        responses[url] = client.get(url)
    client.force_login(user)
    for url in urls["private"]:
        responses[url] = client.get(url)
    for url, response in responses.items():
        assert response.status_code == 200, url
    return responses


def test_every_response_carries_a_strict_csp_and_a_permissions_policy(client, urls, district_reviewer, district):
    for url, response in get_all(client, urls, district_reviewer).items():
        policy = csp(response)
        expected = {**POLICY, "frame-ancestors": "*"} if url.endswith("/embed/") else POLICY
        assert policy == expected, url
        assert "unsafe" not in response["Content-Security-Policy"], url
        features = permissions(response)
        assert all(features[name] == "()" for name in FEATURES_OFF), (url, features)
    # Refusals carry them too.
    client.logout()
    refused = client.get(reverse("district_dashboard", args=[district.slug]))
    assert refused.status_code == 302 and csp(refused) == POLICY and "camera=()" in refused["Permissions-Policy"]


def test_only_the_embeddable_list_may_be_framed(client, urls, district_reviewer):
    for url, response in get_all(client, urls, district_reviewer).items():
        if url.endswith("/embed/"):
            assert "X-Frame-Options" not in response and csp(response)["frame-ancestors"] == "*"
        elif url.startswith("/static/"):
            assert csp(response)["frame-ancestors"] == "'none'"  # WhiteNoise answers before Django's framing rule
        else:
            assert response["X-Frame-Options"] == "DENY", url
            assert csp(response)["frame-ancestors"] == "'none'", url


def test_signed_in_pages_and_documents_are_not_stored_and_public_pages_may_be(client, urls, district_reviewer):
    responses = get_all(client, urls, district_reviewer)
    for url in urls["private"]:
        assert responses[url]["Cache-Control"] == "private, no-store", url
    assert responses[urls["private"][2]]["Content-Type"] == "application/pdf"  # the party's copy of the DPA
    for url in urls["anonymous"]:
        assert "no-store" in responses[url]["Cache-Control"], url
    for url in urls["public"]:
        cache_control = responses[url].get("Cache-Control", "")
        assert "no-store" not in cache_control and "private" not in cache_control, url
    assert "no-store" not in responses["/static/css/portal.css"].get("Cache-Control", "")


def test_an_invitation_page_is_not_stored(client, district, district_admin, with_totp):
    with_totp(district_admin)
    _, token = invitation_create(
        kind="district_staff", email="new.person@hometown.example", role="viewer", invited_by=district_admin,
        agency=district,
    )  # fmt: skip
    page = client.get(reverse("invitation_accept", args=[token]))
    assert page.status_code == 200 and "new.person@hometown.example" in page.text
    assert page["Cache-Control"] == "private, no-store"


# --- the templates keep the policy possible -----------------------------------------------------------------

# Served as web pages. templates/emails go to mail programs and templates/dpa to WeasyPrint, where no policy applies.
WEB_TEMPLATES = [
    path
    for path in sorted((ROOT / "templates").rglob("*.html"))
    if path.relative_to(ROOT / "templates").parts[0] not in {"emails", "dpa"}
]
INLINE = {
    "a <script> element with content": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "an event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("path", WEB_TEMPLATES, ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_no_template_has_inline_script_style_or_handlers(path):
    # Comments ({# #} and {% comment %}) may mention what they avoid.
    text = re.sub(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", path.read_text(), flags=re.S)
    found = [what for what, pattern in INLINE.items() if pattern.search(text)]
    assert not found, f"{path}: {', '.join(found)}; move it to a file under static/"


def test_the_scan_finds_what_it_looks_for():
    assert INLINE["a <script> element with content"].search("<script>alert(1)</script>")
    assert not INLINE["a <script> element with content"].search('<script src="/static/js/sign.js"></script>')
    assert INLINE["a style attribute"].search('<canvas id="c" style="height: 1px">')
    assert INLINE["an event handler attribute"].search('<button type="button" onclick="go()">')
    assert not INLINE["an event handler attribute"].search('<meta name="viewport" content="width=device-width">')


ADMIN_PAGES = [
    "/admin/",
    "/admin/agreements/agreement/",
    "/admin/agreements/agreement/add/",
    "/admin/accounts/user/",
    "/admin/django_celery_beat/periodictask/",
    "/admin/django_celery_beat/periodictask/add/",  # the package's inline script, overridden (templates/admin/)
]


def test_the_operators_admin_pages_have_no_inline_script_or_style(admin_client):
    for url in ADMIN_PAGES:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for what in ("a <script> element with content", "a <style> element", "an event handler attribute"):
            assert not INLINE[what].search(html), f"{url}: {what}"
        assert csp(response) == POLICY
    assert 'src="/static/js/periodic_task_form.js"' in admin_client.get(ADMIN_PAGES[-1]).text
