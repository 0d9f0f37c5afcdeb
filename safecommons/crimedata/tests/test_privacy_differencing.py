"""Withheld counts of sensitive offenses cannot be recovered by comparing public answers.

The attacks a review found: change the hours, the end date, CompStat's as_of or the date range and subtract;
subtract the counts shown from a total. Each is tried here against every public answer (map API, its
downloads, the trends API), and the test asserts that every answer gives the same cell the same value, and
that no withheld cell can be worked out from the cells and totals published.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
from datetime import datetime

import pytest

from safecommons.crimedata.selectors.public_areas import suppress
from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

SENSITIVE = {"sex_offense", "domestic_violence", "offense_against_child", "family_offense", "kidnapping"}


@pytest.fixture
def world(agency):
    """Three neighborhoods. Sex offenses in May 2026: 4 in West End (one of them on 05-05 at 23:00), 1 in
    Riverside, none in Hill; in April: 2 in West End, 2 in Riverside, 3 in Hill. Thefts everywhere."""
    west = AreaFactory(agency=agency, name="West End", lon=-93.30, lat=44.90)
    river = AreaFactory(agency=agency, name="Riverside", lon=-93.28, lat=44.90)
    hill = AreaFactory(agency=agency, name="Hill", lon=-93.26, lat=44.90)

    def record(code, area, month, day, hour):
        CrimeRecordFactory(agency=agency, nibrs_code=code, neighborhood=area,
                           occurred_at=datetime(2026, month, day, hour, 15, tzinfo=TZ))

    for day, hour in ((2, 10), (3, 14), (4, 9), (5, 23)):
        record("11A", west, 5, day, hour)
    record("11A", river, 5, 12, 2)
    for area, n in ((west, 2), (river, 2), (hill, 3)):
        for i in range(n):
            record("11A", area, 4, 10 + i, 12)
    for i in range(60):
        record("23C", (west, river, hill)[i % 3], 4 + i % 2, 1 + i % 28, i % 24)
    hourly_counts_refresh(agency_id=agency.pk)
    return {"west": west, "river": river, "hill": hill}


def collect(cells: dict, key: tuple, value, source: str) -> None:
    """Record a published cell; the same cell must never be published with two values."""
    if key in cells:
        assert cells[key][0] == value, f"{key}: {cells[key]} and {value!r} ({source})"
    else:
        cells[key] = (value, source)


def map_cells(client, cells: dict, params: dict) -> None:
    areas = client.get("/api/crime/public/areas", params)
    assert areas.status_code == 200, areas.content
    data = areas.json()
    for area in data["areas"]:
        for c in area["counts"]:
            collect(cells, (area["name"], c["offense_group"], c["month"]), c["count"], f"areas {params}")
    for t in data["totals"]:
        collect(cells, ("", t["offense_group"], t["month"]), t["count"], f"areas {params}")
    text = b"".join(client.get("/api/crime/public/download.csv", params).streaming_content).decode()
    for row in csv.DictReader(io.StringIO(text)):
        if row["kind"] in ("area_count", "area_total"):
            value = int(row["count"]) if row["count"].isdigit() else None
            collect(cells, (row["neighborhood"], row["offense_group"], row["date"]), value, f"csv {params}")
        assert row["offense_group"] not in SENSITIVE or row["kind"] != "point"
    geo = json.loads(b"".join(client.get("/api/crime/public/download.geojson", params).streaming_content))
    for feature in geo["features"]:
        p = feature["properties"]
        if p["kind"] in ("area_count", "area_total"):
            collect(cells, (p["neighborhood"], p["offense_group"], p["month"]), p["count"], f"geojson {params}")


def trends_cells(client, cells: dict, params: dict) -> None:
    response = client.get("/api/crime/trends", params)
    assert response.status_code == 200, response.content
    data = response.json()
    # Sensitive groups are nowhere but in the monthly tables: no hour, weekday, area total or CompStat window.
    assert not SENSITIVE & set(data["offense_groups"])
    assert not SENSITIVE & {h["offense_group"] for h in data["heat"]}
    assert not SENSITIVE & {g for a in data["areas"] for g in a["counts"]}
    assert not SENSITIVE & {r["offense_group"] for p in data["compstat"] for r in p["rows"]}
    for table in data["monthly"]:
        for area in table["areas"]:
            for c in area["counts"]:
                collect(cells, (area["name"], table["offense_group"], c["month"]), c["count"], f"trends {params}")
        for c in table["total"]:
            collect(cells, ("", table["offense_group"], c["month"]), c["count"], f"trends {params}")


def assert_nothing_withheld_follows(cells: dict, min_count: int = 3) -> None:
    """For each group and month: every withheld neighborhood count can still take two values or more, given
    the counts shown, the total if shown, and that a withheld count is below `min_count`."""
    rows: dict[tuple[str, str], dict[str, int | None]] = {}
    for (name, group, month), (value, _source) in cells.items():
        rows.setdefault((group, month), {})[name] = value
    checked = 0
    for (group, month), row in rows.items():
        total = row.pop("", None)
        hidden = [name for name, value in row.items() if value is None]
        shown = sum(value for value in row.values() if value is not None)
        if total is None or not hidden:
            continue
        rest = total - shown
        for name in hidden:
            others = len(hidden) - 1
            low, high = max(0, rest - others * (min_count - 1)), min(min_count - 1, rest)
            assert low < high, f"{group} {month}: {name} is {low}, from the total {total}"
            checked += 1
    return checked


def test_no_filter_changes_a_published_cell_and_no_withheld_count_follows(client, world):
    cells: dict = {}
    river = world["river"].pk
    may = {"start": "2026-05-01", "end": "2026-05-31"}
    # Hours and weekdays: all day against 0-22 (the 23:00 offense), against each weekday.
    map_cells(client, cells, may)
    map_cells(client, cells, {**may, "hour_from": 0, "hour_to": 22})
    map_cells(client, cells, {**may, "hour_from": 23, "hour_to": 23})
    for day in range(7):
        map_cells(client, cells, {**may, "weekday": day})
    # End dates a day apart, start dates a day apart, one neighborhood, one group.
    for end in ("2026-05-04", "2026-05-05", "2026-05-06"):
        map_cells(client, cells, {"start": "2026-05-01", "end": end})
    for start in ("2026-05-05", "2026-05-06"):
        map_cells(client, cells, {"start": start, "end": "2026-05-31"})
    map_cells(client, cells, {**may, "area": river, "group": "sex_offense"})
    # Months against longer ranges.
    map_cells(client, cells, {"start": "2026-04-01", "end": "2026-04-30"})
    map_cells(client, cells, {"start": "2026-04-01", "end": "2026-05-31"})
    map_cells(client, cells, {"start": "2026-04-15", "end": "2026-05-15"})
    # Trends: as_of a day apart, in one neighborhood and everywhere, and ranges.
    for as_of in ("2026-05-19", "2026-05-20", "2026-05-31"):
        trends_cells(client, cells, {"start": "2026-04-01", "end": "2026-05-31", "as_of": as_of})
        trends_cells(client, cells, {"start": "2026-04-01", "end": "2026-05-31", "as_of": as_of,
                                     "neighborhood": river})
    trends_cells(client, cells, {"start": "2026-05-01", "end": "2026-05-04", "as_of": "2026-05-04"})
    trends_cells(client, cells, {"start": "2026-05-01", "end": "2026-05-05", "as_of": "2026-05-05",
                                 "group": "sex_offense"})

    sex = {key[0]: value for key, (value, _s) in cells.items() if key[1:] == ("sex_offense", "2026-05")}
    # 5 in all, 4 shown: the fifth is in Riverside or in Hill (Hill's zero is withheld like any small count).
    assert sex == {"West End": 4, "Riverside": None, "Hill": None, "": 5}
    # 7 in all, 3 shown: 4 in two withheld counts below 3 would be 2 and 2, so the total is withheld.
    april = {key[0]: value for key, (value, _s) in cells.items() if key[1:] == ("sex_offense", "2026-04")}
    assert april == {"West End": None, "Riverside": None, "Hill": 3, "": None}
    assert assert_nothing_withheld_follows(cells) >= 2  # May's two withheld counts, at least


def test_a_total_minus_the_counts_shown_never_pins_down_a_withheld_count():
    """Every small table (up to five neighborhoods, counts 0-6, smallest shown 3 or 5): each withheld count
    keeps at least two possible values given what is published."""
    rng = random.Random(6)
    tables = [list(values) for values in itertools.product(range(7), repeat=3)]
    tables += [[rng.randrange(0, 7) for _ in range(rng.randrange(1, 6))] for _ in range(2000)]
    for values in tables:
        for least in (3, 5):
            shown, total = suppress(dict(enumerate(values)), least)
            assert all(v is None or v >= least for v in shown.values())
            assert total is None or total >= least
            hidden = [k for k, v in shown.items() if v is None]
            if total is None or not hidden:
                continue
            rest = total - sum(v for v in shown.values() if v is not None)
            # Every assignment of the withheld counts that fits what is published
            fits = [combo for combo in itertools.product(range(least), repeat=len(hidden)) if sum(combo) == rest]
            for i in range(len(hidden)):
                assert len({combo[i] for combo in fits}) >= 2, (values, least, shown, total)
