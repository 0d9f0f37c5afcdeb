"""API: the evidence locker. Resumable uploads (our own small protocol, docs/evidence.md), the locker's
items, their custody log, downloads and export packages. Sessions only: no API key handles evidence."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from safecommons.cameras.models import EvidenceItem, EvidenceUpload
from safecommons.cameras.responses import evidence_file_response, export_response
from safecommons.cameras.selectors import evidence as selectors
from safecommons.cameras.services import evidence as services
from safecommons.cameras.services.evidence import UPLOAD_ABANDON_AFTER, OffsetMismatch, UploadTooLarge
from safecommons.core.api import SESSION_ONLY, request_actor
from safecommons.core.errors import Refused

router = Router(tags=["cameras"])


class UploadStartIn(Schema):
    case_number: str = ""
    footage_request_id: int | None = None
    agency_id: int | None = None  # only for someone handling evidence for more than one agency
    filename: str
    size: int
    content_type: str = ""
    sha256: str = ""
    description: str = ""


class UploadStartOut(Schema):
    id: UUID
    offset: int
    chunk_bytes: int
    expires: datetime


class UploadStateOut(Schema):
    id: UUID
    offset: int
    size: int
    status: str
    item: UUID | None = None


class ErrorOut(Schema):
    detail: str


class OffsetErrorOut(Schema):
    detail: str
    offset: int


class ItemOut(Schema):
    uid: UUID
    agency: str
    case_number: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    description: str
    received_at: datetime
    uploaded_by: str
    footage_request_id: int | None
    integrity: str
    verified_at: datetime | None
    has_preview: bool


class CustodyEntryOut(Schema):
    seq: int
    time: datetime
    actor: str
    role: str
    organisation: str
    action: str
    reason: str
    outcome: str
    details: dict


class CustodyOut(Schema):
    uid: UUID
    original_name: str
    size: int
    sha256: str
    received_at: datetime
    uploaded_by: str
    entries: list[CustodyEntryOut]


class ReasonIn(Schema):
    reason: str


class ShareIn(Schema):
    recipient: str
    reason: str
    days: int = services.SHARE_DAYS_DEFAULT


class ShareOut(Schema):
    url: str
    recipient: str
    expires_at: datetime


class ExportIn(Schema):
    case_number: str
    reason: str


def _item_out(item: EvidenceItem) -> ItemOut:
    return ItemOut(uid=item.uid, agency=item.agency.name, case_number=item.case_number,
                   original_name=item.original_name, content_type=item.content_type, size=item.size,
                   sha256=item.sha256, description=item.description, received_at=item.received_at,
                   uploaded_by=str(item.uploaded_by) if item.uploaded_by_id else "",
                   footage_request_id=item.footage_request_id, integrity=item.integrity,
                   verified_at=item.verified_at, has_preview=bool(item.preview))


def _state_out(upload: EvidenceUpload) -> UploadStateOut:
    return UploadStateOut(id=upload.uid, offset=upload.received, size=upload.size, status=upload.status,
                          item=upload.item.uid if upload.item_id else None)


def _too_large(exc: Refused) -> JsonResponse:
    return JsonResponse({"detail": str(exc)}, status=413)


@router.post("/evidence/uploads", response={201: UploadStartOut, 400: ErrorOut, 413: ErrorOut}, auth=SESSION_ONLY)
def evidence_upload_start(request, payload: UploadStartIn):
    """Start a resumable upload: give the case number (agency staff) or the footage request you answer
    (camera owner), the file's name and exact size, and optionally its SHA-256. Then PUT the bytes in
    chunks of at most `chunk_bytes` at the offset given."""
    actor = request_actor(request)
    footage_request, agency = selectors.upload_target(footage_request_id=payload.footage_request_id,
                                                      agency_id=payload.agency_id)
    try:
        upload = services.evidence_upload_start(
            actor=actor, filename=payload.filename, size=payload.size, content_type=payload.content_type,
            sha256=payload.sha256, description=payload.description, case_number=payload.case_number,
            footage_request=footage_request,
            agency=agency)
    except UploadTooLarge as exc:
        return _too_large(exc)
    return Status(201, UploadStartOut(id=upload.uid, offset=upload.received,
                                      chunk_bytes=settings.EVIDENCE_CHUNK_BYTES,
                                      expires=upload.updated_at + UPLOAD_ABANDON_AFTER))


@router.put("/evidence/uploads/{upload_id}",
            response={200: UploadStateOut, 400: ErrorOut, 409: OffsetErrorOut, 413: ErrorOut}, auth=SESSION_ONLY)
def evidence_upload_chunk(request, upload_id: UUID):
    """Send one chunk as the raw request body, with header `Upload-Offset` equal to the offset we hold
    (otherwise 409 with the offset to resume from). The last chunk completes the upload."""
    actor = request_actor(request)
    upload = selectors.evidence_upload_get(actor=actor, uid=upload_id)
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refused(_("Send the Upload-Offset header (a number) and the chunk's Content-Length.")) from None
    if offset < 0 or length < 0:
        raise Refused(_("Upload-Offset and Content-Length cannot be negative."))
    try:
        upload = services.evidence_upload_chunk(actor=actor, upload=upload, offset=offset, body=request,
                                                length=length)
    except OffsetMismatch as exc:
        response = JsonResponse({"detail": str(exc), "offset": exc.offset}, status=409)
        response["Upload-Offset"] = str(exc.offset)
        return response
    except UploadTooLarge as exc:
        return _too_large(exc)
    return _state_out(upload)


@router.get("/evidence/uploads/{upload_id}", response=UploadStateOut, auth=SESSION_ONLY)
def evidence_upload_state(request, upload_id: UUID):
    """Where an upload stands: the offset to resume from after a dropped connection, and its status."""
    return _state_out(selectors.evidence_upload_get(actor=request_actor(request), uid=upload_id))


@router.get("/evidence", response=list[ItemOut], auth=SESSION_ONLY)
def evidence_list(request, case_number: str = ""):
    """The locker of the agencies you handle evidence for, optionally one case (500 at most)."""
    items = selectors.evidence_locker(actor=request_actor(request), case_number=case_number or None)
    return [_item_out(item) for item in items[:500]]


@router.post("/evidence/export", response={200: bytes, 400: ErrorOut}, auth=SESSION_ONLY)
def evidence_export(request, payload: ExportIn):
    """A ZIP of a case: the files, manifest.json with their hashes, and the custody log as JSON and PDF.
    The package's own SHA-256 is in the `X-Content-SHA256` header and the audit trail."""
    package = services.evidence_export(actor=request_actor(request), case_number=payload.case_number,
                                       reason=payload.reason)
    return export_response(package)


