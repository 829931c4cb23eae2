"""Rate limits (dpa_portal/ratelimits.py) on /verify/ uploads, invitation tokens, signature confirmations and the
public search, counted in the real Redis cache: within the window the N+1th request is refused with a 429 page that
says when to try again, and another client or person is not refused. allauth's sign-in limit still holds and counts
per the same client address."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.services import invitation_create
from apprequests.models import AppRequest, Requester
from dpa_portal.env import env_rate

from . import factories

LIMIT = 3
FORGED = "203.0.113.66"


@pytest.fixture
def limits(settings):
    """Every limit at LIMIT per hour, so that the tests reach them in a few requests."""
    settings.TRUSTED_PROXY_HOPS = 0
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, f"{LIMIT}/h")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), "make test provides REDIS_URL"
    return settings.RATE_LIMITS


def assert_refused(response, what):
    assert response.status_code == 429, response.status_code
    seconds = int(response["Retry-After"])
    assert 0 < seconds <= 3600
    assert response["Cache-Control"] == "private, no-store"
    text = " ".join(response.content.decode().split())
    assert "Too many attempts" in text and f"too many requests for {what}" in text
    assert "Try again in " in text and "New York time" in text


def test_verify_uploads_per_address(client, limits):
    url = reverse("verify")

    def upload(**client_address):
        return client.post(url, {"document": io.BytesIO(b"GIF89a not a pdf")}, **client_address)

    for _ in range(LIMIT):
        response = upload(REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 200 and "This file is not a PDF." in response.text
    assert_refused(upload(REMOTE_ADDR="198.51.100.7"), "checking documents")
    # A forged X-Forwarded-For does not make a new client; another address is one.
    assert upload(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429
    assert upload(REMOTE_ADDR="198.51.100.8").status_code == 200
    # Reading the page is not an upload.
    assert client.get(url, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_verify_uploads_behind_a_trusted_proxy_count_per_client(client, limits, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    url = reverse("verify")

    def upload(client_address):
        forwarded = f"{FORGED}, {client_address}"  # the client's forgery, then what the proxy appended
        return client.post(
            url, {"document": io.BytesIO(b"not a pdf")}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded
        )

    for _ in range(LIMIT):
        assert upload("198.51.100.7").status_code == 200
    assert upload("198.51.100.7").status_code == 429
    assert upload("198.51.100.9").status_code == 200  # another client behind the same proxy


def test_invitation_token_guesses_per_address(client, limits, district, district_admin, with_totp):
    with_totp(district_admin)
    _, token = invitation_create(
        kind="district_staff", email="new.person@hometown.example", role="viewer", invited_by=district_admin,
        agency=district,
    )  # fmt: skip
    good = reverse("invitation_accept", args=[token])
    # A working link is not a guess: it never counts.
    for _ in range(LIMIT + 1):
        assert client.get(good, REMOTE_ADDR="198.51.100.7").status_code == 200
    for guess in range(LIMIT):
        assert client.get(f"/accounts/invitations/guess-{guess}/", REMOTE_ADDR="198.51.100.7").status_code == 404
    assert_refused(client.get("/accounts/invitations/guess-x/", REMOTE_ADDR="198.51.100.7"), "opening invitation")
    # Once refused, the address is refused whatever token it tries, for the rest of the window.
    assert client.get(good, REMOTE_ADDR="198.51.100.7").status_code == 429
    assert client.post(good, {}, REMOTE_ADDR="198.51.100.7").status_code == 429
    # Another address is not.
    assert client.get("/accounts/invitations/guess-y/", REMOTE_ADDR="198.51.100.8").status_code == 404
    assert client.get(good, REMOTE_ADDR="198.51.100.8").status_code == 200


def test_signature_confirmations_per_person(client, limits, agreement, district_admin, district_reviewer, with_totp):
    """Each post to the sign page checks an authenticator code (when the form is complete): counted per person,
    whatever address they come from."""
    with_totp(district_admin)
    url = reverse("agreement_sign", args=[agreement.pk])
    data = {"typed_name": "Dana Whitfield", "title": "Director", "otp_code": "000000", "consent": "on"}
    client.force_login(district_admin)
    for attempt in range(LIMIT):
        # The draft cannot be signed yet: each attempt is refused with a message, and counted.
        assert client.post(url, data, REMOTE_ADDR=f"198.51.100.{attempt}").status_code == 302
    assert_refused(client.post(url, data, REMOTE_ADDR="198.51.100.50"), "confirming a signature")
    # Reading the page (and the htmx poll while the copy to sign is rendered) is not an attempt.
    assert client.get(url).status_code == 302
    # Another person is not refused.
    client.force_login(district_reviewer)
    assert client.post(url, data, REMOTE_ADDR="198.51.100.50").status_code == 302


def test_public_search_per_address(client, limits, catalogues):
    url = reverse("public_search")
    for query in range(LIMIT):
        assert client.get(url, {"q": f"reading {query}"}, REMOTE_ADDR="198.51.100.7").status_code == 200
    refused = client.get(url, {"q": "reading"}, REMOTE_ADDR="198.51.100.7")
    assert_refused(refused, "searching")
    assert client.get(url, {"q": "reading"}, REMOTE_ADDR="198.51.100.8").status_code == 200


def test_the_default_limits(settings):
    assert settings.RATE_LIMITS == {
        "verify": "30/h",
        "invitation": "20/h",
        "signing": "10/h",
        "search": "60/m",
        "requests_sign_up": "10/h",
        "app_requests": "20/h",
    }


@pytest.mark.parametrize("value", ["30/h", "5/15m", "60/m", "1/d"])
def test_rate_settings_read(monkeypatch, value):
    monkeypatch.setenv("DPA_TEST_RATE", value)
    assert env_rate("DPA_TEST_RATE", "1/s") == value


@pytest.mark.parametrize("value", ["30", "0/h", "x/h", "30/hour", "30/0m", "-1/h", "30/h/ip"])
def test_unreadable_rates_are_errors(monkeypatch, value):
    monkeypatch.setenv("DPA_TEST_RATE", value)
    with pytest.raises(ImproperlyConfigured):
        env_rate("DPA_TEST_RATE", "1/s")


def test_allauth_counts_failed_sign_ins_per_client_address(client, settings, db):
    """allauth's own limit (10 failed sign-ins a minute per address) is kept, and a forged X-Forwarded-For does not
    give a new address: its adapter reads dpa_portal.client_ip."""
    settings.TRUSTED_PROXY_HOPS = 0
    url = reverse("account_login")
    address = "192.0.2.201"  # this test's own: allauth's counters are not reset between tests

    def failed_sign_in(attempt):
        data = {"login": f"nobody{attempt}@example.org", "password": "wrong-password-123"}
        return client.post(url, data, REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")

    for attempt in range(10):
        assert "Too many failed login attempts" not in failed_sign_in(attempt).text
    assert "Too many failed login attempts" in failed_sign_in(10).text
    other = client.post(url, {"login": "someone@example.org", "password": "x" * 12}, REMOTE_ADDR="192.0.2.202")
    assert "Too many failed login attempts" not in other.text


def test_allauths_own_429_uses_the_portals_page(client, db):
    """allauth answers some of its limits (here: five password resets a minute for one address) with a 429 rendered
    from the same template, without the portal's context: it still says to try again."""
    url = reverse("account_reset_password")
    data = {"email": "reset.limit@example.org"}  # this test's own: allauth's counters are not reset between tests
    for _ in range(5):
        assert client.post(url, data, REMOTE_ADDR="192.0.2.203").status_code == 302
    refused = client.post(url, data, REMOTE_ADDR="192.0.2.203")
    assert refused.status_code == 429
    text = " ".join(refused.content.decode().split())
    assert "Too many attempts" in text and "Try again in a few minutes." in text


def test_app_requests_per_person(client, limits, district):
    """A flood of app requests from one account (issue 16.6): refused past the limit, whatever its address; another
    requester of the same district is not."""
    url = reverse("apprequests_new", args=[district.slug])
    data = {
        "app_name": "Flood App",
        "website": "https://flood.example",
        "purpose": "Practice",
        "grades": "3-5",
        "student_count": 20,
        "students_sign_in": "no",
    }
    flooder, other = (Requester.objects.create(user=factories.UserFactory(), agency=district).user for _ in range(2))
    client.force_login(flooder)
    for attempt in range(LIMIT):
        assert client.post(url, data, REMOTE_ADDR=f"198.51.100.{attempt}").status_code == 302
    assert_refused(client.post(url, data, REMOTE_ADDR="198.51.100.60"), "asking for apps")
    assert AppRequest.objects.filter(requester__user=flooder).count() == LIMIT
    assert client.get(url).status_code == 200  # reading the form is not a request
    client.force_login(other)
    assert client.post(url, data, REMOTE_ADDR="198.51.100.60").status_code == 302
