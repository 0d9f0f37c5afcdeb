"""The evidence locker: resumable uploads, originals kept as received, and a chain of custody.

An upload is started with its declared size (refused at once if it is too large or would leave the disk
too full), filled in chunks at the offset we hold, and completed when the last byte arrives: the bytes
are hashed (SHA-256), checked against the client's hash when one was given, moved into the evidence
storage and recorded as an `EvidenceItem` that never changes afterwards. Every upload, view, download,
share and export is an audit entry naming the item, the person, their role and, where files leave the
locker, the reason they gave. See docs/evidence.md for the protocol and the export format.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.cameras.models import EvidenceItem, EvidenceUpload, FootageRequest
from safecommons.cameras.storage import evidence_storage
from safecommons.core.audit.models import AuditEntry
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import EVIDENCE_ROLES, Actor, may, require
from safecommons.partners.models import Organisation

READ_PIECE_BYTES = 64 * 1024  # request bodies and files are read in pieces this big, never whole
UPLOAD_ABANDON_AFTER = timedelta(hours=24)
SHARE_SALT = "safecommons.cameras.evidence.share"
SHARE_DAYS_DEFAULT = 7
SHARE_DAYS_MAX = 30
PREVIEW_PIXELS = 640
SYSTEM_LABEL = "evidence locker"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UploadTooLarge(Refused):
    """The declared size, or a chunk, is over the configured limit (HTTP 413)."""


class RequestClosed(Refused):
    """The request an owner's file was for was answered or expired before the file was in."""


