"""The cache (Redis) that an outage of Redis does not turn into an error page (issue 15, point 2).

Nothing the portal keeps only in the cache is needed to answer a page: sessions are in the database, the public pages
are rebuilt from it, and the rate-limit counters can be lost. So when Redis does not answer, each cache call fails
open instead of raising: a read finds nothing, a write is dropped, `add` says it added (see below), `incr` says the
key is not there (ValueError, as for any missing key). After a failure Redis is not tried again for `RETRY_AFTER`
seconds in this process, so that a page makes no more than one attempt and an outage where connecting hangs costs a
page at most the short connect timeout (settings.CACHES OPTIONS), not one per cache call. One warning is logged per
outage and process, and one when Redis answers again.

`add` answers True while Redis is down, because its callers use it as a lock or a first count: allauth's rate limits
wait up to a second for a lock (`cache.add`) and then refuse the sign-in with a 429, which locked everyone out
(issue 15); django-ratelimit starts a count with it; allauth's TOTP check records a used code with it (a code stays
checked, only its replay within its 30 s is not refused during the outage). So while the cache is down the rate
limits are skipped, and the log says so: the decision is in the README, "Faults survived".
"""

import logging
import threading
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

# Seconds without trying Redis after a failure (per process and Redis address).
RETRY_AFTER = 5.0
ERRORS = (redis.RedisError, OSError)

_state_lock = threading.Lock()
_down_until: dict[str, float] = {}  # location -> time.monotonic() until which Redis is not tried


class ClientPerPool(RedisCacheClient):
    """Django's Redis client makes a redis.Redis for every cache call, whose constructor fills a table of some 170
    reply handlers: a quarter of a millisecond each, a millisecond of a public page's 5 (profiled at a million
    agreements). One redis.Redis per connection pool serves every call: it holds no connection itself (each command
    takes one from the pool), so threads may share it as they share the pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # connection pool -> its redis.Redis

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        if pool not in self._clients:
            self._clients[pool] = self._client(connection_pool=pool)
        return self._clients[pool]


class FailOpenRedisCache(RedisCache):
    """Django's RedisCache, failing open while Redis is unreachable (module docstring), with ClientPerPool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ClientPerPool

    @property
    def _location(self) -> str:
        return ",".join(self._servers)

    @property
    def down(self) -> bool:
        """Whether this process found Redis unreachable within the last `RETRY_AFTER` seconds."""
        return _down_until.get(self._location, 0.0) > time.monotonic()

    def ping(self) -> None:
        """Ask Redis directly (for /healthz), past the pause after a failure; raises if it does not answer."""
        self._cache.get_client(write=True).ping()
        self._recovered()

    def _call(self, operation: str, fallback, call):
        if self.down:
            return fallback
        try:
            result = call()
        except ERRORS as error:
            with _state_lock:
                first = _down_until.get(self._location) is None
                _down_until[self._location] = time.monotonic() + RETRY_AFTER
            if first:
                logger.warning(
                    "The cache (Redis) is unavailable (%s: %s): %s and every cache call fail open until it is back; "
                    "rate limits are not applied meanwhile",
                    type(error).__name__,
                    error,
                    operation,
                )
            return fallback
        if _down_until.get(self._location) is not None:
            self._recovered()
        return result

    def _recovered(self) -> None:
        with _state_lock:
            was_down = _down_until.pop(self._location, None) is not None
        if was_down:
            logger.warning("The cache (Redis) answers again")

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", True, lambda: super(FailOpenRedisCache, self).add(key, value, timeout, version))

    def get(self, key, default=None, version=None):
        return self._call("get", default, lambda: super(FailOpenRedisCache, self).get(key, default, version))

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, lambda: super(FailOpenRedisCache, self).set(key, value, timeout, version))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, lambda: super(FailOpenRedisCache, self).touch(key, timeout, version))

    def delete(self, key, version=None):
        return self._call("delete", False, lambda: super(FailOpenRedisCache, self).delete(key, version))

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, lambda: super(FailOpenRedisCache, self).get_many(keys, version))

    def has_key(self, key, version=None):
        return self._call("has_key", False, lambda: super(FailOpenRedisCache, self).has_key(key, version))

    def incr(self, key, delta=1, version=None):
        missing = object()
        result = self._call("incr", missing, lambda: super(FailOpenRedisCache, self).incr(key, delta, version))
        if result is missing:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", [], lambda: super(FailOpenRedisCache, self).set_many(data, timeout, version))

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, lambda: super(FailOpenRedisCache, self).delete_many(keys, version))

    def clear(self):
        return self._call("clear", False, lambda: super(FailOpenRedisCache, self).clear())
