"""Crime analytics pages: for the agency's staff (/crime/analytics/…: heat table, counts by area and premise,
CompStat, hotspots, CSV and SVG downloads, the area report), and the public subset (/crime/trends/).

Charts are SVG drawn on the server (`core/charts.py`); every chart's numbers are also in a table."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from safecommons.core import charts
from safecommons.core.csvsafe import csv_row
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.crimedata import exports, pdf
from safecommons.crimedata.exports import (
    bars_chart,
    heat_chart,
    hour_names,
    key_hour_chart,
    period_labels,
    weekday_names,
    weekly_chart,
)
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.crimedata.selectors import analytics, queries
from safecommons.crimedata.selectors import compstat as compstat_selectors
from safecommons.crimedata.selectors import hotspots as hotspot_selectors
from safecommons.crimedata.selectors import public as public_selectors
from safecommons.crimedata.selectors import trends as trend_selectors
from safecommons.places.models import Area


def _staff(request):
    """(actor, agency, neighborhoods {id: name}, query) of a staff request; PermissionDenied for others."""
    actor = actor_for_user(request.user)
    staff = queries.staff_query_read(actor=actor, params=request.GET)
    return actor, staff.agency, staff.neighborhoods, staff.query


def _context(request, actor, agency, neighborhoods, query) -> dict:
    params = request.GET.copy()
    return {
        "agency": agency, "agencies": analytics.analytics_agencies(actor=actor), "query": query,
        "filters": query.filters, "neighborhoods": sorted(neighborhoods.items(), key=lambda item: item[1]),
        "groups": [(group.value, group.label) for group in OffenseGroup], "error": query.error,
        "querystring": params.urlencode(),
    }


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
    result = compstat_selectors.compstat(actor=actor, agency=agency, as_of=query.as_of,
                                         neighborhood_id=query.filters.neighborhood_id, groups=query.filters.groups)
    context = _context(request, actor, agency, neighborhoods, query)
    labels = {g.value: g.label for g in OffenseGroup}
    weekly = compstat_selectors.weekly_counts(actor=actor, agency=agency, as_of=query.as_of,
                                     neighborhood_id=query.filters.neighborhood_id, groups=query.filters.groups)
    context.update({"weekly_svg": weekly_chart(weekly), "weekly": list(zip(weekly.week_ends, weekly.current,
                                                                           weekly.year_before, strict=True))})
    context.update({"compstat": result, "compstat_tables": [
        (period_labels()[period.name], period,
         [(labels.get(row.group, row.group) if row.group else _("All offenses"), row) for row in period.rows])
        for period in result.periods]})
    return render(request, "crimedata/analytics_compstat.html", context, status=400 if query.error else 200)


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
        rows = exports.heat_rows(analytics.heat_table(actor=actor, agency=agency, filters=query.filters))
    elif table in ("areas", "premises"):
        select = analytics.area_counts if table == "areas" else analytics.premise_counts
        rows = exports.count_rows(select(actor=actor, agency=agency, filters=query.filters))
    elif table == "compstat":
        rows = exports.compstat_rows(compstat_selectors.compstat(actor=actor, agency=agency, as_of=query.as_of,
                                                                 neighborhood_id=query.filters.neighborhood_id,
                                                                 groups=query.filters.groups))
    else:
        rows = exports.hotspot_rows(hotspot_selectors.hotspots(actor=actor, agency=agency, filters=query.filters,
                                                               resolution=_resolution(request)))
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


HEAT_CELLS = 7 * 25  # weekdays × (24 hours and "hour unknown")
HEAT_MIN_SHOWN = 0.25  # a weekday × hour table with fewer of its cells shown is mostly "withheld": one line instead


def _shown_cells(rows: list[list[int | None]]) -> int:
    return sum(value is not None for row in rows for value in row)


def _heat_readable(rows: list[list[int | None]]) -> bool:
    return _shown_cells(rows) >= HEAT_MIN_SHOWN * HEAT_CELLS


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
                       result.min_count[g]) for g in result.groups if _heat_readable(result.heat[g])],
        "heat_sparse": [{"label": labels[g], "shown": _shown_cells(result.heat[g]), "cells": HEAT_CELLS,
                         "total": totals[g]} for g in result.groups
                        if totals[g] and not _heat_readable(result.heat[g])],
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