class OffsetMismatch(Refused):
    """A chunk was sent for an offset other than the one we hold (HTTP 409); `offset` says where to resume."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


# --- Uploads


def incoming_dir() -> Path:
    """Where parts in progress are kept: always local disk, even when originals go to S3."""
    return Path(settings.EVIDENCE_ROOT) / "incoming"


def upload_part_path(upload: EvidenceUpload) -> Path:
    return incoming_dir() / f"{upload.uid}.part"


def _clean_name(filename: str) -> str:
    name = re.split(r"[\\/]", filename.strip())[-1].replace("\x00", "").strip()
    if not name or name in {".", ".."}:
        raise Refused(_("Give the file's name."))
    return name[-255:]


def _upload_target(*, actor: Actor, case_number: str, footage_request: FootageRequest | None,
                   agency: Organisation | None) -> tuple[Organisation, str]:
    """The agency whose locker receives the file, and the case number it is filed under."""
    if footage_request is not None:
        require(actor, "evidence.upload", footage_request)
        if footage_request.expires_at <= timezone.now():
            raise Refused(_("This request has expired; files can no longer be sent for it."))
        from safecommons.cameras.services.requests import footage_may_flow

        if not footage_may_flow(footage_request):
            raise Refused(_("The agreement under which this request was made is no longer in force, so no "
                            "footage may be sent for it."))
        return footage_request.agency, footage_request.case_number
    case_number = case_number.strip()
    if not case_number:
        raise Refused(_("Give the case number the file belongs to."))
    if len(case_number) > 40:
        raise Refused(_("A case number has at most 40 characters."))
    if agency is None:
        agency_ids = actor.organisation_ids(EVIDENCE_ROLES)
        if len(agency_ids) != 1:
            raise PermissionDenied("evidence.upload")
        agency = Organisation.objects.get(pk=agency_ids.pop())
    require(actor, "evidence.upload", agency)
    return agency, case_number


def _free_bytes(path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path).free


def _check_disk(size: int) -> None:
    """Refuse before writing anything when the upload would leave less than EVIDENCE_MIN_FREE_BYTES free,
    counting what uploads already in progress are still owed."""
    owed = (EvidenceUpload.objects.filter(status=EvidenceUpload.Status.RECEIVING)
            .aggregate(size=Sum("size"), received=Sum("received")))
    reserved = (owed["size"] or 0) - (owed["received"] or 0)
    paths = [incoming_dir()]
    if isinstance(evidence_storage, FileSystemStorage):  # local originals may sit on another disk; S3's do not
        paths.append(Path(evidence_storage.location))
    for path in paths:
        if _free_bytes(path) - reserved - size < settings.EVIDENCE_MIN_FREE_BYTES:
            raise UploadTooLarge(_("There is not enough free disk space for this file right now. Nothing was "
                                   "stored; ask an administrator to free space, then try again."))


def evidence_upload_start(*, actor: Actor, filename: str, size: int, content_type: str = "", sha256: str = "",
                          description: str = "", case_number: str = "",
                          footage_request: FootageRequest | None = None,
                          agency: Organisation | None = None) -> EvidenceUpload:
    """Open a resumable upload of one file of `size` bytes.

    Agency staff file it under a case number of their agency; a camera owner sends it in answer to a
    pending request, under the request's agency and case number. Too large a file, or one that would
    fill the disk, is refused before anything is written.
    """
    agency, case_number = _upload_target(actor=actor, case_number=case_number, footage_request=footage_request,
                                         agency=agency)
    name = _clean_name(filename)
    if size <= 0:
        raise Refused(_("The file is empty."))
    if size > settings.EVIDENCE_MAX_BYTES:
        raise UploadTooLarge(_("The file is larger than the %(limit)s limit for one file.")
                             % {"limit": _size_text(settings.EVIDENCE_MAX_BYTES)})
    sha256 = sha256.strip().lower()
    if sha256 and not _SHA256.match(sha256):
        raise Refused(_("A SHA-256 is 64 hexadecimal characters."))
    _check_disk(size)
    upload = EvidenceUpload.objects.create(
        uid=uuid.uuid4(), created_by_id=actor.user_id, agency=agency, case_number=case_number,
        footage_request=footage_request, original_name=name, content_type=content_type.strip()[:100],
        size=size, expected_sha256=sha256, description=description.strip()[:500],
    )
    upload_part_path(upload).touch(exist_ok=False)
    return upload


def _size_text(size: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} B"


def evidence_upload_chunk(*, actor: Actor, upload: EvidenceUpload, offset: int, body: IO[bytes],
                          length: int) -> EvidenceUpload:
    """Append one chunk of `length` bytes read from `body` at `offset`, which must be the offset we hold.

    The body is read in pieces; whatever arrived before a dropped connection is kept, and the client asks
    for the offset to carry on from. The upload completes when the last byte is in.
    """
    if upload.created_by_id != actor.user_id:
        raise PermissionDenied("evidence.upload")
    if length > settings.EVIDENCE_CHUNK_BYTES:
        raise UploadTooLarge(_("A chunk may be at most %(limit)s.")
                             % {"limit": _size_text(settings.EVIDENCE_CHUNK_BYTES)})
    part = upload_part_path(upload)
    try:
        out = open(part, "r+b")  # noqa: SIM115  (closed by the with below; the lock lives as long as the handle)
    except FileNotFoundError:
        raise Refused(_("The parts of this upload are gone; start it again.")) from None
    # A lock on the part file, not a database transaction, keeps two chunks of one upload apart: reading a
    # chunk from a slow connection must not hold a database lock (SQLite would stop every other writer).
    with out:
        try:
            fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            upload.refresh_from_db(fields=["received"])
            raise OffsetMismatch(_("Another chunk of this upload is being received; ask for the offset and carry "
                                   "on from there."), upload.received) from None
        locked = EvidenceUpload.objects.get(pk=upload.pk)
        if locked.status != EvidenceUpload.Status.RECEIVING:
            raise Refused(_("This upload is no longer open (it is %(status)s).")
                          % {"status": locked.get_status_display()})
        if offset != locked.received:
            raise OffsetMismatch(_("Send the chunk that starts at byte %(offset)d.") % {"offset": locked.received},
                                 locked.received)
        if offset + length > locked.size:
            raise Refused(_("This chunk would go past the size declared for the file (%(size)d bytes).")
                          % {"size": locked.size})
        out.truncate(offset)  # nothing past what we acknowledged survives from an earlier broken chunk
        out.seek(offset)
        remaining = length
        while remaining > 0:
            piece = body.read(min(READ_PIECE_BYTES, remaining))
            if not piece:
                break
            out.write(piece)
            remaining -= len(piece)
        out.flush()
        os.fsync(out.fileno())
        locked.received = offset + (length - remaining)
        locked.save(update_fields=["received", "updated_at"])
    if locked.received == locked.size:
        return evidence_upload_complete(actor=actor, upload=locked)
    return locked


class _PartFile(File):
    """The finished part, offered to the storage so that a local storage moves it instead of copying."""

    def temporary_file_path(self) -> str:
        return self.file.name


def _sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while piece := stream.read(1024 * 1024):
        digest.update(piece)
    return digest.hexdigest()


def _upload_discard(upload: EvidenceUpload, status: str = EvidenceUpload.Status.ABANDONED) -> None:
    upload_part_path(upload).unlink(missing_ok=True)
    upload.status = status
    upload.save(update_fields=["status", "updated_at"])


def evidence_upload_complete(*, actor: Actor, upload: EvidenceUpload) -> EvidenceUpload:
    """Turn a fully received upload into an evidence item: hash it, check the client's hash, store the
    original, record and audit it, and queue a preview. A hash mismatch keeps nothing."""
    part = upload_part_path(upload)
    try:
        stream = open(part, "rb")  # noqa: SIM115  (closed by the with below)
    except FileNotFoundError:
        upload.refresh_from_db()
        if upload.status == EvidenceUpload.Status.COMPLETE:  # completed by an earlier request
            return upload
        raise Refused(_("The parts of this upload are gone; start it again.")) from None
    # Hashing a large file takes a while: the part's lock, not a database transaction, keeps others out.
    with stream:
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Refused(_("This upload is being completed; ask for its status in a moment.")) from None
        upload = EvidenceUpload.objects.select_related("footage_request__camera", "item").get(pk=upload.pk)
        if upload.status == EvidenceUpload.Status.COMPLETE:
            return upload
        if upload.status != EvidenceUpload.Status.RECEIVING or upload.received != upload.size:
            raise Refused(_("This upload is not complete."))
        # The request may have been declined or expired, or the person left the agency, since the start.
        target = upload.footage_request or upload.agency
        allowed = may(actor, "evidence.upload", target) and (
            upload.footage_request is None or upload.footage_request.expires_at > timezone.now())
        digest = _sha256_of(stream) if allowed else ""
        matches = not upload.expected_sha256 or digest == upload.expected_sha256
        if not allowed or not matches or os.fstat(stream.fileno()).st_size != upload.size:
            _upload_discard(upload)
            audit_record(action="evidence.upload_refused", actor=actor, target=upload,
                         outcome=AuditEntry.Outcome.FAILED,
                         details={"case_number": upload.case_number, "name": upload.original_name,
                                  "why": "not allowed" if not allowed else "hash mismatch",
                                  "expected_sha256": upload.expected_sha256, "received_sha256": digest})
            raise Refused(_("You may no longer add files here: the request was answered or has expired.")
                          if not allowed else
                          _("The file received does not match the SHA-256 you gave, so nothing was kept. "
                            "Upload it again."))

        item = EvidenceItem(uid=uuid.uuid4(), agency_id=upload.agency_id, case_number=upload.case_number,
                            footage_request_id=upload.footage_request_id, uploaded_by_id=upload.created_by_id,
                            original_name=upload.original_name,
                            content_type=upload.content_type or "application/octet-stream", size=upload.size,
                            sha256=digest, description=upload.description, received_at=timezone.now())
        stream.seek(0)
        item.file.save("original", _PartFile(stream, name=str(part)), save=False)
        try:
            with transaction.atomic():
                if upload.footage_request_id is not None:
                    # Checked again under the request's lock: the owner may have declined (or the request
                    # expired) while this file was being hashed, and then nothing of it may stay.
                    footage_request = FootageRequest.objects.select_for_update().get(pk=upload.footage_request_id)
                    if (footage_request.status != FootageRequest.Status.PENDING
                            or footage_request.expires_at <= timezone.now()):
                        raise RequestClosed(_("You may no longer add files here: the request was answered or "
                                              "has expired."))
                item.save()
                upload.status, upload.item = EvidenceUpload.Status.COMPLETE, item
                upload.save(update_fields=["status", "item", "updated_at"])
                audit_record(action="evidence.uploaded", actor=actor, target=item, details={
                    "case_number": item.case_number, "name": item.original_name, "size": item.size,
                    "sha256": item.sha256, "content_type": item.content_type, "upload": str(upload.uid),
                    "footage_request": item.footage_request_id, "agency_id": item.agency_id,
                    "client_sha256_checked": bool(upload.expected_sha256)})
                from safecommons.cameras.tasks import evidence_preview_make

                item_id = item.pk
                transaction.on_commit(lambda: evidence_preview_make.enqueue(item_id), robust=True)
        except Exception:
            evidence_storage.delete(item.file.name)
            _upload_discard(upload)
            raise
        part.unlink(missing_ok=True)  # a storage that copied (S3) leaves the part behind
    return upload


def evidence_uploads_abandon() -> int:
    """Uploads untouched for a day are abandoned and their parts removed, as are stray parts. Returns how
    many uploads were abandoned."""
    cutoff = timezone.now() - UPLOAD_ABANDON_AFTER
    stale = EvidenceUpload.objects.filter(status=EvidenceUpload.Status.RECEIVING, updated_at__lt=cutoff)
    count = 0
    for upload in stale:
        _upload_discard(upload)
        count += 1
    directory = incoming_dir()
    if directory.exists():
        open_parts = {f"{uid}.part" for uid in EvidenceUpload.objects.filter(
            status=EvidenceUpload.Status.RECEIVING).values_list("uid", flat=True)}
        oldest = time.time() - UPLOAD_ABANDON_AFTER.total_seconds()
        for path in directory.iterdir():
            if path.name not in open_parts and path.is_file() and path.stat().st_mtime < oldest:
                path.unlink(missing_ok=True)
    return count


# --- Reading, downloading, sharing


def _reason_required(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Refused(_("Give the reason: it is kept in the chain of custody."))
    return reason[:500]


def evidence_open(*, actor: Actor, item: EvidenceItem) -> EvidenceItem:
    """Someone looked at the item's record: noted in its chain of custody."""
    require(actor, "evidence.view", item)
    audit_record(action="evidence.viewed", actor=actor, target=item, details={"case_number": item.case_number})
    return item


