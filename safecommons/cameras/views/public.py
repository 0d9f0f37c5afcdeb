"""Public pages: the camera coverage map (density per cell, never a camera) and the transparency report
(counts of footage requests and live access, month by month). Open to everyone, signed in or not."""

from __future__ import annotations

import h3
from django.shortcuts import render
from django.urls import path
from django.utils import formats
from django.utils.translation import gettext as _

from safecommons.cameras.models import OffenseGroup
from safecommons.cameras.selectors import registry as registry_selectors
from safecommons.cameras.selectors import transparency as transparency_selectors
from safecommons.cameras.services.registry import COVERAGE_RESOLUTION
from safecommons.core.errors import Refused


def coverage(request):
    cells = [{"cell": cell.cell, "count": cell.count, "centre": h3.cell_to_latlng(cell.cell)}
             for cell in registry_selectors.coverage_density()]
    return render(request, "cameras/public_coverage.html", {
        "cells": cells, "min_count": registry_selectors.COVERAGE_MIN_COUNT, "resolution": COVERAGE_RESOLUTION,
        "total": sum(cell["count"] for cell in cells),
    })


# The chart: one pair of bars per month (requests made, and approved), drawn on the server as SVG.
CHART_HEIGHT = 160
CHART_BAR = 14
CHART_GAP = 4
CHART_SLOT = 2 * CHART_BAR + CHART_GAP + 14
CHART_TOP = 16
CHART_BOTTOM = 36


def _chart(months) -> dict:
    highest = max([m.requests["made"] for m in months] + [1])
    bars = []
    for index, month in enumerate(months):
        x = 40 + index * CHART_SLOT
        for offset, name, value in ((0, "made", month.requests["made"]),
                                    (CHART_BAR + CHART_GAP, "approved", month.requests["approved"])):
            height = round(value / highest * CHART_HEIGHT, 1)
            bars.append({"x": x + offset, "y": CHART_TOP + CHART_HEIGHT - height, "height": height, "kind": name,
                         "value": value})
        bars.append({"label": formats.date_format(month.month, "M"), "label_x": x + CHART_BAR + CHART_GAP // 2,
                     "label_y": CHART_TOP + CHART_HEIGHT + 16})
    return {"bars": bars, "width": 40 + len(months) * CHART_SLOT, "height": CHART_TOP + CHART_HEIGHT + CHART_BOTTOM,
            "baseline": CHART_TOP + CHART_HEIGHT, "highest": highest, "top": CHART_TOP}


def transparency(request):
    year = request.GET.get("year") or None
    status, error = 200, ""
    try:
        report = transparency_selectors.transparency_report(year=int(year) if year else None)
    except (ValueError, Refused):
        report, status = transparency_selectors.transparency_report(), 400
        error = _("Choose a year from the list.")
    years = list(range(report.months[-1].month.year, report.months[-1].month.year - 6, -1))
    outcomes = [status.value for status in transparency_selectors.OUTCOMES]
    groups = list(OffenseGroup)
    return render(request, "cameras/public_transparency.html", {
        "report": report, "chart": _chart(report.months), "years": years, "error": error,
        "outcome_labels": [status.label for status in transparency_selectors.OUTCOMES],
        "group_labels": [group.label for group in groups],
        "monthly": [{"month": m.month, "made": m.requests["made"], "outcomes": [m.requests[o] for o in outcomes],
                     "live_grants": m.live_grants, "live_openings": m.live_openings,
                     "groups": [m.by_group[g.value]["made"] for g in groups]} for m in report.months],
        "totals": {"made": report.totals.requests["made"], "outcomes": [report.totals.requests[o] for o in outcomes],
                   "live_grants": report.totals.live_grants, "live_openings": report.totals.live_openings,
                   "groups": [report.totals.by_group[g.value]["made"] for g in groups]},
        "by_group": [{"label": g.label, "made": report.totals.by_group[g.value]["made"],
                      "outcomes": [report.totals.by_group[g.value][o] for o in outcomes]} for g in groups],
    }, status=status)


urlpatterns = [
    path("coverage/", coverage, name="coverage"),
    path("transparency/", transparency, name="transparency"),
]
