"""How urgent an incident is, for the order of the live board: persons at risk, weapons seen and a verified
incident come first (in that order of weight), then the kind of incident."""

from __future__ import annotations

from safecommons.incidents.models import Incident, IncidentType, Verification

TYPE_WEIGHT = {
    IncidentType.SHOTS_FIRED: 60, IncidentType.ROBBERY: 50, IncidentType.HOLDUP_ALARM: 50,
    IncidentType.BREAK_IN: 40, IncidentType.FIRE: 40, IncidentType.MEDICAL: 40, IncidentType.VEHICLE_THEFT: 25,
    IncidentType.BURGLAR_ALARM: 20, IncidentType.TRESPASS: 15, IncidentType.VANDALISM: 10, IncidentType.OTHER: 10,
}


def incident_priority(incident: Incident) -> int:
    """A number; higher is more urgent. Each flag outweighs all that follow it together."""
    return ((400 if incident.persons_at_risk else 0)
            + (200 if incident.weapons else 0)
            + (100 if incident.verification != Verification.UNVERIFIED else 0)
            + TYPE_WEIGHT.get(incident.type, 10))