def evidence_download(*, actor: Actor, item: EvidenceItem, reason: str) -> IO[bytes]:
    """The original, opened for reading, after recording who takes a copy and why."""
    require(actor, "evidence.view", item)
    reason = _reason_required(reason)
    handle = item.file.open("rb")
    audit_record(action="evidence.downloaded", actor=actor, target=item, reason=reason,
                 details={"case_number": item.case_number, "sha256": item.sha256})
    return handle


def evidence_preview_open(*, actor: Actor, item: EvidenceItem) -> IO[bytes] | None:
    """The preview image (None when there is none), after recording that it was looked at: a frame of the
    footage is a view of it."""
    require(actor, "evidence.view", item)
    if not item.preview:
        return None
    handle = item.preview.open("rb")
    audit_record(action="evidence.preview_viewed", actor=actor, target=item,
                 details={"case_number": item.case_number})
    return handle


@dataclass(frozen=True)
class ShareLink:
    token: str
    recipient: str
    expires_at: datetime


def _link_ref(token: str) -> str:
    # Identifies the link in the audit trail without writing down the link itself.
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def evidence_share(*, actor: Actor, item: EvidenceItem, recipient: str, reason: str,
                   days: int = SHARE_DAYS_DEFAULT) -> ShareLink:
    """A signed link that lets a named outside recipient (a prosecutor's office, say) download the item
    until it expires. Created with a reason; every use is recorded."""
    require(actor, "evidence.export", item)
    reason = _reason_required(reason)
    recipient = recipient.strip()
    if not recipient:
        raise Refused(_("Name who the link is for."))
    if not 1 <= days <= SHARE_DAYS_MAX:
        raise Refused(_("A link lasts from 1 to %(days)d days.") % {"days": SHARE_DAYS_MAX})
    expires_at = timezone.now() + timedelta(days=days)
    token = signing.dumps({"u": str(item.uid), "r": recipient[:200], "e": int(expires_at.timestamp()),
                           "n": uuid.uuid4().hex[:8]}, salt=SHARE_SALT, compress=True)
    audit_record(action="evidence.shared", actor=actor, target=item, reason=reason, details={
        "case_number": item.case_number, "recipient": recipient[:200], "expires_at": expires_at.isoformat(),
        "link": _link_ref(token)})
    return ShareLink(token=token, recipient=recipient[:200], expires_at=expires_at)


