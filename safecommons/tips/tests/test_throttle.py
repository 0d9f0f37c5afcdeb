"""The throttle's client key: a keyed hash of the network the request came from, never the address."""

from django.test import RequestFactory

from safecommons.tips import throttle


def key(settings, remote: str, forwarded: str = "", proxies: int = 0) -> str:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/tips/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    return throttle.client_key(request)


def test_the_key_is_a_hash_not_the_address(settings):
    value = key(settings, "203.0.113.7")
    assert "203.0.113" not in value and len(value) == 32 and set(value) <= set("0123456789abcdef")
    assert value == key(settings, "203.0.113.7") != key(settings, "203.0.113.8")


def test_forwarded_for_is_ignored_unless_our_proxies_are_declared(settings):
    assert key(settings, "10.0.0.1", "203.0.113.7") == key(settings, "10.0.0.1", "198.51.100.9")
    behind_one = key(settings, "10.0.0.1", "198.51.100.9, 203.0.113.7", proxies=1)
    assert behind_one == key(settings, "203.0.113.7")
    assert behind_one != key(settings, "10.0.0.1", "203.0.113.7, 198.51.100.9", proxies=1)


def test_an_ipv6_household_counts_as_one(settings):
    assert key(settings, "2001:db8:1:2::1") == key(settings, "2001:db8:1:2:ffff::9")
    assert key(settings, "2001:db8:1:2::1") != key(settings, "2001:db8:1:3::1")


def test_the_hash_key_changes_when_it_expires_from_the_cache(settings):
    from django.core.cache import cache

    before = key(settings, "203.0.113.7")
    cache.delete("tips:throttle:salt")
    assert key(settings, "203.0.113.7") == before  # this process keeps its copy for up to a minute
    throttle.forget_local_key()
    assert key(settings, "203.0.113.7") != before
