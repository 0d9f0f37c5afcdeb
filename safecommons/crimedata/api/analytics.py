"""The crime-data API: analytics for agency staff (/analytics/…, a browser session), and the public trends
(/trends, open to anyone: public offense groups only, small counts withheld as null)."""

from __future__ import annotations

from datetime import date

from django.http import Http404
from ninja import Field, Router, Schema

from safecommons.core.api import PUBLIC_DOC, SESSION_ONLY, request_actor
from safecommons.core.errors import Refused
from safecommons.crimedata.selectors import analytics, queries
from safecommons.crimedata.selectors import compstat as compstat_selectors
from safecommons.crimedata.selectors import hotspots as hotspot_selectors
from safecommons.crimedata.selectors import public as public_selectors
from safecommons.crimedata.selectors import trends as trend_selectors
from safecommons.partners.models import Organisation

router = Router(tags=["crime data"])

FILTER_DOC = ("Filters (query parameters): `agency` (id; default your first agency), `start`, `end` (local dates, "
              "YYYY-MM-DD; default the last 365 days to yesterday), `group` (an offense group), `neighborhood` "
              "(an area id), `by` (`group` or `code`).")


class Refusal(Schema):
    detail: str


def _staff(request) -> tuple:
    actor = request_actor(request)
    staff = queries.staff_query_read(actor=actor, params=request.GET)
    if staff.query.error:
        raise Refused(staff.query.error)
    return actor, staff.agency, staff.query


class FiltersOut(Schema):
    agency_id: int
    start: date
    end: date
    groups: list[str]
    neighborhood_id: int | None
    by: str


def _filters_out(agency: Organisation, filters: analytics.Filters) -> dict:
    return {"agency_id": agency.pk, "start": filters.start, "end": filters.end, "groups": sorted(filters.groups),
            "neighborhood_id": filters.neighborhood_id, "by": filters.by}


class HeatCell(Schema):
    offense: str = Field(description="An offense group, or a NIBRS code with by=code.")
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    hour: int | None = Field(description="0-23; null when the record's hour is unknown")
    count: int


class HeatOut(Schema):
    filters: FiltersOut
    total: int
    cells: list[HeatCell]


@router.get("/analytics/heat", response={200: HeatOut, 400: Refusal}, auth=SESSION_ONLY,
            url_name="crime_analytics_heat", description=FILTER_DOC)
def heat(request):
    """Records per offense, weekday and hour (exact counts, agency staff)."""
    actor, agency, query = _staff(request)
    table = analytics.heat_table(actor=actor, agency=agency, filters=query.filters)
    cells = [{"offense": key, "weekday": weekday, "hour": hour, "count": n}
             for (key, weekday, hour), n in sorted(table.counts.items(), key=lambda item: (
                 item[0][0], item[0][1], -1 if item[0][2] is None else item[0][2]))]
    return {"filters": _filters_out(agency, query.filters), "total": table.total, "cells": cells}


class CountOut(Schema):
    key: str = Field(description="The area's id (\"\" for records in no neighborhood), or the premise type.")
    label: str
    count: int


class CountsOut(Schema):
    filters: FiltersOut
    rows: list[CountOut]


@router.get("/analytics/areas", response={200: CountsOut, 400: Refusal}, auth=SESSION_ONLY,
            url_name="crime_analytics_areas", description=FILTER_DOC)
def areas(request):
    """Records per neighborhood, most first."""
    actor, agency, query = _staff(request)
    rows = analytics.area_counts(actor=actor, agency=agency, filters=query.filters)
    return {"filters": _filters_out(agency, query.filters),
            "rows": [{"key": r.key, "label": r.label, "count": r.count} for r in rows]}


@router.get("/analytics/premises", response={200: CountsOut, 400: Refusal}, auth=SESSION_ONLY,
            url_name="crime_analytics_premises", description=FILTER_DOC)
def premises(request):
    """Records per premise type as the source names it, most first."""
    actor, agency, query = _staff(request)
    rows = analytics.premise_counts(actor=actor, agency=agency, filters=query.filters)
    return {"filters": _filters_out(agency, query.filters),
            "rows": [{"key": r.key, "label": r.label, "count": r.count} for r in rows]}


class ChangeOut(Schema):
    count: int | None = Field(description="The comparison period's count; null when withheld (public) or when "
                                          "the comparison is not made (`no_data`).")
    no_data: str | None = Field(None, description="Why the comparison is not made: its period starts before the "
                                                  "agency's first record (`coverage_start`); null when it is made.")
    change_percent: float | None
    p_value: float | None
    flag: str = Field(description="\"up\" or \"down\" when the change holds up among all the page's "
                                  "comparisons (false-discovery rate 0.05), is at least 20 % and rests on at "
                                  "least 10 records, else \"\".")