@dataclass(frozen=True)
class SharedItem:
    item: EvidenceItem
    recipient: str
    expires_at: datetime
    link: str


def evidence_shared_get(*, token: str) -> SharedItem:
    """What a share link points to, if it is genuine and not expired (Refused otherwise)."""
    try:
        data = signing.loads(token, salt=SHARE_SALT, max_age=timedelta(days=SHARE_DAYS_MAX))
    except signing.BadSignature:
        raise Refused(_("This link is not valid or has expired.")) from None
    expires_at = datetime.fromtimestamp(data["e"], tz=timezone.get_current_timezone())
    item = EvidenceItem.objects.filter(uid=data["u"]).first()
    if item is None or expires_at <= timezone.now():
        raise Refused(_("This link is not valid or has expired."))
    return SharedItem(item=item, recipient=data["r"], expires_at=expires_at, link=_link_ref(token))


def evidence_shared_download(*, token: str) -> tuple[EvidenceItem, IO[bytes]]:
    """The recipient of a share link takes the file: recorded against the item, under the link's name."""
    shared = evidence_shared_get(token=token)
    handle = shared.item.file.open("rb")
    audit_record(action="evidence.share_used", actor_label=f"link for {shared.recipient}"[:254], target=shared.item,
                 details={"case_number": shared.item.case_number, "recipient": shared.recipient, "link": shared.link})
    return shared.item, handle


