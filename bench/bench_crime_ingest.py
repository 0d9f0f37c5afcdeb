"""Benchmark: importing a 1,000,000-row crime export into PostgreSQL end to end, against PostgreSQL's own
server-side COPY of the same file into a plain table of text columns.

Run from the repository root:  .venv/bin/python bench/bench_crime_ingest.py

Prints one JSON line on stdout: our rate in rows/s (mapping, validation, generalisation, H3 cells,
neighborhoods, upsert, rejections and the hourly summary included), with COPY's rate as the peer; the target
is a ratio of at least 0.5. A second line, the floor, is the server's own COPY of the imported records, already
in their final form, into the records table itself (its indexes, unique constraint and foreign keys): what no
importer into that table can beat, against the same peer. Details go to stderr, among them the import's peak
memory (RSS), which stays bounded: the file is read in chunks, never whole.

The file is in the shape of the shipped `boston-incidents` mapping (latitude/longitude, one row per offense),
made with a fixed seed: offenses from the mapping's table and a few it does not know, hours and weekdays
with a daily rhythm, points in the demo city's box with a few dense spots, 0.1 % bad rows (a bad date, a
point far outside the area, a missing id). BENCH_CRIME_ROWS scales it down.

Needs PostgreSQL: BENCH_DATABASE_URL, default postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench_ingest
(role and database created if missing, see pgsetup.py; the database is this benchmark's alone, its crime
tables are emptied). The server-side COPY runs as BENCH_PG_ADMIN_USER (default postgres), which may read
server files; the file is written where the server can read it. Without PostgreSQL it stops with an error,
or quietly (exit 0, no JSON line) with BENCH_SKIP_MISSING_SERVICES=1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
for _path in (REPO_ROOT, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from pgsetup import database_or_exit_code, django_env, env_number, log  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench_ingest"
SEED = 20261202
ROWS = int(env_number("BENCH_CRIME_ROWS", 1_000_000))
TARGET_RATIO = 0.5
AGENCY_SLUG = "bench-crime-ingest"
HEADER = ["INCIDENT_NUMBER", "OFFENSE_CODE", "OFFENSE_CODE_GROUP", "OFFENSE_DESCRIPTION", "DISTRICT",
          "REPORTING_AREA", "SHOOTING", "OCCURRED_ON_DATE", "YEAR", "MONTH", "DAY_OF_WEEK", "HOUR", "UCR_PART",
          "STREET", "Lat", "Long"]
CODES = ["619", "613", "3115", "802", "1402", "724", "520", "614", "423", "3301", "2647", "1102", "617", "301",
         "1849", "2003", "1702", "3831", "3006", "99001"]
CODE_WEIGHTS = np.array([14, 8, 9, 8, 7, 4, 4, 7, 4, 6, 4, 3, 4, 2, 3, 1, 1, 4, 5, 1], dtype=float)
HOUR_WEIGHTS = np.array([5, 4, 3, 2, 2, 2, 3, 4, 5, 6, 6, 7, 8, 7, 7, 7, 8, 9, 9, 9, 8, 8, 7, 6], dtype=float)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
STREETS = ["OAK ST", "MAPLE AVE", "CEDAR ST", "PINE ST", "ELM ST", "BIRCH AVE", "1ST ST", "2ND ST", "3RD ST"]
WEST, EAST, SOUTH, NORTH = -93.320, -93.220, 44.953, 45.007
BAD_SHARE = 0.001


def export_write(path: Path) -> int:
    """Write the file; returns how many of its rows are bad."""
    rng = np.random.default_rng(SEED)
    start = datetime(2025, 1, 1)
    codes = rng.choice(len(CODES), size=ROWS, p=CODE_WEIGHTS / CODE_WEIGHTS.sum())
    days = rng.integers(0, 365, size=ROWS)
    hours = rng.choice(24, size=ROWS, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    minutes = rng.integers(0, 60, size=ROWS)
    spot = rng.random(ROWS) < 0.2  # a fifth of the records around three dense spots
    centres = np.array([[-93.29, 44.97], [-93.25, 44.99], [-93.27, 44.96]])
    which = rng.integers(0, 3, size=ROWS)
    lon = np.where(spot, centres[which, 0] + rng.normal(0, 0.002, ROWS), rng.uniform(WEST, EAST, ROWS))
    lat = np.where(spot, centres[which, 1] + rng.normal(0, 0.002, ROWS), rng.uniform(SOUTH, NORTH, ROWS))
    no_point = rng.random(ROWS) < 0.03
    bad = rng.random(ROWS) < BAD_SHARE
    numbers = rng.integers(0, 99, size=ROWS)
    streets = rng.integers(0, len(STREETS), size=ROWS)
    districts = rng.integers(1, 14, size=ROWS)
    day_strings = [(start + timedelta(days=int(d))) for d in range(365)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        lines = []
        for n in range(ROWS):
            day = day_strings[days[n]]
            hour = int(hours[n])
            when = f"{day:%Y-%m-%d} {hour:02d}:{minutes[n]:02d}:00"
            number = f"I{n:09d}"
            la, lo = (f"{lat[n]:.8f}", f"{lon[n]:.8f}") if not no_point[n] else ("0", "0")
            if bad[n]:
                kind = n % 3
                when = "2025-02-30 10:00:00" if kind == 0 else when
                la, lo = ("42.3601", "-71.0589") if kind == 1 else (la, lo)
                number = "" if kind == 2 else number
            lines.append(f"{number},{CODES[codes[n]]},,,D{districts[n]},{numbers[n] * 7},,{when},{day.year},"
                         f"{day.month},{WEEKDAYS[day.weekday()]},{hour},,{STREETS[streets[n]]},{la},{lo}\n")
            if len(lines) >= 50_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)
    return int(bad.sum())


def copy_peer(url: str, path: Path) -> float:
    """Seconds for the server's own COPY of the file into a plain table of text columns."""
    import psycopg

    parsed = urlparse(url)
    admin = os.environ.get("BENCH_PG_ADMIN_USER", "postgres")
    columns = ", ".join(f'"{name.lower()}" text' for name in HEADER)
    with psycopg.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432, user=admin,
                         dbname=parsed.path.lstrip("/"), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_crime_plain")
        conn.execute(f"CREATE TABLE bench_crime_plain ({columns})")
        started = time.perf_counter()
        conn.execute(f"COPY bench_crime_plain FROM '{path}' (FORMAT csv, HEADER)")
        seconds = time.perf_counter() - started
        count = conn.execute("SELECT count(*) FROM bench_crime_plain").fetchone()[0]
        conn.execute("DROP TABLE bench_crime_plain")
    if count != ROWS:
        raise SystemExit(f"COPY loaded {count} rows, not {ROWS}")
    return seconds


