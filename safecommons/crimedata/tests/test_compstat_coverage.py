"""CompStat where the records start mid-last-year: a comparison with a period before the agency's first record is
not made ("no data") on the staff and public pages, in both APIs, the CSV and both PDFs, is never flagged and is
not one of the page's tests; the weekly line has "a year before" only where the data covers it."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader

from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.crimedata.selectors import compstat
from safecommons.crimedata.selectors import trends as trend_selectors
from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.places.tests.factories import AreaFactory

FIRST = date(2025, 7, 1)  # the agency's first record
AS_OF = date(2026, 8, 31)  # 7 and 28 days a year back are covered (August 2025); the year to date's is not
PARAMS = {"start": "2026-01-01", "end": "2026-08-31", "as_of": AS_OF.isoformat()}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def neighborhood(agency):
    """Three larcenies a day from 1 July 2025 to the day CompStat ends: a steady rate, and nothing loaded before."""
    area = AreaFactory(agency=agency, name="Old Town", lon=-93.27, lat=44.98, size=0.02)
    for offset in range((AS_OF - FIRST).days + 1):
        for hour in (9, 14, 20):
            CrimeRecordFactory(agency=agency, nibrs_code="23C", neighborhood=area,
                               occurred_at=datetime.combine(FIRST + timedelta(days=offset), datetime.min.time(),
                                                            tzinfo=TZ).replace(hour=hour))
    hourly_counts_refresh(agency_id=agency.pk)
    return area


def test_a_comparison_before_the_first_record_is_not_made_or_tested():
    daily = {(FIRST + timedelta(days=i), "theft"): 3 for i in range((AS_OF - FIRST).days + 1)}
    result = compstat.compstat_from_daily(daily, as_of=AS_OF, coverage_start=FIRST)
    periods = {p.name: p for p in result.periods}
    assert not periods["ytd"].last_year_covered
    assert all(row.last_year is None for row in periods["ytd"].rows)
    for name in ("7d", "28d"):
        assert periods[name].prior_covered and periods[name].last_year_covered
        assert all(row.last_year is not None and row.prior is not None for row in periods[name].rows)
    assert result.flags == 0
    # Without the coverage the missing half of last year reads as a tripling of the year to date.
    blind = {p.name: p for p in compstat.compstat_from_daily(daily, as_of=AS_OF).periods}
    assert blind["ytd"].total.last_year.direction == "up"


def test_an_uncovered_comparison_is_left_out_of_the_pages_family():
    """The family holds only the comparisons made: a page whose year-back windows all lie before the data decides
    its remaining flags as a page without them would."""
    first = date(2026, 1, 1)
    daily = {(first + timedelta(days=i), "theft"): (9 if i >= 145 else 3) for i in range(151)}
    as_of = date(2026, 5, 31)
    covered = compstat.compstat_from_daily(daily, as_of=as_of, coverage_start=first)
    for period in covered.periods:
        assert not period.last_year_covered and all(row.last_year is None for row in period.rows)
    seven = {p.name: p for p in covered.periods}["7d"]
    assert seven.total.prior.direction == "up"  # a tripling of the last week is still found


def test_public_trends_say_no_data_rather_than_withheld_before_the_first_record():
    daily = {(FIRST + timedelta(days=i), "theft"): 3 for i in range((AS_OF - FIRST).days + 1)}
    periods = {p.name: p for p in trend_selectors.compstat_public_from_daily(
        daily, as_of=AS_OF, groups=["theft"], min_count={"theft": 3}, coverage_start=FIRST)}
    ytd = periods["ytd"]
    assert not ytd.last_year_covered
    assert all(row.last_year is None and row.last_year_change is None for row in ytd.rows)
    assert periods["7d"].last_year_covered and periods["7d"].rows[1].last_year == 21
    assert not any(change and change.direction for p in periods.values() for row in p.rows
                   for change in (row.prior_change, row.last_year_change))


@pytest.mark.django_db
def test_the_coverage_is_the_agencys_first_record(agency, neighborhood):
    assert compstat.data_coverage_start(agency_id=agency.pk) == FIRST
    assert compstat.agency_coverage(agency_id=agency.pk + 1000, as_of=AS_OF) == AS_OF + timedelta(days=1)


@pytest.mark.django_db
def test_the_staff_page_api_csv_and_pdf_show_no_data_and_no_flag(client_for, people, neighborhood):
    client = client_for(people[Role.ANALYST])
    page = client.get("/crime/analytics/compstat/", PARAMS).content.decode()
    assert "no data" in page and "up, significant" not in page
    data = client.get("/api/crime/analytics/compstat", PARAMS).json()
    assert data["coverage_start"] == FIRST.isoformat()
    ytd = {p["name"]: p for p in data["periods"]}["ytd"]
    for row in ytd["rows"]:
        assert row["last_year"]["count"] is None and row["last_year"]["flag"] == ""
        assert "first record" in row["last_year"]["no_data"]
    seven = {p["name"]: p for p in data["periods"]}["7d"]
    assert seven["rows"][0]["last_year"]["count"] == 21 and seven["rows"][0]["last_year"]["no_data"] is None
    csv_rows = client.get("/crime/analytics/export/compstat.csv", PARAMS).content.decode().splitlines()
    ytd_rows = [line.split(",") for line in csv_rows if line.startswith("ytd,")]
    assert ytd_rows and all(cells[9] == "no data" and cells[12] == "" for cells in ytd_rows)
    text = pdf_text(client.get(f"/crime/analytics/areas/{neighborhood.pk}/report.pdf", PARAMS).content)
    assert "no data" in text and "UP (sig.)" not in text


@pytest.mark.django_db
def test_the_weekly_line_has_a_year_before_only_where_covered(agency, people, neighborhood):
    weekly = compstat.weekly_counts(actor=actor_for_user(people[Role.ANALYST]), agency=agency, as_of=AS_OF)
    starts = [end - timedelta(days=364 + 6) for end in weekly.week_ends]
    for start, before in zip(starts, weekly.year_before, strict=True):
        assert (before is None) == (start < FIRST)
        assert before is None or before == 21
    assert weekly.year_before[-1] == 21 and weekly.year_before[0] is None


@pytest.mark.django_db
def test_the_public_page_api_and_pdf_show_no_data_and_no_flag(client, neighborhood):
    page = client.get("/crime/trends/", PARAMS).content.decode()
    compstat_part = page.split("Changes: CompStat")[1]
    assert "no data" in compstat_part and "significant" not in compstat_part.replace("A change is flagged", "")
    data = client.get("/api/crime/trends", PARAMS).json()
    ytd = {p["name"]: p for p in data["compstat"]}["ytd"]
    assert all(row["last_year"]["count"] is None and row["last_year"]["no_data"] for row in ytd["rows"])
    text = pdf_text(client.get(f"/crime/trends/areas/{neighborhood.pk}/report.pdf", PARAMS).content)
    assert "no data" in text and "UP (sig.)" not in text
