"""Abuse control that never learns who anyone is.

A client is counted under a keyed hash of its network address. The key is random, lives only in the
cache and expires after an hour, so yesterday's counts cannot be tied to an address even by someone
holding the code, the database and the cache. Nothing here is written to the database or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 60 * 60
_SALT_KEY = "tips:throttle:salt"


def client_key(request: HttpRequest) -> str:
    """A short-lived, unlinkable stand-in for the client's address (the address itself is not kept)."""
    salt = cache.get(_SALT_KEY)
    if salt is None:
        cache.add(_SALT_KEY, secrets.token_hex(32), timeout=WINDOW_SECONDS)
        salt = cache.get(_SALT_KEY) or secrets.token_hex(32)
    return hmac.new(salt.encode(), _client_network(request).encode(), hashlib.sha256).hexdigest()[:32]


def _client_network(request: HttpRequest) -> str:
    """The connection's address, or the one our own proxies saw (TRUSTED_PROXY_COUNT of them append to
    X-Forwarded-For); an IPv6 client as its /64, since one household holds the whole /64."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TRUSTED_PROXY_COUNT:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= settings.TRUSTED_PROXY_COUNT:
            address = forwarded[-settings.TRUSTED_PROXY_COUNT]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _count_key(bucket: str, key: str) -> str:
    return f"tips:throttle:{bucket}:{key}"


def hits(bucket: str, key: str) -> int:
    return cache.get(_count_key(bucket, key), 0)


def hit(bucket: str, key: str, *, seconds: int = WINDOW_SECONDS) -> int:
    """Count one event; returns the count in the current window."""
    cache_key = _count_key(bucket, key)
    if cache.add(cache_key, 1, timeout=seconds):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=seconds)
        return 1


def reset(bucket: str, key: str) -> None:
    cache.delete(_count_key(bucket, key))
