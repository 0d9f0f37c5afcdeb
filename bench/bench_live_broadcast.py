"""Benchmark: 1,000 officers watching the live board while an operator sends updates on an incident.

Run from the repository root:  .venv/bin/python bench/bench_live_broadcast.py

Latency of an update = the moment its websocket message reaches a watcher - the moment just before the
operator's POST /api/incidents/incidents/{id}/updates was sent, over every (update, watcher) pair. The peer:
a bare `websockets` server (bench/live_peer.py) that rebroadcasts a sender's message to the same number of
watchers with `websockets.broadcast`, loaded by the same client (bench/live_watchers.py, one process, both
clocks in it) with the same counts and spacing, in the same run. Target: our p99 at most 1.5 times the
peer's, and never above 250 ms.

Prints two JSON lines on stdout, `live_broadcast` (p99) and `live_broadcast_p50`; details (connect times,
first and last watcher per update, POST times, CPU) go to stderr. Exits non-zero without them if a watcher
could not connect, missed an update or got one twice, or a POST was not answered 201.

BENCH_LIVE_MODE picks the product's set-up:
- `embedded` (default): one process, SQLite in a temporary directory, the in-process broadcast. Needs
  nothing running.
- `production`: PostgreSQL (BENCH_LIVE_DATABASE_URL, default
  postgres://safecommons_bench@127.0.0.1:5432/safecommons_live_bench, made if missing, see pgsetup.py) and
  Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/8: cache, sessions and the pub/sub broadcast), with
  BENCH_LIVE_WORKERS uvicorn workers (default 2). Without them it stops with an error, or quietly (exit 0,
  no JSON line) with BENCH_SKIP_MISSING_SERVICES=1.
docs/benchmarks.md lists the other settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
for _path in (REPO_ROOT, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from live_setup import (  # noqa: E402  (bench/ is on the path from here on)
    api_json,
    cpu_seconds,
    csrf_token_new,
    fd_limit_raise,
    free_port,
    live_world,
    redis_reachable,
    server_env,
    server_start,
    server_stop,
    server_wait,
    session_cookie,
    staff_session,
)
from pgsetup import database_prepare, env_number, log  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://safecommons_bench@127.0.0.1:5432/safecommons_live_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"  # a database number of its own
TARGET_RATIO = 1.5
TARGET_P99_MS = 250.0
PEER_START_LIMIT_S = 20.0

MODE = os.environ.get("BENCH_LIVE_MODE", "embedded")
WATCHERS = int(env_number("BENCH_LIVE_WATCHERS", 1000))
UPDATES = int(env_number("BENCH_LIVE_UPDATES", 200))
WARMUP_UPDATES = int(env_number("BENCH_LIVE_WARMUP_UPDATES", 5))
SPACING_MIN_S = env_number("BENCH_LIVE_SPACING_MIN", 0.1)
SPACING_MAX_S = env_number("BENCH_LIVE_SPACING_MAX", 0.2)
WORKERS = int(env_number("BENCH_LIVE_WORKERS", 2 if MODE == "production" else 1))
COMPRESSION = os.environ.get("BENCH_LIVE_COMPRESSION", "").lower() in {"1", "true", "yes"}


def client_run(arguments: list[str], label: str, server_group: int) -> dict | None:
    """Run the watcher client against one server; its result, or None (said why) when it failed."""
    command = [sys.executable, str(BENCH_DIR / "live_watchers.py"), "broadcast", "--watchers", str(WATCHERS),
               "--updates", str(UPDATES), "--warmup", str(WARMUP_UPDATES), "--spacing-min", str(SPACING_MIN_S),
               "--spacing-max", str(SPACING_MAX_S), *(["--compression"] if COMPRESSION else []), *arguments]
    cpu_before = cpu_seconds(server_group)["server"]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False,
                          timeout=600 + UPDATES * SPACING_MAX_S)
    server_cpu = cpu_seconds(server_group)["server"] - cpu_before
    if done.returncode != 0:
        log(f"FAIL: {label}: the watcher client stopped: {done.stderr.strip()[-2000:]}")
        return None
    result = json.loads(done.stdout)
    if result.get("connect_failures"):
        log(f"FAIL: {label}: {result['watchers']} of {WATCHERS} watchers connected; failures: "
            f"{result['connect_failures']}")
        return None
    latency, first, last, send = (result[key] for key in ("latency_ms", "first_watcher_ms", "last_watcher_ms",
                                                          "send_ms"))
    log(f"{label}: {result['watchers']} watchers connected in {result['connect_s']} s; {result['updates']} updates "
        f"(+{result['warmup_updates']} warm-up) -> {result['pairs']:,} deliveries, {result['missing']} missing, "
        f"{result['duplicates']} twice; latency ms p50 {latency['p50']} p90 {latency['p90']} p99 {latency['p99']} "
        f"max {latency['max']}")
    log(f"{label}: per update, first watcher p50 {first['p50']} ms, last watcher p50 {last['p50']} / p99 "
        f"{last['p99']} ms; sending p50 {send['p50']} p99 {send['p99']} ms; server CPU {server_cpu:.1f} s over "
        f"the whole run (connects included)")
    slowest = ", ".join(f"#{item['update']} {item['first_watcher_ms']}-{item['last_watcher_ms']} ms (sent "
                        f"{item['sent_at_s']} s into the run)" for item in result["slowest"])
    log(f"{label}: slowest updates (first-last watcher): {slowest}")
    problems = []
    if result["missing"] or result["duplicates"]:
        problems.append(f"{result['missing']} deliveries missing, {result['duplicates']} twice")
    if set(result["statuses"]) - {"0", "201"}:
        problems.append(f"answers {result['statuses']}: {result['samples']}")
    if problems:
        log(f"FAIL: {label}: " + "; ".join(problems))
        return None
    return result


def peer_measure(var_dir: Path) -> dict | None:
    port = free_port()
    peer_log = var_dir / "peer.log"
    with open(peer_log, "w") as log_file:
        peer = subprocess.Popen([sys.executable, str(BENCH_DIR / "live_peer.py"), "--port", str(port)],
                                cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=log_file, text=True,
                                start_new_session=True)
        try:
            ready = peer.stdout.readline().strip() if peer.stdout else ""
            if ready != "ready":
                log(f"FAIL: the peer did not start: {peer_log.read_text()[-2000:]}")
                return None
            log(f"peer: bench/live_peer.py on port {port} (websockets, uvloop, one process)")
            return client_run(["--ws-url", f"ws://127.0.0.1:{port}/watch", "--send-url",
                               f"ws://127.0.0.1:{port}/send"], "peer", peer.pid)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(peer.pid, signal.SIGTERM)
            peer.wait(timeout=15)


def ours_measure(env: dict[str, str], var_dir: Path, sessions: dict[str, str], csrf_token: str,
                 agency_id: int) -> dict | None:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    operator_cookie = session_cookie(sessions["operator"], csrf_token)
    officer_cookie = session_cookie(sessions["officer"], csrf_token)
    server_log = var_dir / "server.log"
    with open(server_log, "wb") as log_file:
        server = server_start(env, port, WORKERS, log_file)
        try:
            if not server_wait(server, port, workers=WORKERS):
                log(f"FAIL: the server did not start; its log ends with:\n{server_log.read_text()[-3000:]}")
                return None
            status, opened = api_json(port, "POST", "/api/incidents/incidents", {
                "agency_id": agency_id, "type": "break_in", "verification": "video",
                "address": "100 Bench Ave", "latitude": 44.98, "longitude": -93.27,
                "summary": "Two people forcing the loading-dock door, seen on camera 4",
                "suspect_count": 2, "suspects": [{"description": "grey hoodie"}, {"description": "black jacket"}],
                "camera_refs": ["Dock camera 4"], "callback_phone": "+1 612 555 0100",
            }, cookie=operator_cookie, csrf_token=csrf_token)
            if status != 201:
                log(f"FAIL: opening the incident (POST /api/incidents/incidents) answered {status}: {opened}")
                return None
            incident_id = opened["id"]
            log(f"ours: incident {incident_id} opened through the API; the watchers follow the live board "
                f"(ws/incidents/) with an officer's session")
            return client_run([
                "--ws-url", f"ws://127.0.0.1:{port}/ws/incidents/", "--cookie", officer_cookie, "--origin", origin,
                "--post-url", f"{origin}/api/incidents/incidents/{incident_id}/updates",
                "--post-cookie", operator_cookie, "--csrf-token", csrf_token,
            ], "ours", server.pid)
        finally:
            server_stop(server)
            errors = [line for line in server_log.read_text(errors="replace").splitlines()
                      if "Error" in line or "Traceback" in line]
            if errors:
                log(f"server log: {len(errors)} error lines; last: {errors[-1][:300]}")


def main() -> int:
    skip = os.environ.get("BENCH_SKIP_MISSING_SERVICES", "").lower() in {"1", "true", "yes"}
    if MODE not in {"embedded", "production"}:
        log(f"BENCH_LIVE_MODE must be embedded or production, not {MODE!r}")
        return 2
    if MODE == "embedded" and WORKERS != 1:
        log("live_broadcast: the embedded mode broadcasts inside one process; BENCH_LIVE_WORKERS must be 1")
        return 2
    limit = fd_limit_raise()
    if limit < WATCHERS * 2 + 200:
        log(f"live_broadcast: {WATCHERS} watchers need about {WATCHERS * 2 + 200} open files (client and server "
            f"on one machine); the limit here is {limit}. Raise it (ulimit -n) or set BENCH_LIVE_WATCHERS")
        return 2
    var_dir = Path(tempfile.mkdtemp(prefix="safecommons-live-bench-"))
    if MODE == "production":
        database_url = os.environ.get("BENCH_LIVE_DATABASE_URL") or DEFAULT_DATABASE_URL
        redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
        problem = database_prepare(database_url)
        if problem is None and not redis_reachable(redis_url):
            problem = f"Redis does not answer at {redis_url}"
        if problem:
            log(f"live_broadcast (production): {problem}")
            if skip:
                log("live_broadcast (production): skipped (BENCH_SKIP_MISSING_SERVICES=1); no result")
                return 0
            log("live_broadcast (production): set BENCH_LIVE_DATABASE_URL and BENCH_REDIS_URL, or "
                "BENCH_SKIP_MISSING_SERVICES=1 to skip this benchmark")
            return 2
        setup = f"production: PostgreSQL, Redis pub/sub, {WORKERS} worker{'s' if WORKERS > 1 else ''}"
    else:
        database_url, redis_url = f"sqlite:///{var_dir / 'live.sqlite3'}", ""
        setup = "embedded: SQLite, in-process broadcast, 1 process"
    env = server_env(database_url=database_url, redis_url=redis_url, var_dir=str(var_dir))
    os.environ.update(env)
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON lines only
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        log(f"database: migrated in {time.perf_counter() - started:.1f} s ({setup})")
        world = live_world()
        sessions = {"operator": staff_session(world.operator), "officer": staff_session(world.officer)}
        csrf_token = csrf_token_new()
        connections.close_all()
    log(f"load: {WATCHERS} watchers, {UPDATES} updates scored after {WARMUP_UPDATES} warm-up, "
        f"{SPACING_MIN_S * 1000:.0f}-{SPACING_MAX_S * 1000:.0f} ms apart, from one client process "
        f"(bench/live_watchers.py); compression {'offered' if COMPRESSION else 'not offered'}; "
        f"{os.cpu_count()} cores shared by server, client and database")

    peer = peer_measure(var_dir)
    if peer is None:
        return 1
    ours = ours_measure(env, var_dir, sessions, csrf_token, world.agency.pk)
    if ours is None:
        return 1

    qualifiers = [] if MODE == "embedded" else [setup]
    qualifiers += ["compression"] if COMPRESSION else []
    suffix = f" ({'; '.join(qualifiers)})" if qualifiers else ""
    peer_text = (f"bare websockets server, websockets.broadcast to {WATCHERS} watchers, one process on uvloop; "
                 "same client, counts and spacing, same run")
    p99, peer_p99 = ours["latency_ms"]["p99"], peer["latency_ms"]["p99"]
    met = p99 <= TARGET_RATIO * peer_p99 and p99 <= TARGET_P99_MS
    print(json.dumps({
        "name": "live_broadcast" + suffix, "value": p99, "unit": "ms (p99, lower is better)", "peer": peer_text,
        "peer_value": peer_p99, "ratio": round(peer_p99 / p99, 3) if p99 else None,
        "target": f"<= {TARGET_RATIO:g}x peer and <= {TARGET_P99_MS:g} ms",
    }), flush=True)
    p50, peer_p50 = ours["latency_ms"]["p50"], peer["latency_ms"]["p50"]
    print(json.dumps({
        "name": "live_broadcast_p50" + suffix, "value": p50, "unit": "ms (p50, lower is better)", "peer": peer_text,
        "peer_value": peer_p50, "ratio": round(peer_p50 / p50, 3) if p50 else None, "target": "(information)",
    }), flush=True)
    log(f"result: p99 {p99} ms against the peer's {peer_p99} ms ({p99 / peer_p99:.2f}x); target <= "
        f"{TARGET_RATIO:g}x and <= {TARGET_P99_MS:g} ms: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
