"""Caching of the public pages in Django's cache (Redis in production and tests).

A district's page is stored under a key that holds its district's version number, the language and the request's
own parts:

    public:page:<district slug>:<version>:<language>:<name>:<hash of host, path and parameters>

Invalidating a district increments its version, so every page cached before is simply never asked for again and
expires with its timeout; no key is deleted by pattern. exhibits/signals.py invalidates when an agreement is posted or
changes.

A statewide page (the index, the statewide search, the statewide feed) is stored under the statewide version ("*")
and remembers the version of each district it shows (`shows`, called by records.public_record and by the search);
it is served while none of them changed. "*" itself moves only when what any statewide page could list changes: an
agreement enters or leaves the posted statuses, or a district, vendor or product is renamed. So an edit in one
district, or the sweep's expirations, make stale that district's pages and only the statewide pages that show it
(issue 13), and the statewide pages are not nearly always cold any more.

A version number that the cache lost starts again from the clock in nanoseconds, above any number used before.
The cache is a help, not a dependency: when it fails, pages are built from the database and the error is logged.
"""

import functools
import hashlib
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import translation

from agreements.models import Agreement, EducationalAgency, statuses

logger = logging.getLogger(__name__)

STATEWIDE = "*"
# A bound on staleness for anything no signal covers; invalidation makes changes visible at once.
TIMEOUT = 60 * 60


def _version_key(scope: str) -> str:
    return f"public:version:{scope}"


def version(scope: str) -> int:
    value = cache.get(_version_key(scope))
    return _restart(scope) if value is None else value


def _restart(scope: str) -> int:
    """A version the cache lost, started again: one round trip, two if another process started it first. (A
    statewide page after the cache is emptied looks up every district it shows: up to fifty at statewide size.)"""
    key, fresh = _version_key(scope), time.time_ns()
    return fresh if cache.add(key, fresh, timeout=None) else cache.get(key)


def _versions(scopes) -> dict[str, int]:
    """The versions of these districts: one round trip, and one more for all those the cache lost."""
    found = cache.get_many([_version_key(s) for s in scopes])
    lost = [s for s in scopes if not found.get(_version_key(s))]
    restarted = _restart_many(lost) if lost else {}
    return {s: found.get(_version_key(s)) or restarted[s] for s in scopes}


def _restart_many(scopes) -> dict[str, int]:
    """_restart for many versions at once: after the cache is emptied, a statewide search shows up to 200 districts,
    and one round trip each took longer than the rest of the page. On Redis one pipeline of SET NX (what cache.add
    sends for each), then one read of those another process started first; on another cache, one add each."""
    fresh, backend = time.time_ns(), caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return {s: _restart(s) for s in scopes}
    if getattr(backend, "down", False):  # Redis is unavailable (dpa_portal/cache_backend.py): nothing is cached
        return dict.fromkeys(scopes, fresh)
    location = settings.CACHES[DEFAULT_CACHE_ALIAS]["LOCATION"]
    pipeline = _redis(location[0] if isinstance(location, list | tuple) else location.split(",")[0]).pipeline()
    for scope in scopes:
        # An integer as it is: what Django's RedisCache stores for one, so that cache.get and cache.incr read it.
        pipeline.set(backend.make_and_validate_key(_version_key(scope)), fresh, nx=True)
    try:
        added = dict(zip(scopes, pipeline.execute(), strict=True))
    except (redis.RedisError, OSError):
        logger.warning("The cache (Redis) is unavailable: the public pages are built without it", exc_info=True)
        return dict.fromkeys(scopes, fresh)
    raced = [s for s in scopes if not added[s]]
    others = cache.get_many([_version_key(s) for s in raced]) if raced else {}
    return {s: fresh if added[s] else others.get(_version_key(s)) or _restart(s) for s in scopes}


@functools.cache
def _redis(location: str):
    """A client of the cache's Redis (its primary, the first address), for a pipeline: Django's RedisCache keeps its
    own client private."""
    return redis.Redis.from_url(location, **settings.CACHES[DEFAULT_CACHE_ALIAS].get("OPTIONS", {}))


def _bump(scopes) -> None:
    for scope in scopes:
        key = _version_key(scope)
        try:
            cache.incr(key)
        except ValueError:  # not there (never used, or evicted): any fresh number will do
            cache.add(key, time.time_ns(), timeout=None)
        except Exception:
            logger.exception("Could not invalidate the public pages of %s", scope)


def invalidate(*slugs: str, statewide: bool = False) -> None:
    """Make the cached pages of these districts stale, and with `statewide` every statewide page too (a change of
    what they list: a posting, a name). A statewide page that shows one of these districts goes stale either way.

    Now, so that this process sees its own change at once, and again after the transaction commits, so that a page
    rendered meanwhile from the data as it was before the commit is not served under the new version.
    """
    scopes = {*slugs, STATEWIDE} if statewide else set(slugs)
    if not scopes:
        return
    _bump(scopes)
    transaction.on_commit(lambda: _bump(scopes))


