"""Reading live incidents, scoped to the actor: police see their agencies' incidents, operators their
companies'. Reading one incident's details is audited as part of the read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from safecommons.core.audit.services import audit_record
from safecommons.core.permissions import Actor, incident_agencies, incident_companies, may, require
from safecommons.incidents.models import AlarmPermit, Incident, IncidentEvent, Snapshot
from safecommons.partners.models import Organisation, OrganisationKind, Scope, Site
from safecommons.partners.selectors import partners_in_force_with, recipients_granted

STATES = ("open", "closed", "all")
CLOSED_SHOWN = 100  # closed incidents listed on the console


def incidents_visible(*, actor: Actor, state: str = "open") -> QuerySet[Incident]:
    """The incidents the actor works: their agencies' (police) and their companies' (operators), open first,
    then by priority and time received. `state` is open, closed or all. Refused to anyone else."""
    if not (may(actor, "incident.board") or may(actor, "incident.console")):
        raise PermissionDenied("incident.list")
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}")
    scope = Q(agency_id__in=incident_agencies(actor)) | Q(company_id__in=incident_companies(actor))
    incidents = Incident.objects.filter(scope).select_related("agency", "company")
    if state == "open":
        incidents = incidents.exclude(status=Incident.Status.CLOSED)
    elif state == "closed":
        incidents = incidents.filter(status=Incident.Status.CLOSED)
    is_closed = Case(When(status=Incident.Status.CLOSED, then=Value(1)), default=Value(0),
                     output_field=IntegerField())
    return incidents.annotate(is_closed=is_closed).order_by("is_closed", "-priority", "-received_at")


def incidents_listed(*, actor: Actor, state: str = "open", limit: int = 500) -> list[Incident]:
    """`incidents_visible`, read: a list shows details (weapons, outcomes), so which incidents it showed to
    whom is audited ("incident.list")."""
    incidents = list(incidents_visible(actor=actor, state=state)[:limit])
    incidents_list_audit(actor=actor, incidents=incidents, where="api")
    return incidents


def incidents_list_audit(*, actor: Actor, incidents: list[Incident], where: str) -> None:
    """One audit entry naming the incidents a list (the API, the console, the board) showed to the actor."""
    audit_record(action="incident.list", actor=actor, details={"where": where,
                                                                "incidents": [incident.pk for incident in incidents]})


def incidents_console(*, actor: Actor) -> tuple[list[Incident], list[Incident]]:
    """An operator's console: their companies' open incidents (most urgent first), and the latest closed ones
    with their outcome. Audited as a list."""
    require(actor, "incident.console")
    incidents = Incident.objects.filter(company_id__in=incident_companies(actor)).select_related("agency", "company")
    open_incidents = list(incidents.exclude(status=Incident.Status.CLOSED).order_by("-priority", "-received_at"))
    closed = list(incidents.filter(status=Incident.Status.CLOSED).order_by("-closed_at")[:CLOSED_SHOWN])
    incidents_list_audit(actor=actor, incidents=open_incidents + closed, where="console")
    return open_incidents, closed


def incident_get(*, actor: Actor, incident_id: int, reason: str = "") -> Incident:
    """One incident, for police of its agency or operators of its company (DoesNotExist / PermissionDenied
    otherwise). The read itself is audited ("incident.view"): every look at a live incident's details is on
    the record, so callers must not read it another way."""
    incident = Incident.objects.select_related("agency", "company", "site", "opened_by").get(pk=incident_id)
    require(actor, "incident.view", incident)
    audit_record(action="incident.view", actor=actor, target=incident, reason=reason,
                 organisation=_acting_organisation(actor, incident))
    return incident


def incident_for_action(*, actor: Actor, incident_id: int, rule: str) -> Incident:
    """One incident, loaded for the actor to act on it under `rule` (incident.update, incident.dispatch,
    incident.message), which is checked here first and again by the service on the locked row. Not audited
    as a read: what the actor does goes on the timeline, with their name."""
    incident = Incident.objects.get(pk=incident_id)  # the services read its agency and company with the lock
    require(actor, "incident.view", incident)
    require(actor, rule, incident)
    return incident


def _acting_organisation(actor: Actor, incident: Incident) -> Organisation:
    return incident.agency if may(actor, "incident.dispatch", incident) else incident.company


def incident_events(*, actor: Actor, incident: Incident, after: int = 0) -> QuerySet[IncidentEvent]:
    """The incident's timeline after event `after` (0: all of it), in order."""
    require(actor, "incident.view", incident)
    return incident.events.filter(seq__gt=after).order_by("seq")


