"""How an entry's hash is made. Changing this breaks every existing chain: don't."""

import hashlib
import json

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "role",
    "organisation_id",
    "organisation_label",
    "action",
    "object_type",
    "object_id",
    "reason",
    "outcome",
    "details",
    "prev_hash",
)


def entry_hash(values: dict) -> str:
    """SHA-256 over a canonical JSON rendering of an entry's fields and its predecessor's hash."""
    record = {name: values[name] for name in HASHED_FIELDS}
    record["created_at"] = values["created_at"].isoformat(timespec="microseconds")
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