# --- Export package


@dataclass(frozen=True)
class ExportPackage:
    path: Path
    filename: str
    sha256: str
    files: int


def _safe_name(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return safe[-120:]


def _custody_rows(item: EvidenceItem) -> list[dict]:
    entries = AuditEntry.objects.filter(object_type=EvidenceItem._meta.label_lower,
                                        object_id=str(item.pk)).order_by("seq")
    return [{"seq": e.seq, "time": e.created_at.isoformat(), "actor": e.actor_label, "role": e.role,
             "organisation": e.organisation_label, "action": e.action, "reason": e.reason, "outcome": e.outcome,
             "details": e.details} for e in entries]


def _latin1(text: str) -> str:
    # The PDF's built-in fonts cover Latin-1; anything else is shown as '?' rather than failing the export.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def custody_pdf(*, case_number: str, exporter: str, created: datetime, custody: list[dict]) -> bytes:
    """The chain of custody of each item as a printable PDF."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(f"Chain of custody - case {case_number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.cell(0, 6, _latin1(f"Exported {created.isoformat(timespec='seconds')} by {exporter}"),
             new_x="LMARGIN", new_y="NEXT")
    widths = (45, 60, 30, 45, 93)
    for record in custody:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5, _latin1(f"{record['name']} ({record['uid']})"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Courier", size=8)
        pdf.cell(0, 5, f"SHA-256 {record['sha256']}  size {record['size']} bytes", new_x="LMARGIN", new_y="NEXT")
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5) as table:
            pdf.set_font("Helvetica", size=8)
            table.row(["Time (UTC)", "Actor", "Role", "Action", "Reason"])
            for row in record["entries"]:
                table.row([_latin1(row["time"][:19]), _latin1(row["actor"]), _latin1(row["role"]),
                           _latin1(row["action"]), _latin1(row["reason"])])
    return bytes(pdf.output())


def evidence_export(*, actor: Actor, case_number: str, reason: str,
                    items: Iterable[EvidenceItem] | None = None) -> ExportPackage:
    """A ZIP of a case's items (or the ones given): `files/<uid>-<name>`, `manifest.json` with each file's
    size and SHA-256, and the custody log of each item as `custody.json` and `custody.pdf`. Written to a
    temporary file (the caller removes it) and audited per item with the package's own SHA-256."""
    from safecommons.cameras.selectors.evidence import evidence_locker

    reason = _reason_required(reason)
    case_number = case_number.strip()
    if not case_number:  # a package is one case's: its manifest and custody entries name it
        raise Refused(_("Give the case number to export."))
    chosen = list(items) if items is not None else list(evidence_locker(actor=actor, case_number=case_number))
    if not chosen:
        raise Refused(_("There is nothing in the locker under this case number."))
    for item in chosen:
        require(actor, "evidence.export", item)
    if any(item.case_number.lower() != case_number.lower() for item in chosen):
        raise Refused(_("A package holds the items of one case only."))
    created = timezone.now()
    membership = actor.primary_membership
    exporter = {"label": actor.label, "role": membership.role if membership else "",
                "organisation": membership.organisation_name if membership else ""}
    manifest_files, custody = [], []
    handle = tempfile.NamedTemporaryFile(prefix="evidence-export-", suffix=".zip", delete=False)
    path = Path(handle.name)
    try:
        with handle, zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for item in chosen:
                arcname = f"files/{item.uid}-{_safe_name(item.original_name)}"
                digest = hashlib.sha256()
                with item.file.open("rb") as source, archive.open(arcname, "w", force_zip64=True) as target:
                    while piece := source.read(1024 * 1024):
                        digest.update(piece)
                        target.write(piece)
                manifest_files.append({
                    "uid": str(item.uid), "name": arcname, "original_name": item.original_name, "size": item.size,
                    "sha256": item.sha256, "content_type": item.content_type, "case_number": item.case_number,
                    "received_at": item.received_at.isoformat(),
                    "matches_at_export": digest.hexdigest() == item.sha256})
                custody.append({"uid": str(item.uid), "name": item.original_name, "sha256": item.sha256,
                                "size": item.size, "entries": _custody_rows(item)})
            manifest = {"case_number": case_number, "created": created.isoformat(), "exporter": exporter,
                        "reason": reason, "files": manifest_files}
            deflate = zipfile.ZIP_DEFLATED
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False), deflate)
            archive.writestr("custody.json", json.dumps({"case_number": case_number, "items": custody}, indent=2,
                                                        ensure_ascii=False), deflate)
            archive.writestr("custody.pdf", custody_pdf(case_number=case_number, exporter=actor.label,
                                                        created=created, custody=custody), deflate)
        with open(path, "rb") as stream:
            package_sha256 = _sha256_of(stream)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    filename = f"evidence-{_safe_name(case_number)}-{created:%Y%m%d-%H%M%S}.zip"
    with transaction.atomic():
        for item in chosen:
            audit_record(action="evidence.exported", actor=actor, target=item, reason=reason, details={
                "case_number": case_number, "package": filename, "package_sha256": package_sha256,
                "files": len(chosen)})
    return ExportPackage(path=path, filename=filename, sha256=package_sha256, files=len(chosen))


