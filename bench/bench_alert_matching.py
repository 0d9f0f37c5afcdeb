"""Benchmark: matching an alert against 1,000,000 subscriptions, and the whole fan-out, against PostGIS.

Run from the repository root:  .venv/bin/python bench/bench_alert_matching.py

Prints two JSON lines on stdout:
- `alert_matching`: p50 of `matching.alert_matches` (the process's index warm, as a worker keeps it; the
  catch-up check with the database included) for an alert whose area reaches about 10 % of the
  subscriptions, against the peer in the same run: PostGIS `SELECT id ... WHERE ST_Intersects(disk, area)`
  over the same subscriptions, their disks stored as polygons (`ST_Buffer(point::geography, radius +
  CELL_MARGIN_M)::geometry`: the same effective disk ours measures against)
  with a GiST index, agency, status and topic filtered in SQL, psycopg round trip. Target ratio <= 0.1.
  The two answers are compared (ours measures the exact distance to the disk's centre, the peer a 32-sided
  polygon inscribed in the disk, so a few subscriptions right at the edge may differ; reported on stderr).
- `alert_fanout_enqueued`: the fan-out of a published alert, from the start of the task to the commit of
  every Delivery row (one email channel per subscription) with their send tasks queued in the database
  queue. Target <= 10 s.
Details go to stderr.

The city: 1,000,000 subscriptions of one agency in 25 km x 25 km around (-93.27, 44.98), placed like homes
(denser downtown and around neighbourhood centres), each kept as its H3 resolution-9 cell with a radius of
250, 500, 1,000 or 2,000 m; 90 % want crime alerts; 97 % active. Fixed seed. Loaded with COPY once and kept
(BENCH_ALERTS_RELOAD=1 loads again).

Needs PostgreSQL with PostGIS: BENCH_ALERTS_DATABASE_URL, default
postgres://safecommons_bench@127.0.0.1:5432/safecommons_alerts_bench (role and database created if missing,
see pgsetup.py; `CREATE EXTENSION postgis` as BENCH_PG_ADMIN_USER). Without it it stops with an error, or,
with BENCH_SKIP_MISSING_SERVICES=1, prints a JSON line saying why it was skipped and exits 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
for _path in (REPO_ROOT, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from pgsetup import database_prepare, env_number, log  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://safecommons_bench@127.0.0.1:5432/safecommons_alerts_bench"
SEED = 20261202
CENTER_LON, CENTER_LAT = -93.27, 44.98
HALF_SIZE_KM = 12.5
N_SUBSCRIPTIONS = int(env_number("BENCH_ALERTS_SUBSCRIPTIONS", 1_000_000))
N_RUNS = int(env_number("BENCH_ALERTS_RUNS", 15))
N_FANOUTS = int(env_number("BENCH_ALERTS_FANOUTS", 3))
TARGET_SHARE = 0.10
TARGET_RATIO = 0.1
TARGET_FANOUT_S = 10.0
PEER_TABLE = "bench_alert_disk"


def skip_or_fail(reason: str) -> int:
    if os.environ.get("BENCH_SKIP_MISSING_SERVICES", "").lower() in {"1", "true", "yes"}:
        print(json.dumps({"name": "alert_matching", "skipped": reason}), flush=True)
        log(f"alert matching: skipped (BENCH_SKIP_MISSING_SERVICES=1): {reason}")
        return 0
    log(f"alert matching: {reason}; set BENCH_ALERTS_DATABASE_URL, or BENCH_SKIP_MISSING_SERVICES=1 to skip")
    return 2


# The city --------------------------------------------------------------------------------------


def km_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    km_per_deg_lat = 111.195
    km_per_deg_lon = km_per_deg_lat * np.cos(np.radians(CENTER_LAT))
    return CENTER_LON + x / km_per_deg_lon, CENTER_LAT + y / km_per_deg_lat


def homes(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """30 % around downtown, 40 % around eight neighbourhood centres, 30 % anywhere in the city."""
    kind = rng.choice(3, size=count, p=[0.3, 0.4, 0.3])
    x = rng.uniform(-HALF_SIZE_KM, HALF_SIZE_KM, count)
    y = rng.uniform(-HALF_SIZE_KM, HALF_SIZE_KM, count)
    downtown = kind == 0
    x[downtown] = rng.normal(0, 2.0, downtown.sum())
    y[downtown] = rng.normal(0, 2.0, downtown.sum())
    centres = np.array([[-7, 5], [6, 7], [8, -6], [-5, -8], [0, -9], [-9, -1], [9, 1], [-2, 9]], dtype=float)
    hood = kind == 1
    which = rng.integers(0, len(centres), hood.sum())
    x[hood] = centres[which, 0] + rng.normal(0, 1.2, hood.sum())
    y[hood] = centres[which, 1] + rng.normal(0, 1.2, hood.sum())
    np.clip(x, -HALF_SIZE_KM, HALF_SIZE_KM, out=x)
    np.clip(y, -HALF_SIZE_KM, HALF_SIZE_KM, out=y)
    return km_to_lonlat(x, y)


SEED_LABEL = f"bench-{SEED}-{N_SUBSCRIPTIONS}"


def city_load(reload: bool):
    """The agency and its subscriptions, each with a confirmed email channel (loaded once, kept)."""
    import h3
    from django.db import connection

    from safecommons.alerts.models import TOPIC_BITS, Subscription, SubscriptionChannel, Topic
    from safecommons.partners.models import Organisation

    agency, _ = Organisation.objects.get_or_create(slug="bench-alerts-police",
                                                   defaults={"kind": "agency", "name": "Bench Alerts Police"})
    loaded = (Subscription.objects.filter(label=SEED_LABEL).exists()
              and Subscription.objects.count() == N_SUBSCRIPTIONS)
    if loaded and not reload:
        log(f"data: {N_SUBSCRIPTIONS:,} subscriptions of seed {SEED} already loaded; kept (BENCH_ALERTS_RELOAD=1 "
            f"reloads)")
        return agency, False
    rng = np.random.default_rng(SEED)
    lons, lats = homes(rng, N_SUBSCRIPTIONS)
    radii = rng.choice([250, 500, 1000, 2000], size=N_SUBSCRIPTIONS, p=[0.2, 0.4, 0.3, 0.1])
    crime = rng.random(N_SUBSCRIPTIONS) < 0.9
    traffic = rng.random(N_SUBSCRIPTIONS) < 0.4
    masks = np.where(crime, TOPIC_BITS[Topic.CRIME], 0) | np.where(traffic, TOPIC_BITS[Topic.TRAFFIC], 0)
    masks[masks == 0] = TOPIC_BITS[Topic.EMERGENCY]
    status = np.where(rng.random(N_SUBSCRIPTIONS) < 0.97, "active", "ended")
    started = time.perf_counter()
    stamp = datetime.now(UTC) - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(f'TRUNCATE "{Subscription._meta.db_table}" CASCADE')
        raw = cursor.cursor
        columns = ("agency_id", "label", "status", "language", "topics", "topic_mask", "cell", "radius_m",
                   "time_zone", "test_list", "manage_key", "confirmed_at", "created_at", "updated_at")
        names = {bit: topic for topic, bit in TOPIC_BITS.items()}
        with raw.copy(f'COPY "{Subscription._meta.db_table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for n in range(N_SUBSCRIPTIONS):
                mask = int(masks[n])
                topics = json.dumps([names[bit] for bit in names if mask & bit])
                cell = h3.str_to_int(h3.latlng_to_cell(float(lats[n]), float(lons[n]), 9))
                copy.write_row((agency.pk, SEED_LABEL if n == 0 else "", str(status[n]), "en", topics, mask, cell,
                                int(radii[n]), "America/Chicago", False, secrets.token_urlsafe(12), stamp, stamp,
                                stamp))
        log(f"data: {N_SUBSCRIPTIONS:,} subscriptions loaded with COPY in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        cursor.execute(
            f'INSERT INTO "{SubscriptionChannel._meta.db_table}" (subscription_id, channel, address, push_keys, '
            f"secret, confirmed_at, active, created_at) SELECT id, 'email', 'sub' || id || '@mail.bench', '{{}}', "
            f"'', %s, true, %s FROM \"{Subscription._meta.db_table}\"", [stamp, stamp])
        cursor.execute(f'ANALYZE "{Subscription._meta.db_table}"')
        cursor.execute(f'ANALYZE "{SubscriptionChannel._meta.db_table}"')
    log(f"data: one confirmed email channel per subscription in {time.perf_counter() - started:.1f} s")
    return agency, True


def peer_prepare(url: str, rebuild: bool) -> None:
    """PostGIS, and the same subscriptions with their disks as polygons (GiST index)."""
    import psycopg
    from django.db import connection

    from safecommons.alerts.matching import CELL_MARGIN_M, cell_centres
    from safecommons.alerts.models import Subscription

    parsed = urlparse(url)
    admin = os.environ.get("BENCH_PG_ADMIN_USER", "postgres")
    with psycopg.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432, user=admin,
                         dbname=parsed.path.lstrip("/"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT to_regclass('{PEER_TABLE}') IS NOT NULL")
        if cursor.fetchone()[0]:
            # A table built before the disks carried the cell margin (no reach_m), or with another margin, is
            # built again: the peer must measure against the same disks as ours.
            cursor.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = %s "
                           "AND column_name = 'reach_m'", [PEER_TABLE])
            same_disks = False
            if cursor.fetchone()[0]:
                cursor.execute(f"SELECT count(*) FROM {PEER_TABLE} WHERE reach_m <> radius_m + %s",
                               [CELL_MARGIN_M])
                same_disks = cursor.fetchone()[0] == 0
            cursor.execute(f"SELECT count(*) FROM {PEER_TABLE}")
            if cursor.fetchone()[0] == N_SUBSCRIPTIONS and same_disks and not rebuild:
                log(f"peer: {PEER_TABLE} already built; kept")
                return
            cursor.execute(f"DROP TABLE {PEER_TABLE}")
        started = time.perf_counter()
        rows = list(Subscription.objects.order_by().values_list("id", "agency_id", "status", "topic_mask", "cell",
                                                                  "radius_m"))
        cells = np.fromiter((row[4] for row in rows), dtype=np.int64, count=len(rows))
        unique, inverse = np.unique(cells, return_inverse=True)
        lons, lats = cell_centres(unique)
        cursor.execute(f"CREATE TABLE {PEER_TABLE} (id bigint, agency_id bigint, status varchar(10), "
                       f"topic_mask integer, lon double precision, lat double precision, radius_m integer, "
                       f"reach_m integer)")
        with cursor.cursor.copy(f"COPY {PEER_TABLE} FROM STDIN") as copy:
            for n, row in enumerate(rows):
                copy.write_row((row[0], row[1], row[2], row[3], float(lons[inverse[n]]), float(lats[inverse[n]]),
                                row[5], row[5] + CELL_MARGIN_M))
        cursor.execute(f"ALTER TABLE {PEER_TABLE} ADD COLUMN disk geometry(Polygon, 4326)")
        cursor.execute(f"UPDATE {PEER_TABLE} SET disk = ST_Buffer(ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, "
                       f"reach_m)::geometry")
        cursor.execute(f"CREATE INDEX {PEER_TABLE}_gist ON {PEER_TABLE} USING gist (disk)")
        cursor.execute(f"ANALYZE {PEER_TABLE}")
    log(f"peer: {PEER_TABLE} (disks of radius + {CELL_MARGIN_M} m as polygons, ST_Buffer on geography, GiST "
        f"index) built in "
        f"{time.perf_counter() - started:.1f} s")


# The alert ---------------------------------------------------------------------------------------


def area_ring(scale: float) -> list[list[float]]:
    """An irregular 12-sided area north-east of downtown, `scale` km across or so."""
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    wobble = np.array([1.0, 0.8, 1.1, 0.9, 1.2, 0.7, 1.0, 0.85, 1.15, 0.9, 1.05, 0.8])
    x = 1.5 + scale * wobble * np.cos(angles)
    y = 1.0 + scale * wobble * np.sin(angles)
    lons, lats = km_to_lonlat(x, y)
    ring = [[float(lon), float(lat)] for lon, lat in zip(lons, lats, strict=True)]
    return ring + [ring[0]]


def alert_make(agency, scale: float):
    from django.utils import timezone

    from safecommons.alerts.models import Alert

    return Alert.objects.create(agency=agency, identifier=f"bench-{secrets.token_hex(6)}", state="published",
                                event="Bench alert", area_description="Bench area", sent_at=timezone.now(),
                                area_polygons=[{"type": "Polygon", "coordinates": [area_ring(scale)]}])


def calibrate(agency, snapshot) -> float:
    """The area's scale at which it reaches about 10 % of the subscriptions (bisection on our matcher)."""
    from safecommons.alerts.matching import alert_matches

    low, high = 0.2, 12.0
    for _ in range(18):
        scale = (low + high) / 2
        alert = alert_make(agency, scale)
        share = alert_matches(alert, snapshot=snapshot).size / N_SUBSCRIPTIONS
        alert.delete()
        if abs(share - TARGET_SHARE) < 0.003:
            break
        low, high = (scale, high) if share < TARGET_SHARE else (low, scale)
    return scale


