"""The VAPID key pair web push is signed with. Browsers get the public key (applicationServerKey) when they
subscribe; the sender signs every push with the private key. Both must stay the same for as long as the
browsers' subscriptions live, so a generated key is kept on disk, never regenerated."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from py_vapid import Vapid02, b64urlencode


def _load(text: str) -> ec.EllipticCurvePrivateKey:
    text = text.strip()
    try:
        if "-----BEGIN" in text:
            return serialization.load_pem_private_key(text.encode(), password=None)
        return Vapid02.from_string(text).private_key  # the raw 32-byte value or DER, base64url
    except Exception as exc:  # noqa: BLE001 (any parse failure is the same misconfiguration)
        raise ImproperlyConfigured(f"VAPID_PRIVATE_KEY is not a P-256 private key: {exc}") from None


def _key_file():
    return settings.VAR_DIR / "vapid_private_key.pem"


@functools.cache
def _private_key() -> ec.EllipticCurvePrivateKey:
    if settings.VAPID_PRIVATE_KEY:
        return _load(settings.VAPID_PRIVATE_KEY)
    path = _key_file()
    if path.exists():
        return _load(path.read_text())
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return key


def vapid_private_key() -> str:
    """The private key as the raw base64url value, the form pywebpush's `vapid_private_key` accepts."""
    value = _private_key().private_numbers().private_value
    return b64urlencode(value.to_bytes(32, "big"))


def vapid_public_key() -> str:
    """The public key as a base64url uncompressed point: the browser's `applicationServerKey`."""
    point = _private_key().public_key().public_bytes(serialization.Encoding.X962,
                                                      serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(point)


def forget() -> None:
    """Drop the cached key (tests that change VAPID_PRIVATE_KEY or VAR_DIR)."""
    _private_key.cache_clear()
