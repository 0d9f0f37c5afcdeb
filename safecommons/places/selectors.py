"""Reading places: which areas hold a point, who the neighborhood officers are, where an address is."""

from __future__ import annotations

from dataclasses import dataclass, field

import shapely
import shapely.prepared
from django.db.models import Case, Q, QuerySet, When
from django.utils import timezone
from shapely.geometry import shape

from safecommons.core.permissions import Actor, may, require
from safecommons.places.addresses import parse_lat_lon, split_address
from safecommons.places.geoindex import area_index
from safecommons.places.models import AddressPoint, Area, AreaImport, AreaKind, OfficerAssignment

# Smallest first: the neighborhood is what a resident means by "my area".
KIND_ORDER = [AreaKind.NEIGHBORHOOD, AreaKind.BEAT, AreaKind.SECTOR, AreaKind.JURISDICTION]


@dataclass(frozen=True)
class Located:
    longitude: float
    latitude: float
    label: str


@dataclass
class AreaLookup:
    """What the "find my neighborhood officer" page and API answer."""

    located: Located | None
    areas: list[Area] = field(default_factory=list)
    assignments: list[OfficerAssignment] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    upcoming_meetings: list = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.areas)


def areas_at_point(*, longitude: float, latitude: float) -> list[Area]:
    """Areas containing the point, neighborhood first, through the spatial index."""
    ids = area_index().containing(longitude, latitude)
    areas = list(Area.objects.filter(id__in=ids).select_related("agency"))
    return sorted(areas, key=lambda a: (KIND_ORDER.index(a.kind), a.name))


def assignments_current(*, areas: list[Area]) -> QuerySet[OfficerAssignment]:
    """Assignments in force today, the neighborhood's officers first."""
    today = timezone.localdate()
    kind_rank = Case(*[When(area__kind=kind, then=rank) for rank, kind in enumerate(KIND_ORDER)])
    return (
        OfficerAssignment.objects.filter(area__in=areas, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("officer", "area")
        .order_by(kind_rank, "duty", "officer__display_name")
    )


def address_locate(*, text: str, suggest: bool = True) -> tuple[Located | None, list[str]]:
    """Find an address in the local gazetteer. Returns the place, or nothing plus streets that look close
    (unless `suggest` is off: the search for them is the slow part)."""
    if coordinates := parse_lat_lon(text):
        lat, lon = coordinates
        return Located(lon, lat, f"{lat:.5f}, {lon:.5f}"), []
    parts = split_address(text)
    if parts is None:
        return None, []
    number, key = parts
    candidates = list(AddressPoint.objects.filter(street_key=key))
    if not candidates:
        if not suggest:
            return None, []
        words = key.split()
        name_word = max(words, key=len) if words else ""
        suggestions = (
            AddressPoint.objects.filter(street_key__contains=name_word).values_list("street", flat=True).distinct()[:5]
            if name_word
            else []
        )
        return None, list(suggestions)
    exact = [c for c in candidates if c.number == number]
    if exact:
        best = exact[0]
    else:
        # No such number: the nearest house number on the same street is within a few doors.
        wanted = _house_number(number)
        best = min(candidates, key=lambda c: abs(_house_number(c.number) - wanted))
    return Located(best.longitude, best.latitude, f"{best.number} {best.street}"), []


def _house_number(number: str) -> int:
    digits = "".join(ch for ch in number if ch.isdigit())
    return int(digits) if digits else 0


def area_lookup(*, longitude: float | None = None, latitude: float | None = None, address: str = "") -> AreaLookup:
    """Your area, your neighborhood officers and how to reach them, from a point or an address."""
    suggestions: list[str] = []
    if longitude is not None and latitude is not None:
        located = Located(longitude, latitude, f"{latitude:.5f}, {longitude:.5f}")
    else:
        located, suggestions = address_locate(text=address)
    if located is None:
        return AreaLookup(located=None, suggestions=suggestions)
    areas = areas_at_point(longitude=located.longitude, latitude=located.latitude)
    return AreaLookup(located=located, areas=areas, assignments=list(assignments_current(areas=areas)))


def areas_public(*, kinds: list[str] | None = None) -> QuerySet[Area]:
    """Area outlines are public information: anyone may list them."""
    qs = Area.objects.select_related("agency")
    return qs.filter(kind__in=kinds) if kinds else qs


def area_get(*, area_id: int) -> Area:
    return Area.objects.select_related("agency", "parent").get(pk=area_id)


def assignable_officer(*, actor: Actor, area: Area, email: str):
    """The agency's staff member with this email, for someone allowed to assign officers to the area.

    Checks the permission first, and answers the same for an unknown email and an outsider's, so the
    lookup tells nobody which emails have accounts.
    """
    from safecommons.accounts.models import User
    from safecommons.core.errors import Refused
    from safecommons.core.roles import AGENCY_ROLES

    require(actor, "officer.assign", area)
    officer = User.objects.filter(
        email__iexact=email.strip(), memberships__organisation_id=area.agency_id,
        memberships__role__in=AGENCY_ROLES, memberships__ended_at__isnull=True,
    ).first()
    if officer is None:
        raise Refused(f"No one with that email is on the staff of {area.agency}.")
    return officer


def agencies_importable_by(*, actor: Actor) -> QuerySet:
    """Agencies whose areas the actor may import."""
    from safecommons.partners.models import Organisation, OrganisationKind

    agencies = Organisation.objects.filter(kind=OrganisationKind.AGENCY, pk__in=actor.organisation_ids())
    return agencies.filter(pk__in=[agency.pk for agency in agencies if may(actor, "area.import", agency)])


def area_imports_for(*, actor: Actor, agency) -> QuerySet[AreaImport]:
    require(actor, "area.import", agency)
    return AreaImport.objects.filter(agency=agency)


def area_import_get(*, actor: Actor, import_id: int) -> AreaImport:
    area_import = AreaImport.objects.select_related("agency").get(pk=import_id)
    require(actor, "area.import", area_import.agency)
    return area_import



def located_in(*, area: Area, rows: QuerySet) -> QuerySet:
    """The rows (anything with longitude and latitude) whose point lies in the area, whichever smaller
    area they were filed under: a box query in the database, then the outline itself."""
    outline = shapely.prepared.prep(shape(area.geometry))
    boxed = rows.filter(latitude__gte=area.min_lat, latitude__lte=area.max_lat,
                        longitude__gte=area.min_lon, longitude__lte=area.max_lon)
    inside = [pk for pk, lon, lat in boxed.values_list("pk", "longitude", "latitude")
              if outline.intersects(shapely.Point(lon, lat))]
    return rows.filter(pk__in=inside)
