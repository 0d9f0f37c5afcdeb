"""The alarm-center exchange over HTTP (docs/alarms.md). Centers call with their company's API key holding
the `alarms:write` scope, and only with it: no browser session sends or reads alarm events. The false-alarm
statistics are for people signed in (police, analysts, the company's staff)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from safecommons.core.api import SESSION_ONLY, api_key_auth, request_actor
from safecommons.incidents.api.operator import EventOut
from safecommons.incidents.models import AlarmEvent, Verification
from safecommons.incidents.selectors import alarms as alarm_selectors
from safecommons.incidents.services import alarms as alarm_services

router = Router(tags=["incidents"])
KEY_ONLY = [api_key_auth]
SCOPE = alarm_selectors.SCOPE
# An event id goes into URLs (/alarms/{event_id}): letters, digits and . _ : - only.
EVENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"


class AlarmIn(Schema):
    event_id: str = Field(max_length=80, pattern=EVENT_ID_PATTERN)
    type: str = Field(min_length=1, max_length=20, description="BURG, HOLD, PANIC, DURESS, FIRE, MED, VEH, GUNSHOT")
    permit_number: str = Field(min_length=1, max_length=40)
    received_at: AwareDatetime = Field(description="When the center received the signal, with its time zone.")
    site_address: str = Field("", max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    zone: str = Field("", max_length=60)
    audible: bool = True
    callback_phone: str = Field("", max_length=40)
    verification: Verification = Verification.UNVERIFIED
    monitoring_center_ref: str = Field("", max_length=80)
    operator_ref: str = Field("", max_length=80)


class AnswerOut(Schema):
    event_id: str
    outcome: str = Field(description="accepted, joined or rejected")
    reason: str = Field(description="Why it was rejected: invalid_type, stale_event, unknown_site, no_agreement")
    detail: str
    incident_id: int | None
    status: str | None = Field(description="The incident's status now")
    replayed: bool = Field(description="True when this event id had been answered before")


class AlarmBatchIn(Schema):
    events: list[AlarmIn] = Field(min_length=1, max_length=alarm_services.BATCH_MAX,
                                  description=f"1 to {alarm_services.BATCH_MAX} alarm events, in the order they "
                                              "happened")


class BatchAnswerOut(AnswerOut):
    code: int = Field(description="The status the one-event endpoint answers: 201 accepted, 200 joined, 422 "
                                  "rejected")


class BatchOut(Schema):
    answers: list[BatchAnswerOut] = Field(description="One answer per event, in the order sent")


class CancelIn(Schema):
    reason: str = Field("", max_length=300)


class CancelOut(Schema):
    event_id: str
    outcome: str = Field(description="cancelled, cancel_requested or already_closed")
    incident_id: int
    status: str
    disposition: str


class AlarmEventOut(Schema):
    event_id: str
    outcome: str
    reason: str
    detail: str
    incident_id: int | None
    status: str | None
    disposition: str
    assigned_unit: str
    cancel_requested: bool
    event_received_at: datetime | None
    answered_at: datetime


class StatusEventOut(EventOut):
    """A timeline entry of the status feed, with where the incident stands after it."""

    status: str
    disposition: str
    assigned_unit: str
    event_ids: list[str]


class StatusFeedOut(Schema):
    events: list[StatusEventOut]
    last_event_id: int


class CountsOut(Schema):
    received: int
    joined: int
    rejected: int
    incidents: int
    dispatched: int
    false_alarms: int
    cancelled: int
    closed: int
    false_alarm_rate: float | None


class SiteOut(CountsOut):
    permit_id: int
    permit_number: str
    address: str
    agency: str
    company: str


class CompanyOut(CountsOut):
    company_id: int
    company: str


class StatisticsOut(Schema):
    since: datetime
    totals: CountsOut
    sites: list[SiteOut]
    companies: list[CompanyOut]


def _answer_out(answer: alarm_services.AlarmAnswer) -> dict[str, Any]:
    return {"event_id": answer.event_id, "outcome": answer.outcome, "reason": answer.reason,
            "detail": answer.detail, "incident_id": answer.incident.pk if answer.incident else None,
            "status": answer.incident.status if answer.incident else None, "replayed": answer.replayed}


def _counts(counts: alarm_selectors.AlarmCounts) -> dict[str, Any]:
    return {**counts.__dict__, "false_alarm_rate": counts.false_alarm_rate}


@router.post("/alarms", response={200: AnswerOut, 201: AnswerOut, 422: AnswerOut}, auth=KEY_ONLY)
def alarm_receive(request, payload: AlarmIn):
    """Send one alarm event. 201: accepted, a new incident; 200: joined to the incident still open at the
    same permit; 422 with `outcome: rejected` and a `reason`. Sending the same `event_id` again returns the
    first answer (same status code) and creates nothing."""
    actor = request_actor(request, SCOPE)
    answer = alarm_services.alarm_event_receive(actor=actor, **payload.dict(), payload=payload.model_dump(mode="json"))
    return Status(answer.status_code, _answer_out(answer))


@router.post("/alarm-batches", response=BatchOut, auth=KEY_ONLY)
def alarm_receive_batch(request, payload: AlarmBatchIn):
    """Send several alarm events in one request (a busy center, or one catching up after an outage). Each is
    answered as if sent alone, one after the other in the order given: a later event from the same permit
    joins the incident an earlier one opened, and an event id sent before (or twice here) gets its first
    answer. Answered 200 with one answer per event; an event that does not fit the schema refuses the whole
    batch (422, naming it), so nothing is half taken."""
    actor = request_actor(request, SCOPE)
    answers = alarm_services.alarm_events_receive(actor=actor, alarms=[
        alarm_services.AlarmIn(**event.dict(), payload=event.model_dump(mode="json")) for event in payload.events])
    return {"answers": [{**_answer_out(answer), "code": answer.status_code} for answer in answers]}


@router.get("/alarms/status", response=StatusFeedOut, auth=KEY_ONLY)
def alarm_status_feed(request, after: int = 0, limit: int = Query(alarm_selectors.FEED_LIMIT_DEFAULT, ge=1,
                                                                    le=alarm_selectors.FEED_LIMIT_MAX)):
    """What happened to your company's incidents after event `after` (dispatch, arrival, closing with the
    outcome, cancellations, further alarms), oldest first. Poll again with `after=last_event_id`."""
    feed = alarm_selectors.alarm_status_feed(actor=request_actor(request, SCOPE), after=after, limit=limit)
    return {"events": feed.events, "last_event_id": feed.last_event_id}


@router.get("/alarms/statistics", response=StatisticsOut, auth=SESSION_ONLY, url_name="alarm_statistics")
def alarm_statistics(request, days: int = Query(30, ge=1, le=366)):
    """Alarms and false alarms over the last `days` days, per site and per monitoring company: police see
    their agency's, a monitoring company's staff their own company's."""
    stats = alarm_selectors.alarm_statistics(actor=request_actor(request),
                                             since=timezone.now() - timedelta(days=days))
    return {
        "since": stats.since, "totals": _counts(stats.totals),
        "sites": [{**_counts(row.counts), "permit_id": row.permit.pk, "permit_number": row.permit.number,
                   "address": row.permit.address, "agency": row.permit.agency.name,
                   "company": row.permit.monitoring_company.name} for row in stats.sites],
        "companies": [{**_counts(row.counts), "company_id": row.company.pk, "company": row.company.name}
                      for row in stats.companies],
    }


