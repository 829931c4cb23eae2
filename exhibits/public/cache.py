"""Caching of the public pages in Django's cache (Redis in production and tests).

A page is stored under a key that holds its district's version number, the language and the request's own parts:

    public:page:<district slug or "*">:<version>:<language>:<name>:<hash of host, path and parameters>

Invalidating a district increments its version (and the statewide one, "*", which the index, the statewide search
and the statewide feed use), so every page cached before is simply never asked for again and expires with its
timeout; no key is deleted by pattern. exhibits/signals.py invalidates when an agreement is posted or changes.

A version number that the cache lost starts again from the clock in nanoseconds, above any number used before.
The cache is a help, not a dependency: when it fails, pages are built from the database and the error is logged.
"""

import hashlib
import logging
import threading
import time
from contextlib import contextmanager

from django.core.cache import cache
from django.db import transaction
from django.utils import translation

logger = logging.getLogger(__name__)

STATEWIDE = "*"
# A bound on staleness for anything no signal covers; invalidation makes changes visible at once.
TIMEOUT = 60 * 60


def _version_key(scope: str) -> str:
    return f"public:version:{scope}"


def version(scope: str) -> int:
    key = _version_key(scope)
    value = cache.get(key)
    if value is None:
        cache.add(key, time.time_ns(), timeout=None)
        value = cache.get(key)
    return value


def _bump(scopes) -> None:
    for scope in scopes:
        key = _version_key(scope)
        try:
            cache.incr(key)
        except ValueError:  # not there (never used, or evicted): any fresh number will do
            cache.add(key, time.time_ns(), timeout=None)
        except Exception:
            logger.exception("Could not invalidate the public pages of %s", scope)


def invalidate(*slugs: str) -> None:
    """Make the cached pages of these districts (and the statewide pages) stale.

    Now, so that this process sees its own change at once, and again after the transaction commits, so that a page
    rendered meanwhile from the data as it was before the commit is not served under the new version.
    """
    scopes = {*slugs, STATEWIDE}
    _bump(scopes)
    transaction.on_commit(lambda: _bump(scopes))


_held = threading.local()


@contextmanager
def invalidation_held(*slugs: str):
    """For bulk writes (an import's batch of fifty agreements): the signals' invalidation per saved row waits, and
    these districts are invalidated once when the block ends. Per thread, so other work goes on as before."""
    depth = getattr(_held, "depth", 0)
    _held.depth = depth + 1
    try:
        yield
    finally:
        _held.depth = depth
        invalidate(*slugs)


def held() -> bool:
    """Inside `invalidation_held`: the caller invalidates at the end, so the signals skip their own."""
    return getattr(_held, "depth", 0) > 0


def cached(scope: str, name: str, parts, build):
    """`build()`'s value, from the cache when the page was built before for this version and language."""
    try:
        digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
        key = f"public:page:{scope}:{version(scope)}:{translation.get_language()}:{name}:{digest}"
        value = cache.get(key)
    except Exception:
        logger.exception("The cache is not available; building %s without it", name)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, TIMEOUT)
        except Exception:
            logger.exception("Could not cache %s", name)
    return value
