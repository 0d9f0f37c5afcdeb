"""The SVG charts (core/charts.py) and the weekly series drawn on the CompStat page."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest

from safecommons.core import charts
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.crimedata.selectors import compstat
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314  (our own output)


def test_every_chart_is_well_formed_svg_with_its_text_escaped():
    hostile = '<script>alert("x")</script> & "quotes"'
    drawn = [
        charts.heat_grid_svg(rows=[hostile, "b"], columns=["00", "01"], values=[[1, None], [0, 5]], title=hostile,
                             description=hostile, withheld_label=hostile),
        charts.bar_chart_svg(labels=[hostile, "x"], values=[3, None], title=hostile, description=hostile,
                             withheld_label="withheld"),
        charts.line_chart_svg(labels=["a", "b", "c"], series={hostile: [1, 2, 3], "other": [3, 2, 1]}, title=hostile,
                              description=hostile),
    ]
    for svg in drawn:
        root = parse(svg)
        assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title").text == hostile
        assert "<script>" not in str(svg)


def test_the_heat_grid_greys_withheld_cells_and_shades_by_value():
    root = parse(charts.heat_grid_svg(rows=["r"], columns=["a", "b", "c"], values=[[0, None, 9]], title="t",
                                      description="d"))
    cells = [rect.get("fill") for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    assert cells == [charts.RAMP[0], charts.WITHHELD, charts.RAMP[-1]]


@pytest.mark.django_db
def test_the_weekly_series_lines_up_weeks_a_year_apart(agency, people):
    as_of = date(2026, 5, 31)
    CrimeRecordFactory(agency=agency, occurred_at=datetime(2026, 5, 31, 12, tzinfo=TZ))
    CrimeRecordFactory(agency=agency, occurred_at=datetime(2026, 5, 25, 12, tzinfo=TZ))  # same week (7 days)
    CrimeRecordFactory(agency=agency, occurred_at=datetime(2026, 5, 24, 12, tzinfo=TZ))  # the week before
    CrimeRecordFactory(agency=agency, occurred_at=datetime(2025, 6, 1, 12, tzinfo=TZ))  # 364 days before as_of
    # the data starts before that week (a week a year before that starts before the first record has no count)
    CrimeRecordFactory(agency=agency, occurred_at=datetime(2025, 5, 19, 12, tzinfo=TZ))
    series = compstat.weekly_counts(actor=actor_for_user(people[Role.ANALYST]), agency=agency, as_of=as_of)
    assert len(series.current) == len(series.year_before) == len(series.week_ends) == 52
    assert series.week_ends[-1] == as_of and series.week_ends[-2] == as_of - timedelta(days=7)
    assert series.current[-1] == 2 and series.current[-2] == 1 and series.year_before[-1] == 1
    assert sum(series.current) == 3
    assert series.year_before[-2] == 1 and series.year_before[-3] is None
