"""Live incidents over HTTP, the police side: acknowledge, assign a unit, move the status forward, close with
an outcome; and the messages either side posts. People only (a browser session)."""

from __future__ import annotations

from typing import Literal

from ninja import Router, Schema, Status

from safecommons.core.api import SESSION_ONLY, request_actor
from safecommons.incidents.api.operator import EventOut, IncidentOut
from safecommons.incidents.events import event_payload
from safecommons.incidents.models import Disposition
from safecommons.incidents.selectors import incidents as incident_selectors
from safecommons.incidents.services import police as police_services

router = Router(tags=["incidents"])


class AssignIn(Schema):
    unit: str


class StatusIn(Schema):
    status: Literal["acknowledged", "dispatched", "on_scene"]


class CloseIn(Schema):
    disposition: Disposition
    outcome_summary: str


class MessageIn(Schema):
    text: str


@router.post("/incidents/{incident_id}/acknowledge", response=IncidentOut, auth=SESSION_ONLY)
def incident_acknowledge(request, incident_id: int):
    """Take the incident in (officers and supervisors of the agency). The body, if any, is ignored."""
    actor = request_actor(request)
    incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id, rule="incident.dispatch")
    return police_services.incident_acknowledge(actor=actor, incident=incident)


@router.post("/incidents/{incident_id}/assign", response=IncidentOut, auth=SESSION_ONLY)
def incident_assign(request, incident_id: int, payload: AssignIn):
    """Name the unit sent (a call sign); an incident not yet dispatched becomes dispatched."""
    actor = request_actor(request)
    incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id, rule="incident.dispatch")
    return police_services.incident_assign(actor=actor, incident=incident, unit=payload.unit)


@router.post("/incidents/{incident_id}/status", response=IncidentOut, auth=SESSION_ONLY)
def incident_status(request, incident_id: int, payload: StatusIn):
    """Move the status forward: acknowledged → dispatched → on_scene (never back)."""
    actor = request_actor(request)
    incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id, rule="incident.dispatch")
    return police_services.incident_status_set(actor=actor, incident=incident, status=payload.status)


@router.post("/incidents/{incident_id}/close", response=IncidentOut, auth=SESSION_ONLY)
def incident_close(request, incident_id: int, payload: CloseIn):
    """Close with a disposition and an outcome summary; the company sees it on its console and by email."""
    actor = request_actor(request)
    incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id, rule="incident.dispatch")
    return police_services.incident_close(actor=actor, incident=incident, disposition=payload.disposition,
                                          outcome_summary=payload.outcome_summary)


@router.post("/incidents/{incident_id}/messages", response={201: EventOut}, auth=SESSION_ONLY)
def incident_message(request, incident_id: int, payload: MessageIn):
    """A message on the timeline, from police or from the company's operators, while the incident is open."""
    actor = request_actor(request)
    incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id, rule="incident.message")
    event = police_services.incident_message_post(actor=actor, incident=incident, text=payload.text)
    return Status(201, event_payload(event))
