"""The tipster's receipt: a code and a passphrase, both random, neither kept in a form anyone can read back.

- The tip code carries 130 bits of randomness; only its SHA-256 is stored, so a database copy does not
  give anyone a way in, and staff never see it.
- The passphrase carries 108 bits; only an Argon2id hash is stored. Its strength comes from its
  randomness, not from the hash's work factor, so the parameters are set for a busy tip line rather
  than for human-chosen passwords (see docs/tips.md).
- The payout code for a reward is made and stored the same way as the tip code.
"""

from __future__ import annotations

import hashlib
import secrets

import argon2

# Crockford's base-32 alphabet: no I, L, O or U to misread; those letters are read as 1, 1, 0 and V.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LENGTH = 26  # 26 x 5 bits = 130 bits
_MISREAD = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})

# Lower-case letters without the easily confused i, l, o: 23 symbols, 24 of them ≈ 108 bits.
_PASSPHRASE_ALPHABET = "abcdefghjkmnpqrstuvwxyz"  # noqa: S105 (an alphabet, not a password)
_PASSPHRASE_LENGTH = 24

# 108 random bits cannot be guessed, however cheap each guess: the work factor is not what protects the
# passphrase, so it is set low (about 0.2 ms) and a surge of tips is not slowed by it.
_hasher = argon2.PasswordHasher(time_cost=2, memory_cost=256, parallelism=1, type=argon2.Type.ID)
# Verified against when a code is unknown, so an unknown code and a wrong passphrase cost the same.
_DECOY_HASH = _hasher.hash(secrets.token_hex(16))


def _grouped(text: str, size: int = 4) -> str:
    return "-".join(text[i:i + size] for i in range(0, len(text), size))


def code_new() -> str:
    return _grouped("".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH)))


def passphrase_new() -> str:
    return _grouped("".join(secrets.choice(_PASSPHRASE_ALPHABET) for _ in range(_PASSPHRASE_LENGTH)))


def code_normalize(code: str) -> str:
    """What the person typed, read generously: any case, spaces or dashes, misread letters."""
    return "".join(ch for ch in code.upper().translate(_MISREAD) if ch in _CODE_ALPHABET)


def code_digest(code: str) -> str:
    return hashlib.sha256(code_normalize(code).encode()).hexdigest()


def passphrase_normalize(passphrase: str) -> str:
    return "".join(ch for ch in passphrase.lower() if ch.isalnum())


def passphrase_hash(passphrase: str) -> str:
    return _hasher.hash(passphrase_normalize(passphrase))


def passphrase_matches(stored_hash: str | None, passphrase: str) -> bool:
    """Constant work whether or not there is a stored hash to check against."""
    try:
        return _hasher.verify(stored_hash or _DECOY_HASH, passphrase_normalize(passphrase)) and stored_hash is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def reference_new() -> str:
    """The staff-facing reference: random (no counter to contend on), short enough to read out."""
    return "T-" + _grouped("".join(secrets.choice(_CODE_ALPHABET) for _ in range(8)))
