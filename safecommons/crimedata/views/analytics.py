"""Crime analytics pages: for the agency's staff (/crime/analytics/…: heat table, counts by area and premise,
CompStat, hotspots, CSV and SVG downloads, the area report), and the public subset (/crime/trends/).

Charts are SVG drawn on the server (`core/charts.py`); every chart's numbers are also in a table."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.core import charts
from safecommons.core.csvsafe import csv_row
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.crimedata import pdf
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.crimedata.selectors import analytics
from safecommons.crimedata.selectors import hotspots as hotspot_selectors
from safecommons.crimedata.selectors import public as public_selectors
from safecommons.crimedata.selectors import trends as trend_selectors
from safecommons.places.models import Area

DEFAULT_DAYS = 365
MAX_DAYS = 366 * 10


def weekday_names() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def hour_names() -> list[str]:
    return [f"{hour:02d}" for hour in range(24)]


def default_as_of() -> date:
    """The last whole day."""
    return timezone.localdate() - timedelta(days=1)


@dataclass(frozen=True)
class Query:
    """A request's filters, read and checked."""

    filters: analytics.Filters
    as_of: date
    group: str
    error: str


def _day(raw: str | None, default: date) -> date:
    return date.fromisoformat(raw) if raw else default


def query_read(params, *, neighborhoods: dict[int, str] | None = None) -> Query:
    """Filters from GET parameters: start, end (ISO dates), group, neighborhood (an area id), by (group, code),
    as_of. Anything wrong falls back to the default and says so in `error`."""
    error = ""
    as_of = default_as_of()
    try:
        as_of = _day(params.get("as_of"), as_of)
        end = _day(params.get("end"), as_of)
        start = _day(params.get("start"), end - timedelta(days=DEFAULT_DAYS - 1))
        if start > end or (end - start).days > MAX_DAYS:
            raise ValueError
    except ValueError:
        as_of = default_as_of()
        end, start = as_of, as_of - timedelta(days=DEFAULT_DAYS - 1)
        error = _("Give a start date before the end date, at most ten years apart (YYYY-MM-DD).")
    group = params.get("group") or ""
    if group and group not in OffenseGroup.values:
        group, error = "", _("Choose an offense group from the list.")
    neighborhood_id = None
    if params.get("neighborhood"):
        try:
            neighborhood_id = int(params["neighborhood"])
        except ValueError:
            neighborhood_id = -1
        if neighborhoods is not None and neighborhood_id not in neighborhoods:
            neighborhood_id, error = None, _("Choose a neighborhood from the list.")
    by = params.get("by") or analytics.BY_GROUP
    if by not in (analytics.BY_GROUP, analytics.BY_CODE):
        by = analytics.BY_GROUP
    filters = analytics.Filters(start=start, end=end, groups=frozenset([group]) if group else frozenset(),
                                neighborhood_id=neighborhood_id, by=by)
    return Query(filters=filters, as_of=as_of, group=group, error=error)


def _staff(request):
    """(actor, agency, neighborhoods {id: name}, query) of a staff request; PermissionDenied for others."""
    actor = actor_for_user(request.user)
    raw_agency = request.GET.get("agency")
    try:
        agency_id = int(raw_agency) if raw_agency else None
    except ValueError:
        agency_id = None
    agency = analytics.analytics_agency(actor=actor, agency_id=agency_id)
    neighborhoods = {area.pk: area.name for area in analytics.neighborhoods_of(agency=agency)}
    return actor, agency, neighborhoods, query_read(request.GET, neighborhoods=neighborhoods)


def _context(request, actor, agency, neighborhoods, query) -> dict:
    params = request.GET.copy()
    return {
        "agency": agency, "agencies": analytics.analytics_agencies(actor=actor), "query": query,
        "filters": query.filters, "neighborhoods": sorted(neighborhoods.items(), key=lambda item: item[1]),
        "groups": [(group.value, group.label) for group in OffenseGroup], "error": query.error,
        "querystring": params.urlencode(),
    }


# --- Charts and tables, shared by the pages, the downloads and the report


def heat_chart(table: analytics.HeatTable) -> str:
    return charts.heat_grid_svg(rows=weekday_names(), columns=hour_names(), values=table.weekday_hour(),
                                title=_("Records by weekday and hour"),
                                description=_("One cell per weekday and hour of the day, darker for more records."))


