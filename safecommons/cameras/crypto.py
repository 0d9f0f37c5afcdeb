"""Stream addresses at rest. A live stream's URL often carries its password (rtsp://user:pass@host/…), so
the database holds only a Fernet token of it (AES-128-CBC with an HMAC-SHA256; authenticated, so a
token altered in the database fails to open rather than opening to something else).

The key is `settings.LIVE_STREAM_KEY` (a Fernet key: `Fernet.generate_key()`), or, when that is empty, one
derived from SECRET_KEY with HKDF-SHA256 under a name of its own, so that it differs from every other use
of SECRET_KEY. Rotating SECRET_KEY without setting LIVE_STREAM_KEY makes the stored addresses unreadable:
the grants must then be made again.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HKDF_SALT = b"safecommons.cameras.live"
HKDF_INFO = b"live stream address at rest, v1"


@lru_cache(maxsize=4)
def _fernet(configured_key: str, secret_key: str) -> Fernet:
    if configured_key:
        try:
            return Fernet(configured_key.encode())
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured("LIVE_STREAM_KEY must be a Fernet key (32 bytes, url-safe base64)") from exc
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet() -> Fernet:
    """The cipher for the current settings (read at each call, so a test or a reload can change them)."""
    return _fernet(settings.LIVE_STREAM_KEY or "", settings.SECRET_KEY)


def stream_url_encrypt(url: str) -> str:
    """The token to store for a stream URL."""
    return fernet().encrypt(url.encode()).decode("ascii")


def stream_url_decrypt(token: str) -> str:
    """The stream URL back from its token; ValueError if the token was altered or made under another key."""
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise ValueError("the stream address cannot be decrypted with the current key") from None