def copy_floor(url: str, work: Path, expected: int) -> float:
    """Seconds for the server's own COPY of the imported records, already in their final form, into the
    records table itself, with its indexes, unique constraint and foreign keys (checked at once, not at
    commit): what writing the rows costs before any importer work. Rolled back, so the table is left as the
    import left it."""
    import psycopg

    parsed = urlparse(url)
    admin = os.environ.get("BENCH_PG_ADMIN_USER", "postgres")
    final = work / "final-records.csv"
    with psycopg.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432, user=admin,
                         dbname=parsed.path.lstrip("/")) as conn:
        columns = ", ".join(row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'crimedata_crimerecord' "
            "AND column_name <> 'id' ORDER BY ordinal_position"))
        with final.open("wb") as out, conn.cursor().copy(
                f"COPY (SELECT {columns} FROM crimedata_crimerecord) TO STDOUT (FORMAT csv)") as copy:
            for data in copy:
                out.write(data)
        final.chmod(0o644)
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        conn.execute("TRUNCATE crimedata_crimerecord")
        started = time.perf_counter()
        conn.execute(f"COPY crimedata_crimerecord ({columns}) FROM '{final}' (FORMAT csv)")
        seconds = time.perf_counter() - started
        count = conn.execute("SELECT count(*) FROM crimedata_crimerecord").fetchone()[0]
        conn.rollback()
    final.unlink()
    if count != expected:
        raise SystemExit(f"the floor's COPY loaded {count} records, not {expected}")
    return seconds


