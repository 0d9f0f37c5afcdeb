"""Who may watch which part of the incident stream, decided once when a connection opens."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from safecommons.core.audit.services import audit_record
from safecommons.core.permissions import (
    Actor,
    actor_for_api_key,
    actor_for_user,
    incident_agencies,
    incident_companies,
    may,
    require,
    require_scope,
)
from safecommons.incidents.broadcast import WatchScope
from safecommons.incidents.events import STATUS_FEED_KINDS
from safecommons.incidents.models import Incident


def watch_scope_for(*, actor: Actor, incident_id: int | None = None, after: int | None = None,
                    audit: bool = True) -> WatchScope:
    """The events `actor` may receive live: one incident's (its page), or all of their agencies' incidents
    (police: the live board) or companies' incidents (operators: the console). Opening a watch is audited
    with the event id it replays from: with the scope, that names exactly the events it was sent."""
    if incident_id is not None:
        incident = Incident.objects.get(pk=incident_id)
        require(actor, "incident.view", incident)
        police = may(actor, "incident.dispatch", incident)
        scope = WatchScope(agency_ids=frozenset({incident.agency_id}) if police else frozenset(),
                           company_ids=frozenset() if police else frozenset({incident.company_id}),
                           incident_id=incident.pk)
        if audit:
            audit_record(action="incident.watch", actor=actor, target=incident, details={"after": after})
        return scope
    agency_ids = frozenset(incident_agencies(actor))
    company_ids = frozenset(incident_companies(actor))
    if not agency_ids and not company_ids:
        raise PermissionDenied("live incidents are for police and monitoring operators")
    if audit:
        audit_record(action="incident.board.watch", actor=actor,
                     details={"agencies": sorted(agency_ids), "companies": sorted(company_ids), "after": after})
    return WatchScope(agency_ids=agency_ids, company_ids=company_ids)


def watch_scope_for_user(*, user: Any, session: Any, incident_id: int | None = None,
                         after: int | None = None) -> WatchScope:
    """As `watch_scope_for`, for a browser's websocket: the session must pass the same staff policy as a
    page would (second factor, idle limit), which the HTTP middleware cannot check here."""
    from safecommons.accounts.services import session_passes_staff_policy

    if user is None or not session_passes_staff_policy(user=user, session=session):
        raise PermissionDenied("sign in again")
    return watch_scope_for(actor=actor_for_user(user), incident_id=incident_id, after=after)


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


def watch_scope_current(*, user_id: int, incident_id: int | None = None) -> WatchScope | None:
    """What the person may watch now (memberships and agreements change while a board stays open); None when
    nothing any more. Not audited: it re-checks a watch already opened."""
    from safecommons.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    try:
        return watch_scope_for(actor=actor_for_user(user), incident_id=incident_id, audit=False)
    except (PermissionDenied, Incident.DoesNotExist):
        return None
