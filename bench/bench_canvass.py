"""Benchmark: the canvass over 1,000,000 cameras, in memory and over HTTP, against PostGIS.

Run from the repository root:  .venv/bin/python bench/bench_canvass.py

Prints two JSON lines on stdout:
- `canvass_core_query`: p50 of the core query (index, exact sector test, retention, ranking) in memory,
  against the peer, a PostGIS GiST index on geography points answering `ST_DWithin(geog, point, longest range
  + radius)` with each camera's own range, status and retention filtered by the server, round trip from Python
  (psycopg) on the same cameras in the same run. Target ratio <= 0.25.
- `canvass_http`: p95 of `GET /api/cameras/canvasses/{id}` served by the real application (uvicorn, the
  product's settings pointed at the benchmark database), with a signed-in officer's session, measured from a
  client process (bench/canvass_load.py). Target <= 25 ms.
Details (data shape, build times, checks) go to stderr.

The city: 1,000,000 cameras in 25 km x 25 km around (-93.27, 44.98), denser downtown and around a few
neighbourhood centres; ranges 10-300 m, mostly 15-60 m; bearings at random; fields of view 60-360 degrees;
retention 3-90 days; 95 % active. Fixed seed. 60 % belong to residents, 40 % to 2,000 organisations, half
of which have a footage-on-request agreement with the agency. Loaded with COPY once and kept (a second run
finds them and skips the load; BENCH_CANVASS_RELOAD=1 loads again).

Needs PostgreSQL with PostGIS: BENCH_CANVASS_DATABASE_URL, default
postgres://safecommons_bench@127.0.0.1:5432/safecommons_canvass_bench (role and database created if missing,
see pgsetup.py; `CREATE EXTENSION postgis` as BENCH_PG_ADMIN_USER). Without it it stops with an error, or
quietly (exit 0, no JSON line) with BENCH_SKIP_MISSING_SERVICES=1.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
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

DEFAULT_DATABASE_URL = "postgres://safecommons_bench@127.0.0.1:5432/safecommons_canvass_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"  # a database number of its own
SEED = 20261201
CENTER_LON, CENTER_LAT = -93.27, 44.98
HALF_SIZE_KM = 12.5
MAX_RANGE_M = 1000.0
TARGET_RATIO = 0.25
TARGET_P95_MS = 25.0
SERVER_START_LIMIT_S = 90.0


N_CAMERAS = int(env_number("BENCH_CANVASS_CAMERAS", 1_000_000))
N_RESIDENTS = 20_000
N_ORGANISATIONS = 2_000
N_QUERIES = int(env_number("BENCH_CANVASS_QUERIES", 2_000))
N_CANVASSES = int(env_number("BENCH_CANVASS_HTTP_CANVASSES", 500))
WORKERS = int(env_number("BENCH_CANVASS_WORKERS", 2))
CONNECTIONS = int(env_number("BENCH_CANVASS_CONNECTIONS", 1))
WARMUP_S = env_number("BENCH_CANVASS_WARMUP", 20.0)
DURATION_S = env_number("BENCH_CANVASS_DURATION", 30.0)


# The city --------------------------------------------------------------------------------------


def km_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    km_per_deg_lat = 111.195
    km_per_deg_lon = km_per_deg_lat * np.cos(np.radians(CENTER_LAT))
    return CENTER_LON + x / km_per_deg_lon, CENTER_LAT + y / km_per_deg_lat


def city_points(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Where cameras (and incidents) are: 40 % around downtown, 30 % around six neighbourhood centres,
    30 % anywhere in the city."""
    kind = rng.choice(3, size=count, p=[0.4, 0.3, 0.3])
    x = rng.uniform(-HALF_SIZE_KM, HALF_SIZE_KM, count)
    y = rng.uniform(-HALF_SIZE_KM, HALF_SIZE_KM, count)
    downtown = kind == 0
    x[downtown] = rng.normal(0, 1.5, downtown.sum())
    y[downtown] = rng.normal(0, 1.5, downtown.sum())
    centres = np.array([[-7, 5], [6, 7], [8, -6], [-5, -8], [0, -9], [-9, -1]], dtype=float)
    hood = kind == 1
    which = rng.integers(0, len(centres), hood.sum())
    x[hood] = centres[which, 0] + rng.normal(0, 0.8, hood.sum())
    y[hood] = centres[which, 1] + rng.normal(0, 0.8, hood.sum())
    np.clip(x, -HALF_SIZE_KM, HALF_SIZE_KM, out=x)
    np.clip(y, -HALF_SIZE_KM, HALF_SIZE_KM, out=y)
    return km_to_lonlat(x, y)