def key_hour_chart(table: analytics.HeatTable) -> str:
    return charts.heat_grid_svg(rows=[analytics.key_label(key, table.by) for key in table.keys],
                                columns=hour_names(), values=table.key_hour(),
                                title=_("Records by offense and hour"),
                                description=_("One row per offense, one cell per hour of the day."))


def weekly_chart(weekly: analytics.WeeklySeries) -> str:
    return charts.line_chart_svg(
        labels=[day.strftime("%m-%d") for day in weekly.week_ends],
        series={_("Last 52 weeks"): weekly.current, _("A year before"): weekly.year_before},
        title=_("Records per week"),
        description=_("Records in each of the 52 weeks up to the chosen day, and in the same weeks a year before."))


def bars_chart(rows: list[analytics.CountRow], title: str, empty_label: str) -> str:
    return charts.bar_chart_svg(labels=[row.label or empty_label for row in rows][:20],
                                values=[row.count for row in rows][:20], title=title, description=title)


def _heat_csv(table: analytics.HeatTable) -> list[list]:
    rows = [["offense", "label", "weekday", "hour", "count"]]
    for (key, weekday, hour), n in sorted(table.counts.items(), key=lambda item: (item[0][0], item[0][1],
                                                                                  -1 if item[0][2] is None
                                                                                  else item[0][2])):
        rows.append([key, analytics.key_label(key, table.by), weekday, "" if hour is None else hour, n])
    return rows


