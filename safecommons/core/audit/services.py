"""Writing to the audit trail. Every sensitive action and read calls `audit_record`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from safecommons.core.audit.chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from safecommons.core.audit.models import AuditChainHead, AuditEntry

if TYPE_CHECKING:
    from safecommons.core.permissions import Actor


def audit_record(
    *,
    action: str,
    actor: Actor | None = None,
    actor_label: str = "",
    role: str = "",
    organisation: models.Model | None = None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    reason: str = "",
    outcome: str = AuditEntry.Outcome.OK,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain. The chain head is locked so entries get consecutive numbers.

    `actor` fills in who, in which role and organisation, unless given explicitly; `target` fills in
    the object's type and id.
    """
    if actor is not None and not actor.is_anonymous:
        actor_label = actor_label or actor.label
        membership = actor.primary_membership
        if membership and not role:
            role = membership.role
        if membership and organisation is None:
            organisation_id, organisation_label = membership.organisation_id, membership.organisation_name
        else:
            organisation_id, organisation_label = _organisation_ref(organisation)
        actor_id = actor.user_id
    else:
        actor_id = None
        organisation_id, organisation_label = _organisation_ref(organisation)
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or target.pk

    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1, last_seq=0, last_hash=GENESIS_HASH)
        values = {
            "seq": head.last_seq + 1,
            "created_at": datetime.now(UTC),
            "actor_id": actor_id,
            "actor_label": actor_label[:254],
            "role": str(role),
            "organisation_id": organisation_id,
            "organisation_label": organisation_label[:200],
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "reason": reason[:500],
            "outcome": str(outcome),
            "details": details or {},
            "prev_hash": head.last_hash,
        }
        entry = AuditEntry.objects.create(entry_hash=entry_hash(values), **values)
        head.last_seq, head.last_hash = entry.seq, entry.entry_hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


def _organisation_ref(organisation: models.Model | None) -> tuple[int | None, str]:
    if organisation is None:
        return None, ""
    return organisation.pk, str(organisation)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_seq: int | None
    problem: str

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None and not self.problem


def audit_chain_verify(*, progress=None) -> ChainReport:
    """Recompute every hash in order; name the first entry whose hash, link or number is wrong."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    fields = ["entry_hash", *HASHED_FIELDS]
    for row in AuditEntry.objects.order_by("seq").values(*fields).iterator(chunk_size=2000):
        created = row["created_at"]
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        row["created_at"] = created.astimezone(UTC)
        if row["seq"] != expected_seq:
            return ChainReport(checked, expected_seq, f"entry #{expected_seq} is missing")
        if row["prev_hash"] != expected_prev:
            return ChainReport(checked, row["seq"], f"entry #{row['seq']} does not link to the entry before it")
        if entry_hash(row) != row["entry_hash"]:
            return ChainReport(checked, row["seq"], f"entry #{row['seq']} was altered after it was written")
        expected_prev = row["entry_hash"]
        expected_seq += 1
        checked += 1
        if progress:
            progress(1)
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and (head.last_seq != checked or head.last_hash != expected_prev):
        return ChainReport(checked, checked + 1, f"entries after #{checked} were removed")
    return ChainReport(checked, None, "")

