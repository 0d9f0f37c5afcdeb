"""Public camera data over HTTP, open to anyone: coverage density per hexagon (never a camera) and the
monthly transparency counts (never a person, case or camera)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Schema

from safecommons.cameras.models import OffenseGroup
from safecommons.cameras.selectors import registry as registry_selectors
from safecommons.cameras.selectors import transparency as transparency_selectors
from safecommons.cameras.services.registry import COVERAGE_RESOLUTION
from safecommons.core.api import PUBLIC_DOC

router = Router(tags=["cameras"])


class HexagonGeometry(Schema):
    type: str = "Polygon"
    coordinates: list[list[list[float]]]  # one closed ring of [longitude, latitude]


class CellCount(Schema):
    count: int


class CoverageFeature(Schema):
    type: str = "Feature"
    id: str  # the H3 cell
    geometry: HexagonGeometry
    properties: CellCount


class CoverageOut(Schema):
    type: str = "FeatureCollection"
    features: list[CoverageFeature]
    min_count: int
    resolution: int


@router.get("/coverage", response=CoverageOut, auth=None, openapi_extra=PUBLIC_DOC, url_name="coverage")
def coverage(request, response: HttpResponse):
    """Registered active cameras counted per H3 cell (resolution 9, about 0.1 km²), as a GeoJSON
    FeatureCollection of hexagons with a `count` each. Cells with fewer than `min_count` cameras are left out;
    no camera's position is ever given."""
    response["Cache-Control"] = "public, max-age=300"
    features = [{
        "type": "Feature", "id": cell.cell,
        "geometry": {"type": "Polygon", "coordinates": [[[lon, lat] for lon, lat in cell.boundary]
                                                         + [list(cell.boundary[0])]]},
        "properties": {"count": cell.count},
    } for cell in registry_selectors.coverage_density()]
    return {"type": "FeatureCollection", "features": features,
            "min_count": registry_selectors.COVERAGE_MIN_COUNT, "resolution": COVERAGE_RESOLUTION}


class Outcomes(Schema):
    made: int
    approved: int
    declined: int
    no_footage: int
    expired: int
    pending: int


class GroupOutcomes(Outcomes):
    group: OffenseGroup
    label: str


class MonthOut(Schema):
    month: str  # YYYY-MM
    requests: Outcomes
    by_offense_group: list[GroupOutcomes]
    live_grants: int
    live_openings: int


class TransparencyOut(Schema):
    period: str  # "last-12-months" or the year
    months: list[MonthOut]
    totals: MonthOut


def _month_out(counts: transparency_selectors.MonthCounts, label: str) -> MonthOut:
    return MonthOut(
        month=label, requests=Outcomes(**counts.requests),
        by_offense_group=[GroupOutcomes(group=group, label=str(group.label), **counts.by_group[group.value])
                          for group in OffenseGroup],
        live_grants=counts.live_grants, live_openings=counts.live_openings,
    )


@router.get("/transparency", response=TransparencyOut, auth=None, openapi_extra=PUBLIC_DOC, url_name="transparency")
def transparency(request, response: HttpResponse, year: int | None = None):
    """Per calendar month (the last 12, or those of `year`): footage requests made and their outcome
    (approved, declined, no footage, expired, pending), overall and by offense group; live-access grants
    made and openings. Counts only."""
    response["Cache-Control"] = "public, max-age=300"
    report = transparency_selectors.transparency_report(year=year)
    return TransparencyOut(
        period=str(report.year) if report.year else "last-12-months",
        months=[_month_out(m, m.month.strftime("%Y-%m")) for m in report.months],
        totals=_month_out(report.totals, "total"),
    )
