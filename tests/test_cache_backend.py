"""The cache backend's Redis client (dpa_portal/cache_backend.py): one redis.Redis per connection pool, not one per
cache call (Django's client makes one per call, a quarter of a millisecond each). Its failing open is
tests/test_faults_redis.py's."""

import threading

from django.conf import settings

from dpa_portal.cache_backend import ClientPerPool, FailOpenRedisCache


def test_one_client_serves_every_call_and_every_thread():
    backend = ClientPerPool([settings.CACHES["default"]["LOCATION"]])
    first = backend.get_client()
    assert backend.get_client(write=True) is first and backend.get_client("any key") is first
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(backend.get_client())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(client is first for client in seen)
    backend.set("cache-backend-test", {"n": 1}, 60)
    assert backend.get("cache-backend-test", None) == {"n": 1}
    backend.delete("cache-backend-test")


def test_the_portals_cache_uses_it():
    cache = FailOpenRedisCache(settings.CACHES["default"]["LOCATION"], {})
    assert vars(cache)["_class"] is ClientPerPool  # the client class RedisCache instantiates
    cache.set("cache-backend-test", "kept", 60)
    assert cache.get("cache-backend-test") == "kept"
    assert cache.delete("cache-backend-test")
    assert cache.get("cache-backend-test") is None
