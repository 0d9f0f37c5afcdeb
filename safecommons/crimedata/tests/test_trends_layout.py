"""The public trends page in the order a reader needs it: a short summary and CompStat first, then the
weekday × hour heat map (a group too thin to show gets one line, not a table of "withheld"), then the
neighborhoods, and the monthly area-only tables last, each closed in a <details>."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

PARAMS = {"start": "2026-01-01", "end": "2026-05-31", "as_of": "2026-05-31"}


@pytest.fixture
def page(client, agency) -> str:
    """Larcenies dense enough to fill a third of the weekday × hour cells, seven burglaries, and sex
    offenses (area counts only)."""
    area = AreaFactory(agency=agency, name="Riverside")
    monday = datetime(2026, 1, 5, tzinfo=TZ)
    for weekday in range(7):
        for hour in range(8):
            for week in range(3):
                CrimeRecordFactory(agency=agency, nibrs_code="23C", neighborhood=area,
                                   occurred_at=monday + timedelta(days=7 * week + weekday, hours=hour, minutes=5))
    for n in range(7):
        CrimeRecordFactory(agency=agency, nibrs_code="220", neighborhood=area,
                           occurred_at=monday + timedelta(days=7 * n, hours=13))  # one cell: 7 records
    for n in range(4):
        CrimeRecordFactory(agency=agency, nibrs_code="11A", neighborhood=area,
                           occurred_at=monday + timedelta(days=10 * n, hours=2))
    hourly_counts_refresh(agency_id=agency.pk)
    response = client.get("/crime/trends/", PARAMS)
    assert response.status_code == 200
    return response.content.decode()


def test_the_summary_and_compstat_come_first_and_the_monthly_tables_last(page):
    places = [page.index(marker) for marker in (
        'id="trends-summary"', '<h2 id="compstat">', '<h2 id="when">', '<h2 id="where">', '<h2 id="monthly">')]
    assert places == sorted(places)
    assert 'href="#compstat"' in page and 'href="#monthly"' in page


def test_each_monthly_table_sits_in_a_closed_details_with_a_summary_naming_it(page):
    details = re.findall(r"<details([^>]*)><summary>([^<]*)</summary>\s*<div class=\"table-wrap\"><table "
                         r"class=\"crime-area-counts\" id=\"monthly-(\w+)\"", page)
    assert len(details) == 5  # every area-only group, sex offenses among them
    for attributes, _summary, group in details:
        assert attributes == f' class="monthly-table" id="monthly-details-{group}"'  # never open
    summaries = {group: re.sub(r"\s+", " ", summary) for _attributes, summary, group in details}
    assert summaries["sex_offense"] == "Sex offense: offenses per neighborhood and month (1 neighborhoods, 5 months)"


def test_a_group_whose_heat_table_is_almost_all_withheld_gets_one_line_instead(page):
    captions = re.findall(r"<caption>([^<]*): records by weekday", page)
    assert len(captions) == 1 and "arceny" in captions[0]
    lines = [re.sub(r"\s+", " ", line) for line in re.findall(r'<p class="heat-sparse">([^<]*)</p>', page)]
    assert len(lines) == 2
    assert lines[0] == ("Burglary: too few records to show by weekday and hour "
                        "(1 of 175 counts could be shown; 7 records in them).")
    # The groups with nothing to show share one line.
    assert lines[1].startswith("No count to show by weekday and hour (none reaches the threshold): ")
    assert "Homicide" in lines[1] and "Burglary" not in lines[1] and "arceny" not in lines[1]
    assert page.count(">withheld<") < 7 * 25 * 2
