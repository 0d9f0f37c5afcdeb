"""Live incidents over HTTP, the operator's side: hand one over, keep police updated, attach snapshots,
withdraw; and the reads both sides share (the list, one incident, its timeline). People only (a browser
session): alarm centers use the alarm routes with their API key."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from safecommons.core.api import SESSION_ONLY, request_actor
from safecommons.incidents.events import event_payload
from safecommons.incidents.models import Incident, IncidentType, Snapshot, Verification
from safecommons.incidents.selectors import incidents as incident_selectors
from safecommons.incidents.services import operator as operator_services
from safecommons.partners.models import Organisation, Site

router = Router(tags=["incidents"])


# --- Shapes shared with the police routes


class SuspectIn(Schema):
    description: str


class VehicleIn(Schema):
    make: str = ""
    model: str = ""
    colour: str = ""
    plate: str = ""
    direction: str = ""


class IncidentOut(Schema):
    id: int
    url: str
    agency_id: int
    agency: str
    company_id: int
    company: str
    source: str
    type: str
    type_label: str
    verification: str
    status: str
    status_label: str
    priority: int
    weapons: str
    persons_at_risk: bool
    suspect_count: int
    vehicle_count: int
    address: str
    latitude: float | None
    longitude: float | None
    assigned_unit: str
    disposition: str
    outcome_summary: str
    withdrawn_reason: str
    received_at: datetime
    acknowledged_at: datetime | None
    dispatched_at: datetime | None
    on_scene_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_url(obj: Incident) -> str:
        return reverse("incidents:detail", args=[obj.pk])

    @staticmethod
    def resolve_agency(obj: Incident) -> str:
        return obj.agency.name

    @staticmethod
    def resolve_company(obj: Incident) -> str:
        return obj.company.name

    @staticmethod
    def resolve_type_label(obj: Incident) -> str:
        return str(obj.get_type_display())

    @staticmethod
    def resolve_status_label(obj: Incident) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_vehicle_count(obj: Incident) -> int:
        return len(obj.vehicles or [])


class VehicleOut(Schema):
    make: str = ""
    model: str = ""
    colour: str = ""
    plate: str = ""
    direction: str = ""


class SnapshotOut(Schema):
    id: int
    url: str
    caption: str
    created_at: datetime

    @staticmethod
    def resolve_url(obj: Snapshot) -> str:
        return reverse("incidents:snapshot", args=[obj.incident_id, obj.pk])


class IncidentDetailOut(IncidentOut):
    site_id: int | None
    site: str
    summary: str
    suspects: list[SuspectIn]
    vehicles: list[VehicleOut]
    camera_refs: list[str]
    callback_phone: str
    snapshots: list[SnapshotOut]
    last_event_id: int

    @staticmethod
    def resolve_site(obj: Incident) -> str:
        return obj.site.name if obj.site_id else ""

    @staticmethod
    def resolve_snapshots(obj: Incident) -> list[Snapshot]:
        return list(obj.snapshots.all())

    @staticmethod
    def resolve_last_event_id(obj: Incident) -> int:
        last = obj.events.order_by("-seq").values_list("seq", flat=True).first()
        return last or 0


class EventOut(Schema):
    """One timeline entry, in the shape the websocket sends it (`event` of an incident.event message)."""

    id: int
    incident_id: int
    kind: str
    kind_label: str
    side: str
    actor: str
    text: str
    data: dict[str, Any]
    at: datetime


# --- Input


class IncidentIn(Schema):
    agency_id: int
    type: IncidentType
    verification: Verification
    site_id: int | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    summary: str = ""
    suspect_count: int = 0
    suspects: list[SuspectIn] = []
    weapons: str = ""
    vehicles: list[VehicleIn] = []
    persons_at_risk: bool = False
    camera_refs: list[str] = []
    callback_phone: str = ""


class UpdateIn(Schema):
    kind: Literal["observation", "movement", "suspect", "vehicle"]
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    heading_deg: float | None = None
    speed_kmh: float | None = None
    suspect: SuspectIn | None = None
    vehicle: VehicleIn | None = None
    weapons: str | None = None
    persons_at_risk: bool | None = None
    verification: Verification | None = None


class WithdrawIn(Schema):
    reason: str


# --- Reads both sides share


@router.get("/incidents", response=list[IncidentOut], auth=SESSION_ONLY)
def incident_list(request, state: Literal["open", "closed", "all"] = "open"):
    """The incidents you work: your agency's (police) or your company's (operators). Open first."""
    actor = request_actor(request)
    return incident_selectors.incidents_listed(actor=actor, state=state)


@router.get("/incidents/{incident_id}", response=IncidentDetailOut, auth=SESSION_ONLY)
def incident_detail(request, incident_id: int):
    """One incident with its suspects, vehicles, camera references and snapshots. Each read is audited."""
    actor = request_actor(request)
    return incident_selectors.incident_get(actor=actor, incident_id=incident_id)


@router.get("/incidents/{incident_id}/events", response=list[EventOut], auth=SESSION_ONLY)
def incident_event_list(request, incident_id: int, after: int = 0):
    """The timeline after event `after` (the last id you have; 0 for all), oldest first: the same entries the
    websocket `ws/incidents/?incident=ID` pushes."""
    actor = request_actor(request)
    incident = incident_selectors.incident_get(actor=actor, incident_id=incident_id)
    return [event_payload(event) for event in incident_selectors.incident_events(actor=actor, incident=incident,
                                                                                 after=after)[:1000]]


# --- The operator's writes


@router.post("/incidents", response={201: IncidentOut}, auth=SESSION_ONLY)
def incident_create(request, payload: IncidentIn):
    """Hand a live incident to an agency your company has an agreement in force with (alarm events scope).
    Give a client site, a point or an address."""
    actor = request_actor(request)
    agency = get_object_or_404(Organisation, pk=payload.agency_id)
    site = get_object_or_404(Site, pk=payload.site_id) if payload.site_id is not None else None
    fields = payload.dict(exclude={"agency_id", "site_id"})
    incident = operator_services.incident_open(actor=actor, agency=agency, site=site, **fields)
    return Status(201, incident)


@router.post("/incidents/{incident_id}/updates", response={201: EventOut}, auth=SESSION_ONLY)
def incident_update(request, incident_id: int, payload: UpdateIn):
    """Keep police updated: an observation, a movement ping (latitude, longitude, heading_deg, speed_kmh), a
    suspect or a vehicle; any of them may also change weapons, persons_at_risk or verification."""
    event = operator_services.incident_update_post(actor=request_actor(request), incident_id=incident_id,
                                                   **payload.dict())
    return Status(201, event_payload(event))


@router.post("/incidents/{incident_id}/snapshots", response={201: SnapshotOut}, auth=SESSION_ONLY)
def incident_snapshot(request, incident_id: int, image: File[UploadedFile], caption: Form[str] = ""):
    """Attach a still image (JPEG, PNG or WebP, at most 10 MB); it is stored without its metadata."""
    actor = request_actor(request)
    incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id, rule="incident.update")
    snapshot = operator_services.incident_snapshot_attach(actor=actor, incident=incident, image_file=image,
                                                          caption=caption)
    return Status(201, snapshot)


@router.post("/incidents/{incident_id}/withdraw", response=IncidentOut, auth=SESSION_ONLY)
def incident_withdraw(request, incident_id: int, payload: WithdrawIn):
    """Take the incident back, with the reason: it closes as withdrawn."""
    actor = request_actor(request)
    incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id, rule="incident.update")
    return operator_services.incident_withdraw(actor=actor, incident=incident, reason=payload.reason)