# --- Previews and re-hashing


def evidence_preview_make(*, item_id: int) -> bool:
    """A JPEG preview made from a copy of the original (the original is never opened by a decoder):
    Pillow for images, one frame through ffmpeg for video when ffmpeg is installed. Returns whether one
    was made."""
    item = EvidenceItem.objects.get(pk=item_id)
    if item.preview:
        return True
    kind = item.content_type.split("/")[0]
    ffmpeg = shutil.which("ffmpeg")
    if kind not in {"image", "video"} or (kind == "video" and not ffmpeg):
        return False
    with tempfile.TemporaryDirectory(prefix="evidence-preview-") as workdir:
        copy, preview = Path(workdir) / "copy", Path(workdir) / "preview.jpg"
        with item.file.open("rb") as source, open(copy, "wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        made = _image_preview(copy, preview) if kind == "image" else _video_preview(ffmpeg, copy, preview)
        if not made:
            return False
        with open(preview, "rb") as stream:
            item.preview.save("preview.jpg", File(stream), save=False)
        item.save(update_fields=["preview"])
    return True


def _image_preview(source: Path, target: Path) -> bool:
    from PIL import Image

    try:
        with Image.open(source) as image:
            image.thumbnail((PREVIEW_PIXELS, PREVIEW_PIXELS))
            image.convert("RGB").save(target, "JPEG", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError):
        return False
    return True


def _video_preview(ffmpeg: str, source: Path, target: Path) -> bool:
    for seek in ("1", "0"):  # a clip shorter than a second has no frame at 1 s
        try:
            # Fixed arguments and our own temporary paths; nothing from the uploader reaches the command line.
            command = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-ss", seek, "-i", str(source),
                       "-frames:v", "1", "-vf", f"scale='min({PREVIEW_PIXELS},iw)':-2", str(target)]
            subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            continue
        if target.exists() and target.stat().st_size > 0:
            return True
    return False