@router.get("/evidence/{uid}", response=ItemOut, auth=SESSION_ONLY)
def evidence_detail(request, uid: UUID):
    """One item's facts and hash. The read is written to its chain of custody."""
    actor = request_actor(request)
    item = services.evidence_open(actor=actor, item=selectors.evidence_get(actor=actor, uid=uid))
    return _item_out(item)


@router.post("/evidence/{uid}/download", response={200: bytes, 400: ErrorOut}, auth=SESSION_ONLY)
def evidence_download(request, uid: UUID, payload: ReasonIn):
    """The original file, exactly as received. The reason is kept in its chain of custody."""
    actor = request_actor(request)
    item = selectors.evidence_get(actor=actor, uid=uid)
    handle = services.evidence_download(actor=actor, item=item, reason=payload.reason)
    return evidence_file_response(handle, item)




@router.post("/evidence/{uid}/share", response={201: ShareOut, 400: ErrorOut}, auth=SESSION_ONLY)
def evidence_share(request, uid: UUID, payload: ShareIn):
    """A time-limited download link for a named outside recipient; every use of it is recorded."""
    actor = request_actor(request)
    link = services.evidence_share(actor=actor, item=selectors.evidence_get(actor=actor, uid=uid),
                                   recipient=payload.recipient, reason=payload.reason, days=payload.days)
    url = request.build_absolute_uri(reverse("cameras:evidence_shared", args=[link.token]))
    return Status(201, ShareOut(url=url, recipient=link.recipient, expires_at=link.expires_at))


@router.get("/evidence/{uid}/custody", response=CustodyOut, auth=SESSION_ONLY)
def evidence_custody(request, uid: UUID):
    """The chain of custody: the upload's facts and every recorded action on the item, oldest first.
    Evidence staff and oversight."""
    actor = request_actor(request)
    log = selectors.custody_log(actor=actor, item=selectors.evidence_get(actor=actor, uid=uid,
                                                                         rule="evidence.custody"))
    return CustodyOut(uid=log.item.uid, original_name=log.original_name, size=log.size, sha256=log.sha256,
                      received_at=log.received_at, uploaded_by=log.uploaded_by, entries=[
                          CustodyEntryOut(seq=e.seq, time=e.created_at, actor=e.actor_label, role=e.role,
                                          organisation=e.organisation_label, action=e.action, reason=e.reason,
                                          outcome=e.outcome, details=e.details) for e in log.entries])
