"""Benchmark: hotspots for a city-year: 250,000 crime records over a year in a city of about 650 km² with 80
neighborhoods, through the hotspot selector end to end (permission, counts per cell in PostgreSQL, the study
area's cells, Gi*, Benjamini-Hochberg), at H3 resolution 8; resolution 9 for information.

Run from the repository root:  .venv/bin/python bench/bench_crime_hotspots.py

Prints one JSON line on stdout: the median seconds of BENCH_CRIME_RUNS runs (default 5) after a warm-up;
the target is at most 2 s (no peer). Details go to stderr.

The records (fixed seed): three quarters spread evenly over the city, a quarter around twelve dense spots,
every day of 2025; kept between runs when their number matches (BENCH_CRIME_REGENERATE=1 makes them again).
BENCH_CRIME_HOTSPOT_RECORDS scales them. Needs PostgreSQL: BENCH_DATABASE_URL, default
postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench_hotspots (role and database created if
missing, see pgsetup.py). Without it it stops with an error, or quietly (exit 0, no JSON line) with
BENCH_SKIP_MISSING_SERVICES=1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
for _path in (REPO_ROOT, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from pgsetup import database_or_exit_code, django_child_result, env_number, log  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench_hotspots"
RECORDS = int(env_number("BENCH_CRIME_HOTSPOT_RECORDS", 250_000))
RUNS = int(env_number("BENCH_CRIME_RUNS", 5))
SLUG = "bench-crime-hotspots"
SEED = 20261202
WEST, EAST, SOUTH, NORTH = -93.40, -93.10, 44.85, 45.10
COLUMNS, ROWS = 8, 10
TARGET_S = 2.0
CODES = [("23C", "larceny"), ("23F", "larceny"), ("220", "burglary"), ("240", "motor_vehicle_theft"),
         ("290", "vandalism"), ("13B", "assault"), ("120", "robbery"), ("35A", "drugs")]


def _neighborhoods(agency) -> None:
    from safecommons.places.models import Area

    Area.objects.filter(agency=agency).delete()
    width, height = (EAST - WEST) / COLUMNS, (NORTH - SOUTH) / ROWS
    areas = []
    for col in range(COLUMNS):
        for row in range(ROWS):
            lon, lat = WEST + col * width, SOUTH + row * height
            ring = [[lon, lat], [lon + width, lat], [lon + width, lat + height], [lon, lat + height], [lon, lat]]
            areas.append(Area(agency=agency, kind="neighborhood", code=f"n-{col}-{row}", name=f"Ward {col}-{row}",
                              geometry={"type": "Polygon", "coordinates": [ring]}, min_lon=lon, min_lat=lat,
                              max_lon=lon + width, max_lat=lat + height))
    Area.objects.bulk_create(areas)


def _records(agency) -> None:
    """Generate the records with numpy and h3, and COPY them in."""
    import h3
    import numpy as np
    from django.db import connection

    from safecommons.crimedata.models import CrimeRecord

    CrimeRecord.objects.filter(agency=agency).delete()
    rng = np.random.default_rng(SEED)
    spread = int(RECORDS * 0.75)
    lon = rng.uniform(WEST, EAST, RECORDS)
    lat = rng.uniform(SOUTH, NORTH, RECORDS)
    centres = np.column_stack([rng.uniform(WEST + 0.02, EAST - 0.02, 12), rng.uniform(SOUTH + 0.02, NORTH - 0.02, 12)])
    which = rng.integers(0, 12, RECORDS - spread)
    lon[spread:] = centres[which, 0] + rng.normal(0, 0.004, RECORDS - spread)
    lat[spread:] = centres[which, 1] + rng.normal(0, 0.003, RECORDS - spread)
    days = rng.integers(0, 365, RECORDS)
    hours = rng.integers(0, 24, RECORDS)
    codes = rng.integers(0, len(CODES), RECORDS)
    buffer = io.StringIO()
    first = date(2025, 1, 1).toordinal()
    for i in range(RECORDS):
        day = date.fromordinal(first + int(days[i]))
        code, group = CODES[codes[i]]
        cell = h3.str_to_int(h3.latlng_to_cell(float(lat[i]), float(lon[i]), 9))
        buffer.write(f"{agency.pk}\tH{i}\t{code}\t{code}\t{group}\tproperty\tf\tf\t{day}T{hours[i]:02d}:00:00-06:00\t"
                     f"{day}\t{hours[i]}\t{day.weekday()}\t{lat[i]:.6f}\t{lon[i]:.6f}\t{cell}\t2025-12-31T00:00:00Z"
                     "\t\t\t\t\t\n")  # address, block, source area, premise, status: empty
    buffer.seek(0)
    columns = ("agency_id, source_id, offense_source, nibrs_code, offense_group, crime_against, domestic, "
               "child_victim, occurred_at, occurred_date, occurred_hour, occurred_weekday, latitude, longitude, "
               "h3_cell, updated_at, address, block_address, source_area, premise_type, status")
    with connection.cursor() as cursor:
        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
        with raw.copy(f"COPY crimedata_crimerecord ({columns}) FROM STDIN") as copy:
            while block := buffer.read(1 << 20):
                copy.write(block)
        cursor.execute("ANALYZE crimedata_crimerecord")


def run_child() -> int:
    with contextlib.redirect_stdout(sys.stderr):
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    from safecommons.accounts.models import Membership, User
    from safecommons.core.permissions import actor_for_user
    from safecommons.core.roles import Role
    from safecommons.crimedata.models import CrimeRecord
    from safecommons.crimedata.selectors import hotspots as hotspot_selectors
    from safecommons.crimedata.selectors.analytics import Filters
    from safecommons.partners.models import Organisation

    agency, _ = Organisation.objects.get_or_create(slug=SLUG, defaults={"kind": "agency",
                                                                        "name": "Bench Hotspots PD"})
    analyst, _ = User.objects.get_or_create(email="analyst@hotspots.bench",
                                            defaults={"username": "analyst@hotspots.bench"})
    Membership.objects.get_or_create(user=analyst, organisation=agency, role=Role.ANALYST)
    have = CrimeRecord.objects.filter(agency=agency).count()
    if have != RECORDS or os.environ.get("BENCH_CRIME_REGENERATE") == "1":
        started = time.perf_counter()
        _neighborhoods(agency)
        _records(agency)
        log(f"generate: {RECORDS:,} records and {COLUMNS * ROWS} neighborhoods in "
            f"{time.perf_counter() - started:.1f} s")
    else:
        log(f"generate: {have:,} records already there (BENCH_CRIME_REGENERATE=1 makes them again)")
    actor = actor_for_user(analyst)
    year = Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))
    out = {}
    for resolution in (8, 9):
        def work(resolution=resolution):
            return hotspot_selectors.hotspots(actor=actor, agency=agency, filters=year, resolution=resolution)

        result = work()  # warm-up
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            result = work()
            times.append(time.perf_counter() - started)
        out[resolution] = {"seconds": statistics.median(times), "cells": result.study_cells,
                           "hot": len(result.hot), "cold": len(result.cold), "records": result.records,
                           "study_area": result.study_area}
        runs = ", ".join(f"{t:.3f}" for t in times)
        log(f"resolution {resolution}: median {statistics.median(times):.3f} s (runs {runs}); "
            f"{result.study_cells:,} cells ({result.study_area}), {result.records:,} records, "
            f"{len(result.hot)} hot and {len(result.cold)} cold spots")
    print(json.dumps(out))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    if parser.parse_args().child:
        return run_child()
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    code = database_or_exit_code("crime_hotspots", url)
    if code is not None:
        return code
    result = django_child_result(str(Path(__file__).resolve()), url, prefix="safecommons-hotspot-bench-", timeout=3600)
    if result is None:
        return 1
    value = result["8"]["seconds"]
    if result["8"]["records"] != RECORDS:
        log("FAIL: the hotspots did not count every record")
        return 1
    met = "met" if value <= TARGET_S else "NOT met"
    log(f"result: {value:.3f} s at resolution 8 (target <= {TARGET_S:g} s): {met}; "
        f"resolution 9 {result['9']['seconds']:.3f} s")
    print(json.dumps({
        "name": "crime_hotspots", "value": round(value, 3),
        "unit": f"s (Gi* + FDR over a city-year, {RECORDS:,} records, H3 resolution 8, median of {RUNS})",
        "peer": "target (no peer)", "peer_value": TARGET_S, "ratio": round(value / TARGET_S, 3),
        "target": f"<= {TARGET_S:g} s",
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
