"""The public crime map over HTTP, open to anyone: generalised points, hexagon counts, area counts and
downloads of exactly what the map shows. Never an exact place, a case number or a NIBRS code; never a point
for a sensitive offense. Every operation takes the same filters as the page /crime/map/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from safecommons.core.api import PUBLIC_DOC
from safecommons.core.csvsafe import csv_lines
from safecommons.core.errors import Refused
from safecommons.crimedata.selectors import public as selectors
from safecommons.crimedata.selectors import public_areas
from safecommons.crimedata.selectors.public import PublicFilter, PublicPoint

router = Router(tags=["crime map"])

# Revalidated on every use: a cached answer would let the map disagree with the page's tables (always fresh)
# for minutes after a publication rule changes or an import lands.
CACHE = "no-cache"


class FilterQuery(Schema):
    """The filters of the public map (the page's form sends the same)."""

    agency: str | None = None  # an agency's slug; by default the agency with crime records
    group: list[str] | None = None  # offense groups, repeated or comma-separated; default every public one
    start: date | None = None  # default: 28 days before `end`
    end: date | None = None  # default: the agency's latest record, or today if earlier
    hour_from: int | None = None  # 0-23, included; with hour_to > hour_from the range wraps past midnight
    hour_to: int | None = None
    weekday: list[str] | None = None  # 0 = Monday … 6 = Sunday, or mon … sun
    area: int | None = None  # a neighborhood's id (see /api/places/areas?kind=neighborhood)


def public_filter(request: HttpRequest) -> PublicFilter:
    """The filter of a public request, read from its query string by the same parser as the page's."""
    agency = selectors.public_agency(slug=request.GET.get("agency") or None)
    if agency is None:
        raise Refused(_("No agency publishes crime data here yet."))
    return selectors.public_filter_parse(agency=agency, params=request.GET)


def _bbox(text: str) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise Refused(_("Give bbox as west,south,east,north in degrees.")) from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise Refused(_("Give bbox as west,south,east,north in degrees."))
    return west, south, east, north


def point_feature(point: PublicPoint) -> dict:
    geometry = None
    if point.latitude is not None and point.longitude is not None:
        geometry = {"type": "Point", "coordinates": [point.longitude, point.latitude]}
    return {"type": "Feature", "geometry": geometry, "properties": {
        "kind": "point", "offense_group": point.offense_group, "offense": point.label,
        "date": point.date.isoformat(), "hour": point.hour, "weekday": point.weekday,
        "block": point.block, "neighborhood": point.area}}


# --- Points


class PointGeometry(Schema):
    type: str = "Point"
    coordinates: list[float]  # [longitude, latitude] of the grid cell centre (never the exact place)


class PointProperties(Schema):
    kind: str = "point"
    offense_group: str
    offense: str  # the group's label
    date: str  # YYYY-MM-DD, local calendar
    hour: int | None  # 0-23, local; None when the source did not say
    weekday: int  # 0 = Monday
    block: str  # "1200 block of MAIN ST", or empty
    neighborhood: str


class PointFeature(Schema):
    type: str = "Feature"
    geometry: PointGeometry | None
    properties: PointProperties


class PointsOut(Schema):
    type: str = "FeatureCollection"
    features: list[PointFeature]
    total: int  # the points the filters (and bbox) match
    truncated: bool  # more than `limit` matched: only the newest are given


@router.get("/public/points", response=PointsOut, auth=None, openapi_extra=PUBLIC_DOC, url_name="crime_points")
def points(request, response: HttpResponse, filters: Query[FilterQuery], bbox: str = "",
           limit: int = selectors.POINT_LIMIT):
    """Records of the offense groups the agency shows at a point, newest first, each at the centre of its
    grid cell (never its exact place) with its hundred-block as text, as a GeoJSON FeatureCollection.
    `bbox` (west,south,east,north) keeps those inside; at most `limit` (up to 5,000) are given. Sensitive
    groups are never here: see /public/areas."""
    response["Cache-Control"] = CACHE
    the_filter = public_filter(request)
    box = _bbox(bbox)
    limit = max(1, min(limit, selectors.POINT_LIMIT))
    total = selectors.public_point_count(public_filter=the_filter, bbox=box)
    features = [point_feature(p) for p in selectors.public_points(public_filter=the_filter, bbox=box, limit=limit)]
    return {"type": "FeatureCollection", "features": features, "total": total, "truncated": total > limit}


# --- Hexagons


class HexGeometry(Schema):
    type: str = "Polygon"
    coordinates: list[list[list[float]]]  # one closed ring of [longitude, latitude]


class HexProperties(Schema):
    count: int


class HexFeature(Schema):
    type: str = "Feature"
    id: str  # the H3 cell
    geometry: HexGeometry
    properties: HexProperties


class HexesOut(Schema):
    type: str = "FeatureCollection"
    features: list[HexFeature]
    resolution: int


@router.get("/public/hexes", response=HexesOut, auth=None, openapi_extra=PUBLIC_DOC, url_name="crime_hexes")
def hexes(request, response: HttpResponse, filters: Query[FilterQuery], zoom: int | None = None,
          resolution: int | None = None):
    """Records of the groups shown at a point, counted per H3 hexagon: at `resolution` (5-9), or at the one
    that suits a web map's `zoom` (10 → 7, 12 → 8, 14 → 9; default 8). Sensitive groups are never counted
    in a hexagon."""
    response["Cache-Control"] = CACHE
    the_filter = public_filter(request)
    if resolution is None:
        resolution = selectors.hex_resolution_for_zoom(zoom) if zoom is not None else 8
    cells = selectors.public_hexes(public_filter=the_filter, resolution=resolution)
    return {"type": "FeatureCollection", "resolution": resolution, "features": [
        {"type": "Feature", "id": cell.cell, "properties": {"count": cell.count},
         "geometry": {"type": "Polygon", "coordinates": [[list(v) for v in cell.boundary] + [list(cell.boundary[0])]]}}
        for cell in cells]}


# --- Area counts


class MonthCountOut(Schema):
    offense_group: str
    offense: str
    month: str  # YYYY-MM: a whole calendar month
    count: int | None  # None when withheld
    withheld: bool
    text: str  # the number, "fewer than N", or for a total "withheld"


class AreaCountsOut(Schema):
    area_id: int
    name: str
    counts: list[MonthCountOut]


class AreasOut(Schema):
    start: date
    end: date
    months: list[str]  # the whole months the dates overlap (ended ones only)
    areas: list[AreaCountsOut]
    totals: list[MonthCountOut]  # over all neighborhoods, per group and month


def _month_count(table: public_areas.GroupMonthTable, count: public_areas.MonthCount) -> dict:
    return {"offense_group": table.offense_group, "offense": table.label, "month": count.month_text,
            "count": count.count, "withheld": count.withheld, "text": count.text}


def areas_out(the_filter: PublicFilter, tables: list[public_areas.GroupMonthTable]) -> dict:
    by_area: dict[int, dict] = {}
    for table in tables:
        for row in table.areas:
            entry = by_area.setdefault(row.area_id, {"area_id": row.area_id, "name": row.name, "counts": []})
            entry["counts"] += [_month_count(table, c) for c in row.counts]
    months = public_areas.public_months(start=the_filter.start, end=the_filter.end)
    return {"start": the_filter.start, "end": the_filter.end, "months": [m.strftime("%Y-%m") for m in months],
            "areas": sorted(by_area.values(), key=lambda entry: entry["name"]),
            "totals": [_month_count(table, c) for table in tables for c in table.total]}


@router.get("/public/areas", response=AreasOut, auth=None, openapi_extra=PUBLIC_DOC, url_name="crime_areas")
def areas(request, response: HttpResponse, filters: Query[FilterQuery]):
    """For the offense groups shown only as counts (sex offenses, domestic violence, offenses against
    children…): the count per neighborhood per whole calendar month that the dates overlap (months that have
    ended), or "fewer than N" (`count` null, `withheld` true) below the group's smallest count; and per month
    the count over all neighborhoods (`totals`), withheld when a withheld count could be worked out from it.
    Hours and weekdays do not apply to these groups, and the cells are the same whatever the filters."""
    response["Cache-Control"] = CACHE
    the_filter = public_filter(request)
    return areas_out(the_filter, public_areas.public_area_tables(public_filter=the_filter))


# --- Downloads: the same selectors as the map and the page, for the same filters


CSV_COLUMNS = ["kind", "offense_group", "offense", "date", "hour", "weekday", "block", "latitude", "longitude",
               "neighborhood", "count"]


def csv_rows(the_filter: PublicFilter) -> Iterator[list]:
    """The rows of the CSV download: each point, then each monthly area count (`date` is the month), then
    each month's count over all neighborhoods (`area_total`, no neighborhood)."""
    yield CSV_COLUMNS
    for p in selectors.public_points(public_filter=the_filter):
        yield ["point", p.offense_group, p.label, p.date.isoformat(), "" if p.hour is None else p.hour, p.weekday,
               p.block, "" if p.latitude is None else p.latitude, "" if p.longitude is None else p.longitude,
               p.area, ""]
    tables = public_areas.public_area_tables(public_filter=the_filter)
    for table in tables:
        for row in table.areas:
            for c in row.counts:
                yield ["area_count", table.offense_group, table.label, c.month_text, "", "", "", "", "", row.name,
                       c.text]
    for table in tables:
        for c in table.total:
            yield ["area_total", table.offense_group, table.label, c.month_text, "", "", "", "", "", "", c.text]


def _filename(the_filter: PublicFilter, extension: str) -> str:
    return f"crime-map-{the_filter.start.isoformat()}-to-{the_filter.end.isoformat()}.{extension}"


@router.get("/public/download.csv", auth=None, openapi_extra=PUBLIC_DOC, url_name="crime_download_csv")
def download_csv(request, filters: Query[FilterQuery]):
    """What the public map shows for these filters, as CSV: one `point` row per record of a group shown at
    a point (generalised place), then one `area_count` row per neighborhood, area-only group and whole month
    (`date` is the month, YYYY-MM; `count` is the number or "fewer than N"), then one `area_total` row per
    group and month over all neighborhoods (the number or "withheld")."""
    the_filter = public_filter(request)
    response = StreamingHttpResponse(csv_lines(csv_rows(the_filter)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(the_filter, "csv")}"'
    response["Cache-Control"] = CACHE
    return response


def geojson_chunks(the_filter: PublicFilter) -> Iterator[str]:
    """The GeoJSON download, written a feature at a time: the points, then each neighborhood's counts on
    its outline."""
    yield '{"type": "FeatureCollection", "features": ['
    first = True
    for p in selectors.public_points(public_filter=the_filter):
        yield ("" if first else ",\n") + json.dumps(point_feature(p))
        first = False
    tables = public_areas.public_area_tables(public_filter=the_filter)
    outlines = dict(selectors.public_neighborhoods(agency_id=the_filter.agency_id)
                    .filter(pk__in={row.area_id for table in tables for row in table.areas})
                    .values_list("pk", "geometry"))
    for table in tables:
        for row in table.areas:
            for c in row.counts:
                feature = {"type": "Feature", "geometry": outlines.get(row.area_id), "properties": {
                    "kind": "area_count", "offense_group": table.offense_group, "offense": table.label,
                    "month": c.month_text, "neighborhood": row.name, "count": c.count, "withheld": c.withheld,
                    "text": c.text}}
                yield ("" if first else ",\n") + json.dumps(feature)
                first = False
    for table in tables:
        for c in table.total:
            feature = {"type": "Feature", "geometry": None, "properties": {
                "kind": "area_total", "offense_group": table.offense_group, "offense": table.label,
                "month": c.month_text, "neighborhood": "", "count": c.count, "withheld": c.withheld, "text": c.text}}
            yield ("" if first else ",\n") + json.dumps(feature)
            first = False
    yield "]}\n"


@router.get("/public/download.geojson", auth=None, openapi_extra=PUBLIC_DOC, url_name="crime_download_geojson")
def download_geojson(request, filters: Query[FilterQuery]):
    """What the public map shows for these filters, as GeoJSON: a Point feature per record of a group shown
    at a point (null geometry when it has no public place), then a feature per neighborhood, area-only group
    and whole month on the neighborhood's outline, with `month`, `count` (null when withheld) and `text`, then
    per group and month the count over all neighborhoods (`area_total`, no geometry)."""
    the_filter = public_filter(request)
    response = StreamingHttpResponse(geojson_chunks(the_filter), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{_filename(the_filter, "geojson")}"'
    response["Cache-Control"] = CACHE
    return response