def run_one(path: str) -> int:
    """In the child process: import the file through the importer; print the counts and seconds as JSON."""
    with contextlib.redirect_stdout(sys.stderr):
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    from safecommons.crimedata.mapping import mapping_load
    from safecommons.crimedata.models import CrimeRecord, HourlyCount
    from safecommons.demo.city import neighborhoods_geojson
    from safecommons.partners.models import Organisation
    from safecommons.places.models import Area

    agency, _ = Organisation.objects.get_or_create(slug=AGENCY_SLUG, defaults={"kind": "agency",
                                                                              "name": "Bench Crime Agency"})
    if not Area.objects.filter(agency=agency).exists():
        for feature in neighborhoods_geojson()["features"]:
            ring = feature["geometry"]["coordinates"][0]
            lons, lats = [p[0] for p in ring], [p[1] for p in ring]
            Area.objects.create(agency=agency, kind="neighborhood", code=feature["properties"]["code"],
                                name=feature["properties"]["name"], geometry=feature["geometry"],
                                min_lon=min(lons), min_lat=min(lats), max_lon=max(lons), max_lat=max(lats))
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE crimedata_crimerecord, crimedata_hourlycount, crimedata_importrejection, "
                       "crimedata_importrun CASCADE")
    from safecommons.crimedata.services.imports import crime_import_file

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    run = crime_import_file(actor=None, agency=agency, path=path, mapping=mapping_load("boston-incidents"))
    seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stored = CrimeRecord.objects.filter(agency=agency).count()
    summed = sum(HourlyCount.objects.filter(agency=agency).values_list("count", flat=True))
    print(json.dumps({"seconds": seconds, "status": run.status, "error": run.error, "inserted": run.inserted,
                      "updated": run.updated, "rejected": run.rejected, "stored": stored, "summed": summed,
                      "rss_before_kb": rss_before, "rss_peak_kb": rss_after}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--import-file")
    arguments = parser.parse_args()
    if arguments.import_file:
        return run_one(arguments.import_file)

    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    code = database_or_exit_code("crime_ingest", url)
    if code is not None:
        return code
    work = Path(tempfile.mkdtemp(prefix="safecommons-crime-ingest-"))
    work.chmod(0o755)  # the server reads the file for its own COPY
    path = work / "incidents.csv"
    started = time.perf_counter()
    bad = export_write(path)
    path.chmod(0o644)
    log(f"file: {ROWS:,} rows, {path.stat().st_size / 1e6:.0f} MB, {bad:,} bad, written in "
        f"{time.perf_counter() - started:.1f} s")
    copy_seconds = copy_peer(url, path)
    log(f"peer: server-side COPY into a plain text table: {copy_seconds:.2f} s ({ROWS / copy_seconds:,.0f} rows/s)")

    env = django_env(url, str(work))
    done = subprocess.run([sys.executable, __file__, "--import-file", str(path)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=3600)
    path.unlink()
    if done.returncode != 0:
        log(f"FAIL: the import stopped: {done.stderr[-3000:]}")
        return 1
    result = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = result["seconds"]
    ok = (result["status"] == "done" and result["inserted"] + result["rejected"] == ROWS
          and result["rejected"] == bad and result["stored"] == result["inserted"] == result["summed"])
    log(f"import: {seconds:.1f} s ({ROWS / seconds:,.0f} rows/s): {result['inserted']:,} inserted, "
        f"{result['rejected']:,} rejected with their line numbers; peak RSS {result['rss_peak_kb'] / 1024:.0f} MB "
        f"({result['rss_before_kb'] / 1024:.0f} MB before the import)")
    if not ok:
        log(f"FAIL: the counts do not match the file: {result}")
        return 1
    floor_seconds = copy_floor(url, work, result["stored"])
    log(f"floor: server-side COPY of the {result['stored']:,} final records into crimedata_crimerecord (indexes, "
        f"constraints, foreign keys): {floor_seconds:.2f} s ({result['stored'] / floor_seconds:,.0f} rows/s, "
        f"{copy_seconds / floor_seconds:.2f}x COPY's rate): no importer of these records into this table can beat it")
    ratio = (ROWS / seconds) / (ROWS / copy_seconds)
    verdict = 'met' if ratio >= TARGET_RATIO else 'NOT met'
    log(f"result: {ratio:.2f}x COPY's rate (target >= {TARGET_RATIO}x): {verdict}; "
        f"{floor_seconds / seconds:.2f}x the floor's rate")
    print(json.dumps({
        "name": "crime_ingest", "value": round(ROWS / seconds), "unit": f"rows/s ({ROWS:,} rows, PostgreSQL)",
        "peer": "PostgreSQL server-side COPY of the same file into a plain text table",
        "peer_value": round(ROWS / copy_seconds), "ratio": round(ratio, 3), "target": f">= {TARGET_RATIO}x",
        "peak_rss_mb": round(result["rss_peak_kb"] / 1024),
        "floor_value": round(result["stored"] / floor_seconds), "floor_ratio": round(copy_seconds / floor_seconds, 3),
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