def city_cameras(rng: np.random.Generator) -> dict[str, np.ndarray]:
    lon, lat = city_points(rng, N_CAMERAS)
    band = rng.choice(3, size=N_CAMERAS, p=[0.8, 0.15, 0.05])
    ranges = np.where(band == 0, rng.uniform(15, 60, N_CAMERAS),
                      np.where(band == 1, rng.uniform(60, 150, N_CAMERAS), rng.uniform(150, 300, N_CAMERAS)))
    doorbells = rng.random(N_CAMERAS) < 0.03  # a few see very little
    ranges[doorbells] = rng.uniform(10, 15, int(doorbells.sum()))
    fovs = rng.choice([60, 90, 110, 130, 180, 360], size=N_CAMERAS, p=[0.1, 0.35, 0.2, 0.15, 0.1, 0.1]).astype(float)
    return {
        "lon": lon, "lat": lat, "bearing": rng.uniform(0, 360, N_CAMERAS), "fov": fovs, "range": np.round(ranges, 1),
        "retention": rng.choice([3, 7, 14, 30, 60, 90], size=N_CAMERAS, p=[0.1, 0.25, 0.25, 0.25, 0.1, 0.05]),
        "status": rng.choice(["active", "paused", "withdrawn"], size=N_CAMERAS, p=[0.95, 0.04, 0.01]),
        "exact": rng.random(N_CAMERAS) < 0.4,
        "indoor": rng.random(N_CAMERAS) < 0.15,
        "resident": rng.random(N_CAMERAS) < 0.6,
        "owner": rng.integers(0, N_RESIDENTS, N_CAMERAS),
        "organisation": rng.integers(0, N_ORGANISATIONS, N_CAMERAS),
    }


# Loading ---------------------------------------------------------------------------------------

SEED_NAME = f"bench-{SEED}-{N_CAMERAS}"


