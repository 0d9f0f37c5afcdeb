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
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from safecommons.core.cache import count_in_window, count_read

WINDOW_SECONDS = 60 * 60
_SALT_KEY = "tips:throttle:salt"


def client_key(request: HttpRequest) -> str:
    """A short-lived, unlinkable stand-in for the client's address (the address itself is not kept)."""
    return hmac.new(_salt().encode(), _client_network(request).encode(), hashlib.sha256).hexdigest()[:32]


def _salt() -> str:
    """The hash key all processes share through the cache. A process keeps its copy for a minute at most,
    so a key that expired from the cache is out of use a minute later everywhere."""
    now = time.monotonic()
    if _local["salt"] is None or _local["until"] < now:
        salt = cache.get(_SALT_KEY)
        if salt is None:
            cache.add(_SALT_KEY, secrets.token_hex(32), timeout=WINDOW_SECONDS)
            salt = cache.get(_SALT_KEY) or secrets.token_hex(32)
        _local.update(salt=salt, until=now + 60)
    return _local["salt"]


_local: dict = {"salt": None, "until": 0.0}


def forget_local_key() -> None:
    """Drop this process's copy of the hash key (tests empty the cache between cases)."""
    _local.update(salt=None, until=0.0)


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
    return count_read(_count_key(bucket, key))


def hit(bucket: str, key: str, *, seconds: int = WINDOW_SECONDS) -> int:
    """Count one event; returns the count in the current window."""
    return count_in_window(_count_key(bucket, key), seconds=seconds)


def reset(bucket: str, key: str) -> None:
    cache.delete(_count_key(bucket, key))


# --- Sending a form twice (a reload of the receipt page posts the tip again)

def submission_claim(token: str, *, seconds: int = WINDOW_SECONDS) -> bool:
    """True the first time a form's one-off token is seen; False for a repeat within the hour."""
    return cache.add(_submission_key(token), 1, timeout=seconds)


def submission_release(token: str) -> None:
    """The submission failed: the same form may be sent again."""
    cache.delete(_submission_key(token))


def _submission_key(token: str) -> str:
    return "tips:sent:" + hashlib.sha256(token.encode()).hexdigest()[:32]
