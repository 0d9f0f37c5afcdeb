"""The camera registry over HTTP: an owner's cameras, registration, edits, status and CSV import.

A person signed in acts for themselves or the organisations they work for; an organisation's API key
with the `cameras:write` scope acts for its own organisation only."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from safecommons.cameras.models import Camera
from safecommons.cameras.selectors import registry as registry_selectors
from safecommons.cameras.services import registry as registry_services
from safecommons.core.api import SIGNED_IN, request_actor
from safecommons.core.errors import Refused
from safecommons.partners.models import Site

router = Router(tags=["cameras"])
SCOPE = "cameras:write"


class CameraIn(Schema):
    name: str
    latitude: float
    longitude: float
    bearing_deg: float
    fov_deg: float
    range_m: float
    retention_days: int
    placement: Camera.Placement = Camera.Placement.OUTDOOR
    live_share_capable: bool = False
    share_exact_location: bool = False
    preferred_contact: str = ""
    external_ref: str = ""
    organisation_id: int | None = None  # None: oneself (a person) or the key's own organisation
    site_id: int | None = None


class CameraPatch(Schema):
    """Only the fields sent change; `site_id: null` takes the camera off its site."""

    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    bearing_deg: float | None = None
    fov_deg: float | None = None
    range_m: float | None = None
    retention_days: int | None = None
    placement: Camera.Placement | None = None
    live_share_capable: bool | None = None
    share_exact_location: bool | None = None
    preferred_contact: str | None = None
    external_ref: str | None = None
    site_id: int | None = None


class CameraOut(Schema):
    id: int
    name: str
    owner_organisation_id: int | None
    managed_by_id: int | None
    site_id: int | None
    latitude: float
    longitude: float
    bearing_deg: float
    fov_deg: float
    range_m: float
    placement: str
    retention_days: int
    live_share_capable: bool
    share_exact_location: bool
    preferred_contact: str
    external_ref: str
    status: str
    created_at: datetime
    updated_at: datetime


class StatusIn(Schema):
    status: Camera.Status


class RejectedRow(Schema):
    line: int
    reason: str


class ImportOut(Schema):
    created: int
    updated: int
    rejected: list[RejectedRow]


def _site(site_id: int | None) -> Site | None:
    return get_object_or_404(Site, pk=site_id) if site_id is not None else None


@router.get("/cameras", response=list[CameraOut], auth=SIGNED_IN)
def camera_list(request, offset: int = 0, limit: int = 500):
    """The cameras you may manage (withdrawn ones left out), by name; `limit` at most 5,000 a page."""
    actor = request_actor(request, SCOPE)
    limit = max(1, min(limit, 5000))
    offset = max(0, offset)
    return list(registry_selectors.cameras_managed(actor=actor)[offset:offset + limit])


@router.post("/cameras", response={201: CameraOut}, auth=SIGNED_IN)
def camera_create(request, payload: CameraIn):
    """Register a camera for yourself, an organisation you work for, or (as its security company under an
    agreement in force) a client organisation; optionally at one of that organisation's sites."""
    actor = request_actor(request, SCOPE)
    choice = registry_selectors.registration_choice(actor=actor, organisation_id=payload.organisation_id)
    fields = payload.dict(exclude={"organisation_id", "site_id"})
    camera = registry_services.camera_register(actor=actor, organisation=choice.organisation,
                                               managed_by=choice.managed_by, site=_site(payload.site_id), **fields)
    return Status(201, camera)


@router.get("/cameras/{camera_id}", response=CameraOut, auth=SIGNED_IN)
def camera_detail(request, camera_id: int):
    """One of your cameras."""
    return registry_selectors.camera_for_manage(actor=request_actor(request, SCOPE), camera_id=camera_id)


@router.patch("/cameras/{camera_id}", response=CameraOut, auth=SIGNED_IN)
def camera_patch(request, camera_id: int, payload: CameraPatch):
    """Change some of a camera's fields; the others stay as they are."""
    actor = request_actor(request, SCOPE)
    camera = registry_selectors.camera_for_manage(actor=actor, camera_id=camera_id)
    changes = payload.dict(exclude_unset=True)
    if "site_id" in changes:
        changes["site"] = _site(changes.pop("site_id"))
    if any(value is None for name, value in changes.items() if name != "site"):
        raise Refused("Only site_id may be null; leave out the fields you do not change.")
    return registry_services.camera_update(actor=actor, camera=camera, **changes)


@router.post("/cameras/{camera_id}/status", response=CameraOut, auth=SIGNED_IN)
def camera_status(request, camera_id: int, payload: StatusIn):
    """Pause (left out of canvasses), resume (`active`) or withdraw (for good) a camera."""
    actor = request_actor(request, SCOPE)
    camera = registry_selectors.camera_for_manage(actor=actor, camera_id=camera_id)
    return registry_services.camera_status_set(actor=actor, camera=camera, status=payload.status)


@router.post("/imports", response=ImportOut, auth=SIGNED_IN)
def camera_import(request, organisation_id: int | None = None, file: File[UploadedFile] = None):
    """Import an organisation's cameras from CSV: a `file` form field, or the CSV itself as the body
    (`Content-Type: text/csv`). The answer counts created and updated cameras and lists each rejected row
    with its line number and reason. The columns are those of the registry page."""
    actor = request_actor(request, SCOPE)
    choice = registry_selectors.registration_choice(actor=actor, organisation_id=organisation_id)
    if choice.organisation is None:
        raise Refused("Name the organisation (organisation_id) to import for.")
    if file is not None:
        registry_services.csv_upload_size_check(file.size)
        data = file.read()
    else:
        data = request.body
    text = registry_services.csv_upload_text(data)
    report = registry_services.cameras_import_csv(actor=actor, organisation=choice.organisation,
                                                  managed_by=choice.managed_by, text=text)
    return ImportOut(created=report.created, updated=report.updated,
                     rejected=[RejectedRow(line=line, reason=reason) for line, reason in report.rejected])
