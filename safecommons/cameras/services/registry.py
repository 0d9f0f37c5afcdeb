"""Writing the camera registry: register, edit, pause, resume, withdraw, and import many from CSV.

Every field is checked by one function (`camera_fields_clean`), whether it comes from a form, the API
or a CSV row, so a row is refused for the same reasons, in the same words, as a form.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import h3
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.cameras.models import Camera
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.partners.models import Organisation, Site

# Resolution 9 cells are about 0.1 km² (a city block or two): fine enough for a density map, too coarse to
# point at a house. The public map shows a cell only with at least COVERAGE_MIN_COUNT cameras in it.
COVERAGE_RESOLUTION = 9
MAX_RANGE_M = 1000.0
MAX_RETENTION_DAYS = 3650
EDITABLE = ("name", "longitude", "latitude", "bearing_deg", "fov_deg", "range_m", "placement", "retention_days",
            "live_share_capable", "share_exact_location", "preferred_contact", "external_ref")
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}


def camera_fields_clean(raw: dict[str, Any]) -> dict[str, Any]:
    """Check and convert camera fields (strings from a CSV row are fine); Refused names the first problem."""
    data: dict[str, Any] = {}
    name = str(raw.get("name", "")).strip()
    if not name:
        raise Refused(_("Give the camera a name (e.g. 'Front door')."))
    data["name"] = name[:120]
    data["latitude"] = _number(raw, "latitude", -90, 90, _("latitude"))
    data["longitude"] = _number(raw, "longitude", -180, 180, _("longitude"))
    data["bearing_deg"] = _number(raw, "bearing_deg", -360, 720, _("bearing")) % 360  # 450° is 90°
    data["fov_deg"] = _number(raw, "fov_deg", 1, 360, _("field of view"))
    data["range_m"] = _number(raw, "range_m", 1, MAX_RANGE_M, _("range"))
    data["retention_days"] = int(_number(raw, "retention_days", 0, MAX_RETENTION_DAYS, _("retention days")))
    placement = str(raw.get("placement") or Camera.Placement.OUTDOOR).strip().lower()
    if placement not in Camera.Placement.values:
        raise Refused(_("Placement must be outdoor or indoor, not %(value)r.") % {"value": placement})
    data["placement"] = placement
    for name_ in ("live_share_capable", "share_exact_location"):
        data[name_] = _flag(raw.get(name_, False), name_)
    data["preferred_contact"] = str(raw.get("preferred_contact") or "").strip()[:200]
    data["external_ref"] = str(raw.get("external_ref") or "").strip()[:80]
    return data


def _number(raw: dict, name: str, low: float, high: float, label: str) -> float:
    value = raw.get(name)
    if value is None or str(value).strip() == "":
        raise Refused(_("The %(field)s is missing.") % {"field": label})
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Refused(_("The %(field)s must be a number, not %(value)r.") % {"field": label, "value": value}) from None
    if number != number or not low <= number <= high:  # NaN, or out of range
        raise Refused(_("The %(field)s must be between %(low)s and %(high)s.")
                      % {"field": label, "low": f"{low:g}", "high": f"{high:g}"})
    return number


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Refused(_("%(field)s must be yes or no, not %(value)r.") % {"field": name, "value": value})


def _coverage_cell(latitude: float, longitude: float) -> str:
    return h3.latlng_to_cell(latitude, longitude, COVERAGE_RESOLUTION)


# --- One camera


def _site_check(site: Site | None, organisation_id: int | None) -> None:
    # A site belongs to one organisation; a camera can only be placed at a site of its owner.
    if site is not None and (organisation_id is None or site.organisation_id != organisation_id):
        raise Refused(_("That site belongs to another organisation."))


def camera_register(*, actor: Actor, organisation: Organisation | None = None,
                    managed_by: Organisation | None = None, site: Site | None = None, **fields: Any) -> Camera:
    """Register a camera for oneself (organisation None) or for an organisation one works for (or manages
    cameras for, as its security company under an agreement), optionally at one of its sites."""
    require(actor, "camera.register", organisation)
    if managed_by is not None:
        require(actor, "camera.register", managed_by)
    _site_check(site, organisation.pk if organisation is not None else None)
    data = camera_fields_clean(fields)
    with transaction.atomic():
        camera = Camera.objects.create(
            owner_user_id=actor.user_id if organisation is None else None, owner_organisation=organisation,
            managed_by=managed_by, site=site, coverage_cell=_coverage_cell(data["latitude"], data["longitude"]),
            **data,
        )
        audit_record(action="camera.registered", actor=actor, target=camera, organisation=organisation)
    return camera


_UNCHANGED: Any = object()


def camera_update(*, actor: Actor, camera: Camera, site: Site | None = _UNCHANGED, **fields: Any) -> Camera:
    """Change a camera's fields (those not given stay as they are); `site=None` takes it off its site."""
    require(actor, "camera.manage", camera)
    current = {name: getattr(camera, name) for name in EDITABLE}
    data = camera_fields_clean({**current, **fields})
    if site is not _UNCHANGED:
        _site_check(site, camera.owner_organisation_id)
    with transaction.atomic():
        for name, value in data.items():
            setattr(camera, name, value)
        if site is not _UNCHANGED:
            camera.site = site
        camera.coverage_cell = _coverage_cell(camera.latitude, camera.longitude)
        camera.save()
        audit_record(action="camera.updated", actor=actor, target=camera,
                     details={"changed": sorted(n for n in data if data[n] != current[n])})
    return camera