# --- what changed: resolved to districts at once, or once at the end of a bulk write ------------------------------


@dataclass
class _Pending:
    depth: int = 0
    slugs: set = field(default_factory=set)
    changes: list = field(default_factory=list)


_held = threading.local()


def _pending() -> _Pending:
    if not hasattr(_held, "pending"):
        _held.pending = _Pending()
    return _held.pending


def agreements_changed(agreements: Q, *, listed: bool = False, counted: bool = False) -> None:
    """The agreements that match `agreements` changed on the public pages: invalidate their districts.

    `listed`: what the statewide pages list changed (a posting, a name): every statewide page goes stale.
    `counted`: some entered or left the posted statuses: their districts' posted count is counted again.
    Inside `invalidation_held` this only notes the change, without a query: the block resolves all it noted when it
    ends, in one query (two when a count changed).
    """
    pending = _pending()
    if pending.depth:
        pending.changes.append((agreements, listed, counted))
        return
    _apply([(agreements, listed, counted)], set())


def _matching(queries):
    where = Q(pk__in=[])
    for query in queries:
        where |= query
    return Agreement.objects.filter(where)


def _apply(changes, slugs: set) -> None:
    statewide = False
    if changes:
        found = set(_matching(q for q, _l, _c in changes).values_list("agency__slug", flat=True).distinct())
        statewide = bool(found) and any(listed for _q, listed, _c in changes)
        counted = [q for q, _l, c in changes if c]
        if counted:
            agency_ids = list(_matching(counted).values_list("agency_id", flat=True).distinct())
            # Now, for this transaction's own reads, and again after it commits: two postings in one district at
            # once each count without the other's uncommitted row, and the count after commit sees both.
            posted_count_refresh(agency_ids)
            transaction.on_commit(lambda: posted_count_refresh(agency_ids))
        slugs = slugs | found
    invalidate(*slugs, statewide=statewide)


def posted_count_refresh(agency_ids) -> None:
    """Count again how many agreements of these districts (ids, or a query of them) are posted
    (EducationalAgency.posted_count): one UPDATE, bounded by these districts' own agreements, with the index on agency
    and status. A recount, not an increment, so that it cannot drift."""
    counts = (
        Agreement.objects.filter(agency=OuterRef("pk"), status__in=statuses.POSTED)
        .order_by()
        .values("agency")
        .annotate(n=Count("pk"))
        .values("n")
    )
    EducationalAgency.objects.filter(pk__in=agency_ids).update(posted_count=Coalesce(Subquery(counts), 0))


@contextmanager
def invalidation_held(*slugs: str):
    """For bulk writes (an import's batch of fifty agreements, the sweep's expirations): what the signals see is
    noted, without a query per row, and invalidated once when the block ends, with these districts (which may be
    none: the signals name the districts). Per thread, so other work goes on as before."""
    pending = _pending()
    pending.depth += 1
    try:
        yield
    finally:
        pending.depth -= 1
        if not pending.depth:
            changes, noted = pending.changes, pending.slugs | set(slugs)
            pending.changes, pending.slugs = [], set()
            _apply(changes, noted)
        else:
            pending.slugs.update(slugs)


def held() -> bool:
    """Inside `invalidation_held`: the changes are noted and invalidated at the end."""
    return _pending().depth > 0


# --- what a statewide page shows ---------------------------------------------------------------------------------


def shows(*slugs: str) -> None:
    """The statewide page being built shows these districts' agreements: it goes stale when one of them changes."""
    stack = getattr(_held, "shown", None)
    if stack:
        stack[-1].update(slugs)


@contextmanager
def _showing():
    stack = _held.__dict__.setdefault("shown", [])
    stack.append(set())
    try:
        yield stack[-1]
    finally:
        stack.pop()


def _key(scope: str, name: str, parts) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"public:page:{scope}:{version(scope)}:{translation.get_language()}:{name}:{digest}"


def cached(scope: str, name: str, parts, build):
    """`build()`'s value, from the cache when the page was built before for this version and language; for the
    statewide scope, also while none of the districts it shows changed."""
    if scope == STATEWIDE:
        return _cached_statewide(name, parts, build)
    try:
        key = _key(scope, name, parts)
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


def _cached_statewide(name, parts, build):
    try:
        key = _key(STATEWIDE, name, parts)
        entry = cache.get(key)
        if entry is not None and _versions(entry["versions"]) == entry["versions"]:
            return entry["value"]
    except Exception:
        logger.exception("The cache is not available; building %s without it", name)
        return build()
    with _showing() as shown:
        value = build()
    try:
        # Read after the build: a change committed meanwhile is bumped again on commit, so never served as new.
        cache.set(key, {"value": value, "versions": _versions(sorted(shown))}, TIMEOUT)
    except Exception:
        logger.exception("Could not cache %s", name)
    return value
