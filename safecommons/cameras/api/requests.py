"""API: the owner's side of footage requests — read them, and answer. Sessions only."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from safecommons.cameras.models import FootageRequest
from safecommons.cameras.selectors import requests as selectors
from safecommons.cameras.services import requests as services
from safecommons.core.api import SESSION_ONLY, request_actor

router = Router(tags=["cameras"])


class FootageRequestOut(Schema):
    """A request as its owner sees it: who asks, for what, about which time, and until when."""

    id: int
    camera_id: int
    camera: str
    agency: str
    officer: str
    officer_badge: str
    case_number: str
    offense: str
    offense_label: str
    reason: str
    window_start: datetime
    window_end: datetime
    expires_at: datetime
    created_at: datetime
    status: str
    status_label: str
    answered_at: datetime | None
    answer_note: str
    files_sent: int


class AnswerIn(Schema):
    answer: FootageRequest.Status  # approved, declined or no_footage
    note: str = ""


def _out(footage_request: FootageRequest, *, badge: bool = False) -> FootageRequestOut:
    return FootageRequestOut(
        id=footage_request.pk, camera_id=footage_request.camera_id, camera=footage_request.camera.name,
        agency=footage_request.agency.name, officer=str(footage_request.officer),
        officer_badge=selectors.footage_request_badge(footage_request) if badge else "",
        case_number=footage_request.case_number, offense=footage_request.offense,
        offense_label=str(footage_request.get_offense_display()), reason=footage_request.reason,
        window_start=footage_request.window_start, window_end=footage_request.window_end,
        expires_at=footage_request.expires_at, created_at=footage_request.created_at,
        status=footage_request.status, status_label=str(footage_request.get_status_display()),
        answered_at=footage_request.answered_at, answer_note=footage_request.answer_note,
        files_sent=_files_sent(footage_request))


def _files_sent(footage_request: FootageRequest) -> int:
    counted = getattr(footage_request, "files_sent", None)  # annotated on lists
    return footage_request.evidence.count() if counted is None else counted


@router.get("/footage-requests", response=list[FootageRequestOut], auth=SESSION_ONLY)
def owner_request_list(request):
    """Every request made to the cameras you manage: pending first, then newest first (500 at most)."""
    requests = selectors.footage_requests_for_owner(actor=request_actor(request))[:500]
    return [_out(footage_request) for footage_request in requests]


@router.get("/footage-requests/{int:request_id}", response=FootageRequestOut, auth=SESSION_ONLY)
def owner_request_detail(request, request_id: int):
    """One request made to a camera you manage, with the requesting officer's badge number."""
    return _out(selectors.footage_request_get(actor=request_actor(request), request_id=request_id), badge=True)


@router.post("/footage-requests/{int:request_id}/answer", response=FootageRequestOut, auth=SESSION_ONLY)
def owner_request_answer(request, request_id: int, payload: AnswerIn):
    """Answer a pending request: `approved` (upload the files first, through the evidence uploads),
    `declined` (final; keeps no note and does not name you), or `no_footage`."""
    actor = request_actor(request)
    footage_request = selectors.footage_request_get(actor=actor, request_id=request_id)
    footage_request = services.footage_request_answer(actor=actor, footage_request=footage_request,
                                                      answer=payload.answer, note=payload.note)
    return _out(footage_request, badge=True)