@router.get("/alarms/{event_id}", response=AlarmEventOut, auth=KEY_ONLY)
def alarm_event_get(request, event_id: str):
    """The answer given to one of your events, and where its incident stands now."""
    alarm_event: AlarmEvent = alarm_selectors.alarm_event_for_center(actor=request_actor(request, SCOPE),
                                                                      event_id=event_id)
    incident = alarm_event.incident
    return {
        "event_id": alarm_event.event_id, "outcome": alarm_event.outcome, "reason": alarm_event.reason,
        "detail": alarm_event.detail, "incident_id": alarm_event.incident_id,
        "status": incident.status if incident else None, "disposition": incident.disposition if incident else "",
        "assigned_unit": incident.assigned_unit if incident else "",
        "cancel_requested": bool(incident and incident.cancel_requested_at),
        "event_received_at": alarm_event.event_received_at, "answered_at": alarm_event.received_at,
    }


@router.post("/alarms/{event_id}/cancel", response=CancelOut, auth=KEY_ONLY)
def alarm_cancel(request, event_id: str, payload: CancelIn | None = None):
    """Call off an alarm you sent. Before dispatch the incident is closed as cancelled; once police are on
    the way they are asked (`cancel_requested`) and decide; asking again gives the same answer."""
    answer = alarm_services.alarm_event_cancel(actor=request_actor(request, SCOPE), event_id=event_id,
                                               reason=payload.reason if payload else "")
    incident = answer.incident
    return {"event_id": answer.event_id, "outcome": answer.outcome, "incident_id": incident.pk,
            "status": incident.status, "disposition": incident.disposition}
