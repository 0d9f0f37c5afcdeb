"""The area report: one neighborhood on A4 pages for a community meeting, drawn with the PDF core fonts.

Two versions from one layout: the staff one (every offense group, premise types, hotspots) and the public
one, built only from the public trends (`selectors/trends.py`: public groups, small counts withheld, no
premises, no hotspots). The data is gathered and worded first (`AreaReport`), then drawn; the heat map is
drawn directly with rectangles in the same colours as the pages' SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _

from safecommons.core.charts import RAMP, WITHHELD, ramp_colour
from safecommons.core.permissions import Actor
from safecommons.crimedata.dates import weekday_names
from safecommons.crimedata.exports import period_labels
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.crimedata.selectors import analytics
from safecommons.crimedata.selectors import compstat as compstat_selectors
from safecommons.crimedata.selectors import hotspots as hotspot_selectors
from safecommons.crimedata.selectors import trends as trend_selectors
from safecommons.incidents.pdf import latin1_text
from safecommons.partners.models import Organisation
from safecommons.places.models import Area

MARGIN = 15
PAGE_WIDTH = 210
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN


@dataclass
class AreaReport:
    """Everything printed, already worded in the reader's language."""

    agency: str
    area: str
    title: str
    subtitle: str
    note: str
    compstat_heading: str
    compstat_columns: list[str]
    compstat: list[tuple[str, list[list[str]]]]  # (period label, rows of cells)
    heat_heading: str
    heat: list[list[int | None]]  # 7 × 24
    weekdays: list[str]
    groups_heading: str
    groups: list[tuple[str, str]]
    premises_heading: str
    premises: list[tuple[str, str]]
    hotspots_heading: str
    hotspots: list[str]
    withheld_label: str = ""
    footer: str = ""
    # Public version: the groups shown only as monthly area counts, one line per group.
    monthly_heading: str = ""
    monthly: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def _group_label(group: str) -> str:
    if not group:
        return _("All offenses")
    try:
        return str(OffenseGroup(group).label)
    except ValueError:
        return group


def _change_text(change) -> str:
    if change is None:
        return "-"
    percent = "n/a" if change.percent is None else f"{change.percent:+.0f}%"
    # "UP (sig.)": significant among the page's comparisons, large and not tiny (see selectors/compstat.py)
    flag = {"up": _("UP (sig.)"), "down": _("DOWN (sig.)")}.get(change.direction, "")
    return f"{percent} {flag}".strip()


def _compared(change) -> list[str]:
    """The staff cells of one comparison: the count before and the change ("-" for the year to date's prior)."""
    return ["-" if change is None else str(change.previous), _change_text(change)]


def _compstat_columns() -> list[str]:
    return [_("Offense group"), _("Now"), _("Period before"), _("Change"), _("A year before"), _("Change")]


def _dates(start: date, end: date) -> str:
    return f"{formats.date_format(start, 'SHORT_DATE_FORMAT')} - {formats.date_format(end, 'SHORT_DATE_FORMAT')}"


def staff_report_data(*, actor: Actor, agency: Organisation, area: Area, filters: analytics.Filters,
                      as_of: date) -> AreaReport:
    """The staff report of one neighborhood (filters' neighborhood replaced by it)."""
    scoped = analytics.Filters(start=filters.start, end=filters.end, groups=filters.groups, neighborhood_id=area.pk)
    table = analytics.heat_table(actor=actor, agency=agency, filters=scoped)
    result = compstat_selectors.compstat(actor=actor, agency=agency, as_of=as_of, neighborhood_id=area.pk,
                                         groups=filters.groups)
    premises = analytics.premise_counts(actor=actor, agency=agency, filters=scoped)
    spots = hotspot_selectors.hotspots(actor=actor, agency=agency, filters=scoped)
    labels = period_labels()
    no_data = _("no data")
    compstat = [(f"{labels[p.name]} ({_dates(p.current.start, p.current.end)})",
                 [[_group_label(row.group), str(row.current),
                   *(_compared(row.prior) if p.prior_covered else [no_data, no_data]),
                   *(_compared(row.last_year) if p.last_year_covered else [no_data, no_data])]
                  for row in p.rows[:12]])
                for p in result.periods]
    totals = table.key_totals()
    hot = spots.hot
    lines = [_("%(hot)d hot spots and %(cold)d cold spots among %(cells)d cells (H3 resolution %(res)d), "
               "false-discovery rate held at %(q)s.") % {"hot": len(hot), "cold": len(spots.cold),
                                                         "cells": spots.study_cells, "res": spots.resolution,
                                                         "q": spots.q}]
    lines += [_("Hot spot %(place)s: %(count)d records, z = %(z).2f (H3 %(cell)s)") % {
        "place": cell.place, "count": cell.count, "z": cell.z, "cell": cell.cell} for cell in hot[:8]]
    return AreaReport(
        agency=agency.name, area=area.name, title=_("Area report: %(area)s") % {"area": area.name},
        subtitle=_("Records of %(dates)s; CompStat up to %(as_of)s") % {
            "dates": _dates(filters.start, filters.end), "as_of": formats.date_format(as_of, "SHORT_DATE_FORMAT")},
        note=_("For agency staff: exact counts of every offense group. 'A year before' is the same weeks 52 "
               "weeks earlier (the year to date: as many days from 1 January); the year to date is not compared "
               "with the period before it. A change is flagged only when it holds up among all the report's "
               "comparisons (false-discovery rate 5 %, tests widened by each group's week-to-week variation), "
               "is at least 20 % and both periods together hold at least 10 records."),
        compstat_heading=_("CompStat"), compstat_columns=_compstat_columns(), compstat=compstat,
        heat_heading=_("Records by weekday and hour"), heat=table.weekday_hour(),
        weekdays=weekday_names(),
        groups_heading=_("Top offense groups"),
        groups=[(_group_label(key), str(totals[key])) for key in table.keys[:10]],
        premises_heading=_("Records by premise type"),
        premises=[(row.label or _("Not given"), str(row.count)) for row in premises[:10]],
        hotspots_heading=_("Hotspots"), hotspots=lines,
        footer=_("Internal: not for publication."),
    )