def city_load(reload: bool) -> dict:
    """The agency, officer, owners and cameras in the database (loaded once, kept between runs)."""
    import h3
    from django.db import connection

    from safecommons.accounts.models import Membership, User
    from safecommons.cameras.models import Camera
    from safecommons.core.roles import Role
    from safecommons.partners.models import Agreement, AgreementGrant, AgreementParty, Organisation, Scope

    agency, _ = Organisation.objects.get_or_create(slug="bench-canvass-police",
                                                   defaults={"kind": "agency", "name": "Bench Canvass Police"})
    officer, _ = User.objects.get_or_create(email="officer@canvass.bench",
                                            defaults={"username": "officer@canvass.bench", "display_name": "Officer"})
    Membership.objects.get_or_create(user=officer, organisation=agency, role=Role.OFFICER)
    loaded = Camera.objects.filter(name=SEED_NAME).exists() and Camera.objects.count() == N_CAMERAS
    if loaded and not reload:
        log(f"data: {N_CAMERAS:,} cameras of seed {SEED} already loaded; kept (BENCH_CANVASS_RELOAD=1 reloads)")
        return {"agency": agency, "officer": officer}

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f'TRUNCATE "{Camera._meta.db_table}" CASCADE')
    # Owners are kept between loads (agreements protect the organisations); only the missing are made.
    have = set(User.objects.filter(email__endswith="@residents.bench").values_list("email", flat=True))
    User.objects.bulk_create(
        [User(email=f"r{n}@residents.bench", username=f"r{n}@residents.bench", password="!", display_name=f"R {n}")
         for n in range(N_RESIDENTS) if f"r{n}@residents.bench" not in have], batch_size=5000)
    residents = list(User.objects.filter(email__endswith="@residents.bench").order_by("pk"))
    have = set(Organisation.objects.filter(slug__startswith="bench-org-").values_list("slug", flat=True))
    Organisation.objects.bulk_create(
        [Organisation(kind="business", name=f"Bench business {n}", slug=f"bench-org-{n}")
         for n in range(N_ORGANISATIONS) if f"bench-org-{n}" not in have], batch_size=5000)
    organisations = list(Organisation.objects.filter(slug__startswith="bench-org-").order_by("pk"))
    today = datetime.now(UTC).date()
    agreement, created = Agreement.objects.get_or_create(
        title="Bench footage MOU", defaults={"status": Agreement.Status.SIGNED,
                                             "effective_from": today - timedelta(days=30),
                                             "expires_on": today + timedelta(days=3650)})
    if created:
        AgreementParty.objects.create(agreement=agreement, organisation=agency, role="receives footage")
        for organisation in organisations[::2]:  # half the businesses share footage on request
            AgreementParty.objects.create(agreement=agreement, organisation=organisation, role="provides footage")
            AgreementGrant.objects.create(agreement=agreement, scope=Scope.FOOTAGE_ON_REQUEST, provider=organisation,
                                          recipient=agency)
    resident_ids = np.array([user.pk for user in residents])
    organisation_ids = np.array([organisation.pk for organisation in organisations])
    log(f"data: {N_RESIDENTS:,} residents, {N_ORGANISATIONS:,} organisations "
        f"({time.perf_counter() - started:.1f} s)")

    cameras = city_cameras(np.random.default_rng(SEED))
    started = time.perf_counter()
    stamp = datetime.now(UTC) - timedelta(days=1)
    columns = ("owner_user_id", "owner_organisation_id", "external_ref", "name", "longitude", "latitude",
               "bearing_deg", "fov_deg", "range_m", "placement", "retention_days", "live_share_capable",
               "share_exact_location", "preferred_contact", "coverage_cell", "status", "created_at", "updated_at")
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f'COPY "{Camera._meta.db_table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for n in range(N_CAMERAS):
                resident = bool(cameras["resident"][n])
                lon, lat = float(cameras["lon"][n]), float(cameras["lat"][n])
                copy.write_row((
                    int(resident_ids[cameras["owner"][n]]) if resident else None,
                    None if resident else int(organisation_ids[cameras["organisation"][n]]),
                    "" if resident else f"B-{n}", SEED_NAME if n == 0 else f"Camera {n}", lon, lat,
                    float(cameras["bearing"][n]), float(cameras["fov"][n]), float(cameras["range"][n]),
                    "indoor" if cameras["indoor"][n] else "outdoor", int(cameras["retention"][n]), False,
                    bool(cameras["exact"][n]), "", h3.latlng_to_cell(lat, lon, 9), str(cameras["status"][n]),
                    stamp, stamp))
        cursor.execute(f'ANALYZE "{Camera._meta.db_table}"')
    log(f"data: {N_CAMERAS:,} cameras loaded with COPY in {time.perf_counter() - started:.1f} s")
    return {"agency": agency, "officer": officer}