def incident_snapshot_get(*, actor: Actor, incident_id: int, snapshot_id: int) -> Snapshot:
    """One snapshot of an incident the actor may view; each look at it is audited."""
    snapshot = Snapshot.objects.select_related("incident__agency", "incident__company").get(
        pk=snapshot_id, incident_id=incident_id)
    require(actor, "incident.view", snapshot.incident)
    audit_record(action="incident.snapshot.view", actor=actor, target=snapshot.incident,
                 organisation=_acting_organisation(actor, snapshot.incident), details={"snapshot": snapshot.pk})
    return snapshot


@dataclass(frozen=True)
class IncidentPage:
    """Everything the incident's page shows, and which of its forms the actor gets."""

    incident: Incident
    events: list[IncidentEvent]
    snapshots: list[Snapshot]
    path: list[list[float]] = field(default_factory=list)  # [lat, lon] of the point, then each movement ping
    last_event_id: int = 0
    is_police: bool = False
    can_update: bool = False
    can_message: bool = False

    @property
    def map_data(self) -> dict[str, Any]:
        point = ([self.incident.latitude, self.incident.longitude]
                 if self.incident.latitude is not None and self.incident.longitude is not None else None)
        return {"point": point, "path": self.path}


def incident_page(*, actor: Actor, incident_id: int) -> IncidentPage:
    """The incident's page for one of the two sides (audited like every read of its details)."""
    incident = incident_get(actor=actor, incident_id=incident_id)
    events = list(incident_events(actor=actor, incident=incident))
    path = [[incident.latitude, incident.longitude]] if incident.latitude is not None else []
    for event in events:
        movement = event.data.get("movement") if event.kind == IncidentEvent.Kind.MOVEMENT else None
        if movement:
            path.append([movement["latitude"], movement["longitude"]])
    return IncidentPage(
        incident=incident, events=events, snapshots=list(incident.snapshots.all()), path=path,
        last_event_id=events[-1].seq if events else 0, is_police=may(actor, "incident.dispatch", incident),
        can_update=may(actor, "incident.update", incident), can_message=may(actor, "incident.message", incident),
    )


# --- The handoff form's choices


def handoff_agencies(*, actor: Actor) -> QuerySet[Organisation]:
    """The agencies an agreement in force lets one of the actor's security companies hand incidents to."""
    require(actor, "incident.console")
    recipients = Q(pk__in=[])
    for company_id in incident_companies(actor):
        recipients |= Q(pk__in=recipients_granted(scope=Scope.ALARM_EVENTS, provider_id=company_id).values("pk"))
    return Organisation.objects.filter(recipients, kind=OrganisationKind.AGENCY).order_by("name")


def handoff_sites(*, actor: Actor) -> QuerySet[Site]:
    """The sites the actor's companies may hand an incident over at (`company_handoff_sites`)."""
    require(actor, "incident.console")
    return company_handoff_sites(incident_companies(actor))


def company_handoff_sites(company_ids: set[int]) -> QuerySet[Site]:
    """The sites security companies may hand an incident over at: their own, their clients' under an agreement
    in force, and the sites they monitor under an active alarm permit (most clients of a monitoring company
    have a permit with police, not an agreement on this platform)."""
    organisations = company_ids | partners_in_force_with(company_ids)
    monitored = AlarmPermit.objects.filter(monitoring_company_id__in=company_ids, is_active=True,
                                           site__isnull=False).values("site_id")
    return (Site.objects.filter(Q(organisation_id__in=organisations) | Q(pk__in=monitored))
            .exclude(organisation__kind=OrganisationKind.AGENCY)
            .select_related("organisation").order_by("organisation__name", "name"))