class CompstatRowOut(Schema):
    offense_group: str = Field(description="\"\" for the total")
    count: int | None
    prior: ChangeOut
    last_year: ChangeOut


class PeriodOut(Schema):
    name: str = Field(description="7d, 28d or ytd")
    start: date
    end: date
    prior_start: date | None = Field(description="null for the year to date, which is compared with last year only")
    prior_end: date | None
    last_year_start: date
    last_year_end: date
    rows: list[CompstatRowOut]


class CompstatOut(Schema):
    agency_id: int
    as_of: date
    neighborhood_id: int | None
    coverage_start: date | None = Field(None, description="The agency's first day of data; comparisons with "
                                                          "periods starting earlier are not made")
    periods: list[PeriodOut]


def no_data_reason(coverage_start) -> str:
    return f"the period starts before the agency's first record ({coverage_start}): not compared"


def _change(count, change, *, covered: bool = True, coverage_start=None) -> dict:
    if not covered:
        return {"count": None, "change_percent": None, "p_value": None, "flag": "",
                "no_data": no_data_reason(coverage_start)}
    if change is None:
        return {"count": count, "change_percent": None, "p_value": None, "flag": ""}
    return {"count": count, "change_percent": change.percent, "p_value": change.p_value, "flag": change.direction}


def _period(period, rows) -> dict:
    prior = period.prior
    return {"name": period.name, "start": period.current.start, "end": period.current.end,
            "prior_start": prior and prior.start, "prior_end": prior and prior.end,
            "last_year_start": period.last_year.start, "last_year_end": period.last_year.end, "rows": rows}


@router.get("/analytics/compstat", response={200: CompstatOut, 400: Refusal}, auth=SESSION_ONLY,
            url_name="crime_analytics_compstat", description=FILTER_DOC + " `as_of`: the last day (default yesterday).")
def compstat(request):
    """Last 7 days and last 28 days against the period just before and the same weeks a year before (364 days
    earlier), the year to date against as many days of last year; per offense group and in total. A change is
    flagged only when its exact test (widened by the group's week-to-week dispersion) holds up with the
    false-discovery rate at 0.05 across every comparison of the answer, it is at least 20 % and both periods
    hold at least 10 records together. The year to date's `prior` is empty."""
    actor, agency, query = _staff(request)
    result = compstat_selectors.compstat(actor=actor, agency=agency, as_of=query.as_of,
                                         neighborhood_id=query.filters.neighborhood_id, groups=query.filters.groups)
    since = result.coverage_start
    return {"agency_id": agency.pk, "as_of": result.as_of, "neighborhood_id": query.filters.neighborhood_id,
            "coverage_start": since,
            "periods": [_period(p, [{"offense_group": row.group, "count": row.current,
                                     "prior": _change(row.prior and row.prior.previous, row.prior,
                                                      covered=p.prior_covered, coverage_start=since),
                                     "last_year": _change(row.last_year and row.last_year.previous, row.last_year,
                                                          covered=p.last_year_covered, coverage_start=since)}
                                    for row in p.rows]) for p in result.periods]}


class HotCellOut(Schema):
    cell: str = Field(description="H3 cell index")
    count: int
    z: float = Field(description="Getis-Ord Gi* z-score")
    p_value: float
    kind: str = Field(description="\"hot\" (significant and above the study area's mean count), \"cold\" or \"\"")
    neighborhood: str = Field(description="The neighborhood holding the cell's centre; \"\" outside every one")
    centre: list[float] = Field(description="The cell's centre [latitude, longitude] to three decimals")
    boundary: list[list[float]] = Field(description="Closed ring of [longitude, latitude]")


class HotspotsOut(Schema):
    filters: FiltersOut
    resolution: int
    study_area: str = Field(description="\"areas\": the cells covering the agency's areas; \"hull\": of the records")
    study_cells: int
    records: int
    unplaced: int
    q: float
    cells: list[HotCellOut]


@router.get("/analytics/hotspots", response={200: HotspotsOut, 400: Refusal}, auth=SESSION_ONLY,
            url_name="crime_analytics_hotspots", description=FILTER_DOC + " `resolution`: 8 (default) or 9.")
