"""Canvasses over HTTP: open one, list them, read one with its ranked cameras, send footage requests.

Officers and supervisors only, in a signed-in session: an API key never canvasses (core/permissions.py).
"""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import BaseModel

from safecommons.cameras.models import Canvass, Offense
from safecommons.cameras.selectors import canvass as canvass_selectors
from safecommons.cameras.services import canvass as canvass_services
from safecommons.core.api import SESSION_ONLY, request_actor

router = Router(tags=["cameras"])
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class CanvassIn(Schema):
    case_number: str
    offense: Offense
    reason: str
    longitude: float
    latitude: float
    radius_m: float = 0
    window_start: datetime
    window_end: datetime
    agency_id: int | None = None  # None: the officer's only agency


class CanvassSummaryOut(Schema):
    id: int
    agency_id: int
    agency: str
    case_number: str
    offense: str
    reason: str
    longitude: float
    latitude: float
    radius_m: float
    window_start: datetime
    window_end: datetime
    created_at: datetime


class CanvassResultOut(BaseModel):
    """A camera the canvass found. `approximate`: the position is its block's centre, the distance is
    rounded and the bearing withheld, because the owner did not share the exact position.

    A plain pydantic model, not a ninja Schema: a canvass can list a thousand cameras, and validating plain
    dicts this way costs a fraction of a Schema's attribute lookups."""

    camera_id: int
    rank: int
    distance_m: float
    off_axis_deg: float | None
    longitude: float
    latitude: float
    approximate: bool
    bearing_deg: float | None
    fov_deg: float
    range_m: float
    placement: str
    owner_kind: str
    retention_days: int
    preserve_by: datetime
    retention_left_hours: float
    request_status: str
    owner_name: str
    owner_contact: str


class RequestOut(BaseModel):
    id: int
    camera_id: int
    status: str
    sent_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    answer_note: str
    owner_name: str
    owner_contact: str


class CanvassOut(CanvassSummaryOut):
    results: list[CanvassResultOut]  # best view first, at most `limit` of them
    total_results: int
    requests: list[RequestOut]


class RequestsIn(Schema):
    camera_ids: list[int]


class RequestSentOut(Schema):
    id: int
    camera_id: int
    expires_at: datetime


class RequestsSentOut(Schema):
    sent: list[RequestSentOut]
    skipped: list[int]


def _summary(canvass: Canvass) -> dict:
    fields = {name: getattr(canvass, name) for name in CanvassSummaryOut.model_fields if name != "agency"}
    return {**fields, "agency": canvass.agency.name}


def _canvass_out(actor, canvass: Canvass, limit: int) -> dict:
    sent = list(canvass_selectors.canvass_requests(canvass))
    results, total = canvass_selectors.canvass_results_page(actor=actor, canvass=canvass, requests=sent,
                                                             limit=max(1, min(limit, MAX_LIMIT)))
    requests = canvass_selectors.footage_requests_for_canvass(actor=actor, canvass=canvass, requests=sent)
    return {
        **_summary(canvass),
        "results": [{**{name: getattr(row, name) for name in CanvassResultOut.model_fields
                        if name != "retention_left_hours"},
                     "retention_left_hours": round(row.retention_left.total_seconds() / 3600, 1)}
                    for row in results],
        "total_results": total,
        "requests": [{name: getattr(row, name) for name in RequestOut.model_fields} for row in requests],
    }


@router.post("/canvasses", response={201: CanvassOut}, auth=SESSION_ONLY)
def canvass_create(request, payload: CanvassIn, limit: int = DEFAULT_LIMIT):
    """Open a canvass: the cameras that may have seen a point (or a disc of up to 200 m) during a time window,
    under a case number and a reason. Owners whose footage is about to be overwritten are told."""
    actor = request_actor(request)
    agency = canvass_selectors.canvass_agency(actor=actor, agency_id=payload.agency_id)
    canvass = canvass_services.canvass_open(
        actor=actor, agency=agency, case_number=payload.case_number, offense=payload.offense, reason=payload.reason,
        longitude=payload.longitude, latitude=payload.latitude, radius_m=payload.radius_m,
        window_start=payload.window_start, window_end=payload.window_end)
    return Status(201, _canvass_out(actor, canvass, limit))


@router.get("/canvasses", response=list[CanvassSummaryOut], auth=SESSION_ONLY)
def canvass_list(request):
    """The canvasses you opened (a supervisor: all of the agency's), newest first."""
    return [_summary(canvass) for canvass in canvass_selectors.canvasses_for(actor=request_actor(request))[:200]]


@router.get("/canvasses/{canvass_id}", response=CanvassOut, auth=SESSION_ONLY)
def canvass_detail(request, canvass_id: int, limit: int = DEFAULT_LIMIT):
    """One canvass with its cameras ranked best view first (the first `limit`, up to 1,000; `total_results`
    says how many there are), and the requests sent from it."""
    actor = request_actor(request)
    return _canvass_out(actor, canvass_selectors.canvass_get(actor=actor, canvass_id=canvass_id), limit)


@router.post("/canvasses/{canvass_id}/requests", response={201: RequestsSentOut}, auth=SESSION_ONLY)
def canvass_requests_send(request, canvass_id: int, payload: RequestsIn):
    """Ask the owners of some of the canvass's cameras for their footage. All or nothing: a camera that is not
    among the results refuses the whole request; cameras already asked are skipped."""
    actor = request_actor(request)
    canvass = canvass_selectors.canvass_get(actor=actor, canvass_id=canvass_id)
    report = canvass_services.footage_requests_send(actor=actor, canvass=canvass, camera_ids=payload.camera_ids)
    return Status(201, RequestsSentOut(
        sent=[RequestSentOut(id=r.pk, camera_id=r.camera_id, expires_at=r.expires_at) for r in report.sent],
        skipped=report.skipped))
