from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import Actor, require
from safecommons.core.roles import Role


def audit_search(
    *,
    actor: Actor,
    text: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    outcome: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    """Search the trail. Oversight sees everything; an agency admin sees entries of their own agency."""
    require(actor, "audit.search")
    qs = AuditEntry.objects.all()
    if not actor.holds({Role.OVERSIGHT}):
        qs = qs.filter(organisation_id__in=actor.organisation_ids({Role.AGENCY_ADMIN}))
    if text:
        qs = qs.filter(Q(actor_label__icontains=text) | Q(reason__icontains=text) | Q(action__icontains=text))
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs.order_by("-seq")
