from datetime import date

from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from safecommons.core.api import PUBLIC_DOC, SESSION_ONLY, request_actor
from safecommons.core.errors import Refused
from safecommons.partners.models import Organisation
from safecommons.places import selectors, services
from safecommons.places.models import OfficerAssignment

router = Router(tags=["places"])


class AreaOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    agency: str

    @staticmethod
    def resolve_agency(obj):
        return obj.agency.name


class OfficerOut(Schema):
    name: str
    duty: str
    area_id: int
    phone: str
    email: str
    shift: str


class LookupOut(Schema):
    found: bool
    place: str | None
    longitude: float | None
    latitude: float | None
    areas: list[AreaOut]
    officers: list[OfficerOut]
    suggestions: list[str]
    upcoming_meetings: list[dict]


def officer_out(assignment: OfficerAssignment) -> OfficerOut:
    return OfficerOut(
        name=str(assignment.officer), duty=assignment.get_duty_display(), area_id=assignment.area_id,
        phone=assignment.public_phone, email=assignment.public_email, shift=assignment.shift,
    )


@router.get("/lookup", response=LookupOut, auth=None, openapi_extra=PUBLIC_DOC)
def lookup(request, address: str = "", lat: float | None = None, lon: float | None = None):
    """Your area and neighborhood officer(s) from an address in the local gazetteer or a lat/lon point."""
    if (lat is None) != (lon is None):
        raise Refused("Give both lat and lon, or an address.")
    if lat is None and not address.strip():
        raise Refused("Give an address, or lat and lon.")
    result = selectors.area_lookup(longitude=lon, latitude=lat, address=address)
    located = result.located
    return LookupOut(
        found=result.found, place=located.label if located else None,
        longitude=located.longitude if located else None, latitude=located.latitude if located else None,
        areas=result.areas, officers=[officer_out(a) for a in result.assignments],
        suggestions=result.suggestions, upcoming_meetings=result.upcoming_meetings,
    )


@router.get("/areas", auth=None, openapi_extra=PUBLIC_DOC, url_name="areas_geojson")
def areas_geojson(request, kind: str = ""):
    """Area outlines as a GeoJSON FeatureCollection (public information)."""
    kinds = [k for k in kind.split(",") if k] or None
    features = [
        {"type": "Feature", "id": area.pk, "geometry": area.geometry,
         "properties": {"id": area.pk, "kind": area.kind, "code": area.code, "name": area.name,
                        "agency": area.agency.name}}
        for area in selectors.areas_public(kinds=kinds)
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/areas/{area_id}", response=AreaOut, auth=None, openapi_extra=PUBLIC_DOC)
def area_detail(request, area_id: int):
    return selectors.area_get(area_id=area_id)


class ImportOut(Schema):
    id: int
    status: str
    kind: str
    total: int
    processed: int
    created: int
    updated: int
    errors: list[dict]
    message: str


@router.post("/imports", response={202: ImportOut}, auth=SESSION_ONLY)
def import_create(request, agency: Form[str], kind: Form[str], file: File[UploadedFile]):
    """Upload a GeoJSON FeatureCollection of areas; it is imported in the background (poll the import)."""
    organisation = get_object_or_404(Organisation, slug=agency)
    area_import = services.area_import_queue(actor=request_actor(request), agency=organisation, kind=kind,
                                             uploaded_file=file)
    return Status(202, area_import)


@router.get("/imports/{import_id}", response=ImportOut, auth=SESSION_ONLY, url_name="import_detail")
def import_detail(request, import_id: int):
    return selectors.area_import_get(actor=request_actor(request), import_id=import_id)


class AssignmentIn(Schema):
    officer_email: str
    duty: str
    starts_on: date
    public_phone: str = ""
    public_email: str = ""
    shift: str = ""


@router.post("/areas/{area_id}/assignments", response={201: OfficerOut}, auth=SESSION_ONLY)
def assignment_create(request, area_id: int, payload: AssignmentIn):
    """Assign an officer of the area's agency to the area (agency admins and supervisors)."""
    area = selectors.area_get(area_id=area_id)
    officer = selectors.assignable_officer(actor=request_actor(request), area=area, email=payload.officer_email)
    if payload.duty not in OfficerAssignment.Duty.values:
        raise Refused(f"duty must be one of {', '.join(OfficerAssignment.Duty.values)}")
    assignment = services.officer_assign(
        actor=request_actor(request), area=area, officer=officer, duty=payload.duty, starts_on=payload.starts_on,
        public_phone=payload.public_phone, public_email=payload.public_email, shift=payload.shift,
    )
    return Status(201, officer_out(assignment))
