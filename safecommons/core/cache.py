"""The Redis cache, with one connection pool and client per server for the whole process.

Django's own backend builds a client for every operation and, under ASGI (where each request gets its
own cache object), a new connection pool and connection for every request. Ours shares them.
"""

from __future__ import annotations

import threading

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedRedisCacheClient(RedisCacheClient):
    _clients: dict[str, object] = {}
    _lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        server = self._servers[self._get_connection_pool_index(write)]
        client = self._clients.get(server)
        if client is None:
            with self._lock:
                client = self._clients.get(server)
                if client is None:
                    pool = self._pool_class.from_url(server, **self._pool_options)
                    client = self._clients[server] = self._client(connection_pool=pool)
        return client


class SharedRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedRedisCacheClient


def count_in_window(key: str, *, seconds: int, alias: str = "default") -> int:
    """Add one to a counter that starts when first counted and lasts `seconds`; returns the new count.
    One round trip on Redis (INCR, and EXPIRE only when the counter is new); add/incr elsewhere."""
    cache = caches[alias]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        full_key = cache.make_and_validate_key(key)
        pipeline = client.pipeline()
        pipeline.incr(full_key)
        pipeline.expire(full_key, seconds, nx=True)
        count, _expiry_set = pipeline.execute()
        return int(count)
    if cache.add(key, 1, timeout=seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return 1


def count_read(key: str, alias: str = "default") -> int:
    """The current count of a `count_in_window` counter (0 if none)."""
    cache = caches[alias]
    if isinstance(cache, RedisCache):
        value = cache._cache.get_client().get(cache.make_and_validate_key(key))
        return int(value) if value is not None else 0
    return cache.get(key, 0)
