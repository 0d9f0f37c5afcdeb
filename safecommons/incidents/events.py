"""The incident timeline: append an event (stored first), and the one JSON shape every watcher receives.

`incident_event_append` (or `incident_events_append`, for several) is the only way an event is written. It
takes the next number from `EventSequence` as the last step of the caller's transaction, and hands the
event to the broadcast only after that transaction commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from safecommons.incidents.framewriter import text_frame
from safecommons.incidents.models import EventSequence, Incident, IncidentEvent, IncidentType

# The events an alarm center's status feed carries (the rest of the timeline stays between operator and police).
STATUS_FEED_KINDS = frozenset({IncidentEvent.Kind.OPENED, IncidentEvent.Kind.STATUS, IncidentEvent.Kind.ASSIGNED,
                               IncidentEvent.Kind.ALARM, IncidentEvent.Kind.CANCEL_REQUESTED,
                               IncidentEvent.Kind.WITHDRAWN, IncidentEvent.Kind.OUTCOME})


@dataclass(frozen=True)
class Envelope:
    """An event on its way to watchers: who may see it, and the text they are sent (serialised once)."""

    seq: int
    incident_id: int
    agency_id: int
    company_id: int
    kind: str
    text: str

    @cached_property
    def message(self) -> dict[str, Any]:
        """The ASGI message that sends the text to a connection: made once, for every watcher."""
        return {"type": "websocket.send", "text": self.text}

    @cached_property
    def data(self) -> bytes:
        """The text as a frame carries it: encoded once, for every watcher."""
        return self.text.encode()

    @cached_property
    def frame(self) -> bytes:
        """The websocket frame that carries it (`framewriter.py`): made once, for every watcher."""
        return text_frame(self.data)

    def to_wire(self) -> str:
        return json.dumps({"seq": self.seq, "incident_id": self.incident_id, "agency_id": self.agency_id,
                           "company_id": self.company_id, "kind": self.kind, "text": self.text})

    @classmethod
    def from_wire(cls, raw: str | bytes) -> Envelope:
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class NewEvent:
    """One event to append (`incident_events_append`)."""

    incident: Incident
    kind: str
    side: str
    actor_user_id: int | None = None
    actor_label: str = ""
    text: str = ""
    data: dict[str, Any] | None = None
    at: datetime | None = None


def incident_event_append(
    *,
    incident: Incident,
    kind: str,
    side: str,
    actor_user_id: int | None = None,
    actor_label: str = "",
    text: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> IncidentEvent:
    """Append one event to the incident's timeline, and broadcast it once the transaction commits.

    Call it last in the transaction that changed the incident, after locking the incident's row
    (`select_for_update`) before changing it: the sequence row then stays locked only from here to the
    commit, numbers are handed out in the order the events become visible, and no two writers wait on each
    other in opposite order.
    """
    return incident_events_append([NewEvent(incident=incident, kind=kind, side=side, actor_user_id=actor_user_id,
                                            actor_label=actor_label, text=text, data=data, at=at)])[0]


def incident_events_append(new_events: Sequence[NewEvent]) -> list[IncidentEvent]:
    """Append several events (of one or more incidents) in one step: numbered in the order given, stored in
    one insert, broadcast in that order once the transaction commits. Same rules as `incident_event_append`."""
    if not new_events:
        return []
    now = timezone.now()
    events = [IncidentEvent(incident=new.incident, agency_id=new.incident.agency_id,
                            company_id=new.incident.company_id, kind=new.kind, side=new.side,
                            actor_id=new.actor_user_id, actor_label=new.actor_label[:200], text=new.text,
                            data=new.data or {}, created_at=new.at or now)
              for new in new_events]
    # From the number to the commit, every other writer of events waits: nothing in between but the insert.
    with transaction.atomic(savepoint=False):  # inside the caller's transaction: a failure here undoes it all
        first = _numbers_take(len(events))
        for n, event in enumerate(events):
            event.seq = first + n
        IncidentEvent.objects.bulk_create(events)

    def publish() -> None:
        from safecommons.incidents import broadcast

        with translation.override(settings.LANGUAGE_CODE):
            broadcast.publish(*(_envelope(event, new.incident) for event, new in zip(events, new_events, strict=True)))

    transaction.on_commit(publish, robust=True)
    return events


def _numbers_take(count: int) -> int:
    """The first of `count` new event numbers. One statement moves the counter on and locks its row until
    the transaction ends (PostgreSQL and SQLite both return the new value; SQLite from 3.35).

    On PostgreSQL the transaction's foreign keys are checked first (they are otherwise checked at the
    commit, with the counter locked: longer, and waiting there on rows other writers hold)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute('UPDATE "incidents_eventsequence" SET "last_seq" = "last_seq" + %s WHERE "id" = 1 '
                       'RETURNING "last_seq"', [count])
        row = cursor.fetchone()
    if row is None:  # the migration makes the row; a flushed test database has lost it
        EventSequence.objects.get_or_create(pk=1)
        return _numbers_take(count)
    return row[0] - count + 1


def envelope_for(event: IncidentEvent, incident: Incident) -> Envelope:
    """The event as every watcher receives it. Serialised once for all of them, so its labels are in the
    site's default language whoever posted it; pages show their own labels for the codes (`live_labels`)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _envelope(event, incident)


def _envelope(event: IncidentEvent, incident: Incident) -> Envelope:
    """`envelope_for`, in the language active now."""
    payload = {"type": "incident.event", "event": event_payload(event), "incident": incident_summary(incident)}
    return Envelope(seq=event.seq, incident_id=incident.pk, agency_id=incident.agency_id,
                    company_id=incident.company_id, kind=event.kind, text=json.dumps(payload))


def event_payload(event: IncidentEvent) -> dict[str, Any]:
    return {
        "id": event.seq,
        "incident_id": event.incident_id,
        "kind": event.kind,
        "kind_label": str(IncidentEvent.Kind(event.kind).label),
        "side": event.side,
        "actor": event.actor_label,
        "text": event.text,
        "data": event.data,
        "at": event.created_at.isoformat(),
    }


def incident_summary(incident: Incident) -> dict[str, Any]:
    """What the live board shows of an incident in its list and on its map."""
    return {
        "id": incident.pk,
        "url": reverse("incidents:detail", args=[incident.pk]),
        "type": incident.type,
        "type_label": str(incident.get_type_display()),
        "source": incident.source,
        "status": incident.status,
        "status_label": str(incident.get_status_display()),
        "disposition": incident.disposition,
        "priority": incident.priority,
        "verification": incident.verification,
        "verified": incident.verification != "unverified",
        "weapons": bool(incident.weapons),
        "persons_at_risk": incident.persons_at_risk,
        "suspect_count": incident.suspect_count,
        "vehicle_count": len(incident.vehicles or []),
        "address": incident.address,
        "latitude": incident.latitude,
        "longitude": incident.longitude,
        "company": incident.company.name if incident.company_id else "",
        "assigned_unit": incident.assigned_unit,
        "alarm_count": incident.alarm_count,
        "received_at": incident.received_at.isoformat() if incident.received_at else None,
    }


def live_labels() -> dict[str, dict[str, str]]:
    """The labels of the codes live messages carry, in the current language, for a page to show."""
    return {
        "kinds": {kind.value: str(kind.label) for kind in IncidentEvent.Kind},
        "sides": {side.value: str(side.label) for side in IncidentEvent.Side},
        "statuses": {status.value: str(status.label) for status in Incident.Status},
        "types": {kind.value: str(kind.label) for kind in IncidentType},
    }
