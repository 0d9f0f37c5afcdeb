"""Who may watch which part of the incident stream, decided once when a connection opens."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from safecommons.core.audit.services import audit_record
from safecommons.core.permissions import (
    INCIDENT_POLICE_ROLES,
    Actor,
    actor_for_api_key,
    actor_for_user,
    incident_companies,
    may,
    require,
    require_scope,
)
from safecommons.incidents.broadcast import WatchScope
from safecommons.incidents.events import STATUS_FEED_KINDS
from safecommons.incidents.models import Incident


def watch_scope_for(*, actor: Actor, incident_id: int | None = None) -> WatchScope:
    """The events `actor` may receive live: one incident's (its page), or all of their agencies' incidents
    (police: the live board) or companies' incidents (operators: the console). Opening a watch is audited:
    it shows incident details as they come."""
    if incident_id is not None:
        incident = Incident.objects.get(pk=incident_id)
        require(actor, "incident.view", incident)
        police = may(actor, "incident.dispatch", incident)
        scope = WatchScope(agency_ids=frozenset({incident.agency_id}) if police else frozenset(),
                           company_ids=frozenset() if police else frozenset({incident.company_id}),
                           incident_id=incident.pk)
        audit_record(action="incident.watch", actor=actor, target=incident)
        return scope
    agency_ids = frozenset(actor.organisation_ids(INCIDENT_POLICE_ROLES)) if actor.api_key_id is None else frozenset()
    company_ids = frozenset(incident_companies(actor))
    if not agency_ids and not company_ids:
        raise PermissionDenied("live incidents are for police and monitoring operators")
    audit_record(action="incident.board.watch", actor=actor,
                 details={"agencies": sorted(agency_ids), "companies": sorted(company_ids)})
    return WatchScope(agency_ids=agency_ids, company_ids=company_ids)


def watch_scope_for_user(*, user: Any, incident_id: int | None = None) -> WatchScope:
    return watch_scope_for(actor=actor_for_user(user), incident_id=incident_id)


def watch_scope_for_api_key(*, authorization: str) -> WatchScope:
    """An alarm center's status feed: the status events of its own company's incidents."""
    from safecommons.partners.services import api_key_authenticate

    scheme, _, token = authorization.partition(" ")
    api_key = api_key_authenticate(presented=token.strip()) if scheme.lower() == "bearer" else None
    if api_key is None:
        raise PermissionDenied("an API key is required")
    actor = actor_for_api_key(api_key)
    require_scope(actor, "alarms:write")
    require(actor, "alarm.submit")
    return WatchScope(company_ids=frozenset({api_key.organisation_id}), kinds=STATUS_FEED_KINDS)
