"""Reading canvasses: an officer's canvasses, the cameras a canvass finds, and the requests sent from it.

What an officer learns about a camera is limited by its owner's choices and by agreements:

- a resident's camera is found by any canvassing agency (registering it is consent to be asked);
- an organisation's camera only when an agreement in force grants the agency the footage-on-request scope;
- the exact position only when the owner opted in (``share_exact_location``); otherwise the centre of the
  H3 cell (resolution 9, a block or two) it stands in, the distance rounded to ``APPROXIMATE_DISTANCE_M``
  and no bearing, which together with the incident point would give the position away;
- never who owns it ("a resident", "a business or organisation"), until the owner approves a request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import h3
import numpy as np
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.cameras.index import camera_index, canvass_query
from safecommons.cameras.models import Camera, Canvass, FootageRequest
from safecommons.core.errors import Refused
from safecommons.core.permissions import CANVASS_ROLES, Actor, require
from safecommons.core.roles import Role
from safecommons.partners import selectors as partner_selectors
from safecommons.partners.models import Organisation, OrganisationKind, Scope

# An approximate camera's distance is given in bands this wide, and its angles not at all: with exact figures,
# a few canvasses around a block would pin down a camera whose owner kept its spot to themselves.
APPROXIMATE_DISTANCE_M = 100.0
# What a canvass reads of each camera it finds (the owner is loaded only for an approved request).
CAMERA_FIELDS = ("id", "owner_user_id", "owner_organisation_id", "longitude", "latitude", "bearing_deg", "fov_deg",
                 "range_m", "placement", "retention_days", "share_exact_location", "preferred_contact",
                 "coverage_cell", "status")
# A circle that holds a resolution-9 cell, drawn around its centre for a camera shown only approximately
# (the cells' mean edge, which is also the distance from centre to corner, is about 201 m).
APPROXIMATE_CIRCLE_M = 210.0


class OwnerKind:
    RESIDENT = "resident"
    ORGANISATION = "organisation"


def canvasses_for(*, actor: Actor) -> QuerySet[Canvass]:
    """The canvasses the actor opened, and, for a supervisor, every canvass of their agency; newest first."""
    require(actor, "canvass.list")
    mine = Q(officer_id=actor.user_id, agency_id__in=actor.organisation_ids(CANVASS_ROLES))
    supervised = Q(agency_id__in=actor.organisation_ids({Role.SUPERVISOR}))
    return Canvass.objects.filter(mine | supervised).select_related("agency", "officer")


def canvass_agencies(*, actor: Actor) -> QuerySet[Organisation]:
    """The agencies the actor may open a canvass for."""
    return Organisation.objects.filter(pk__in=actor.organisation_ids(CANVASS_ROLES), kind=OrganisationKind.AGENCY,
                                       ).order_by("name")


def canvass_agency(*, actor: Actor, agency_id: int | None) -> Organisation:
    """The agency a new canvass is for: the one named, or the actor's only one (Refused when unclear)."""
    agencies = canvass_agencies(actor=actor)
    if agency_id is not None:
        agency = agencies.filter(pk=agency_id).first()
        if agency is None:
            raise PermissionDenied("canvass.open")
        return agency
    found = list(agencies[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise PermissionDenied("canvass.open")
    raise Refused(_("You serve more than one agency: say which one this canvass is for."))


def canvass_get(*, actor: Actor, canvass_id: int) -> Canvass:
    """One canvass, for its officer or a supervisor of its agency (Canvass.DoesNotExist when there is none)."""
    canvass = Canvass.objects.select_related("agency", "officer").get(pk=canvass_id)
    require(actor, "canvass.view", canvass)
    return canvass


@dataclass(frozen=True)
class Sighted:
    """A camera a canvass found and the officer may see, with how it sees the incident."""

    camera: Camera
    rank: int  # 1 = best view
    distance_m: float
    off_axis_deg: float


@dataclass(frozen=True)
class CanvassRow:
    """One line of a canvass's results, as the officer may see it."""

    camera_id: int
    rank: int
    distance_m: float  # rounded up to a band of APPROXIMATE_DISTANCE_M when approximate
    off_axis_deg: float | None  # None when approximate
    longitude: float
    latitude: float
    approximate: bool  # the position is the centre of the camera's block, not the camera
    bearing_deg: float | None  # None when approximate
    fov_deg: float
    range_m: float
    placement: str
    owner_kind: str  # OwnerKind
    retention_days: int
    preserve_by: datetime  # footage of the start of the window is overwritten from then
    retention_left: timedelta  # until preserve_by; zero when that has passed
    request_status: str  # "" when not asked yet
    request_status_label: str
    owner_name: str  # "" unless the owner approved a request from this canvass
    owner_contact: str


def canvass_cameras(*, actor: Actor, canvass: Canvass, now: datetime | None = None,
                    limit: int | None = None) -> list[Sighted]:
    """The cameras the canvass finds that the actor may see: their sector covers the point (or part of the
    disc), they are active, their retention still holds footage of the end of the window, and they are a
    resident's or covered by a footage-on-request agreement with the canvassing agency. Best view first;
    the first ``limit`` of them when given (see ``canvass_results_page``)."""
    return _canvass_found(actor=actor, canvass=canvass, now=now, limit=limit)[0]


def _canvass_found(*, actor: Actor, canvass: Canvass, now: datetime | None,
                   limit: int | None) -> tuple[list[Sighted], int]:
    require(actor, "canvass.view", canvass)
    now = now or timezone.now()
    found = canvass_query(lon=canvass.longitude, lat=canvass.latitude, radius_m=canvass.radius_m,
                          window_end=canvass.window_end, now=now)
    # Who may be asked is known from the index (the owner organisation of each camera); the rows of the
    # cameras shown are then read, and have the last word on what may have changed since the index caught
    # up (paused, withdrawn, retention shortened, deleted).
    providers = {int(org) for org in np.unique(found.owner_org) if org}
    granted = providers_sharing_footage(provider_ids=providers, agency_id=canvass.agency_id)
    visible = np.flatnonzero((found.owner_org == 0) | np.isin(found.owner_org, list(granted)))
    total, sighted, start = int(visible.size), [], 0
    while start < visible.size and (limit is None or len(sighted) < limit):
        chunk = visible[start:] if limit is None else visible[start:start + limit - len(sighted) + 20]
        start += chunk.size
        ids = [int(camera_id) for camera_id in found.ids[chunk]]
        cameras = Camera.objects.only(*CAMERA_FIELDS).in_bulk(ids)
        gone = [camera_id for camera_id in ids if camera_id not in cameras]
        if gone:  # deleted outright since the index last saw them
            camera_index().forget(gone)
        for position, camera_id in zip(chunk, ids, strict=True):
            camera = cameras.get(camera_id)
            if (camera is None or camera.status != Camera.Status.ACTIVE or not _holds(camera, canvass.window_end, now)
                    or (camera.owner_organisation_id is not None and camera.owner_organisation_id not in granted)):
                total -= 1
                continue
            if limit is None or len(sighted) < limit:
                sighted.append(Sighted(camera=camera, rank=len(sighted) + 1,
                                       distance_m=float(found.distances_m[position]),
                                       off_axis_deg=float(found.off_axis_deg[position])))
    return sighted, total


def providers_sharing_footage(*, provider_ids: set[int], agency_id: int) -> set[int]:
    """Which of the organisations let their camera footage flow to the agency on request: those for which
    ``partners.selectors.grant_covering(scope=FOOTAGE_ON_REQUEST, ...)`` finds a grant in force (asked once
    for all of them; a canvass can find the cameras of hundreds of organisations)."""
    if not provider_ids:
        return set()
    return set(partner_selectors.providers_granting(scope=Scope.FOOTAGE_ON_REQUEST, recipient_id=agency_id)
               & provider_ids)


def canvass_requests(canvass: Canvass) -> QuerySet[FootageRequest]:
    """The requests sent from a canvass, with what an approved one shows of its camera's owner."""
    return canvass.requests.select_related("camera__owner_user", "camera__owner_organisation")


def canvass_results(*, actor: Actor, canvass: Canvass, now: datetime | None = None,
                    requests: list[FootageRequest] | None = None) -> list[CanvassRow]:
    """The canvass's ranked results as the officer sees them (see the module's notes on what is withheld).
    ``requests``: the canvass's requests when the caller has them already."""
    return canvass_results_page(actor=actor, canvass=canvass, now=now, requests=requests)[0]


def canvass_results_page(*, actor: Actor, canvass: Canvass, limit: int | None = None, now: datetime | None = None,
                         requests: list[FootageRequest] | None = None) -> tuple[list[CanvassRow], int]:
    """The first ``limit`` results (all when None) and how many there are in all: a disc downtown can hold
    thousands of cameras, and nobody asks a thousand owners, so pages and the API show the best first."""
    now = now or timezone.now()
    sighted, total = _canvass_found(actor=actor, canvass=canvass, now=now, limit=limit)
    if requests is None:
        requests = list(canvass_requests(canvass))
    asked = {request.camera_id: request for request in requests}
    return [_row(item, canvass, asked.get(item.camera.pk), now) for item in sighted], total


def _holds(camera: Camera, window_end: datetime, now: datetime) -> bool:
    return window_end > now - timedelta(days=camera.retention_days)


def _row(item: Sighted, canvass: Canvass, request: FootageRequest | None, now: datetime) -> CanvassRow:
    camera = item.camera
    approximate = not camera.share_exact_location
    if approximate:
        latitude, longitude = h3.cell_to_latlng(camera.coverage_cell)
        distance = math.ceil(item.distance_m / APPROXIMATE_DISTANCE_M) * APPROXIMATE_DISTANCE_M
    else:
        latitude, longitude, distance = camera.latitude, camera.longitude, round(item.distance_m, 1)
    preserve_by = canvass.window_start + timedelta(days=camera.retention_days)
    approved = request is not None and request.status == FootageRequest.Status.APPROVED
    name, contact = owner_identity(request.camera) if approved else ("", "")  # its owner loaded with it
    return CanvassRow(
        camera_id=camera.pk, rank=item.rank, distance_m=distance,
        off_axis_deg=None if approximate else round(item.off_axis_deg),
        longitude=longitude, latitude=latitude, approximate=approximate,
        bearing_deg=None if approximate else camera.bearing_deg, fov_deg=camera.fov_deg, range_m=camera.range_m,
        placement=camera.placement, owner_kind=owner_kind(camera), retention_days=camera.retention_days,
        preserve_by=preserve_by, retention_left=max(timedelta(0), preserve_by - now),
        request_status=request.status if request is not None else "",
        request_status_label=request.get_status_display() if request is not None else "",
        owner_name=name, owner_contact=contact,
    )


def owner_kind(camera: Camera) -> str:
    return OwnerKind.RESIDENT if camera.owner_user_id is not None else OwnerKind.ORGANISATION


def owner_identity(camera: Camera) -> tuple[str, str]:
    """(name, preferred contact) of the owner: shown to the officer only once a request is approved."""
    if camera.owner_user_id is not None:
        owner = camera.owner_user
        return str(owner), camera.preferred_contact or owner.email
    return camera.owner_organisation.name, camera.preferred_contact


@dataclass(frozen=True)
class RequestRow:
    """A request sent from a canvass, as the officer sees it. A decline says only that: not who, not when."""

    id: int
    camera_id: int
    status: str
    status_label: str
    sent_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    answer_note: str  # only for approved and no-footage answers
    owner_name: str  # only when approved
    owner_contact: str


def footage_requests_for_canvass(*, actor: Actor, canvass: Canvass,
                                 requests: list[FootageRequest] | None = None) -> list[RequestRow]:
    """The footage requests sent from the canvass, newest first (``requests``: when the caller has them)."""
    require(actor, "canvass.view", canvass)
    if requests is None:
        requests = list(canvass.requests.all())
    rows = []
    for request in sorted(requests, key=lambda r: (r.created_at, r.pk), reverse=True):
        status = request.status
        open_answer = status in (FootageRequest.Status.APPROVED, FootageRequest.Status.NO_FOOTAGE)
        approved = status == FootageRequest.Status.APPROVED
        name, contact = owner_identity(request.camera) if approved else ("", "")
        rows.append(RequestRow(
            id=request.pk, camera_id=request.camera_id, status=status, status_label=request.get_status_display(),
            sent_at=request.created_at, expires_at=request.expires_at,
            answered_at=request.answered_at if status != FootageRequest.Status.DECLINED else None,
            answer_note=request.answer_note if open_answer else "", owner_name=name, owner_contact=contact,
        ))
    return rows