def _compstat_csv(result: analytics.Compstat) -> list[list]:
    rows = [["period", "from", "to", "offense_group", "count", "prior_count", "prior_change_pct", "prior_p",
             "prior_flag", "last_year_count", "last_year_change_pct", "last_year_p", "last_year_flag"]]
    for period in result.periods:
        for row in period.rows:
            rows.append([period.name, period.current.start, period.current.end, row.group or "total", row.current,
                         row.prior.previous, _pct(row.prior.percent), f"{row.prior.p_value:.4g}",
                         row.prior.direction, row.last_year.previous, _pct(row.last_year.percent),
                         f"{row.last_year.p_value:.4g}", row.last_year.direction])
    return rows


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _csv_response(rows: list[list], name: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(csv_row(row))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


# --- Staff pages


@login_required
def overview(request):
    actor, agency, neighborhoods, query = _staff(request)
    table = analytics.heat_table(actor=actor, agency=agency, filters=query.filters)
    areas = analytics.area_counts(actor=actor, agency=agency, filters=query.filters)
    premises = analytics.premise_counts(actor=actor, agency=agency, filters=query.filters)
    context = _context(request, actor, agency, neighborhoods, query)
    context.update({
        "table": table, "heat_svg": heat_chart(table), "key_hour_svg": key_hour_chart(table),
        "weekday_rows": list(zip(weekday_names(), table.weekday_hour(), strict=True)),
        "key_rows": [(analytics.key_label(key, table.by), row, sum(row))
                     for key, row in zip(table.keys, table.key_weekday(), strict=True)],
        "weekdays": weekday_names(), "hours": hour_names(),
        "areas": areas, "premises": premises,
        "areas_svg": bars_chart(areas, _("Records by neighborhood"), _("Outside every neighborhood")),
        "premises_svg": bars_chart(premises, _("Records by premise type"), _("Not given")),
    })
    return render(request, "crimedata/analytics_overview.html", context, status=400 if query.error else 200)


@login_required
def compstat_page(request):
    actor, agency, neighborhoods, query = _staff(request)
    result = analytics.compstat(actor=actor, agency=agency, as_of=query.as_of,
                                neighborhood_id=query.filters.neighborhood_id, groups=query.filters.groups)
    context = _context(request, actor, agency, neighborhoods, query)
    labels = {g.value: g.label for g in OffenseGroup}
    weekly = analytics.weekly_counts(actor=actor, agency=agency, as_of=query.as_of,
                                     neighborhood_id=query.filters.neighborhood_id, groups=query.filters.groups)
    context.update({"weekly_svg": weekly_chart(weekly), "weekly": list(zip(weekly.week_ends, weekly.current,
                                                                           weekly.year_before, strict=True))})
    context.update({"compstat": result, "compstat_tables": [
        (period_labels()[period.name], period,
         [(labels.get(row.group, row.group) if row.group else _("All offenses"), row) for row in period.rows])
        for period in result.periods]})
    return render(request, "crimedata/analytics_compstat.html", context, status=400 if query.error else 200)


def period_labels() -> dict[str, str]:
    return {"7d": _("Last 7 days"), "28d": _("Last 28 days"), "ytd": _("Year to date")}


def _resolution(request) -> int:
    try:
        resolution = int(request.GET.get("resolution") or hotspot_selectors.DEFAULT_RESOLUTION)
    except ValueError:
        resolution = 0
    return resolution if resolution in hotspot_selectors.RESOLUTIONS else hotspot_selectors.DEFAULT_RESOLUTION


@login_required
def hotspots_page(request):
    actor, agency, neighborhoods, query = _staff(request)
    resolution = _resolution(request)
    result = hotspot_selectors.hotspots(actor=actor, agency=agency, filters=query.filters, resolution=resolution)
    outlines = [{"type": "Feature", "properties": {"name": area.name}, "geometry": area.geometry}
                for area in analytics.neighborhoods_of(agency=agency)]
    cells = [{"type": "Feature", "properties": {"count": c.count, "z": c.z, "kind": c.kind},
              "geometry": {"type": "Polygon", "coordinates": [c.boundary]}} for c in result.cells]
    context = _context(request, actor, agency, neighborhoods, query)
    context.update({
        "hotspots": result, "resolution": resolution, "resolutions": hotspot_selectors.RESOLUTIONS,
        "map_data": {"areas": {"type": "FeatureCollection", "features": outlines},
                     "cells": {"type": "FeatureCollection", "features": cells}},
        "listed": result.hot + result.cold,
    })
    return render(request, "crimedata/analytics_hotspots.html", context, status=400 if query.error else 200)


TABLES = ("heat", "areas", "premises", "compstat", "hotspots")
CHARTS = ("heat", "offense-hour", "areas", "premises")


@login_required
def export_csv(request, table: str):
    if table not in TABLES:
        raise Http404(table)
    actor, agency, _neighborhoods, query = _staff(request)
    if table == "heat":
        rows = _heat_csv(analytics.heat_table(actor=actor, agency=agency, filters=query.filters))
    elif table in ("areas", "premises"):
        select = analytics.area_counts if table == "areas" else analytics.premise_counts
        rows = [["key", "label", "count"]] + [[r.key, r.label, r.count]
                                              for r in select(actor=actor, agency=agency, filters=query.filters)]
    elif table == "compstat":
        rows = _compstat_csv(analytics.compstat(actor=actor, agency=agency, as_of=query.as_of,
                                                neighborhood_id=query.filters.neighborhood_id,
                                                groups=query.filters.groups))
    else:
        result = hotspot_selectors.hotspots(actor=actor, agency=agency, filters=query.filters,
                                            resolution=_resolution(request))
        rows = [["h3_cell", "resolution", "count", "gi_star_z", "p_value", "kind"]] + [
            [c.cell, result.resolution, c.count, c.z, f"{c.p:.4g}", c.kind] for c in result.cells]
    return _csv_response(rows, f"crime-{table}-{query.filters.start}-{query.filters.end}")


@login_required
def export_svg(request, chart: str):
    if chart not in CHARTS:
        raise Http404(chart)
    actor, agency, _neighborhoods, query = _staff(request)
    if chart in ("heat", "offense-hour"):
        table = analytics.heat_table(actor=actor, agency=agency, filters=query.filters)
        svg = heat_chart(table) if chart == "heat" else key_hour_chart(table)
    elif chart == "areas":
        svg = bars_chart(analytics.area_counts(actor=actor, agency=agency, filters=query.filters),
                         _("Records by neighborhood"), _("Outside every neighborhood"))
    else:
        svg = bars_chart(analytics.premise_counts(actor=actor, agency=agency, filters=query.filters),
                         _("Records by premise type"), _("Not given"))
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="crime-{chart}.svg"'
    return response


@login_required
def area_report(request, area_id: int):
    actor, agency, _neighborhoods, query = _staff(request)
    area = analytics.neighborhood_get(agency=agency, area_id=area_id)
    report = pdf.staff_report_data(actor=actor, agency=agency, area=area, filters=query.filters, as_of=query.as_of)
    return _pdf_response(pdf.area_report_pdf(report), area)


def _pdf_response(content: bytes, area: Area) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="area-report-{area.code}.pdf"'
    return response


# --- Public


def _public(request) -> tuple:
    """(agency, neighborhoods {id: name}, query, error) of a public trends request: a wrong filter gives the
    defaults and the message; an unknown agency is not found."""
    try:
        agency = public_selectors.public_agency(slug=request.GET.get("agency") or None)
    except Refused:
        raise Http404("no such agency") from None
    if agency is None:
        raise Http404("no agency")
    neighborhoods = {area.pk: area.name for area in analytics.neighborhoods_of(agency=agency)}
    try:
        return agency, neighborhoods, trend_selectors.trends_query_parse(agency=agency, params=request.GET), ""
    except Refused as exc:
        return agency, neighborhoods, trend_selectors.trends_query_parse(agency=agency, params={}), str(exc)


def trends_chart(trends: trend_selectors.PublicTrends) -> str:
    return charts.heat_grid_svg(rows=weekday_names(), columns=hour_names(), values=trends.combined(),
                                title=_("Records by weekday and hour"),
                                description=_("The counts shown in the table below, added up per weekday and "
                                              "hour; counts withheld there are not in them."))


def trends(request):
    agency, neighborhoods, query, error = _public(request)
    result = trend_selectors.trends_public(agency=agency, start=query.filters.start, end=query.filters.end,
                                           as_of=query.as_of, group=query.group,
                                           neighborhood_id=query.filters.neighborhood_id)
    labels = {g.value: g.label for g in OffenseGroup}
    totals = result.group_totals()
    report_params = urlencode([("agency", agency.slug), ("start", query.filters.start.isoformat()),
                               ("end", query.filters.end.isoformat()), ("as_of", query.as_of.isoformat())]
                              + ([("group", query.group)] if query.group else []))
    return render(request, "crimedata/trends_public.html", {
        "agency": agency, "trends": result, "query": query, "filters": query.filters, "error": error,
        "neighborhoods": sorted(neighborhoods.items(), key=lambda item: item[1]),
        "groups": [(value, label) for value, label, _display in public_selectors.public_groups(agency_id=agency.pk)],
        "group_labels": labels, "report_params": report_params,
        "heat_svg": trends_chart(result), "weekdays": weekday_names(), "hours": hour_names(),
        "heat_rows": [(labels[g], [(weekday_names()[w], row) for w, row in enumerate(result.heat[g])],
                       result.min_count[g]) for g in result.groups if totals[g]],
        "all_withheld": [labels[g] for g in result.groups if not totals[g]],
        "area_rows": [(a, [(a.counts[g], result.min_count[g]) for g in result.groups]) for a in result.areas],
        "compstat_tables": [
            (period_labels()[period.name], period,
             [(labels[row.group] if row.group else _("Total of the counts shown"), row,
               result.min_count.get(row.group, min(result.min_count.values()))) for row in period.rows])
            for period in result.compstat],
        "monthly": result.monthly,
    }, status=400 if error else 200)


def trends_report(request, area_id: int):
    agency, _neighborhoods, query, error = _public(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    area = analytics.neighborhood_get(agency=agency, area_id=area_id)
    report = pdf.public_report_data(agency=agency, area=area, filters=query.filters, as_of=query.as_of)
    return _pdf_response(pdf.area_report_pdf(report), area)


urlpatterns = [
    path("analytics/", overview, name="analytics"),
    path("analytics/compstat/", compstat_page, name="analytics_compstat"),
    path("analytics/hotspots/", hotspots_page, name="analytics_hotspots"),
    path("analytics/export/<slug:table>.csv", export_csv, name="analytics_csv"),
    path("analytics/charts/<slug:chart>.svg", export_svg, name="analytics_svg"),
    path("analytics/areas/<int:area_id>/report.pdf", area_report, name="analytics_area_report"),
    path("trends/", trends, name="trends"),
    path("trends/areas/<int:area_id>/report.pdf", trends_report, name="trends_area_report"),
]
