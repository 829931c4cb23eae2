"""Rate limits on the pages that invite guessing or cost work: django-ratelimit's counters in the cache (Redis).

A limit has a name, a rate in `settings.RATE_LIMITS` (from the environment, README "Settings") such as "30/h", and a
key: `ip` (the client's address by dpa_portal.client_ip, whose IPv6 addresses django-ratelimit groups by /64) or
`user` (the person signed in). Past the limit within the window the person gets a 429 page that says when to try
again, with `Retry-After`. allauth counts sign-ins, MFA codes and password resets itself (ACCOUNT_RATE_LIMITS); these
are the portal's own pages.

While the cache is unavailable the limits are skipped, with a log line, rather than refusing everyone (issue 15):
the cache fails open (dpa_portal/cache_backend.py), and settings.RATELIMIT_FAIL_OPEN covers a count that is lost.
"""

import logging
import math
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

# What each limit protects, for the 429 page.
WHAT = {
    "verify": "checking documents",
    "invitation": "opening invitation links that do not work",
    "signing": "confirming a signature with an authenticator code",
    "search": "searching",
    "requests_sign_up": "asking for sign-up links",
    "app_requests": "asking for apps",
}


def rate_limited(name: str, *, key: str, method=ALL, counts=None):
    """Limit a view to `settings.RATE_LIMITS[name]` requests per key and window.

    Every request of `method` counts, unless `counts(response)` says which do (e.g. a token that was not found): then
    a request is refused once that many have counted, and one counts only after its view has answered.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            def usage(increment):
                rate = settings.RATE_LIMITS[name]
                used = get_usage(request, group=f"dpa:{name}", key=key, rate=rate, method=method, increment=increment)
                if getattr(caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")], "down", False):
                    logger.warning("Rate limit %r not applied to %s: the cache is unavailable", name, request.path)
                    return None
                return used

            if counts is None:
                used = usage(increment=True)
                if used and used["should_limit"]:
                    return too_many_requests(request, name, used["time_left"])
                return view(request, *args, **kwargs)
            used = usage(increment=False)
            if used and (used["should_limit"] or used["count"] >= used["limit"]):
                return too_many_requests(request, name, used["time_left"])
            response = view(request, *args, **kwargs)
            if counts(response):
                usage(increment=True)
            return response

        return wrapped

    return decorator


def too_many_requests(request, name: str, seconds_left: int):
    seconds = max(int(seconds_left), 1)
    context = {
        "what": WHAT[name],
        "minutes": math.ceil(seconds / 60),
        "seconds": seconds,
        "retry_at": timezone.localtime() + timedelta(seconds=seconds),
    }
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "private, no-store"  # also under /public/, whose pages may otherwise be cached
    return response