def peer_prepare(url: str) -> None:
    """PostGIS in the benchmark database, and a table of the same cameras as geography points with a GiST index."""
    import psycopg
    from django.db import connection

    parsed = urlparse(url)
    admin = os.environ.get("BENCH_PG_ADMIN_USER", "postgres")
    with psycopg.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432, user=admin,
                         dbname=parsed.path.lstrip("/"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_camera_geo') IS NOT NULL")
        exists = cursor.fetchone()[0]
        if exists:
            cursor.execute("SELECT count(*) FROM bench_camera_geo")
            if cursor.fetchone()[0] == N_CAMERAS and not os.environ.get("BENCH_CANVASS_RELOAD"):
                log("peer: bench_camera_geo already built; kept")
                return
            cursor.execute("DROP TABLE bench_camera_geo")
        started = time.perf_counter()
        cursor.execute(
            "CREATE TABLE bench_camera_geo AS SELECT id, "
            "ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography AS geog, bearing_deg, fov_deg, range_m, "
            "retention_days, status FROM cameras_camera")
        cursor.execute("CREATE INDEX bench_camera_geo_gist ON bench_camera_geo USING gist (geog)")
        cursor.execute("ANALYZE bench_camera_geo")
        log(f"peer: bench_camera_geo (geography points, GiST index) built in {time.perf_counter() - started:.1f} s")


# The core query ------------------------------------------------------------------------------------


def core_measure(url: str) -> dict | None:
    import psycopg

    from safecommons.cameras import geometry
    from safecommons.cameras.index import CameraIndex, canvass_query

    started = time.perf_counter()
    index = CameraIndex()
    snapshot = index.fresh()
    log(f"ours: index of {len(snapshot):,} cameras (not withdrawn) built from the database in "
        f"{time.perf_counter() - started:.1f} s (once per process)")

    rng = np.random.default_rng(SEED + 1)
    lons, lats = city_points(rng, N_QUERIES)
    radii = np.where(rng.random(N_QUERIES) < 0.5, 0.0, rng.uniform(0, 200, N_QUERIES))
    now = datetime.now(UTC)
    ends = [now - timedelta(hours=float(h)) for h in rng.uniform(1, 24 * 20, N_QUERIES)]

    ours, found_counts, candidate_counts, results = [], [], [], []
    for n in range(N_QUERIES):
        began = time.perf_counter()
        found = canvass_query(lon=float(lons[n]), lat=float(lats[n]), radius_m=float(radii[n]), window_end=ends[n],
                              now=now, snapshot=snapshot)
        ours.append((time.perf_counter() - began) * 1000)
        found_counts.append(found.ids.size)
        candidate_counts.append(found.candidates)
        results.append(found)

    parsed = urlparse(url)
    peer, peer_rows, mismatches = [], [], 0
    # The peer at its best: the GiST search reaches only as far as the longest range in the data (not the
    # 1,000 m the registry allows), and the server itself drops cameras out of their own range, inactive, or
    # whose footage is overwritten; only the sector test and the ranking are left to the caller. Distances on
    # PostGIS's sphere (use_spheroid false: its mean radius is ours), so that both sides agree at the edges.
    sql = ("WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS g) "
           "SELECT id, ST_X(geog::geometry), ST_Y(geog::geometry), bearing_deg, fov_deg, range_m, retention_days, "
           "status FROM bench_camera_geo, p WHERE ST_DWithin(geog, p.g, %(reach)s, false) "
           "AND ST_DWithin(geog, p.g, range_m + %(radius)s, false) AND status = 'active' AND retention_days > %(age)s")
    with psycopg.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432, user=parsed.username,
                         password=parsed.password, dbname=parsed.path.lstrip("/")) as conn:
        conn.execute("SET jit = off")
        longest = float(conn.execute("SELECT max(range_m) FROM bench_camera_geo").fetchone()[0])

        def params(n: int) -> dict:
            return {"lon": float(lons[n]), "lat": float(lats[n]), "reach": longest + float(radii[n]) + 1.0,
                    "radius": float(radii[n]), "age": (now - ends[n]).total_seconds() / 86400}

        for n in range(min(200, N_QUERIES)):  # warm the cache
            conn.execute(sql, params(n)).fetchall()
        for n in range(N_QUERIES):
            began = time.perf_counter()
            rows = conn.execute(sql, params(n)).fetchall()
            peer.append((time.perf_counter() - began) * 1000)
            peer_rows.append(len(rows))
            if n % 10 == 0:  # correctness: the exact rules over the peer's candidates give our answer
                mismatches += not same_as_exact(rows, results[n], float(lons[n]), float(lats[n]), float(radii[n]),
                                                ends[n], now, geometry)
    ours_p50, peer_p50 = float(np.percentile(ours, 50)), float(np.percentile(peer, 50))
    log(f"queries: {N_QUERIES:,} incident points drawn like the cameras, half with a disc of up to 200 m, windows "
        f"ending 1 h to 20 days ago")
    log(f"ours: p50 {ours_p50:.3f} ms, p95 {np.percentile(ours, 95):.3f} ms, max {max(ours):.2f} ms; cameras looked at "
        f"p50 {int(np.percentile(candidate_counts, 50))}, found p50 {int(np.percentile(found_counts, 50))} "
        f"(max {max(found_counts)})")
    log(f"peer: ST_DWithin(geog, point, {longest:.0f} m (the longest range) + radius) with the GiST index, each "
        f"camera's own range, status and retention filtered by the server, round trip with psycopg: p50 "
        f"{peer_p50:.3f} ms, p95 {np.percentile(peer, 95):.3f} ms; rows p50 {int(np.percentile(peer_rows, 50)):,} "
        f"(max {max(peer_rows):,}). Left to the caller: the sector test and the ranking")
    checked = len(range(0, N_QUERIES, 10))
    log(f"check: on {checked} points, the exact rules applied to the peer's rows give "
        f"{'the same cameras as ours' if not mismatches else f'DIFFERENT cameras {mismatches} times'}")
    if mismatches:
        return None
    return {"value": ours_p50, "peer_value": peer_p50}


