"""Writing places: GeoJSON imports of areas and addresses, officer assignments."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.events import publish_on_commit
from safecommons.core.geo import GeometryError, geojson_of, polygon_from_geojson
from safecommons.core.permissions import Actor, require
from safecommons.core.roles import AGENCY_ROLES
from safecommons.places.addresses import street_key
from safecommons.places.models import AddressPoint, Area, AreaImport, AreaKind, OfficerAssignment

Progress = Callable[[int], None]


@dataclass(frozen=True)
class FeatureProblem:
    feature: int  # 1-based position in the file's feature list; 0 for the file itself
    name: str
    reason: str

    def __str__(self) -> str:
        where = f"feature {self.feature}" + (f" ({self.name})" if self.name else "") if self.feature else "file"
        return f"{where}: {self.reason}"


@dataclass
class AreaImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    problems: list[FeatureProblem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


def _features_of(source: bytes | str | dict) -> list:
    if isinstance(source, bytes | str):
        try:
            source = json.loads(source)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise GeometryError(f"not valid JSON ({exc})") from None
    if not isinstance(source, dict):
        raise GeometryError("expected a GeoJSON FeatureCollection")
    if source.get("type") == "Feature":
        return [source]
    if source.get("type") != "FeatureCollection" or not isinstance(source.get("features"), list):
        raise GeometryError("expected a GeoJSON FeatureCollection with a list of features")
    return source["features"]


def areas_import_geojson(
    *,
    source: bytes | str | dict,
    agency,
    kind: str,
    actor: Actor,
    name_field: str = "name",
    code_field: str = "code",
    progress: Progress | None = None,
) -> AreaImportReport:
    """Create or update the agency's areas of one kind from GeoJSON features.

    Good features are imported; every bad one is reported with its position and the reason. An area is
    matched on (agency, kind, code); the code comes from `code_field`, or from the name when absent.
    """
    require(actor, "area.import", agency)
    report = AreaImportReport()
    try:
        features = _features_of(source)
    except GeometryError as exc:
        report.problems.append(FeatureProblem(0, "", str(exc)))
        return report
    report.total = len(features)
    seen_codes: dict[str, int] = {}
    valid: list[tuple[str, str, dict, tuple, dict]] = []
    for position, feature in enumerate(features, start=1):
        properties = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
        name = str(properties.get(name_field) or "").strip()
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise GeometryError("not a GeoJSON Feature")
            if not name:
                raise GeometryError(f"property {name_field!r} (the area's name) is missing")
            code = str(properties.get(code_field) or slugify(name)).strip()[:60]
            if code in seen_codes:
                raise GeometryError(f"code {code!r} repeats feature {seen_codes[code]}")
            geom = polygon_from_geojson(feature.get("geometry"))
        except GeometryError as exc:
            report.problems.append(FeatureProblem(position, name, str(exc)))
        else:
            seen_codes[code] = position
            valid.append((code, name, geojson_of(geom), geom.bounds, properties))
        if progress:
            progress(1)

    with transaction.atomic():
        for code, name, geometry, (min_lon, min_lat, max_lon, max_lat), properties in valid:
            _, created = Area.objects.update_or_create(
                agency=agency,
                kind=kind,
                code=code,
                defaults={
                    "name": name[:200],
                    "geometry": geometry,
                    "min_lon": min_lon,
                    "min_lat": min_lat,
                    "max_lon": max_lon,
                    "max_lat": max_lat,
                    "properties": properties,
                },
            )
            if created:
                report.created += 1
            else:
                report.updated += 1
        audit_record(
            action="areas.imported",
            actor=actor,
            organisation=agency,
            object_type="places.area",
            details={"kind": kind, "created": report.created, "updated": report.updated,
                     "rejected": len(report.problems)},
        )
    return report


def area_import_queue(*, actor: Actor, agency, kind: str, uploaded_file) -> AreaImport:
    """Keep an uploaded GeoJSON file and queue its import; the uploader watches the status line."""
    from safecommons.places.tasks import area_import_run

    require(actor, "area.import", agency)
    if kind not in AreaKind.values:
        raise Refused(f"kind must be one of {', '.join(AreaKind.values)}")
    if uploaded_file.size > settings.AREA_IMPORT_MAX_BYTES:
        raise Refused(f"The file is larger than {settings.AREA_IMPORT_MAX_BYTES // (1024 * 1024)} MB.")
    with transaction.atomic():
        area_import = AreaImport.objects.create(
            agency=agency,
            kind=kind,
            file=uploaded_file,
            original_name=uploaded_file.name[:200],
            created_by_id=actor.user_id,
        )
        transaction.on_commit(lambda: area_import_run.enqueue(area_import.pk))
    return area_import


def area_import_process(*, import_id: int, actor: Actor) -> AreaImport:
    """Run a queued import, saving progress as it goes. Safe to run again after a crash."""
    area_import = AreaImport.objects.select_related("agency").get(pk=import_id)
    area_import.status = AreaImport.Status.RUNNING
    area_import.processed = 0
    area_import.save(update_fields=["status", "processed", "updated_at"])
    processed = 0

    def progress(count: int) -> None:
        nonlocal processed
        processed += count
        if processed % 25 == 0:
            AreaImport.objects.filter(pk=import_id).update(processed=processed)
            _publish_import(area_import, processed=processed)

    with area_import.file.open("rb") as handle:
        data = handle.read()
    report = areas_import_geojson(
        source=data, agency=area_import.agency, kind=area_import.kind, actor=actor, progress=progress
    )
    area_import.total = report.total
    area_import.processed = report.total
    area_import.created, area_import.updated = report.created, report.updated
    area_import.errors = [{"feature": p.feature, "name": p.name, "reason": p.reason} for p in report.problems]
    failed_whole_file = report.total == 0 and report.problems
    area_import.status = AreaImport.Status.FAILED if failed_whole_file else AreaImport.Status.DONE
    area_import.message = (
        str(report.problems[0]) if failed_whole_file
        else f"{report.created} created, {report.updated} updated, {len(report.problems)} rejected"
    )
    area_import.save()
    _publish_import(area_import, processed=area_import.processed)
    return area_import


def _publish_import(area_import: AreaImport, *, processed: int) -> None:
    if area_import.created_by_id:
        publish_on_commit(
            f"user.{area_import.created_by_id}",
            {"type": "area_import", "id": area_import.pk, "status": area_import.status,
             "processed": processed, "total": area_import.total, "message": area_import.message},
        )


def addresses_import(*, rows, replace: bool = False, progress: Progress | None = None) -> tuple[int, list[str]]:
    """Load gazetteer rows (number, street, longitude, latitude[, postcode]); returns (count, problems)."""
    problems: list[str] = []
    batch: list[AddressPoint] = []
    count = 0
    with transaction.atomic():
        if replace:
            AddressPoint.objects.all().delete()
        for line, row in rows:
            try:
                lon, lat = float(row["longitude"]), float(row["latitude"])
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError("coordinates out of range")
                number, street = str(row["number"]).strip().upper(), str(row["street"]).strip()
                if not number or not street:
                    raise ValueError("number and street are required")
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(f"line {line}: {exc}")
                continue
            batch.append(AddressPoint(number=number, street=street, street_key=street_key(street),
                                      postcode=str(row.get("postcode") or ""), longitude=lon, latitude=lat))
            if len(batch) >= 2000:
                AddressPoint.objects.bulk_create(batch)
                count += len(batch)
                batch.clear()
            if progress:
                progress(1)
        AddressPoint.objects.bulk_create(batch)
        count += len(batch)
    return count, problems


def officer_assign(
    *,
    actor: Actor,
    area: Area,
    officer,
    duty: str,
    starts_on: date,
    public_phone: str = "",
    public_email: str = "",
    shift: str = "",
) -> OfficerAssignment:
    """Assign an officer of the area's agency to the area; audited."""
    require(actor, "officer.assign", area)
    from safecommons.core.permissions import actor_for_user

    if not actor_for_user(officer).holds(AGENCY_ROLES, area.agency_id):
        raise Refused(f"{officer} is not on the staff of {area.agency}")
    with transaction.atomic():
        assignment = OfficerAssignment.objects.create(
            area=area, officer=officer, duty=duty, starts_on=starts_on,
            public_phone=public_phone, public_email=public_email, shift=shift,
        )
        audit_record(action="officer.assigned", actor=actor, target=assignment,
                     details={"area": area.pk, "officer": officer.pk, "duty": duty})
    return assignment


def officer_unassign(*, actor: Actor, assignment: OfficerAssignment, ends_on: date) -> OfficerAssignment:
    require(actor, "officer.assign", assignment.area)
    with transaction.atomic():
        assignment.ends_on = ends_on
        assignment.save(update_fields=["ends_on", "updated_at"])
        audit_record(action="officer.unassigned", actor=actor, target=assignment)
    return assignment
