"""Benchmark: sustained anonymous tip submissions over HTTP on PostgreSQL, with zero loss.

Run from the repository root:  .venv/bin/python bench/bench_tip_submit.py

Prints one JSON line on stdout; details (server, load, statuses, CPU, checks, where the time goes) go to
stderr. Exits non-zero without the line if any request did not get 201, or the tip rows or tip_process
tasks do not match the 201 answers one for one.

Needs PostgreSQL: BENCH_DATABASE_URL, default postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench
(role and database created if missing, see pgsetup.py; the tip tables are emptied before and after). The
product's own DATABASE_URL is not read, since this script empties tables. Without PostgreSQL it stops with an
error, or quietly (exit 0, no JSON line) with BENCH_SKIP_MISSING_SERVICES=1. Uses Redis when it answers
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/0) for the cache the throttle counts in, as in production.

The real application is served by uvicorn with several worker processes (DEBUG off, no embedded worker,
tasks in the database as in production, the settings of settings.py plus the peer's URL) and loaded over
keep-alive HTTP/1.1 from another process (tip_load.py) at a fixed concurrency, in turn: the tip form
(POST /tips/, scored), the peer (a bare Django view inserting the same row, tip_peer.py) and the JSON API
(POST /api/tips, on stderr). docs/benchmarks.md lists the settings (BENCH_TIP_*).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
for _path in (REPO_ROOT, BENCH_DIR):  # bench/ for tip_bench_settings and tip_peer
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from pgsetup import database_prepare, env_number, log  # noqa: E402  (bench/ is on the path from here on)

DEFAULT_DATABASE_URL = "postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
TASK_PATH = "safecommons.tips.tasks.tip_process"
TARGET_RATE = 300.0
TARGET_RATIO = 0.5
SERVER_START_LIMIT_S = 90.0
WORKER_SETTLE_S = 3.0
PROFILE_REQUESTS = 300


WORKERS = int(env_number("BENCH_TIP_WORKERS", 3))
CONCURRENCY = int(env_number("BENCH_TIP_CONCURRENCY", 32))
RECONNECT_AFTER = int(env_number("BENCH_TIP_RECONNECT_AFTER", 100))
WARMUP_S = env_number("BENCH_TIP_WARMUP", 3.0)
DURATION_S = env_number("BENCH_TIP_DURATION", 20.0)
TASKS_BACKEND = os.environ.get("BENCH_TASKS_BACKEND", "database")
DB_CONNECTIONS = os.environ.get("BENCH_TIP_DB_CONNECTIONS", "product")


# Services ---------------------------------------------------------------------------------------


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(env: dict[str, str], port: int, log_file) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "uvicorn", "safecommons.asgi:application", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(WORKERS), "--loop", "uvloop", "--http", "httptools", "--lifespan", "off",
        "--no-access-log", "--log-level", "warning",
    ]
    log(f"server: {' '.join(command[1:])}")
    # A session of its own, so the supervisor and its workers can be stopped together.
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                            start_new_session=True)


def server_wait(process: subprocess.Popen, port: int) -> bool:
    deadline = time.monotonic() + SERVER_START_LIMIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/tip-peer/", timeout=5)  # noqa: S310
        except urllib.error.HTTPError as exc:
            if exc.code == 405:  # the peer answers GET with 405: Django is up
                time.sleep(WORKER_SETTLE_S)  # the other workers import Django meanwhile
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# Counting what was stored ------------------------------------------------------------------------


def last_tip_id() -> int:
    from django.db.models import Max

    from safecommons.tips.models import Tip

    return Tip.objects.aggregate(last=Max("id"))["last"] or 0


def rq_job_ids() -> set[str]:
    import django_rq

    return set(django_rq.get_queue("default").get_job_ids())


def enqueued_tip_ids(after_id: int, jobs_before: set[str]) -> list[int]:
    """Tip ids of the tip_process tasks enqueued for tips newer than `after_id` (one entry per task)."""
    if TASKS_BACKEND == "rq":
        import django_rq
        from rq.job import Job

        queue = django_rq.get_queue("default")
        new = sorted(set(queue.get_job_ids()) - jobs_before)
        jobs = [job for job in Job.fetch_many(new, connection=queue.connection) if job is not None]
        return [job.args[0] for job in jobs if job.func_name == TASK_PATH and job.args[0] > after_id]
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(task_path=TASK_PATH).values_list("args_kwargs", flat=True)
    return [row["args"][0] for row in rows if row["args"] and row["args"][0] > after_id]


def tables_empty() -> None:
    """Start (and end) from empty tip tables, so every run inserts into the same state."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from safecommons.tips.models import Tip

    with connection.cursor() as cursor:
        cursor.execute(f'TRUNCATE "{Tip._meta.db_table}", "{DBTaskResult._meta.db_table}" CASCADE')
    if TASKS_BACKEND == "rq":
        import django_rq

        queue = django_rq.get_queue("default")
        for job_id in queue.get_job_ids():  # only jobs of our task: the queue may be shared
            job = queue.fetch_job(job_id)
            if job is not None and job.func_name == TASK_PATH:
                job.delete()


