"""The one place that says which address a request came from: the signing record, allauth's and the portal's rate
limits all read it here.

`X-Forwarded-For` is whatever the client wrote, plus one address appended by each proxy it went through. Only the
addresses that the deployment's own proxies appended can be believed, and those are the right-most ones: with one
trusted proxy (`DJANGO_BEHIND_PROXY`, `DJANGO_PROXY_HOPS=1`), the right-most address, which the proxy appended for
the peer it saw; the left-most is the client's to forge. Without a trusted proxy the header is ignored and
`REMOTE_ADDR`, the peer of the connection, is the address.
"""

import ipaddress

from django.conf import settings


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address as the deployment can vouch for it, or None when there is none (a Unix socket)."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    hops = settings.TRUSTED_PROXY_HOPS
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not hops or not forwarded.strip():
        # No trusted proxy, or a request that did not come through it (a health check from inside the host).
        return remote
    addresses = forwarded.split(",")
    # The `hops` right-most entries were appended by the deployment's proxies; the farthest of them names the client.
    # Fewer entries than hops: the request came through fewer proxies, and every entry is one of theirs.
    return _address(addresses[max(len(addresses) - hops, 0)]) or remote


def rate_limit_ip(request) -> str:
    """`client_ip` for django-ratelimit (RATELIMIT_IP_META_KEY), which needs an address: requests without one share
    a bucket."""
    return client_ip(request) or "0.0.0.0"  # noqa: S104 -- a bucket name, not an address to bind
