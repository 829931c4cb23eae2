"""The client's address (dpa_portal/client_ip.py): REMOTE_ADDR unless the deployment trusts a proxy, and then only
what the proxy appended to X-Forwarded-For. A forged header must never reach the signing record or the rate limits."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.adapter import get_adapter
from django.test import RequestFactory
from django.urls import reverse

from agreements.consent import CURRENT_CONSENT_VERSION
from agreements.models import AgreementDocument, Signature
from agreements.services import agreement_approve, agreement_send_to_vendor, agreement_submit
from dpa_portal.client_ip import client_ip, rate_limit_ip

from .helpers import activate_totp, fill_complete

FORGED = "203.0.113.66"  # what a client writes into X-Forwarded-For to pass for someone else


def request(remote="198.51.100.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_ip(request(forwarded=FORGED)) == "198.51.100.7"
    assert client_ip(request(forwarded=f"{FORGED}, 192.0.2.1")) == "198.51.100.7"
    assert client_ip(request()) == "198.51.100.7"


def test_behind_one_trusted_proxy_the_right_most_address_is_the_client(settings):
    """The proxy appends the peer it saw; whatever the client wrote stands to the left of it."""
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_ip(request(remote="10.0.0.2", forwarded="198.51.100.9")) == "198.51.100.9"
    assert client_ip(request(remote="10.0.0.2", forwarded=f"{FORGED}, 198.51.100.9")) == "198.51.100.9"
    assert client_ip(request(remote="10.0.0.2", forwarded=f"{FORGED},198.51.100.9")) == "198.51.100.9"
    # Not through the proxy (a health check from inside the host): the peer itself.
    assert client_ip(request(remote="10.0.0.2")) == "10.0.0.2"
    # What the proxy appended is not an address (a misconfigured proxy): the peer, never the client's left-most entry.
    assert client_ip(request(remote="10.0.0.2", forwarded=f"{FORGED}, unknown")) == "10.0.0.2"


def test_behind_two_trusted_proxies_the_second_from_the_right(settings):
    settings.TRUSTED_PROXY_HOPS = 2
    forwarded = f"{FORGED}, 198.51.100.9, 10.0.0.3"  # client's forgery, the client (by the CDN), the CDN (by nginx)
    assert client_ip(request(remote="10.0.0.2", forwarded=forwarded)) == "198.51.100.9"
    # Fewer entries than proxies: every entry was appended by one of them.
    assert client_ip(request(remote="10.0.0.2", forwarded="198.51.100.9")) == "198.51.100.9"


def test_addresses_are_normalised_and_a_missing_one_is_none(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_ip(request(remote="10.0.0.2", forwarded="2001:DB8::0:1")) == "2001:db8::1"
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_ip(request(remote="")) is None
    assert rate_limit_ip(request(remote="")) == "0.0.0.0"  # noqa: S104 -- a bucket name


def test_allauth_reads_the_same_address(settings):
    """allauth's rate limits on sign-in and MFA codes count per address: the forged header must not reset them."""
    settings.TRUSTED_PROXY_HOPS = 0
    assert get_adapter().get_client_ip(request(forwarded=FORGED)) == "198.51.100.7"
    settings.TRUSTED_PROXY_HOPS = 1
    assert get_adapter().get_client_ip(request(remote="10.0.0.2", forwarded=f"{FORGED}, 198.51.100.9")) == (
        "198.51.100.9"
    )


@pytest.fixture
def signing_copy(agreement, vendor_admin, district_admin):
    """An approved agreement with its copy to sign; both admins have an authenticator."""
    secrets = {"vendor": activate_totp(vendor_admin), "district": activate_totp(district_admin)}
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    fill_complete(agreement, actor=vendor_admin)
    agreement_submit(agreement=agreement, actor=vendor_admin)
    agreement_approve(agreement=agreement, actor=district_admin)
    # The copy to sign as the task that approval schedules would store it; its bytes do not matter here.
    pdf = b"%PDF-1.7 the copy to sign"
    copy = AgreementDocument.objects.create(
        agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf), document_id=f"TEST-{agreement.pk}",
    )  # fmt: skip
    return agreement, copy, secrets


def test_the_signing_record_keeps_the_address_the_deployment_vouches_for(
    client, settings, signing_copy, vendor_admin, district_admin, totp_code
):
    agreement, copy, secrets = signing_copy
    url = reverse("agreement_sign", args=[agreement.pk])

    def sign(user, secret, **headers):
        client.force_login(user)
        data = {
            "typed_name": "Jordan Ellis",
            "title": "Officer",
            "drawing": "",
            "otp_code": totp_code(secret),
            "consent": "on",
            "consent_version": CURRENT_CONSENT_VERSION,
            "document_sha256": copy.sha256,
        }
        response = client.post(url, data, **headers)
        assert response.status_code == 302, response.content.decode()[:2000]
        return Signature.objects.get(agreement=agreement, signer=user)

    # No trusted proxy: the forged header is ignored, the connection's peer is recorded.
    settings.TRUSTED_PROXY_HOPS = 0
    signature = sign(vendor_admin, secrets["vendor"], REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=FORGED)
    assert signature.ip_address == "198.51.100.7"

    # Behind one trusted proxy: the address the proxy appended, not the one the client wrote before it.
    settings.TRUSTED_PROXY_HOPS = 1
    signature = sign(
        district_admin,
        secrets["district"],
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"{FORGED}, 198.51.100.9",
    )
    assert signature.ip_address == "198.51.100.9"


# --- settings -------------------------------------------------------------------------------------------------

PROBE = "import django; from django.conf import settings; django.setup(); print(settings.TRUSTED_PROXY_HOPS)"


def settings_probe(**env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_BEHIND_PROXY", "DJANGO_PROXY_HOPS"))}
    environ.update(env, DJANGO_SETTINGS_MODULE="dpa_portal.settings", DJANGO_DEBUG="true")
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=root, env=environ, capture_output=True, text=True, timeout=60
    )


def test_the_proxy_settings():
    assert settings_probe(DJANGO_PROXY_HOPS="2").stdout.strip() == "0"  # no proxy trusted: hops mean nothing
    assert settings_probe(DJANGO_BEHIND_PROXY="true").stdout.strip() == "1"
    refused = settings_probe(DJANGO_BEHIND_PROXY="true", DJANGO_PROXY_HOPS="0")
    assert refused.returncode != 0 and "DJANGO_PROXY_HOPS must be at least 1" in refused.stderr