# CPU accounting --------------------------------------------------------------------------------


def cpu_seconds(server_group: int) -> dict[str, float]:
    """CPU time used so far by the server's processes, PostgreSQL, Redis, this script's children and the machine.

    PostgreSQL's count includes backends of other databases on the same server, if any are busy.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    usage = {"server": 0.0, "postgres": 0.0, "redis": 0.0}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        command = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        group = int(fields[2])
        own, children = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        if group == server_group:
            usage["server"] += own / ticks
        elif command == "postgres":
            usage["postgres"] += (own + children) / ticks  # the postmaster holds the time of backends that ended
        elif command.startswith("redis-server"):
            usage["redis"] += own / ticks
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    usage["load"] = children.ru_utime + children.ru_stime
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) / ticks for v in cpu]
    usage["machine"] = sum(values)
    usage["machine_idle"] = values[3] + values[4]  # idle + iowait
    return usage


# One load phase --------------------------------------------------------------------------------


def phase_run(port: int, server_group: int, label: str, path: str, body: str, with_task: bool) -> dict | None:
    """Load one endpoint; returns the load generator's numbers, or None when anything was lost."""
    from safecommons.tips.models import Tip

    before_id = last_tip_id()
    jobs_before = rq_job_ids() if with_task and TASKS_BACKEND == "rq" else set()
    command = [
        sys.executable, str(BENCH_DIR / "tip_load.py"), "--port", str(port), "--path", path, "--body", body,
        "--concurrency", str(CONCURRENCY), "--reconnect-after", str(RECONNECT_AFTER),
        "--warmup", str(WARMUP_S), "--duration", str(DURATION_S),
        "--label", f"{label}-{secrets.token_hex(3)}",
    ]
    cpu_before = cpu_seconds(server_group)
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False,
                          timeout=WARMUP_S + DURATION_S + 120)
    cpu = {key: value - cpu_before[key] for key, value in cpu_seconds(server_group).items()}
    if done.returncode != 0:
        log(f"FAIL: the load generator stopped ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return None
    result = json.loads(done.stdout)
    created_ids = set(Tip.objects.filter(id__gt=before_id).values_list("id", flat=True))
    ok_count = result["statuses"].get("201", 0)
    other = {k: v for k, v in result["statuses"].items() if k != "201"}
    latency = result["latency_ms"]
    log(
        f"{label}: {result['sent']:,} requests, statuses {result['statuses']}, errors {result['errors'] or 'none'}; "
        f"{result['scored']:,} in the {DURATION_S:.0f} s window = {result['rate']:,.1f}/s; latency ms "
        f"p50 {latency['p50']} p95 {latency['p95']} p99 {latency['p99']} max {latency['max']}; "
        f"rows created {len(created_ids):,}"
    )
    if result["sent"]:
        per = {key: cpu[key] / result["sent"] * 1000 for key in ("server", "postgres", "redis", "load")}
        busy_s = cpu["machine"] - cpu["machine_idle"]
        per["other"] = max(0.0, busy_s - cpu["server"] - cpu["postgres"] - cpu["redis"] - cpu["load"])
        per["other"] *= 1000 / result["sent"]
        busy = 100 * busy_s / cpu["machine"] if cpu["machine"] else 0.0
        log(f"{label}: CPU per request: server {per['server']:.2f} ms, PostgreSQL {per['postgres']:.2f} ms, "
            f"Redis {per['redis']:.2f} ms, load generator {per['load']:.2f} ms, anything else on the machine "
            f"{per['other']:.2f} ms; machine busy {busy:.0f} %")
    lost = []
    if other or result["errors"]:
        lost.append(f"{sum(other.values()) + sum(result['errors'].values())} requests did not get 201")
        for sample in result["samples"]:
            log(f"  sample answer: {sample[:300]!r}")
    if len(created_ids) != ok_count:
        lost.append(f"{ok_count} answers 201 but {len(created_ids)} tip rows were created")
    if with_task:
        enqueued = enqueued_tip_ids(before_id, jobs_before)
        duplicates = len(enqueued) - len(set(enqueued))
        missing = len(created_ids - set(enqueued))
        stray = len(set(enqueued) - created_ids)
        log(f"{label}: {len(enqueued):,} tip_process tasks enqueued ({TASKS_BACKEND} backend), "
            f"{missing} tips without one, {duplicates} duplicated, {stray} for unknown tips")
        if missing or duplicates or stray:
            lost.append(f"tasks do not match tips ({missing} missing, {duplicates} duplicated, {stray} stray)")
    if lost:
        log(f"FAIL: {label}: " + "; ".join(lost))
        return None
    return result


# Where the time goes (in-process) ---------------------------------------------------------------


def asgi_post(application, path: str, body: bytes) -> int:
    """One POST through the ASGI application in this process, as uvicorn would make it; returns the status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/x-www-form-urlencoded"),
                    (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }
    status = []

    async def run() -> None:
        answered = asyncio.Event()
        sent_body = False

        async def receive() -> dict:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await answered.wait()  # Django listens for a disconnect while the view runs
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                answered.set()

        await application(scope, receive, send)

    asyncio.run(run())
    return status[0]


def where_time_goes() -> None:
    """Time the parts of a submission, one request at a time, through the same ASGI application in this process.

    The product's functions are wrapped with timers here, in this process only; nothing is changed on disk.
    """
    from django.core.asgi import get_asgi_application

    from safecommons.tips import credentials, forms, services, throttle, views
    from safecommons.tips.models import Tip

    spent: dict[str, float] = {}

    def timed(owner, attribute: str, label: str) -> bool:
        original = getattr(owner, attribute, None)
        if original is None:
            log(f"where the time goes: {getattr(owner, '__name__', owner)}.{attribute} is gone; not timed")
            return False

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

        setattr(owner, attribute, wrapper)
        return True

    submit_module = sys.modules[services.tip_submit.__module__]  # where its private helpers live
    parts = [
        (throttle, "client_key", "throttle key (first cache use of the request)"),
        (forms.TipForm, "is_valid", "form validation"),
        (services, "tip_submit", "tip_submit"),
        (throttle, "hit", "throttle count"),
        (submit_module, "_locate", "address lookup"),
        (submit_module, "_receiving_agency", "agency query"),
        (credentials, "passphrase_hash", "Argon2 passphrase hash"),
        (Tip.objects, "create", "Tip INSERT"),
        (submit_module, "_enqueue_processing", "task enqueue"),
        (views, "render", "receipt page"),
    ]
    timed_labels = {label for owner, attribute, label in parts if timed(owner, attribute, label)}
    inside_submit = [label for label in ("throttle count", "address lookup", "agency query", "Argon2 passphrase hash",
                                         "Tip INSERT", "task enqueue") if label in timed_labels]
    application = get_asgi_application()
    form = {"category": "suspicious", "location_kind": "address", "location_text": "1200 Hennepin Ave",
            "vehicles_seen": "white Ford van, plate ABC1234", "language": "en"}
    for path in ("/tips/", "/bench/tip-peer/"):
        for n in range(20):  # warm up
            asgi_post(application, path, urlencode({**form, "description": f"warm-up tip number {n}"}).encode())
        spent.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        for n in range(PROFILE_REQUESTS):
            body = urlencode({**form, "description": f"A white van behind the corner store again, {n}"}).encode()
            status = asgi_post(application, path, body)
            if status != 201:
                log(f"where the time goes: {path} answered {status}; no breakdown")
                return
        wall = (time.perf_counter() - wall) / PROFILE_REQUESTS * 1000
        cpu = (time.process_time() - cpu) / PROFILE_REQUESTS * 1000
        ms = {label: value / PROFILE_REQUESTS * 1000 for label, value in spent.items()}
        if path == "/tips/" and "tip_submit" in ms:
            inside = sum(ms.get(k, 0.0) for k in inside_submit)
            ms["rest of tip_submit (COMMIT, codes, checks)"] = ms.pop("tip_submit") - inside
        named = sum(ms.values())
        ms["ASGI, middleware, DB connection per request, other"] = wall - named
        parts_text = ", ".join(f"{label} {value:.2f}" for label, value in ms.items())
        log(f"where the time goes, {path}, {PROFILE_REQUESTS} requests one at a time through the ASGI application in "
            f"this process: {wall:.2f} ms per request ({cpu:.2f} ms CPU in this process): {parts_text}")


def server_log_explain(server_log: Path) -> None:
    """The server's last error, and what it usually means."""
    text = server_log.read_text(errors="replace")
    errors = [line for line in text.splitlines() if line.startswith(("django.", "psycopg", "redis.", "OSError"))]
    log(f"server log: {len(errors)} error lines; last: {errors[-1] if errors else text[-1500:] or '(empty)'}")
    if "too many connections" in text or "too many clients" in text:
        log("hint: the workers ran out of database connections. Under ASGI each request runs in a thread of its own "
            "and opens its own connection; with CONN_MAX_AGE > 0 Django keeps each one open after the request, so "
            "they pile up (Django's documentation: disable persistent connections under ASGI and use a pool). "
            "BENCH_TIP_DB_CONNECTIONS=pool or per-request measures the same code with either fix.")


# Main -----------------------------------------------------------------------------------------


def main() -> int:
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    skip = os.environ.get("BENCH_SKIP_MISSING_SERVICES", "").lower() in {"1", "true", "yes"}
    if TASKS_BACKEND not in {"database", "rq"}:
        log(f"BENCH_TASKS_BACKEND must be database or rq, not {TASKS_BACKEND!r}")
        return 2
    problem = database_prepare(database_url)
    if problem:
        log(f"tip_submit: BENCH_DATABASE_URL: {problem}")
        if skip:
            log("tip_submit: skipped (BENCH_SKIP_MISSING_SERVICES=1); no result")
            return 0
        log("tip_submit: set BENCH_DATABASE_URL, or BENCH_SKIP_MISSING_SERVICES=1 to skip this benchmark")
        return 2
    if not redis_reachable(redis_url):
        if TASKS_BACKEND == "rq":
            log(f"tip_submit: BENCH_TASKS_BACKEND=rq needs Redis, and {redis_url} does not answer")
            return 0 if skip else 2
        log(f"redis: {redis_url} does not answer; each worker counts the throttle in its own memory (not as in "
            "production)")
        redis_url = ""
    else:
        log(f"redis: {redis_url} (cache and throttle shared by the workers, as in production)")

    var_dir = tempfile.mkdtemp(prefix="safecommons-bench-")
    env = {
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "TASKS_BACKEND": TASKS_BACKEND,
        "EMBEDDED_WORKER": "false", "DEBUG": "false", "HTTPS": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        "VAR_DIR": var_dir, "ALLOWED_HOSTS": "127.0.0.1,localhost", "TIP_SUBMISSIONS_PER_HOUR": "100000000",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tip_bench_settings"  # the product's settings plus the peer's URL
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON line only
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    from django.conf import settings

    from safecommons.partners.models import Organisation, OrganisationKind

    product_db = settings.DATABASES["default"]
    described = {
        "product": f"as settings.py: CONN_MAX_AGE={product_db['CONN_MAX_AGE']}, "
                   f"CONN_HEALTH_CHECKS={product_db['CONN_HEALTH_CHECKS']}",
        "per-request": "CONN_MAX_AGE=0 (a new connection per request)",
        "pool": f"Django's psycopg pool, up to {os.environ.get('BENCH_TIP_DB_POOL_SIZE', '8')} per worker",
    }
    if DB_CONNECTIONS not in described:
        log(f"BENCH_TIP_DB_CONNECTIONS must be one of {', '.join(described)}, not {DB_CONNECTIONS!r}")
        return 2
    log(f"database connections (BENCH_TIP_DB_CONNECTIONS={DB_CONNECTIONS}): {described[DB_CONNECTIONS]}")
    if not Organisation.objects.filter(kind=OrganisationKind.AGENCY).exists():
        Organisation.objects.create(kind=OrganisationKind.AGENCY, name="Bench City Police", slug="bench-city-police")
    tables_empty()

    python_path = [str(BENCH_DIR), str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    server_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tip_bench_settings",
                  "PYTHONPATH": os.pathsep.join(python_path)}
    port = free_port()
    log(f"load: {CONCURRENCY} keep-alive connections (each reopened after {RECONNECT_AFTER} requests) from one "
        f"process (bench/tip_load.py), {WARMUP_S:.0f} s warm-up "
        f"then {DURATION_S:.0f} s scored, per endpoint; {os.cpu_count()} cores shared by server, database, Redis "
        "and load")
    server_log = Path(var_dir) / "server.log"
    results = {}
    with open(server_log, "wb") as log_file:
        server = server_start(server_env, port, log_file)
        try:
            if not server_wait(server, port):
                log("FAIL: the server did not start; its log ends with:")
                log(server_log.read_text(errors="replace")[-3000:])
                return 1
            phases = [
                ("ours (form POST /tips/)", "/tips/", "form", True),
                ("peer (bare view POST /bench/tip-peer/)", "/bench/tip-peer/", "form", False),
                ("ours (JSON POST /api/tips)", "/api/tips", "json", True),
            ]
            for label, path, body, with_task in phases:
                result = phase_run(port, server.pid, label, path, body, with_task)
                if result is None:
                    server_log_explain(server_log)
                    return 1
                results[path] = result
        finally:
            server_stop(server)

    value = results["/tips/"]["rate"]
    peer_value = results["/bench/tip-peer/"]["rate"]
    ratio = value / peer_value
    met = value >= TARGET_RATE and ratio >= TARGET_RATIO
    log("zero loss: every request answered 201, one tip row per 201 and one tip_process task per tip")
    log(f"result: form {value:,.1f} tips/s, API {results['/api/tips']['rate']:,.1f} tips/s, peer {peer_value:,.1f} "
        f"rows/s, ratio {ratio:.2f}; target >= {TARGET_RATE:.0f}/s and ratio >= {TARGET_RATIO}: "
        f"{'met' if met else 'NOT met'}")
    profile = os.environ.get("BENCH_TIP_PROFILE", "")  # 1: always, 0: never, unset: when the target is missed
    if profile == "1" or (not met and profile != "0"):
        try:
            where_time_goes()
        except Exception as exc:  # a diagnosis, not the result: the product may have moved under it
            log(f"where the time goes: could not measure ({type(exc).__name__}: {exc})")
    tables_empty()
    qualifiers = [f"db connections: {DB_CONNECTIONS}"] if DB_CONNECTIONS != "product" else []
    qualifiers += [f"tasks: {TASKS_BACKEND}"] if TASKS_BACKEND != "database" else []
    qualifiers += ["no Redis"] if not redis_url else []
    result = {
        "name": "tip_submit" + (f" ({'; '.join(qualifiers)})" if qualifiers else ""),
        "value": round(value, 1),
        "unit": "tips/s",
        "peer": "bare Django view inserting the same Tip row (same server, same run)",
        "peer_value": round(peer_value, 1),
        "ratio": round(ratio, 2),
        "target": ">= 300/s and ratio >= 0.5",
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
