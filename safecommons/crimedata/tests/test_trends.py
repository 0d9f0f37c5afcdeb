"""The public trends: only published groups, never a count below the threshold, totals only of what is shown."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from safecommons.crimedata.models import PublicationRule
from safecommons.crimedata.selectors import trends as trend_selectors
from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 5, 31)
START, END = date(2026, 1, 1), date(2026, 5, 31)
PARAMS = {"start": "2026-01-01", "end": "2026-05-31", "as_of": "2026-05-31"}


@pytest.fixture
def world(agency):
    """Many larcenies, a few burglaries, one rape, one unmapped offense, a hidden group by rule."""
    areas = [AreaFactory(agency=agency, name=name) for name in ("Riverside", "Old Town")]
    rng = random.Random(5)

    def record(code: str, n: int, **extra):
        for _ in range(n):
            when = datetime(2026, 1, 1, tzinfo=TZ) + timedelta(hours=rng.randrange(0, 150 * 24))
            CrimeRecordFactory(agency=agency, nibrs_code=code, occurred_at=when, neighborhood=rng.choice(areas),
                               **extra)

    record("23C", 400)
    record("220", 7)
    record("11A", 1)
    record("", 2)  # unclassified: never public
    record("35A", 30)  # drugs: hidden by the agency's rule below
    record("13B", 2, domestic=True)  # domestic violence: area counts only, and only 2
    PublicationRule.objects.create(agency=agency, offense_group="drugs", display="hidden")
    PublicationRule.objects.create(agency=agency, offense_group="burglary", display="point", min_count=5)
    hourly_counts_refresh(agency_id=agency.pk)
    return areas


def all_numbers(trends: trend_selectors.PublicTrends):
    for group, rows in trends.heat.items():
        for row in rows:
            for value in row:
                yield group, value
    for area in trends.areas:
        for group, value in area.counts.items():
            yield group, value
    for period in trends.compstat:
        for row in period.rows:
            if row.group:
                for value in (row.current, row.prior, row.last_year):
                    yield row.group, value
    for table in trends.monthly:
        for area in table.areas:
            for count in area.counts:
                yield table.offense_group, count.count
        for count in table.total:
            yield table.offense_group, count.count


def test_hidden_and_unclassified_groups_never_appear(agency, world):
    trends = trend_selectors.trends_public(agency=agency, start=START, end=END, as_of=AS_OF)
    assert "drugs" not in trends.groups and "unclassified" not in trends.groups
    assert {"larceny", "burglary"} <= set(trends.groups)
    # Groups shown only as area counts: their monthly tables, and no other table
    assert {"sex_offense", "domestic_violence"} <= {table.offense_group for table in trends.monthly}
    assert not {"sex_offense", "domestic_violence"} & set(trends.groups)
    monthly = {table.offense_group for table in trends.monthly}
    assert {group for group, _value in all_numbers(trends)} <= set(trends.groups) | monthly
    assert "drugs" not in {table.offense_group for table in trends.monthly}
    asked = trend_selectors.trends_public(agency=agency, start=START, end=END, as_of=AS_OF, group="drugs")
    assert asked.groups == [] and not asked.heat and not asked.areas and not asked.compstat and not asked.monthly


def test_no_count_below_the_groups_threshold_is_ever_shown(agency, world):
    trends = trend_selectors.trends_public(agency=agency, start=START, end=END, as_of=AS_OF)
    seen_withheld = False
    for group, value in all_numbers(trends):
        if value is None:
            seen_withheld = True
        else:
            assert value >= trends.min_count[group], (group, value)
    assert seen_withheld
    assert trends.min_count["burglary"] == 5
    assert {table.offense_group: table.min_count for table in trends.monthly}["sex_offense"] == 3
    # One rape, two domestic assaults: every cell of theirs withheld
    assert all(value is None for group, value in all_numbers(trends) if group in ("sex_offense", "domestic_violence"))


def test_totals_are_sums_of_the_counts_shown(agency, world):
    trends = trend_selectors.trends_public(agency=agency, start=START, end=END, as_of=AS_OF)
    for area in trends.areas:
        assert area.total == sum(value or 0 for value in area.counts.values())
    for period in trends.compstat:
        total, rows = period.rows[0], period.rows[1:]
        assert total.group == "" and total.current == sum(row.current or 0 for row in rows)
    combined = trends.combined()
    assert sum(map(sum, combined)) <= 400


def test_a_single_withheld_count_takes_the_next_smallest_with_it():
    assert trend_selectors.withhold({"a": 10, "b": 2, "c": 7}, 3) == {"a": 10, "b": None, "c": None}
    assert trend_selectors.withhold({"a": 10, "b": 2, "c": 1}, 3) == {"a": 10, "b": None, "c": None}
    assert trend_selectors.withhold({"a": 10, "b": 4}, 3) == {"a": 10, "b": 4}
    assert trend_selectors.withhold({"a": 0}, 3) == {"a": None}
    # A lone zero withheld hides no record: nothing more is withheld beside it.
    assert trend_selectors.withhold({"a": 10, "b": 0, "c": 7}, 3) == {"a": 10, "b": None, "c": 7}


def test_the_public_page_and_api_show_no_withheld_number_or_hidden_group(client, agency, world):
    page = client.get("/crime/trends/", PARAMS)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Drugs" not in html and "Unclassified" not in html and "withheld" in html
    data = client.get("/api/crime/trends", PARAMS).json()
    assert "drugs" not in data["offense_groups"] and "unclassified" not in data["offense_groups"]
    thresholds = {heat["offense_group"]: heat["min_count"] for heat in data["heat"]}
    for heat in data["heat"]:
        for row in heat["weekdays"]:
            assert all(value is None or value >= heat["min_count"] for value in row)
    for area in data["areas"]:
        assert set(area["counts"]) <= set(thresholds)
        assert all(v is None or v >= thresholds[g] for g, v in area["counts"].items())
    for period in data["compstat"]:
        for row in period["rows"][1:]:
            for count in (row["count"], row["prior"]["count"], row["last_year"]["count"]):
                assert count is None or count >= thresholds[row["offense_group"]]


def test_the_public_trends_show_no_hotspots_and_no_place_finer_than_a_neighborhood(client, agency, world):
    data = client.get("/api/crime/trends", PARAMS).json()
    text = str(data)
    assert "latitude" not in text and "h3" not in text and "hotspot" not in text


def test_an_unknown_agency_is_not_found(client, world):
    assert client.get("/crime/trends/", {"agency": "no-such-agency"}).status_code == 404


def steady_daily(seed: int, as_of: date, rates: dict[str, float]) -> dict:
    """Two years of daily counts at a steady Poisson rate per group: a city where nothing changed."""
    import numpy as np

    rng = np.random.default_rng(seed)
    first = as_of - timedelta(days=2 * 365 + 40)
    daily = {}
    for group, rate in rates.items():
        for offset, n in enumerate(rng.poisson(rate, (as_of - first).days + 1).tolist()):
            if n:
                daily[(first + timedelta(days=offset), group)] = n
    return daily


def test_a_steady_rate_public_page_is_seldom_flagged():
    rates = {"larceny": 6.0, "assault": 3.0, "burglary": 1.5, "vehicle_theft": 1.0, "robbery": 0.5}
    min_count = dict.fromkeys(rates, 3)
    pages = flags = 0
    for seed in range(40):
        as_of = date(2026, 1, 1) + timedelta(days=7 * seed + 40)
        periods = trend_selectors.compstat_public_from_daily(
            steady_daily(seed, as_of, rates), as_of=as_of, groups=list(rates), min_count=min_count)
        changes = [change for period in periods for row in period.rows
                   for change in (row.prior_change, row.last_year_change) if change is not None]
        assert len(changes) >= 20  # the comparisons were made: most counts are shown
        flagged = sum(bool(change.direction) for change in changes)
        pages += bool(flagged)
        flags += flagged
    assert pages <= 2, (pages, flags)  # the page-wide false-discovery rate is 5 %


def test_the_public_year_to_date_is_compared_with_last_year_only_on_the_staff_windows():
    from safecommons.crimedata.selectors import compstat

    as_of = date(2026, 5, 31)
    periods = {p.name: p for p in trend_selectors.compstat_public_from_daily(
        steady_daily(1, as_of, {"larceny": 6.0}), as_of=as_of, groups=["larceny"], min_count={"larceny": 3})}
    windows = compstat.compstat_windows(as_of)
    for name, period in periods.items():
        assert (period.current, period.prior, period.last_year) == (
            windows[name].current, windows[name].prior, windows[name].last_year)
    ytd = periods["ytd"]
    assert ytd.prior is None and all(row.prior is None and row.prior_change is None for row in ytd.rows)
    assert periods["28d"].last_year.start == date(2026, 5, 4) - timedelta(days=364)


def test_choosing_a_neighborhood_shows_its_row_as_in_the_whole_table(agency, world):
    everywhere = trend_selectors.trends_public(agency=agency, start=START, end=END, as_of=AS_OF)
    riverside = world[0]
    one = trend_selectors.trends_public(agency=agency, start=START, end=END, as_of=AS_OF,
                                        neighborhood_id=riverside.pk)

    row = next(area for area in everywhere.areas if area.area_id == riverside.pk)
    assert [area.area_id for area in one.areas] == [riverside.pk]
    assert one.areas[0].counts == row.counts and row.counts["larceny"] > 150  # not withheld beside "outside"