def measure(url: str, agency) -> dict | None:
    import psycopg
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from safecommons.alerts.matching import alert_matches, subscription_index
    from safecommons.alerts.models import TOPIC_BITS, Delivery
    from safecommons.alerts.services.outbox import alert_fanout_run

    started = time.perf_counter()
    snapshot = subscription_index().fresh()
    log(f"ours: index of {snapshot.subscriptions:,} active subscriptions ({len(snapshot.group_lon):,} distinct "
        f"(cell, radius) groups) built from the database in {time.perf_counter() - started:.1f} s (once per process)")
    scale = calibrate(agency, snapshot)
    alert = alert_make(agency, scale)

    ours, found = [], None
    for _ in range(3):
        alert_matches(alert)
    for _ in range(N_RUNS):
        began = time.perf_counter()
        found = alert_matches(alert)  # with the catch-up check against the database, as a worker does it
        ours.append((time.perf_counter() - began) * 1000)
    log(f"alert: an irregular 12-sided area about {2 * scale:.1f} km across; matched {found.size:,} subscriptions "
        f"({found.size / N_SUBSCRIPTIONS:.1%} of all)")

    parsed = urlparse(url)
    area_wkt = "POLYGON((" + ", ".join(f"{lon} {lat}" for lon, lat in area_ring(scale)) + "))"
    sql = (f"SELECT id FROM {PEER_TABLE} WHERE ST_Intersects(disk, ST_GeomFromText(%s, 4326)) "
           f"AND agency_id = %s AND status = 'active' AND (topic_mask & %s) <> 0")
    params = [area_wkt, agency.pk, TOPIC_BITS["crime"]]
    peer = []
    with psycopg.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432, user=parsed.username,
                         password=parsed.password, dbname=parsed.path.lstrip("/")) as conn:
        conn.execute("SET jit = off")
        for _ in range(3):
            conn.execute(sql, params).fetchall()
        for _ in range(N_RUNS):
            began = time.perf_counter()
            rows = conn.execute(sql, params).fetchall()
            peer.append((time.perf_counter() - began) * 1000)
        plan = conn.execute("EXPLAIN " + sql, params).fetchall()
    theirs = {row[0] for row in rows}
    mine = set(found.tolist())
    agree = len(mine & theirs) / max(len(mine | theirs), 1)
    log(f"peer: ST_Intersects(disk, area) with the GiST index, agency, status and topic in SQL, psycopg round trip: "
        f"p50 {np.percentile(peer, 50):.1f} ms; plan: {' / '.join(r[0].strip() for r in plan[:3])}")
    log(f"check: ours {len(mine):,}, PostGIS {len(theirs):,}, the same {len(mine & theirs):,}; only ours "
        f"{len(mine - theirs):,}, only PostGIS {len(theirs - mine):,} (agreement {agree:.4%}; the peer's disks are "
        f"32-sided polygons inscribed in ours, so the few differences are at the very edge)")
    if agree < 0.995:
        log("FAIL: the answers disagree by more than the polygon approximation explains")
        return None
    log(f"ours: p50 {np.percentile(ours, 50):.1f} ms, min {min(ours):.1f} ms, max {max(ours):.1f} ms over "
        f"{N_RUNS} runs")

    fanouts = []
    for _ in range(N_FANOUTS):
        with connection.cursor() as cursor:
            cursor.execute(f'TRUNCATE "{Delivery._meta.db_table}"')
        DBTaskResult.objects.all().delete()
        one = alert_make(agency, scale)
        began = time.perf_counter()
        queued = alert_fanout_run(alert_id=one.pk)
        fanouts.append(time.perf_counter() - began)
        tasks = DBTaskResult.objects.count()
        log(f"fan-out: {queued:,} deliveries written and {tasks} send tasks queued, committed, in "
            f"{fanouts[-1]:.2f} s")
    return {"ours": float(np.percentile(ours, 50)), "peer": float(np.percentile(peer, 50)),
            "fanout": float(np.median(fanouts)), "agreement": agree, "matched": len(mine)}


