"""Reading the alarm exchange: a center's stored answers and its status feed, and the false-alarm
statistics police and monitoring companies look at to bring false dispatches down."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from safecommons.core.permissions import ALARM_STATS_ROLES, Actor, incident_companies, require, require_scope
from safecommons.incidents.events import STATUS_FEED_KINDS, event_payload
from safecommons.incidents.models import AlarmEvent, AlarmPermit, Disposition, Incident, IncidentEvent
from safecommons.partners.models import Organisation

SCOPE = "alarms:write"
FEED_LIMIT_DEFAULT = 100
FEED_LIMIT_MAX = 1000


def center_company_id(actor: Actor) -> int:
    """The security company whose alarm center is calling (its API key with the alarms:write scope)."""
    require_scope(actor, SCOPE)
    require(actor, "alarm.submit")
    return actor.memberships[0].organisation_id


def alarm_event_for_center(*, actor: Actor, event_id: str) -> AlarmEvent:
    """One of the center's own events with its stored answer and incident (DoesNotExist for anyone else's)."""
    company_id = center_company_id(actor)
    return AlarmEvent.objects.select_related("incident").get(company_id=company_id, event_id=event_id.strip())


@dataclass(frozen=True)
class StatusFeed:
    events: list[dict[str, Any]]
    last_event_id: int


def alarm_status_feed(*, actor: Actor, after: int = 0, limit: int = FEED_LIMIT_DEFAULT) -> StatusFeed:
    """The status events (opened, status changes, unit assigned, another alarm, cancellation asked,
    withdrawn, outcome) of the center's company's incidents after event `after`, oldest first, at most
    `limit`. Each carries the incident's status now and the center's event ids joined to it; poll again
    from `last_event_id`."""
    company_id = center_company_id(actor)
    limit = max(1, min(limit, FEED_LIMIT_MAX))
    events = list(IncidentEvent.objects.filter(company_id=company_id, kind__in=STATUS_FEED_KINDS, seq__gt=max(after, 0))
                  .select_related("incident").order_by("seq")[:limit])
    event_ids: dict[int, list[str]] = defaultdict(list)
    incident_ids = {event.incident_id for event in events}
    if incident_ids:
        for incident_id, event_id in (AlarmEvent.objects.filter(company_id=company_id, incident_id__in=incident_ids)
                                      .order_by("received_at", "pk").values_list("incident_id", "event_id")):
            event_ids[incident_id].append(event_id)
    return StatusFeed(
        events=[{**event_payload(event), "status": event.incident.status, "disposition": event.incident.disposition,
                 "assigned_unit": event.incident.assigned_unit, "event_ids": event_ids[event.incident_id]}
                for event in events],
        last_event_id=events[-1].seq if events else max(after, 0),
    )


# --- False-alarm statistics


@dataclass
class AlarmCounts:
    """Alarm events by answer, and what became of the incidents they opened."""

    received: int = 0
    joined: int = 0  # duplicates: later alarms joined to an incident still open
    rejected: int = 0
    incidents: int = 0
    dispatched: int = 0
    false_alarms: int = 0  # closed by police as a false alarm
    cancelled: int = 0  # called off by the company before police were on the way
    closed: int = 0

    @property
    def false_alarm_rate(self) -> float | None:
        """False alarms among the closed incidents (None while none is closed)."""
        return self.false_alarms / self.closed if self.closed else None

    def add(self, other: AlarmCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SiteRow:
    permit: AlarmPermit
    counts: AlarmCounts = field(default_factory=AlarmCounts)


@dataclass
class CompanyRow:
    company: Organisation
    counts: AlarmCounts = field(default_factory=AlarmCounts)


@dataclass(frozen=True)
class AlarmStatistics:
    since: datetime
    sites: list[SiteRow]  # most false alarms first
    companies: list[CompanyRow]
    totals: AlarmCounts


_EVENT_COUNTS = {
    "received": Count("pk"),
    "joined": Count("pk", filter=Q(outcome=AlarmEvent.Outcome.JOINED)),
    "rejected": Count("pk", filter=Q(outcome=AlarmEvent.Outcome.REJECTED)),
}
_INCIDENT_COUNTS = {
    "incidents": Count("pk"),
    "dispatched": Count("pk", filter=Q(dispatched_at__isnull=False)),
    "false_alarms": Count("pk", filter=Q(disposition=Disposition.FALSE_ALARM)),
    # called off by the company: by its alarm center (CANCELLED) or by an operator on the page (WITHDRAWN)
    "cancelled": Count("pk", filter=Q(disposition__in=(Disposition.CANCELLED, Disposition.WITHDRAWN))),
    "closed": Count("pk", filter=Q(status=Incident.Status.CLOSED)),
}


def _counted(rows, key: str, into: dict[int, AlarmCounts]) -> None:
    for row in rows:
        counts = into.setdefault(row.pop(key), AlarmCounts())
        for name, value in row.items():
            setattr(counts, name, value)


def alarm_statistics(*, actor: Actor, since: datetime) -> AlarmStatistics:
    """Alarms since `since` per site (alarm permit) and per monitoring company: received, joined as
    duplicates, rejected, incidents opened, dispatched, false alarms, cancelled by the company, and the
    false-alarm rate of the closed incidents. Police and analysts see their agencies' alarms; a monitoring
    company's staff see their own company's only."""
    require(actor, "alarm.stats")
    agency_ids = actor.organisation_ids(ALARM_STATS_ROLES)
    company_ids = incident_companies(actor)
    alarm_events = AlarmEvent.objects.filter(Q(permit__agency_id__in=agency_ids) | Q(company_id__in=company_ids),
                                             received_at__gte=since)
    incidents = Incident.objects.filter(Q(agency_id__in=agency_ids) | Q(company_id__in=company_ids),
                                        source=Incident.Source.ALARM, received_at__gte=since)

    by_permit: dict[int, AlarmCounts] = {}
    _counted(alarm_events.filter(permit__isnull=False).values("permit_id").annotate(**_EVENT_COUNTS).order_by(),
             "permit_id", by_permit)
    _counted(incidents.filter(alarm_permit__isnull=False).values("alarm_permit_id").annotate(**_INCIDENT_COUNTS)
             .order_by(), "alarm_permit_id", by_permit)
    by_company: dict[int, AlarmCounts] = {}
    _counted(alarm_events.values("company_id").annotate(**_EVENT_COUNTS).order_by(), "company_id", by_company)
    _counted(incidents.values("company_id").annotate(**_INCIDENT_COUNTS).order_by(), "company_id", by_company)

    permits = AlarmPermit.objects.select_related("agency", "monitoring_company").in_bulk(by_permit)
    companies = Organisation.objects.in_bulk(by_company)
    sites = sorted((SiteRow(permit=permits[pk], counts=counts) for pk, counts in by_permit.items()),
                   key=lambda row: (-row.counts.false_alarms, -row.counts.received, row.permit.number))
    company_rows = sorted((CompanyRow(company=companies[pk], counts=counts) for pk, counts in by_company.items()),
                          key=lambda row: (-row.counts.false_alarms, row.company.name))
    totals = AlarmCounts()
    for row in company_rows:
        totals.add(row.counts)
    return AlarmStatistics(since=since, sites=sites, companies=company_rows, totals=totals)