def hotspots(request, resolution: int = hotspot_selectors.DEFAULT_RESOLUTION):
    """Hot and cold spots on the H3 grid (Gi*, Benjamini-Hochberg at q = 0.05): every cell with records, and
    every flagged cell, hottest first."""
    actor, agency, query = _staff(request)
    if resolution not in hotspot_selectors.RESOLUTIONS:
        return 400, {"detail": "resolution must be 8 or 9"}
    result = hotspot_selectors.hotspots(actor=actor, agency=agency, filters=query.filters, resolution=resolution)
    return {"filters": _filters_out(agency, query.filters), "resolution": result.resolution,
            "study_area": result.study_area, "study_cells": result.study_cells, "records": result.records,
            "unplaced": result.unplaced, "q": result.q,
            "cells": [{"cell": c.cell, "count": c.count, "z": c.z, "p_value": c.p, "kind": c.kind,
                       "neighborhood": c.neighborhood, "centre": list(c.centre), "boundary": c.boundary}
                      for c in result.cells]}


# --- Public


class PublicHeatOut(Schema):
    offense_group: str
    min_count: int = Field(description="Counts below this are withheld (null), as are the second-smallest "
                                       "where a single one would be withheld")
    weekdays: list[list[int | None]] = Field(description="7 rows (Monday first) of 25: hours 0-23, then unknown")


class PublicAreaOut(Schema):
    neighborhood_id: int | None
    name: str
    counts: dict[str, int | None]
    total: int = Field(description="The sum of the counts shown")


class MonthCountOut(Schema):
    month: str = Field(description="YYYY-MM: a whole calendar month")
    count: int | None = Field(description="null when withheld")
    withheld: bool
    text: str = Field(description="The number, \"fewer than N\", or \"withheld\" (a total)")


class MonthAreaOut(Schema):
    neighborhood_id: int
    name: str
    counts: list[MonthCountOut]


class MonthlyOut(Schema):
    offense_group: str
    min_count: int
    months: list[str]
    areas: list[MonthAreaOut]
    total: list[MonthCountOut] = Field(description="Over all neighborhoods, per month; withheld when a withheld "
                                                   "neighborhood count could be worked out from it")


class TrendsOut(Schema):
    agency: str
    start: date
    end: date
    as_of: date
    neighborhood_id: int | None
    offense_groups: list[str] = Field(description="The groups shown at a point: heat, areas and compstat")
    heat: list[PublicHeatOut]
    areas: list[PublicAreaOut]
    compstat: list[PeriodOut]
    monthly: list[MonthlyOut] = Field(description="The groups shown only as area counts: per neighborhood per "
                                                  "whole calendar month, as on the public map; nothing else of them")


def month_counts_out(counts) -> list[dict]:
    return [{"month": c.month_text, "count": c.count, "withheld": c.withheld, "text": c.text} for c in counts]


@router.get("/trends", response={200: TrendsOut, 400: Refusal}, auth=None, openapi_extra=PUBLIC_DOC,
            url_name="crime_trends")
def trends(request):
    """What anyone may see of an agency's crime records: for the groups it shows at a point, counts by
    weekday and hour, by neighborhood, and CompStat, small counts withheld (null); for the groups it shows
    only as area counts, counts per neighborhood per whole calendar month (`monthly`). Parameters: `agency`
    (slug), `start`, `end` (at most 366 days), `as_of`, `group`, `neighborhood`, as on the trends page;
    dates from 1900-01-01 to tomorrow."""
    agency = public_selectors.public_agency(slug=request.GET.get("agency") or None)
    if agency is None:
        raise Http404("no agency")
    query = trend_selectors.trends_query_parse(agency=agency, params=request.GET)
    result = trend_selectors.trends_public(agency=agency, start=query.filters.start, end=query.filters.end,
                                           as_of=query.as_of, group=query.group,
                                           neighborhood_id=query.filters.neighborhood_id)
    return {
        "agency": agency.slug, "start": query.filters.start, "end": query.filters.end, "as_of": query.as_of,
        "neighborhood_id": query.filters.neighborhood_id, "offense_groups": result.groups,
        "heat": [{"offense_group": g, "min_count": result.min_count[g], "weekdays": result.heat[g]}
                 for g in result.groups],
        "areas": [{"neighborhood_id": a.area_id, "name": a.name, "counts": a.counts, "total": a.total}
                  for a in result.areas],
        "compstat": [_period(p, [{"offense_group": row.group, "count": row.current,
                                  "prior": _change(row.prior, row.prior_change, covered=p.prior_covered,
                                                   coverage_start=result.coverage_start),
                                  "last_year": _change(row.last_year, row.last_year_change,
                                                       covered=p.last_year_covered,
                                                       coverage_start=result.coverage_start)} for row in p.rows])
                     for p in result.compstat],
        "monthly": [{"offense_group": t.offense_group, "min_count": t.min_count,
                     "months": [m.strftime("%Y-%m") for m in t.months],
                     "areas": [{"neighborhood_id": a.area_id, "name": a.name, "counts": month_counts_out(a.counts)}
                               for a in t.areas],
                     "total": month_counts_out(t.total)} for t in result.monthly],
    }