def main() -> int:
    url = os.environ.get("BENCH_ALERTS_DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        problem = database_prepare(url)
    except ImportError as exc:
        problem = f"psycopg is not installed ({exc})"
    if problem:
        return skip_or_fail(f"BENCH_ALERTS_DATABASE_URL: {problem}")
    env = {"DATABASE_URL": url, "REDIS_URL": "", "TASKS_BACKEND": "database", "EMBEDDED_WORKER": "false",
           "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
           "VAR_DIR": tempfile.mkdtemp(prefix="safecommons-alerts-bench-"), "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "safecommons.settings"}
    os.environ.update(env)
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON lines only
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        agency, reloaded = city_load(reload=bool(os.environ.get("BENCH_ALERTS_RELOAD")))
        try:
            peer_prepare(url, rebuild=reloaded)
        except Exception as exc:  # PostGIS missing: the peer cannot run
            return skip_or_fail(f"PostGIS is not available in the benchmark database: {exc}")
        result = measure(url, agency)
    if result is None:
        return 1
    ratio = result["ours"] / result["peer"]
    print(json.dumps({
        "name": "alert_matching", "value": round(result["ours"], 2), "unit": "ms (p50)",
        "peer": f"PostGIS GiST ST_Intersects(disk polygon, area), agency, status and topic in SQL; psycopg round "
                f"trip, same {N_SUBSCRIPTIONS:,} subscriptions, {result['matched']:,} matched, agreement "
                f"{result['agreement']:.4%}",
        "peer_value": round(result["peer"], 2), "ratio": round(ratio, 4), "target": f"ratio <= {TARGET_RATIO}",
    }), flush=True)
    log(f"matching: ratio {ratio:.4f} (target <= {TARGET_RATIO}): {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
    fanout = result["fanout"]
    print(json.dumps({
        "name": "alert_fanout_enqueued", "value": round(fanout, 2), "unit": "s (median)",
        "peer": "target (no peer)", "peer_value": TARGET_FANOUT_S, "ratio": round(fanout / TARGET_FANOUT_S, 3),
        "target": f"<= {TARGET_FANOUT_S:g} s",
    }), flush=True)
    met = "met" if fanout <= TARGET_FANOUT_S else "NOT met"
    log(f"fan-out: {fanout:.2f} s (target <= {TARGET_FANOUT_S:g} s): {met}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
