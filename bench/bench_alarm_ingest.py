"""Benchmark: alarm events from a monitoring center, on PostgreSQL, with replays; and alarm-to-board latency.

Run from the repository root:  .venv/bin/python bench/bench_alarm_ingest.py

The real application (uvicorn, several worker processes, PostgreSQL, Redis for the cache, sessions and the
live broadcast) takes N alarm events (default 20,000) from one client process (bench/live_watchers.py) over
C keep-alive connections, with an alarm center's API key: up to BENCH_ALARM_BATCH events (default 100) per
POST /api/incidents/alarm-batches, or with BENCH_ALARM_BATCH=1 one per POST /api/incidents/alarms. 10 % of the
events are sent twice: half of the replays right behind their original on another connection (in flight
together: with batches, in a request of their own sent at the moment the batch holding the originals is),
half a few seconds later. 5 % are a second alarm from the permit of an earlier one, sent once
that one was answered (joined to its incident). Every other event names a permit of its own. Nothing new
is sent after BENCH_ALARM_MAX_SECONDS (default 120): a slow server is measured on what it took in by then.

Afterwards the database must hold exactly one alarm event row per event id sent (none lost, none twice),
one incident per permit alarmed (no duplicate), the expected accepted and joined counts, and every replay
must have been answered like its original (same status, same incident). Otherwise the script prints FAIL
with the counts and exits 1 without JSON lines.

End to end: an officer's board (ws/incidents/) stays connected throughout; after the load, a sampler sends
alarms at 50/s for 10 s and times each from the moment it is sent to its incident's "opened" event on the
board (another sampler does the same during the load: on stderr).

Prints two JSON lines: `alarm_ingest` (distinct events taken in per second, wall time from the first send
to the last answer; target >= 500/s with zero loss and zero duplicates) and `alarm_to_board` (p99 in ms;
target <= 1000 ms).

Needs PostgreSQL (BENCH_ALARM_DATABASE_URL, default
postgres://safecommons_bench@127.0.0.1:5432/safecommons_alarm_bench, made if missing, see pgsetup.py; its
incident tables are emptied before each run) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/9).
Without them it stops with an error, or quietly (exit 0, no JSON line) with BENCH_SKIP_MISSING_SERVICES=1.
docs/benchmarks.md lists the other settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
for _path in (REPO_ROOT, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from live_setup import (  # noqa: E402  (bench/ is on the path from here on)
    alarm_api_key_issue,
    alarm_permits_ensure,
    cpu_seconds,
    csrf_token_new,
    fd_limit_raise,
    free_port,
    incident_tables_empty,
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

DEFAULT_DATABASE_URL = "postgres://safecommons_bench@127.0.0.1:5432/safecommons_alarm_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"  # a database number of its own
TARGET_RATE = 500.0
TARGET_P99_MS = 1000.0
SEED = 20261203
ALARM_TYPES = ["BURG"] * 14 + ["HOLD", "PANIC", "FIRE", "MED", "VEH", "GUNSHOT"]

EVENTS = int(env_number("BENCH_ALARM_EVENTS", 20_000))
REPLAY_SHARE = env_number("BENCH_ALARM_REPLAY_SHARE", 0.10)
JOIN_SHARE = env_number("BENCH_ALARM_JOIN_SHARE", 0.05)
WORKERS = int(env_number("BENCH_ALARM_WORKERS", 4))
CONNECTIONS = int(env_number("BENCH_ALARM_CONNECTIONS", 16))
RECONNECT_AFTER = int(env_number("BENCH_ALARM_RECONNECT_AFTER", 100))
BATCH = max(1, int(env_number("BENCH_ALARM_BATCH", 100)))  # events per request; 1: the one-event endpoint
RATE = env_number("BENCH_ALARM_RATE", 0.0)  # sends per second of the load; 0: as fast as the server answers
SAMPLER_RATE = env_number("BENCH_ALARM_SAMPLER_RATE", 50.0)
SAMPLER_SECONDS = env_number("BENCH_ALARM_SAMPLER_SECONDS", 10.0)
MAX_SECONDS = env_number("BENCH_ALARM_MAX_SECONDS", 120.0)
SAMPLER_DURING = os.environ.get("BENCH_ALARM_SAMPLER_DURING", "1").lower() in {"1", "true", "yes"}
PROFILE = os.environ.get("BENCH_ALARM_PROFILE", "")  # 1: always, 0: never, unset: when the rate is missed
PROFILE_REQUESTS = 200


# The plan: what is sent, in which order ---------------------------------------------------------------


def plan_make(run: str, permits: list[str]) -> dict:
    """The events of the load (originals, joins, replays in sending order) and of the samplers.

    An original names a permit no other original names; a join names the permit of an earlier original and
    is sent once that one has its answer; a replay is an event sent again, byte for byte, either right behind
    itself (both in flight at once, on two connections) or a few thousand sends later."""
    rng = random.Random(SEED)
    events: list[dict] = []
    joined_originals: set[int] = set()
    next_permit = 0
    joins = int(EVENTS * JOIN_SHARE) if EVENTS >= 2000 else 0  # joins start after the first 1,000 events
    join_at = set(rng.sample(range(1000, EVENTS), joins)) if joins else set()
    for n in range(EVENTS):
        event = {"id": f"{run}-{n:06d}", "type": rng.choice(ALARM_TYPES), "zone": str(rng.randint(1, 24)),
                 "audible": rng.random() < 0.8, "after": None}
        if n in join_at:
            # An original sent a while before (so its answer is usually back) and not joined yet.
            while True:
                earlier = rng.randint(max(0, n - 900), n - 300)
                if events[earlier]["after"] is None and earlier not in joined_originals:
                    break
            joined_originals.add(earlier)
            event.update(permit=events[earlier]["permit"], after=earlier)
        else:
            event["permit"] = permits[next_permit]
            next_permit += 1
        events.append(event)

    order = list(range(EVENTS))
    replayed = rng.sample(range(EVENTS), int(EVENTS * REPLAY_SHARE))
    together, later = replayed[: len(replayed) // 2], replayed[len(replayed) // 2:]
    late_slots: dict[int, list[int]] = {}
    for index in later:
        late_slots.setdefault(min(EVENTS - 1, index + rng.randint(1000, 4000)), []).append(index)
    together_set = set(together)
    sending: list[int] = []
    for index in order:
        sending.append(index)
        if index in together_set:
            sending.append(index)
        sending.extend(late_slots.get(index, []))

    samplers = {}
    count = int(SAMPLER_RATE * SAMPLER_SECONDS)
    for name in ("sampler_during", "sampler_after") if SAMPLER_DURING else ("sampler_after",):
        indexes = []
        for n in range(count):
            indexes.append(len(events))
            events.append({"id": f"{run}-{name[8:]}-{n:05d}", "type": "BURG", "zone": "1", "audible": True,
                           "after": None, "permit": permits[next_permit]})
            next_permit += 1
        samplers[name] = indexes
    return {"events": events, "order": sending, **samplers,
            "counts": {"originals": EVENTS - joins, "joins": joins, "replays_together": len(together),
                       "replays_later": len(later), "sampler": sum(len(v) for v in samplers.values())}}


def permits_needed() -> int:
    samplers = 2 if SAMPLER_DURING else 1
    return EVENTS + samplers * int(SAMPLER_RATE * SAMPLER_SECONDS) + PROFILE_REQUESTS


# Checks -----------------------------------------------------------------------------------------------


def answers_check(plan: dict, answers: list[dict | None]) -> list[str]:
    """Every send answered; originals accepted (201), joins joined to their original's incident (200),
    replays answered like the first time. (None: a send the load never made, when it was cut short.)"""
    problems = []
    events = plan["events"]
    first: dict[int, dict] = {}
    unanswered = sum(1 for answer in answers if answer is not None and not answer["status"])
    if unanswered:
        problems.append(f"{unanswered} sends without an answer after 5 tries")
    wrong: Counter[str] = Counter()
    for answer in answers:
        if answer is None:
            continue
        index = answer["event"]
        if index in first:
            original = first[index]
            if (answer["status"], answer["incident_id"]) != (original["status"], original["incident_id"]):
                wrong["replays answered differently"] += 1
            continue
        first[index] = answer
        if events[index]["after"] is None and (answer["status"], answer["outcome"]) != (201, "accepted"):
            wrong[f"originals answered {answer['status']} {answer['outcome']} {answer['reason'] or ''}".strip()] += 1
    for index, answer in first.items():
        after = events[index]["after"]
        if after is None:
            continue
        if (answer["status"], answer["outcome"]) != (200, "joined"):
            wrong[f"joins answered {answer['status']} {answer['outcome']} {answer['reason'] or ''}".strip()] += 1
        elif answer["incident_id"] != first.get(after, {}).get("incident_id"):
            wrong["joins on another incident than their original's"] += 1
    problems += [f"{count} {what}" for what, count in wrong.items()]
    return problems


def database_check(plan: dict, answers: list[dict | None], run: str, world, sampler_sent: int) -> list[str]:
    """What the database holds after the run, against what was sent."""
    from django.db.models import Count, Sum

    from safecommons.incidents.models import AlarmEvent, Incident, IncidentEvent

    events = plan["events"]
    sent = {answer["event"] for answer in answers if answer is not None}
    sent_ids = {events[index]["id"] for index in sent}
    joins_sent = sum(1 for index in sent if events[index]["after"] is not None)
    originals_sent = len(sent) - joins_sent
    stored = list(AlarmEvent.objects.filter(company=world.company, event_id__startswith=f"{run}-")
                  .values_list("event_id", "outcome"))
    stored_ids = Counter(event_id for event_id, _outcome in stored)
    outcomes = Counter(outcome for event_id, outcome in stored if event_id in sent_ids)
    load_ids = {event_id for event_id in stored_ids if event_id in sent_ids}
    incidents = Incident.objects.filter(company=world.company, source=Incident.Source.ALARM)
    incident_count = incidents.count()
    duplicate_permits = incidents.values("alarm_permit").annotate(n=Count("id")).filter(n__gt=1).count()
    opened = IncidentEvent.objects.filter(company=world.company, kind=IncidentEvent.Kind.OPENED).count()
    alarm_total = incidents.aggregate(total=Sum("alarm_count"))["total"] or 0
    expected_incidents = originals_sent + sampler_sent
    log(f"check: {len(sent_ids):,} event ids sent in the load ({originals_sent:,} originals, {joins_sent:,} joins); "
        f"alarm event rows {len(load_ids):,} (accepted {outcomes.get('accepted', 0):,}, joined "
        f"{outcomes.get('joined', 0):,}, rejected {outcomes.get('rejected', 0):,}), rows stored twice "
        f"{sum(1 for n in stored_ids.values() if n > 1)}, lost {len(sent_ids - load_ids)}")
    log(f"check: incidents {incident_count:,} (expected {expected_incidents:,}: one per original, samplers "
        f"included), permits with more than one incident {duplicate_permits}, 'opened' events {opened:,}, alarms "
        f"counted on incidents {alarm_total:,}")
    problems = []
    if sent_ids - load_ids:
        problems.append(f"{len(sent_ids - load_ids)} events lost")
    if any(n > 1 for n in stored_ids.values()):
        problems.append("an event id stored twice")
    if outcomes.get("accepted", 0) != originals_sent or outcomes.get("joined", 0) != joins_sent:
        problems.append(f"outcomes {dict(outcomes)}, expected {originals_sent} accepted and {joins_sent} joined")
    if incident_count != expected_incidents or duplicate_permits:
        problems.append(f"{incident_count} incidents for {expected_incidents} expected, "
                        f"{duplicate_permits} permits with duplicates")
    if opened != incident_count:
        problems.append(f"{opened} 'opened' events for {incident_count} incidents")
    if alarm_total != outcomes.get("accepted", 0) + outcomes.get("joined", 0) + sampler_sent:
        problems.append(f"the incidents count {alarm_total} alarms")
    return problems


# Where the time goes (in-process) ------------------------------------------------------------------


def where_time_goes(run: str, api_key: str, permits: list[str]) -> None:
    """Alarms one at a time through the application in this process (Django's test client), with the
    product's functions wrapped in timers here, in this process only: time, CPU and queries per alarm."""
    import functools
    import warnings
    from datetime import UTC, datetime

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from safecommons.incidents import broadcast
    from safecommons.incidents.services import alarms as alarm_services
    from safecommons.partners import services as partner_services

    spent: dict[str, float] = {}

    def timed(owner, attribute: str, label: str) -> None:
        original = getattr(owner, attribute, None)
        if original is None:
            log(f"where the time goes: {attribute} is gone; not timed")
            return

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

        setattr(owner, attribute, wrapper)

    timed(partner_services, "api_key_authenticate", "API key")
    service, publish = "alarm_event_receive (queries, commit)", "broadcast after the commit (Redis publish)"
    timed(alarm_services, "alarm_event_receive", service)
    timed(broadcast, "publish", publish)
    client = Client(HTTP_HOST="127.0.0.1")
    permits = permits[-PROFILE_REQUESTS:]

    def send(n: int) -> int:
        body = {"event_id": f"{run}-profile-{n:04d}", "type": "BURG", "permit_number": permits[n],
                "received_at": datetime.now(UTC).isoformat()}
        return client.post("/api/incidents/alarms", json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {api_key}").status_code

    warm = PROFILE_REQUESTS // 10
    with warnings.catch_warnings():  # WhiteNoise looks for a static directory the benchmark does not build
        warnings.simplefilter("ignore")
        for n in range(warm):
            send(n)
    spent.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        statuses = Counter(send(n) for n in range(warm, PROFILE_REQUESTS))
    count = PROFILE_REQUESTS - warm
    wall = (time.perf_counter() - wall) / count * 1000
    cpu = (time.process_time() - cpu) / count * 1000
    ms = {label: value / count * 1000 for label, value in spent.items()}
    if service in ms and publish in ms:
        ms[service] -= ms[publish]  # the publish runs inside the service, as its transaction commits
    ms["request, middleware, schema, answer"] = wall - sum(ms.values())
    parts = ", ".join(f"{label} {value:.2f}" for label, value in ms.items())
    log(f"where the time goes: {count} alarms one at a time in this process (statuses {dict(statuses)}): "
        f"{wall:.2f} ms each ({cpu:.2f} ms CPU in this process, {len(queries) / count:.1f} queries): {parts}")


def database_claim(url: str):
    """A connection holding this benchmark's advisory lock on its database, or None when another run holds
    it (two runs at once would empty each other's tables and join each other's alarms)."""
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    conn = psycopg.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432, user=parsed.username,
                           password=parsed.password, dbname=parsed.path.lstrip("/"), autocommit=True)
    if conn.execute("SELECT pg_try_advisory_lock(%s)", [SEED]).fetchone()[0]:
        return conn
    conn.close()
    return None


# Main -------------------------------------------------------------------------------------------------


def main() -> int:
    skip = os.environ.get("BENCH_SKIP_MISSING_SERVICES", "").lower() in {"1", "true", "yes"}
    database_url = os.environ.get("BENCH_ALARM_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    problem = database_prepare(database_url)
    if problem is None and not redis_reachable(redis_url):
        problem = f"Redis does not answer at {redis_url} (the workers share the broadcast through it)"
    if problem:
        log(f"alarm_ingest: {problem}")
        if skip:
            log("alarm_ingest: skipped (BENCH_SKIP_MISSING_SERVICES=1); no result")
            return 0
        log("alarm_ingest: set BENCH_ALARM_DATABASE_URL and BENCH_REDIS_URL, or BENCH_SKIP_MISSING_SERVICES=1")
        return 2
    claim = database_claim(database_url)
    if claim is None:
        log("alarm_ingest: another run of this benchmark is using the database; wait for it to end")
        return 2
    fd_limit_raise()
    var_dir = Path(tempfile.mkdtemp(prefix="safecommons-alarm-bench-"))
    env = server_env(database_url=database_url, redis_url=redis_url, var_dir=str(var_dir))
    os.environ.update(env)
    run = "B" + secrets.token_hex(3)
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON lines only
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        world = live_world()
        permits = alarm_permits_ensure(world, permits_needed())
        api_key = alarm_api_key_issue(world)
        officer_session = staff_session(world.officer)
        incident_tables_empty()
        log(f"data: {len(permits):,} alarm permits of one agency monitored by one company, an API key with "
            f"alarms:write, the agreement in force; incident tables emptied ({time.perf_counter() - started:.1f} s)")
        connections.close_all()

    plan = plan_make(run, permits)
    counts = plan["counts"]
    sending = (f"up to {BATCH} events per request (POST /api/incidents/alarm-batches)" if BATCH > 1
               else "one event per request (POST /api/incidents/alarms)")
    if RATE:
        sending += f", paced at {RATE:g} sends/s"
    plan_file, answers_file = var_dir / "plan.json", var_dir / "answers.json"
    plan_file.write_text(json.dumps(plan))
    log(f"load: {EVENTS:,} events ({counts['originals']:,} originals on permits of their own, {counts['joins']:,} "
        f"second alarms from an earlier permit), {counts['replays_together']:,} replayed at once and "
        f"{counts['replays_later']:,} later: {len(plan['order']):,} sends over {CONNECTIONS} keep-alive connections "
        f"(each reopened after {RECONNECT_AFTER} requests) from one process, {sending}; sampler {SAMPLER_RATE:g}/s for "
        f"{SAMPLER_SECONDS:g} s {'during and ' if SAMPLER_DURING else ''}after the load; {os.cpu_count()} cores "
        "shared by server, PostgreSQL, Redis and client")

    port = free_port()
    server_log = var_dir / "server.log"
    with open(server_log, "wb") as log_file:
        server = server_start(env, port, WORKERS, log_file)
        try:
            if not server_wait(server, port, workers=WORKERS):
                log(f"FAIL: the server did not start; its log ends with:\n{server_log.read_text()[-3000:]}")
                return 1
            command = [
                sys.executable, str(BENCH_DIR / "live_watchers.py"), "alarms", "--port", str(port),
                "--api-key", api_key, "--plan", str(plan_file), "--out", str(answers_file),
                "--connections", str(CONNECTIONS), "--reconnect-after", str(RECONNECT_AFTER), "--batch", str(BATCH),
                "--rate", str(RATE), "--max-seconds", str(MAX_SECONDS),
                "--sampler-rate", str(SAMPLER_RATE), "--ws-url", f"ws://127.0.0.1:{port}/ws/incidents/",
                "--cookie", session_cookie(officer_session, csrf_token_new()), "--origin", f"http://127.0.0.1:{port}",
            ]
            cpu_before = cpu_seconds(server.pid)
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=1800)
            cpu = {key: value - cpu_before[key] for key, value in cpu_seconds(server.pid).items()}
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu["client"] = (children.ru_utime + children.ru_stime - children_before.ru_utime
                             - children_before.ru_stime)
        finally:
            server_stop(server)
    errors = [line for line in server_log.read_text(errors="replace").splitlines() if "Error" in line]
    if errors:
        log(f"server log: {len(errors)} error lines; last: {errors[-1][:300]}")
    if done.returncode != 0:
        log(f"FAIL: the client stopped: {done.stderr.strip()[-2000:]}")
        return 1
    result = json.loads(done.stdout)
    if "board_failures" in result:
        log(f"FAIL: the officer's board did not connect: {result['board_failures']}")
        return 1
    load = result["load"]
    rate = load["events"] / load["wall_s"]
    latency = load["latency_ms"]
    if load["cut_short"]:
        log(f"load: cut short after {MAX_SECONDS:g} s (BENCH_ALARM_MAX_SECONDS): {load['events']:,} of the "
            f"{EVENTS:,} events sent; the checks below cover what was sent")
    log(f"load: {load['sends']:,} sends answered in {load['wall_s']:.1f} s = {rate:,.1f} distinct events/s "
        f"({load['requests'] / load['wall_s']:,.1f} requests/s); statuses {result['statuses']}, network errors "
        f"{result['errors'] or 'none'}; latency ms p50 {latency['p50']} p90 {latency['p90']} p99 {latency['p99']} "
        f"max {latency['max']}")
    if load.get("raced"):
        log(f"load: {load['raced']:,} replays sent beside the batch holding their original, in "
            f"{load['raced_requests']:,} requests of their own")
    for sample in result["samples"]:
        log(f"  sample answer: {sample}")
    busy = cpu["machine"] - cpu["machine_idle"]
    sends = load["sends"] + counts["sampler"]
    per = {key: cpu[key] / sends * 1000 for key in ("server", "postgres", "redis", "client")}
    log(f"cpu per event sent: server {per['server']:.2f} ms, PostgreSQL {per['postgres']:.2f} ms, Redis "
        f"{per['redis']:.2f} ms, client {per['client']:.2f} ms; machine busy {100 * busy / cpu['machine']:.0f} % "
        "over the whole client run (samplers included)")
    for name in ("sampler_during", "sampler_after"):
        sampled = result.get(name)
        if sampled:
            log(f"{name.replace('_', ' ')}: {sampled['sent']} alarms at {sampled['rate']:g}/s, {sampled['seen']} "
                f"seen on the board, {sampled['missing']} missing, {sampled['refused']} not accepted; send -> "
                f"'opened' on the board ms p50 {sampled['latency_ms']['p50']} p90 {sampled['latency_ms']['p90']} "
                f"p99 {sampled['latency_ms']['p99']} max {sampled['latency_ms']['max']}")

    answers = json.loads(answers_file.read_text())
    problems = answers_check(plan, answers)
    sampler_sent = sum(result[name]["sent"] - result[name]["refused"] for name in ("sampler_during", "sampler_after")
                       if result.get(name))
    with contextlib.redirect_stdout(sys.stderr):
        problems += database_check(plan, answers, run, world, sampler_sent)
    for name in ("sampler_during", "sampler_after"):
        sampled = result.get(name)
        if sampled and (sampled["missing"] or sampled["refused"]):
            problems.append(f"{name}: {sampled['missing']} alarms never seen on the board, {sampled['refused']} "
                            "not accepted")
    if problems:
        log("FAIL: " + "; ".join(problems))
        return 1
    log("zero loss, zero duplicates: every event id stored once, one incident per permit, replays answered as "
        "the first time")

    print(json.dumps({
        "name": f"alarm_ingest ({'batches of ' + str(BATCH) if BATCH > 1 else 'one event per request'}"
                f"{f', paced at {RATE:g}/s' if RATE else ''})",
        "value": round(rate, 1), "unit": "events/s", "peer": "target (no peer)",
        "peer_value": TARGET_RATE, "ratio": round(rate / TARGET_RATE, 3),
        "target": f">= {TARGET_RATE:g}/s, zero loss, zero duplicates under replay",
    }), flush=True)
    p99 = result["sampler_after"]["latency_ms"]["p99"]
    print(json.dumps({
        "name": "alarm_to_board", "value": p99, "unit": "ms (p99, lower is better)", "peer": "target (no peer)",
        "peer_value": TARGET_P99_MS, "ratio": round(TARGET_P99_MS / p99, 3) if p99 else None,
        "target": f"<= {TARGET_P99_MS:g} ms",
    }), flush=True)
    met = rate >= TARGET_RATE and p99 <= TARGET_P99_MS
    log(f"result: {rate:,.1f} events/s (target >= {TARGET_RATE:g}), alarm to board p99 {p99} ms (target <= "
        f"{TARGET_P99_MS:g}): {'met' if met else 'NOT met'}")
    if PROFILE == "1" or (rate < TARGET_RATE and PROFILE != "0"):
        try:
            with contextlib.redirect_stdout(sys.stderr):
                where_time_goes(run, api_key, permits)
        except Exception as exc:  # a diagnosis, not the result: the product may have moved under it
            log(f"where the time goes: could not measure ({type(exc).__name__}: {exc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