@dataclass
class RehashReport:
    checked: int = 0
    ok: int = 0
    mismatched: int = 0
    missing: int = 0

    @property
    def all_ok(self) -> bool:
        return not self.mismatched and not self.missing


def evidence_rehash_all(progress: Callable[[int], object] | None = None) -> RehashReport:
    """Recompute the SHA-256 of every original from storage and compare it with the one taken on receipt.
    Sets each item's integrity; a mismatch or a missing file is an audit entry of its own."""
    report = RehashReport()
    for item in EvidenceItem.objects.order_by("pk").iterator(chunk_size=500):
        try:
            with item.file.open("rb") as stream:
                found = _sha256_of(stream)
        except (FileNotFoundError, OSError):
            found = None
        if found is None:
            integrity, action = EvidenceItem.Integrity.MISSING, "evidence.file_missing"
            report.missing += 1
        elif found != item.sha256:
            integrity, action = EvidenceItem.Integrity.MISMATCH, "evidence.hash_mismatch"
            report.mismatched += 1
        else:
            integrity, action = EvidenceItem.Integrity.OK, ""
            report.ok += 1
        item.integrity, item.verified_at = integrity, timezone.now()
        item.save(update_fields=["integrity", "verified_at"])
        if action:
            audit_record(action=action, actor_label=SYSTEM_LABEL, target=item, outcome=AuditEntry.Outcome.FAILED,
                         details={"case_number": item.case_number, "expected_sha256": item.sha256,
                                  "found_sha256": found})
        report.checked += 1
        if progress:
            progress(1)
    return report


def evidence_drafts_discard(*, footage_request: FootageRequest, by: str = "camera owner") -> int:
    """The files an owner uploaded for a request they then declined, answered "no footage" or let expire:
    never handed over, so not kept. The rows go with the caller's transaction, the stored copies once it
    commits (a rollback must not leave rows whose files are gone). `by` labels the audit entries (never the
    person: a decline names nobody). Returns how many."""
    doomed, count = [], 0
    for item in footage_request.evidence.all():
        count += 1
        doomed += [(stored.storage, stored.name) for stored in (item.file, item.preview) if stored]
        audit_record(action="evidence.discarded", actor_label=by, target=item,
                     details={"case_number": item.case_number, "sha256": item.sha256, "size": item.size,
                              "why": footage_request.status})
        item.delete()

    def delete_stored() -> None:
        for storage, name in doomed:
            storage.delete(name)

    if doomed:
        transaction.on_commit(delete_stored, robust=True)
    return count
