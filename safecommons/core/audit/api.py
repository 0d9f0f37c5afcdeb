from datetime import date, datetime

from ninja import Query, Router, Schema

from safecommons.core.api import SESSION_ONLY, request_actor
from safecommons.core.audit.selectors import audit_search
from safecommons.core.audit.services import audit_chain_verify
from safecommons.core.permissions import require

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    seq: int
    created_at: datetime
    actor_label: str
    role: str
    organisation_label: str
    action: str
    object_type: str
    object_id: str
    reason: str
    outcome: str
    details: dict
    entry_hash: str
    prev_hash: str


class AuditFilters(Schema):
    text: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""
    since: date | None = None
    until: date | None = None
    limit: int = 100


class ChainOut(Schema):
    ok: bool
    checked: int
    first_broken_seq: int | None
    problem: str


@router.get("/entries", response=list[AuditEntryOut], auth=SESSION_ONLY)
def entries(request, filters: Query[AuditFilters]):
    """Search the audit trail (oversight: all entries; agency admin: their agency's)."""
    data = filters.dict()
    limit = max(1, min(data.pop("limit"), 1000))
    return list(audit_search(actor=request_actor(request), **data)[:limit])


@router.get("/verify", response=ChainOut, auth=SESSION_ONLY)
def verify(request):
    """Recompute the hash chain and name the first broken entry, if any."""
    require(request_actor(request), "audit.verify")
    report = audit_chain_verify()
    return ChainOut(ok=report.ok, checked=report.checked, first_broken_seq=report.first_broken_seq,
                    problem=report.problem)
