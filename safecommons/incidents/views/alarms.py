"""The false-alarm statistics page: police and analysts see their agency's alarms per site and per
monitoring company, a company's staff their own; a bar chart of the sites with most false alarms, drawn on
the server as SVG (no script)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.core.permissions import actor_for_user
from safecommons.incidents.selectors import alarms as alarm_selectors

PERIODS = (30, 90, 365)  # days

# The chart: one horizontal bar per site (most false alarms first), label on the left, count on the right.
CHART_SITES = 10
CHART_LABEL_WIDTH = 250  # room for CHART_LABEL_CHARACTERS at 12 px
CHART_LABEL_CHARACTERS = 36
CHART_BAR_SPACE = 360
CHART_ROW = 26
CHART_BAR = 16
CHART_TOP = 8


def _chart(sites: list[alarm_selectors.SiteRow]) -> dict:
    rows = [row for row in sites if row.counts.false_alarms][:CHART_SITES]
    highest = max([row.counts.false_alarms for row in rows] + [1])
    bars = []
    for index, row in enumerate(rows):
        y = CHART_TOP + index * CHART_ROW
        width = round(row.counts.false_alarms / highest * CHART_BAR_SPACE, 1)
        label = f"{row.permit.number} — {row.permit.address}"
        if len(label) > CHART_LABEL_CHARACTERS:
            label = label[:CHART_LABEL_CHARACTERS - 1].rstrip() + "…"
        bars.append({"label": label, "value": row.counts.false_alarms,
                     "x": CHART_LABEL_WIDTH, "y": y, "width": width, "text_y": y + CHART_BAR - 4,
                     "value_x": CHART_LABEL_WIDTH + width + 6})
    return {"bars": bars, "width": CHART_LABEL_WIDTH + CHART_BAR_SPACE + 40,
            "height": CHART_TOP * 2 + max(len(bars), 1) * CHART_ROW, "bar_height": CHART_BAR,
            "label_x": CHART_LABEL_WIDTH - 6}


@login_required
def alarm_statistics(request):
    actor = actor_for_user(request.user)
    status, error = 200, ""
    try:
        days = int(request.GET.get("days") or PERIODS[0])
    except ValueError:
        days = 0
    if days not in PERIODS:
        days, status, error = PERIODS[0], 400, _("Choose a period from the list.")
    stats = alarm_selectors.alarm_statistics(actor=actor, since=timezone.now() - timedelta(days=days))
    return render(request, "incidents/alarm_statistics.html", {
        "stats": stats, "chart": _chart(stats.sites), "days": days, "periods": PERIODS, "error": error,
    }, status=status)


urlpatterns = [path("alarms/statistics/", alarm_statistics, name="alarm_statistics")]