def _public_top_groups(*, agency: Organisation, area: Area, filters: analytics.Filters, as_of: date,
                       group: str) -> list[tuple[str, str]]:
    """The neighborhood's count per offense group for the dates, as the public trends page's row for it gives
    them (withheld among all neighborhoods, as there), largest first; withheld counts are left out. Not the
    sum of the weekday x hour cells shown: most of a neighborhood's cells are small and withheld."""
    everywhere = trend_selectors.trends_public(agency=agency, start=filters.start, end=filters.end, as_of=as_of,
                                               group=group)
    row = next((row for row in everywhere.areas if row.area_id == area.pk), None)
    shown = [(g, n) for g, n in (row.counts.items() if row else []) if n]
    return [(_group_label(g), str(n)) for g, n in sorted(shown, key=lambda item: (-item[1], item[0]))[:10]]


def public_report_data(*, agency: Organisation, area: Area, filters: analytics.Filters, as_of: date) -> AreaReport:
    """The public report of one neighborhood: the public trends only."""
    group = next(iter(filters.groups)) if len(filters.groups) == 1 else ""
    trends = trend_selectors.trends_public(agency=agency, start=filters.start, end=filters.end, as_of=as_of,
                                           group=group, neighborhood_id=area.pk)
    smallest = min(trends.min_count.values(), default=3)
    withheld = _("withheld")

    def shown(value: int | None) -> str:
        return _("withheld") if value is None else str(value)

    labels = period_labels()
    no_data = _("no data")  # a comparison with a period before the agency's data is not made
    compstat = []
    for period in trends.compstat:
        rows = []
        for row in period.rows:
            if row.group and row.current is None and row.prior is None and row.last_year is None:
                continue  # nothing to show: named once below the table instead
            rows.append([_group_label(row.group) if row.group else _("Total of the counts shown"),
                         shown(row.current),
                         *([no_data, no_data] if period.prior and not period.prior_covered else
                           [shown(row.prior) if period.prior else "-", _change_text(row.prior_change)]),
                         *([shown(row.last_year), _change_text(row.last_year_change)] if period.last_year_covered
                           else [no_data, no_data])])
        compstat.append((f"{labels[period.name]} ({_dates(period.current.start, period.current.end)})", rows))
    monthly = []
    for table in trends.monthly:
        row = next((r for r in table.areas if r.area_id == area.pk), None)
        if row is not None:
            cells = ", ".join(f"{c.month_text}: {c.text}" for c in row.counts)
            monthly.append(f"{table.label}: {cells}")
    heat = [[None if all(trends.heat[g][w][h] is None for g in trends.groups) and trends.groups else
             sum(trends.heat[g][w][h] or 0 for g in trends.groups) for h in range(24)] for w in range(7)]
    return AreaReport(
        agency=agency.name, area=area.name, title=_("Area report: %(area)s") % {"area": area.name},
        subtitle=_("Records of %(dates)s; CompStat up to %(as_of)s") % {
            "dates": _dates(filters.start, filters.end), "as_of": formats.date_format(as_of, "SHORT_DATE_FORMAT")},
        note=_("Public version: offense groups the agency publishes. A count below the agency's threshold "
               "(%(n)d or more) is withheld, and where one would be withheld alone, the next smallest too; totals "
               "are sums of the counts shown. Groups with every count withheld are left out. Offenses that could "
               "point at a victim are given only as monthly counts, below.") % {"n": smallest},
        compstat_heading=_("CompStat"), compstat_columns=_compstat_columns(), compstat=compstat,
        heat_heading=_("Records by weekday and hour"), heat=heat, weekdays=weekday_names(),
        groups_heading=_("Top offense groups"),
        groups=_public_top_groups(agency=agency, area=area, filters=filters, as_of=as_of, group=group),
        premises_heading=_("Records by premise type"), premises=[(_("Not published"), "")],
        hotspots_heading=_("Hotspots"),
        hotspots=[_("Not published: hotspots are shown to agency staff only.")],
        withheld_label=withheld, footer=_("Public version."),
        monthly_heading=_("Offenses published only as monthly counts") if monthly else "",
        monthly=([_("Counted per whole calendar month only, never by hour, weekday or a shorter period, so that "
                    "no comparison can single one out; fewer than the threshold is shown as \"fewer than N\".")]
                 + monthly) if monthly else [],
    )


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def area_report_pdf(report: AreaReport) -> bytes:
    """The report as PDF bytes (A4 portrait)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin1_text(report.title))
    pdf.set_author(latin1_text(report.agency))
    pdf.add_page()

    def text(value: str, size: float = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(TEXT_WIDTH, height, latin1_text(value), new_x="LMARGIN", new_y="NEXT")

    bottom = pdf.h - 15  # where the automatic page break falls

    def keep(height: float) -> None:
        """A new page unless `height` mm still fit on this one: a heading is never left alone at a page's foot."""
        if pdf.get_y() + height > bottom:
            pdf.add_page()

    def heading(value: str, then: float = 10) -> None:
        """A heading, kept on one page with the first `then` mm of what follows it."""
        keep(3 + 7 + then)
        pdf.ln(3)
        text(value, 13, "B", 7)

    text(report.agency.upper(), 9, "B")
    text(report.title, 18, "B", 9)
    text(report.subtitle, 10)
    text(report.note, 8, "I", 4)

    heading(report.compstat_heading)
    widths = [48, 14, 26, 34, 26, 32]
    for label, rows in report.compstat:
        keep(5 + 5 + 4.5 * min(len(rows), 3))  # a period's title with its header and first rows
        text(label, 10, "B")
        pdf.set_font("Helvetica", "B", 8)
        for width, column in zip(widths, report.compstat_columns, strict=True):
            pdf.cell(width, 5, latin1_text(column), border="B")
        pdf.ln(5)
        pdf.set_font("Helvetica", "", 8)
        for row in rows:
            for width, cell in zip(widths, row, strict=True):
                pdf.cell(width, 4.5, latin1_text(cell)[:34])
            pdf.ln(4.5)
        pdf.ln(1)

    cell, left = 6.5, MARGIN + 12
    heading(report.heat_heading, then=4 + 7 * cell + 3 + 6)  # the chart with its legend
    top = pdf.get_y() + 4
    highest = max([v for row in report.heat for v in row if v is not None] + [0])
    pdf.set_font("Helvetica", "", 6)
    for hour in range(0, 24, 3):
        pdf.text(left + hour * cell + 1, top - 1, f"{hour:02d}")
    for weekday, row in enumerate(report.heat):
        y = top + weekday * cell
        pdf.set_text_color(0, 0, 0)
        pdf.text(MARGIN, y + cell * 0.7, latin1_text(report.weekdays[weekday]))
        for hour, value in enumerate(row):
            pdf.set_fill_color(*_hex(WITHHELD if value is None else ramp_colour(value, highest)))
            pdf.rect(left + hour * cell, y, cell - 0.4, cell - 0.4, style="F")
    legend_y = top + 7 * cell + 3
    for k, colour in enumerate(RAMP):
        pdf.set_fill_color(*_hex(colour))
        pdf.rect(left + k * 6, legend_y, 6, 3, style="F")
    pdf.text(left - 4, legend_y + 2.6, "0")
    pdf.text(left + len(RAMP) * 6 + 2, legend_y + 2.6, str(highest))
    if report.withheld_label:
        pdf.set_fill_color(*_hex(WITHHELD))
        pdf.rect(left + len(RAMP) * 6 + 20, legend_y, 6, 3, style="F")
        pdf.text(left + len(RAMP) * 6 + 28, legend_y + 2.6, latin1_text(report.withheld_label))
    pdf.set_y(legend_y + 6)

    if report.monthly:
        heading(report.monthly_heading)
        for line in report.monthly:
            text(line, 9)

    for title, rows in ((report.groups_heading, report.groups), (report.premises_heading, report.premises)):
        heading(title, then=5 * min(len(rows), 3))
        pdf.set_font("Helvetica", "", 9)
        for label, value in rows:
            pdf.cell(90, 5, latin1_text(label)[:60])
            pdf.cell(30, 5, latin1_text(value), align="R")
            pdf.ln(5)

    heading(report.hotspots_heading)
    for line in report.hotspots:
        text(line, 9)
    pdf.ln(4)
    text(report.footer, 8, "I")
    return bytes(pdf.output())