def camera_status_set(*, actor: Actor, camera: Camera, status: str) -> Camera:
    """Pause (left out of canvasses), resume, or withdraw (gone for good; the request history stays)."""
    require(actor, "camera.manage", camera)
    if status not in Camera.Status.values:
        raise Refused(_("Unknown status %(status)r.") % {"status": status})
    if camera.status == Camera.Status.WITHDRAWN:
        raise Refused(_("This camera was withdrawn; register it again to bring it back."))
    with transaction.atomic():
        camera.status = status
        camera.save(update_fields=["status", "updated_at"])
        audit_record(action=f"camera.{status}", actor=actor, target=camera)
    return camera


# --- Many cameras from a CSV file

UPDATE_BATCH = 100
CSV_COLUMNS = ("external_ref", "name", "latitude", "longitude", "bearing_deg", "fov_deg", "range_m", "placement",
               "retention_days", "live_share_capable", "share_exact_location", "preferred_contact")
CSV_REQUIRED = ("name", "latitude", "longitude", "bearing_deg", "fov_deg", "range_m", "retention_days")


# A CSV of 100,000 cameras is about 10 MB; twice that leaves room without letting one upload fill memory.
IMPORT_MAX_BYTES = 20 * 1024 * 1024


def csv_upload_size_check(size: int) -> None:
    """Refuse a CSV file over the limit before reading it."""
    if size > IMPORT_MAX_BYTES:
        raise Refused(_("The file is larger than %(limit)s MB. Split it into smaller files and import each.")
                      % {"limit": IMPORT_MAX_BYTES // (1024 * 1024)})


def csv_upload_text(data: bytes) -> str:
    """The text of an uploaded CSV file, refused when it is too large or not UTF-8 (a spreadsheet's
    "CSV UTF-8" export; a byte-order mark is fine)."""
    csv_upload_size_check(len(data))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(_("The file is not UTF-8 text. Save it as \"CSV UTF-8\" and try again.")) from None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    @property
    def total(self) -> int:
        return self.created + self.updated + len(self.rejected)


def cameras_import_csv(*, actor: Actor, organisation: Organisation, text: str,
                       managed_by: Organisation | None = None, batch: int = 2000) -> ImportReport:
    """Import an organisation's cameras. Good rows are stored (a known `external_ref` updates its camera);
    each bad row is reported with its line number and reason, and costs nothing else."""
    require(actor, "camera.register", organisation)
    if managed_by is not None:
        require(actor, "camera.register", managed_by)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise Refused(_("The file's first line must name the columns; missing: %(columns)s. Expected: %(all)s.")
                      % {"columns": ", ".join(missing), "all": ", ".join(CSV_COLUMNS)})
    report = ImportReport()
    rows: list[tuple[int, dict]] = []
    for row in reader:
        line = reader.line_num
        try:
            rows.append((line, camera_fields_clean(row)))
        except Refused as exc:
            report.rejected.append((line, str(exc)))
        if len(rows) >= batch:
            _import_batch(organisation, managed_by, rows, report)
            rows = []
    _import_batch(organisation, managed_by, rows, report)
    audit_record(action="camera.imported", actor=actor, organisation=organisation,
                 details={"created": report.created, "updated": report.updated, "rejected": len(report.rejected)})
    return report


def _import_batch(organisation, managed_by, rows: list[tuple[int, dict]], report: ImportReport) -> None:
    if not rows:
        return
    refs = [data["external_ref"] for _line, data in rows if data["external_ref"]]
    existing = {c.external_ref: c for c in Camera.objects.filter(owner_organisation=organisation,
                                                                 external_ref__in=refs)}
    new, changed, seen = [], [], set()
    for line, data in rows:
        ref = data["external_ref"]
        if ref and ref in seen:
            report.rejected.append((line, _("The external_ref %(ref)r appears twice in the file.") % {"ref": ref}))
            continue
        seen.add(ref)
        cell = _coverage_cell(data["latitude"], data["longitude"])
        if ref in existing:
            camera = existing[ref]
            for name, value in data.items():
                setattr(camera, name, value)
            camera.coverage_cell = cell
            # bulk_update skips auto_now; the canvass index catches up by updated_at (cameras/index.py)
            camera.updated_at = timezone.now()
            changed.append(camera)
        else:
            new.append(Camera(owner_organisation=organisation, managed_by=managed_by, coverage_cell=cell, **data))
    with transaction.atomic():
        Camera.objects.bulk_create(new)
        if changed:
            # Small statements: each is a CASE over its rows per column, whose cost grows with the square of
            # its length (2,000 rows at once made a 100,000-camera re-import take 13 minutes).
            Camera.objects.bulk_update(changed, [*EDITABLE, "coverage_cell", "updated_at"], batch_size=UPDATE_BATCH)
    report.created += len(new)
    report.updated += len(changed)
