"""Live access over HTTP, for signed-in people only (no API key opens or grants a stream). The stream
address appears in one answer only, that to an opening, which is never cached."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from safecommons.cameras.models import LiveGrant
from safecommons.cameras.selectors import live as live_selectors
from safecommons.cameras.selectors import registry as registry_selectors
from safecommons.cameras.services import live as live_services
from safecommons.core.api import SESSION_ONLY, request_actor
from safecommons.core.permissions import may
from safecommons.partners.models import Organisation

router = Router(tags=["cameras"])


class GrantIn(Schema):
    agency_id: int
    stream_url: str
    starts_at: datetime
    ends_at: datetime
    purpose: str


class GrantOut(Schema):
    id: int
    camera_id: int
    camera: str
    owner: str
    agency_id: int
    agency: str
    purpose: str
    starts_at: datetime
    ends_at: datetime
    revoked_at: datetime | None
    openings: int

    @staticmethod
    def resolve_camera(obj: LiveGrant) -> str:
        return obj.camera.name

    @staticmethod
    def resolve_owner(obj: LiveGrant) -> str:
        return obj.camera.owner_organisation.name

    @staticmethod
    def resolve_agency(obj: LiveGrant) -> str:
        return obj.agency.name

    @staticmethod
    def resolve_openings(obj: LiveGrant) -> int:
        return getattr(obj, "opening_count", None) or obj.openings.count()


class RevokeIn(Schema):
    reason: str = ""


class OpenIn(Schema):
    reason: str


class OpenOut(Schema):
    stream_url: str
    ends_at: datetime


class OpeningOut(Schema):
    opened_at: datetime
    officer: str
    reason: str

    @staticmethod
    def resolve_officer(obj) -> str:
        return str(obj.officer)


def _no_store(response: HttpResponse) -> None:
    response["Cache-Control"] = "no-store"


@router.get("/live/grants", response=list[GrantOut], auth=SESSION_ONLY)
def live_grant_list(request):
    """Officers: the grants their agency may open now. Owners: every grant on their cameras."""
    actor = request_actor(request)
    if not (may(actor, "live.list") or actor.is_partner_staff):
        raise PermissionDenied("live.list")
    return list(live_selectors.live_grants_visible(actor=actor))


@router.post("/cameras/{camera_id}/live/grants", response={201: GrantOut}, auth=SESSION_ONLY)
def live_grant_create(request, camera_id: int, payload: GrantIn):
    """Grant an agency time-boxed access (at most 30 days) to the camera's stream, under an agreement in force
    with the live-camera-access scope. The address is stored encrypted and never shown back to the owner."""
    actor = request_actor(request)
    camera = registry_selectors.camera_for_manage(actor=actor, camera_id=camera_id)
    agency = get_object_or_404(Organisation, pk=payload.agency_id)
    grant = live_services.live_grant_create(actor=actor, camera=camera, agency=agency, stream_url=payload.stream_url,
                                            starts_at=payload.starts_at, ends_at=payload.ends_at,
                                            purpose=payload.purpose)
    return Status(201, live_selectors.live_grant_for_owner(actor=actor, grant_id=grant.pk))


@router.post("/live/grants/{grant_id}/revoke", response=GrantOut, auth=SESSION_ONLY)
def live_grant_revoke(request, grant_id: int, payload: RevokeIn):
    """End a grant at once: it can no longer be opened."""
    actor = request_actor(request)
    grant = live_selectors.live_grant_for_owner(actor=actor, grant_id=grant_id)
    return live_services.live_grant_revoke(actor=actor, grant=grant, reason=payload.reason)


@router.post("/live/grants/{grant_id}/open", response=OpenOut, auth=SESSION_ONLY)
def live_grant_open(request, response: HttpResponse, grant_id: int, payload: OpenIn):
    """Open a stream granted to your agency, inside its window, giving the reason. The opening is recorded
    and the owner sees it. The answer carries the stream address and must not be stored."""
    _no_store(response)
    actor = request_actor(request)
    grant = live_selectors.live_grant_for_officer(actor=actor, grant_id=grant_id)
    stream_url = live_services.live_stream_open(actor=actor, grant=grant, reason=payload.reason)
    return OpenOut(stream_url=stream_url, ends_at=grant.ends_at)


@router.get("/live/grants/{grant_id}/openings", response=list[OpeningOut], auth=SESSION_ONLY)
def live_grant_openings(request, grant_id: int):
    """Every opening of a grant on your camera: when, which officer, and why."""
    actor = request_actor(request)
    grant = live_selectors.live_grant_for_owner(actor=actor, grant_id=grant_id)
    return list(live_selectors.live_openings(actor=actor, grant=grant))