def same_as_exact(rows, found, lon, lat, radius, window_end, now, geometry) -> bool:
    if not rows:
        return found.ids.size == 0
    ids = np.array([r[0] for r in rows])
    columns = np.array([r[1:7] for r in rows], dtype=float)
    status = np.array([r[7] for r in rows])
    age_days = (now - window_end).total_seconds() / 86400
    usable = (status == "active") & (columns[:, 5] > age_days)
    columns, ids = columns[usable], ids[usable]
    seen, _d, _o = geometry.cameras_seeing(lons=columns[:, 0], lats=columns[:, 1], bearings=columns[:, 2],
                                           fovs=columns[:, 3], ranges=columns[:, 4], point_lon=lon, point_lat=lat,
                                           point_radius_m=radius)
    return set(ids[seen].tolist()) == set(found.ids.tolist())


# The HTTP endpoint ---------------------------------------------------------------------------------


def officer_session(officer) -> str:
    """A session as after the real sign-in (password and TOTP), stored where the server reads sessions."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from safecommons.accounts.backends import USER_BACKEND

    device = TOTPDevice.objects.filter(user=officer, confirmed=True).first() or TOTPDevice.objects.create(
        user=officer, name="bench", confirmed=True)
    session = SessionStore()
    session[SESSION_KEY] = str(officer.pk)
    session[BACKEND_SESSION_KEY] = USER_BACKEND
    session[HASH_SESSION_KEY] = officer.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["last_seen"] = int(time.time())
    session.create()
    return session.session_key


def canvasses_make(agency, officer) -> list[int]:
    from safecommons.cameras.models import Canvass

    Canvass.objects.filter(agency=agency).delete()
    rng = np.random.default_rng(SEED + 2)
    lons, lats = city_points(rng, N_CANVASSES)
    now = datetime.now(UTC)
    canvasses = []
    for n in range(N_CANVASSES):
        end = now - timedelta(hours=float(rng.uniform(1, 24 * 10)))
        canvasses.append(Canvass(agency=agency, officer=officer, case_number=f"B-{n}", offense="burglary",
                                 reason="Benchmark", longitude=float(lons[n]), latitude=float(lats[n]),
                                 radius_m=0.0 if n % 2 else float(rng.uniform(0, 200)),
                                 window_start=end - timedelta(hours=1), window_end=end))
    return [canvass.pk for canvass in Canvass.objects.bulk_create(canvasses)]


def redis_available(url: str) -> str:
    """The URL when a Redis server answers there (production runs with one: shared cache and sessions)."""
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return url if sock.recv(16).startswith(b"+PONG") else ""
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_measure(env: dict[str, str], cookie: str, canvass_ids: list[int]) -> dict | None:
    var_dir = Path(env["VAR_DIR"])
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "safecommons.asgi:application", "--host", "127.0.0.1", "--port",
               str(port), "--workers", str(WORKERS), "--lifespan", "off", "--no-access-log", "--log-level", "warning"]
    log(f"server: {' '.join(command[1:])} (DEBUG off, settings.py pointed at the benchmark database)")
    server_log = var_dir / "server.log"
    paths_file = var_dir / "paths.txt"
    paths_file.write_text("".join(f"/api/cameras/canvasses/{canvass_id}\n" for canvass_id in canvass_ids))
    with open(server_log, "wb") as log_file:
        server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            deadline = time.monotonic() + SERVER_START_LIMIT_S
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    log("FAIL: the server did not start; its log ends with:")
                    log(server_log.read_text(errors="replace")[-3000:])
                    return None
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)  # noqa: S310
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.3)
            load = [sys.executable, str(BENCH_DIR / "canvass_load.py"), "--port", str(port), "--cookie",
                    f"sessionid={cookie}", "--paths-file", str(paths_file), "--connections", str(CONNECTIONS),
                    "--warmup", str(WARMUP_S), "--duration", str(DURATION_S)]
            log(f"load: {CONNECTIONS} keep-alive connections from another process, {WARMUP_S:.0f} s warm-up (each "
                f"worker builds its index on its first canvass) then {DURATION_S:.0f} s scored, over "
                f"{len(canvass_ids)} canvasses; {os.cpu_count()} cores shared by server, PostgreSQL and client")
            done = subprocess.run(load, cwd=REPO_ROOT, capture_output=True, text=True, check=False,
                                  timeout=WARMUP_S + DURATION_S + 300)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
    if done.returncode != 0:
        log(f"FAIL: the load generator stopped: {done.stderr[-2000:]}")
        return None
    result = json.loads(done.stdout)
    latency = result["latency_ms"]
    log(f"http: {result['scored']:,} requests scored ({result['rate']:.0f}/s), statuses {result['statuses']}; "
        f"latency ms p50 {latency['p50']} p95 {latency['p95']} p99 {latency['p99']} max {latency['max']}")
    if set(result["statuses"]) != {"200"}:
        log(f"FAIL: not every answer was 200: {result['samples']}")
        log(server_log.read_text(errors="replace")[-2000:])
        return None
    return result


# Main ------------------------------------------------------------------------------------------


def main() -> int:
    url = os.environ.get("BENCH_CANVASS_DATABASE_URL") or DEFAULT_DATABASE_URL
    skip = os.environ.get("BENCH_SKIP_MISSING_SERVICES", "").lower() in {"1", "true", "yes"}
    problem = database_prepare(url)
    if problem:
        log(f"canvass: BENCH_CANVASS_DATABASE_URL: {problem}")
        if skip:
            log("canvass: skipped (BENCH_SKIP_MISSING_SERVICES=1); no result")
            return 0
        log("canvass: set BENCH_CANVASS_DATABASE_URL, or BENCH_SKIP_MISSING_SERVICES=1 to skip this benchmark")
        return 2
    var_dir = tempfile.mkdtemp(prefix="safecommons-canvass-bench-")
    redis_url = redis_available(os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL)
    log(f"redis: {redis_url or 'none answering; sessions and cache stay in the database and in memory'}")
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "TASKS_BACKEND": "database", "EMBEDDED_WORKER": "false",
           "DEBUG": "false", "HTTPS": "false", "SECRET_KEY": secrets.token_urlsafe(50), "VAR_DIR": var_dir,
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "safecommons.settings"}
    os.environ.update(env)
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON lines only
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        try:
            peer_prepare(url)
        except Exception as exc:  # PostGIS missing: the peer cannot run
            log(f"canvass: PostGIS is not available in the benchmark database: {exc}")
            return 0 if skip else 2
        world = city_load(reload=bool(os.environ.get("BENCH_CANVASS_RELOAD")))
        peer_prepare(url)  # rebuilt when the cameras were reloaded
        core = core_measure(url)
        if core is None:
            return 1
        cookie = officer_session(world["officer"])
        canvass_ids = canvasses_make(world["agency"], world["officer"])
    ratio = core["value"] / core["peer_value"]
    print(json.dumps({
        "name": "canvass_core_query", "value": round(core["value"], 3), "unit": "ms (p50)",
        "peer": "PostGIS GiST ST_DWithin(geography, point, longest range + radius), range, status and retention "
                "filtered in SQL; psycopg round trip, same data",
        "peer_value": round(core["peer_value"], 3), "ratio": round(ratio, 3), "target": f"ratio <= {TARGET_RATIO}",
    }), flush=True)
    log(f"core query: ratio {ratio:.3f} (target <= {TARGET_RATIO}): {'met' if ratio <= TARGET_RATIO else 'NOT met'}")

    http = http_measure({**os.environ, **env}, cookie, canvass_ids)
    if http is None:
        return 1
    p95 = http["latency_ms"]["p95"]
    print(json.dumps({
        "name": "canvass_http", "value": p95, "unit": "ms (p95)",
        "peer": "target (no peer)", "peer_value": TARGET_P95_MS, "ratio": round(p95 / TARGET_P95_MS, 3),
        "target": f"p95 <= {TARGET_P95_MS:g} ms",
    }), flush=True)
    log(f"http: p95 {p95} ms (target <= {TARGET_P95_MS:g} ms): {'met' if p95 <= TARGET_P95_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
