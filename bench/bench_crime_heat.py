"""Benchmark: offense × hour × weekday over 8,000,000 crime records in PostgreSQL, through our selector
(`crimedata.selectors.analytics.heat_counts`, reading the `HourlyCount` summary), against DuckDB running the
same GROUP BY over the same records in the same run.

Run from the repository root:  .venv/bin/python bench/bench_crime_heat.py

Prints one JSON line on stdout: the selector's median time in ms, with DuckDB's median as the peer; the target
is a ratio of at most 1.0. Details go to stderr: the time to generate the records, to refresh the summary,
and (for information) the selector over a range with part-months at both ends, which also reads records.

The records: BENCH_CRIME_RECORDS (default 8,000,000) made in PostgreSQL by `INSERT … SELECT … FROM
generate_series` (fixed seed), over three years (2023-2025), 25 NIBRS offenses, every hour and weekday. They
are kept between runs when their number matches (BENCH_CRIME_REGENERATE=1 makes them again). The peer gets
them by COPY TO a CSV file, loaded into a DuckDB table in memory; both sides are warmed up, then each query
runs BENCH_CRIME_RUNS times (default 7) and the medians are compared. Both answers are checked equal.

Needs PostgreSQL: BENCH_DATABASE_URL, default postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench_heat
(role and database created if missing, see pgsetup.py; the database is this benchmark's alone). Without it it
stops with an error, or quietly (exit 0, no JSON line) with BENCH_SKIP_MISSING_SERVICES=1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
for _path in (REPO_ROOT, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from pgsetup import database_or_exit_code, django_child_result, env_number, log  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench_heat"
RECORDS = int(env_number("BENCH_CRIME_RECORDS", 8_000_000))
RUNS = int(env_number("BENCH_CRIME_RUNS", 7))
SLUG = "bench-crime-heat"
FIRST, LAST = date(2023, 1, 1), date(2025, 12, 31)
CHUNK = 1_000_000
TARGET_RATIO = 1.0

# (code, group, against): the offenses the records are drawn from, one as likely as another.
OFFENSES = [
    ("23C", "larceny", "property"), ("23D", "larceny", "property"), ("23F", "larceny", "property"),
    ("23H", "larceny", "property"), ("23G", "larceny", "property"), ("220", "burglary", "property"),
    ("240", "motor_vehicle_theft", "property"), ("290", "vandalism", "property"), ("200", "arson", "property"),
    ("120", "robbery", "property"), ("13A", "assault", "person"), ("13B", "assault", "person"),
    ("13C", "assault", "person"), ("09A", "homicide", "person"), ("11A", "sex_offense", "person"),
    ("11D", "sex_offense", "person"), ("35A", "drugs", "society"), ("35B", "drugs", "society"),
    ("520", "weapons", "society"), ("26A", "fraud", "property"), ("26B", "fraud", "property"),
    ("90C", "public_order", "society"), ("90D", "public_order", "society"), ("90J", "public_order", "society"),
    ("280", "stolen_property", "property"),
]


def _generate(cursor, agency_id: int) -> None:
    """Fill the table in chunks, with its indexes dropped meanwhile and made again after (as a bulk load
    would); the unique constraint comes back as it was."""
    table = "crimedata_crimerecord"
    cursor.execute(f"TRUNCATE {table} CASCADE")
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
                   [table, "%pkey"])
    indexes = cursor.fetchall()
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype = 'u'", [table])
    constraints = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    constraint_names = {name for name, _ in constraints}
    for name, _definition in indexes:
        if name not in constraint_names:
            cursor.execute(f'DROP INDEX "{name}"')
    values = ", ".join(f"({i + 1}, '{code}', '{group}', '{against}')"
                       for i, (code, group, against) in enumerate(OFFENSES))
    days = (LAST - FIRST).days + 1
    cursor.execute("SELECT setseed(0.20261202)")
    for low in range(1, RECORDS + 1, CHUNK):
        high = min(RECORDS, low + CHUNK - 1)
        cursor.execute(f"""
            INSERT INTO {table} (agency_id, source_id, offense_source, nibrs_code, offense_group, crime_against,
                domestic, child_victim, occurred_at, occurred_date, occurred_hour, occurred_weekday, address,
                latitude, longitude, block_address, source_area, premise_type, status, updated_at)
            SELECT %s, 'B' || s.i, o.code, o.code, o.grp, o.against, false, false,
                   (s.d + make_interval(hours => s.h)) AT TIME ZONE 'America/Chicago', s.d, s.h,
                   extract(isodow FROM s.d)::int - 1, '', 44.9 + random() * 0.2, -93.4 + random() * 0.3,
                   '', '', '', '', now()
            FROM (SELECT i, %s::date + floor(random() * {days})::int AS d, floor(random() * 24)::int AS h,
                         1 + floor(random() * {len(OFFENSES)})::int AS k
                  FROM generate_series(%s, %s) AS i) AS s
            JOIN (VALUES {values}) AS o(idx, code, grp, against) ON o.idx = s.k
        """, [agency_id, FIRST, low, high])  # noqa: S608  (constants of this script only)
        log(f"generate: {high:,} records")
    for name, definition in indexes:
        if name not in constraint_names:
            cursor.execute(definition)
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(f"ANALYZE {table}")


def _median_ms(work, runs: int) -> tuple[float, object]:
    result = None
    for _ in range(2):  # warm-up
        result = work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def run_child() -> int:
    with contextlib.redirect_stdout(sys.stderr):
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    import duckdb
    from django.db import connection

    from safecommons.crimedata.models import CrimeRecord, HourlyCount
    from safecommons.crimedata.selectors import analytics
    from safecommons.crimedata.services.summary import hourly_counts_refresh
    from safecommons.partners.models import Organisation

    agency, _ = Organisation.objects.get_or_create(slug=SLUG, defaults={"kind": "agency", "name": "Bench Heat PD"})
    have = CrimeRecord.objects.filter(agency=agency).count()
    if have != RECORDS or os.environ.get("BENCH_CRIME_REGENERATE") == "1":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            _generate(cursor, agency.pk)
        log(f"generate: {RECORDS:,} records in {time.perf_counter() - started:.1f} s")
        HourlyCount.objects.filter(agency=agency).delete()
    else:
        log(f"generate: {have:,} records already there (BENCH_CRIME_REGENERATE=1 makes them again)")
    started = time.perf_counter()
    summary_rows = hourly_counts_refresh(agency_id=agency.pk)
    log(f"summary: refreshed in {time.perf_counter() - started:.1f} s ({summary_rows:,} rows)")

    # The peer's copy of the same records
    folder = tempfile.mkdtemp(prefix="safecommons-heat-bench-")
    path = os.path.join(folder, "records.csv")
    started = time.perf_counter()
    with connection.cursor() as cursor, open(path, "wb") as out:
        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
        with raw.copy("COPY (SELECT nibrs_code, occurred_hour, occurred_weekday, occurred_date "
                      "FROM crimedata_crimerecord WHERE agency_id = %s) TO STDOUT WITH (FORMAT csv, HEADER)",
                      [agency.pk]) as copy:
            for block in copy:
                out.write(block)
    duck = duckdb.connect()
    duck.execute(f"CREATE TABLE records AS SELECT * FROM read_csv('{path}', header = true, "
                 "columns = {'nibrs_code': 'VARCHAR', 'occurred_hour': 'INTEGER', 'occurred_weekday': 'INTEGER', "
                 "'occurred_date': 'DATE'})")
    os.unlink(path)
    loaded = duck.execute("SELECT count(*) FROM records").fetchone()[0]
    threads = duck.execute("SELECT current_setting('threads')").fetchone()[0]
    log(f"peer: exported and loaded into DuckDB {duckdb.__version__} in {time.perf_counter() - started:.1f} s "
        f"({loaded:,} rows, {threads} threads)")

    filters = analytics.Filters(start=FIRST, end=LAST, by=analytics.BY_CODE)
    ours_ms, table = _median_ms(lambda: analytics.heat_counts(agency_id=agency.pk, filters=filters), RUNS)
    query = ("SELECT nibrs_code, occurred_hour, occurred_weekday, count(*) FROM records "
             "WHERE occurred_date BETWEEN ? AND ? GROUP BY nibrs_code, occurred_hour, occurred_weekday")
    peer_ms, rows = _median_ms(lambda: duck.execute(query, [FIRST, LAST]).fetchall(), RUNS)
    peer = {(code, weekday, hour): n for code, hour, weekday, n in rows}
    same = peer == table.counts and sum(peer.values()) == RECORDS

    # For information: part-months at both ends (the summary for the middle, records for the edges)
    edges = analytics.Filters(start=date(2023, 1, 17), end=date(2025, 12, 12), by=analytics.BY_CODE)
    edges_ms, edged = _median_ms(lambda: analytics.heat_counts(agency_id=agency.pk, filters=edges), RUNS)
    edges_peer_ms, edge_rows = _median_ms(lambda: duck.execute(query, [edges.start, edges.end]).fetchall(), RUNS)
    same = same and {(c, w, h): n for c, h, w, n in edge_rows} == edged.counts
    print(json.dumps({"ours_ms": ours_ms, "peer_ms": peer_ms, "edges_ms": edges_ms, "edges_peer_ms": edges_peer_ms,
                      "same": same, "summary_rows": summary_rows}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    if parser.parse_args().child:
        return run_child()
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    code = database_or_exit_code("crime_heat", url)
    if code is not None:
        return code
    result = django_child_result(str(Path(__file__).resolve()), url, prefix="safecommons-heat-bench-", timeout=7200)
    if result is None:
        return 1
    if not result["same"]:
        log("FAIL: the selector and DuckDB disagree")
        return 1
    ratio = result["ours_ms"] / result["peer_ms"]
    log(f"whole months: ours {result['ours_ms']:.1f} ms, DuckDB {result['peer_ms']:.1f} ms, ratio {ratio:.2f} "
        f"(target <= {TARGET_RATIO:g}): {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
    log(f"part-months at both ends (for information): ours {result['edges_ms']:.1f} ms, "
        f"DuckDB {result['edges_peer_ms']:.1f} ms")
    print(json.dumps({
        "name": "crime_heat", "value": round(result["ours_ms"], 2),
        "unit": f"ms (offense x hour x weekday over {RECORDS:,} records, median of {RUNS})",
        "peer": "DuckDB GROUP BY over the same records in memory, same run", "peer_value": round(result["peer_ms"], 2),
        "ratio": round(ratio, 3), "target": f"<= {TARGET_RATIO:g}x peer",
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
