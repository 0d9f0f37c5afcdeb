"""The live board: what police of an agency see of its incidents at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from safecommons.core.permissions import Actor, incident_agencies, require
from safecommons.incidents.broadcast import latest_seq
from safecommons.incidents.events import incident_summary
from safecommons.incidents.models import Incident
from safecommons.incidents.selectors.incidents import incidents_list_audit

RECENTLY_CLOSED = timedelta(hours=2)  # closed incidents stay on the board this long, greyed


@dataclass(frozen=True)
class BoardState:
    incidents: list[dict[str, Any]]
    last_event_id: int  # the page's live connection resumes from here


def board_state(*, actor: Actor) -> BoardState:
    """Open incidents of the actor's agencies, and those closed in the last two hours, most urgent first
    (audited as a list).

    The event id is read before the incidents, so that anything that changes in between comes again over
    the live connection (the board applies an incident's newest summary whichever way it arrives)."""
    require(actor, "incident.board")
    last_event_id = latest_seq()
    since = timezone.now() - RECENTLY_CLOSED
    incidents = (Incident.objects.filter(agency_id__in=incident_agencies(actor))
                 .filter(~Q(status=Incident.Status.CLOSED) | Q(closed_at__gte=since))
                 .select_related("company").order_by("-priority", "-received_at")[:500])
    incidents = list(incidents)
    incidents_list_audit(actor=actor, incidents=incidents, where="board")
    return BoardState(incidents=[incident_summary(incident) for incident in incidents], last_event_id=last_event_id)
