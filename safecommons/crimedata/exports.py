"""The staff analytics as charts (SVG, `core/charts.py`) and as tables of rows for CSV files: built once here
for the pages, the downloads and the area report."""

from __future__ import annotations

from django.utils.translation import gettext as _

from safecommons.core import charts
from safecommons.crimedata.dates import weekday_names
from safecommons.crimedata.selectors import analytics
from safecommons.crimedata.selectors import compstat as compstat_selectors
from safecommons.crimedata.selectors import hotspots as hotspot_selectors

__all__ = ["weekday_names", "hour_names", "period_labels", "heat_chart", "key_hour_chart", "weekly_chart",
           "bars_chart", "heat_rows", "count_rows", "compstat_rows", "hotspot_rows"]


def hour_names() -> list[str]:
    """00 … 23."""
    return [f"{hour:02d}" for hour in range(24)]


def period_labels() -> dict[str, str]:
    """CompStat's periods as a reader names them."""
    return {"7d": _("Last 7 days"), "28d": _("Last 28 days"), "ytd": _("Year to date")}


# --- Charts


def heat_chart(table: analytics.HeatTable) -> str:
    """Weekday × hour, every offense together."""
    return charts.heat_grid_svg(rows=weekday_names(), columns=hour_names(), values=table.weekday_hour(),
                                title=_("Records by weekday and hour"),
                                description=_("One cell per weekday and hour of the day, darker for more records."))


def key_hour_chart(table: analytics.HeatTable) -> str:
    """Offense × hour."""
    return charts.heat_grid_svg(rows=[analytics.key_label(key, table.by) for key in table.keys],
                                columns=hour_names(), values=table.key_hour(),
                                title=_("Records by offense and hour"),
                                description=_("One row per offense, one cell per hour of the day."))


def weekly_chart(weekly: compstat_selectors.WeeklySeries) -> str:
    """Records per week for 52 weeks and the same weeks a year before."""
    # The year before is drawn only when the data covers all of it: a line through weeks that were never
    # loaded would read as weeks without crime (the table beside the chart says "no data" week by week).
    series = {_("Last 52 weeks"): weekly.current}
    if all(n is not None for n in weekly.year_before):
        series[_("A year before")] = weekly.year_before
    return charts.line_chart_svg(
        labels=[day.strftime("%m-%d") for day in weekly.week_ends],
        series=series,
        title=_("Records per week"),
        description=_("Records in each of the 52 weeks up to the chosen day, and in the same weeks a year before."))


def bars_chart(rows: list[analytics.CountRow], title: str, empty_label: str) -> str:
    """The first 20 rows of a count table as bars."""
    return charts.bar_chart_svg(labels=[row.label or empty_label for row in rows][:20],
                                values=[row.count for row in rows][:20], title=title, description=title)


# --- Tables (a header row, then data rows; cells made safe when written, see core/csvsafe.py)


def heat_rows(table: analytics.HeatTable) -> list[list]:
    """One row per offense, weekday and hour with records."""
    rows: list[list] = [["offense", "label", "weekday", "hour", "count"]]
    for (key, weekday, hour), n in sorted(table.counts.items(), key=lambda item: (item[0][0], item[0][1],
                                                                                  -1 if item[0][2] is None
                                                                                  else item[0][2])):
        rows.append([key, analytics.key_label(key, table.by), weekday, "" if hour is None else hour, n])
    return rows


def count_rows(counts: list[analytics.CountRow]) -> list[list]:
    """Records by neighborhood or premise type."""
    return [["key", "label", "count"]] + [[row.key, row.label, row.count] for row in counts]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def compstat_rows(result: compstat_selectors.Compstat) -> list[list]:
    """One row per period and offense group (and the total); the year to date has no period-before columns."""
    rows: list[list] = [["period", "from", "to", "offense_group", "count", "prior_count", "prior_change_pct",
                         "prior_p", "prior_flag", "last_year_count", "last_year_change_pct", "last_year_p",
                         "last_year_flag", "dispersion"]]
    for period in result.periods:
        for row in period.rows:
            rows.append([period.name, period.current.start, period.current.end, row.group or "total", row.current,
                         *_compared(row.prior, period.prior is not None and not period.prior_covered),
                         *_compared(row.last_year, not period.last_year_covered), f"{row.dispersion:.2f}"])
    return rows


def _compared(change, no_data: bool) -> list:
    """Count, change %, p and flag of one comparison: "no data" in the count when its period starts before the
    agency's data (not compared), empty for the year to date's period before."""
    if no_data:
        return ["no data", "", "", ""]
    if change is None:
        return ["", "", "", ""]
    return [change.previous, _pct(change.percent), f"{change.p_value:.4g}", change.direction]


def hotspot_rows(result: hotspot_selectors.Hotspots) -> list[list]:
    """One row per cell with records or flagged."""
    return [["h3_cell", "resolution", "neighborhood", "centre_lat", "centre_lon", "count", "gi_star_z", "p_value",
             "kind"]] + [[c.cell, result.resolution, c.neighborhood, *c.centre, c.count, c.z, f"{c.p:.4g}", c.kind]
                         for c in result.cells]
