"""Set-up shared by the live-incident benchmarks (not a benchmark itself, hence not named bench_*).

The data side needs Django set up by the caller, pointed at the benchmark's database: an agency, a
monitoring company and the agreement in force that lets it hand incidents and alarm events to the agency;
an operator, an officer and the company's admin; their sessions as after the real sign-in (password and
TOTP); an alarm center's API key; alarm permits. The server side starts, waits for and stops the real
application under uvicorn, and talks JSON to it.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from safecommons.core.management.commands.serve import WEBSOCKET_PROTOCOL  # noqa: E402  (as `manage.py serve`)

SERVER_START_LIMIT_S = 90.0
WORKER_SETTLE_S = 3.0
AGENCY_SLUG = "bench-live-police"
COMPANY_SLUG = "bench-live-monitoring"
PERMIT_PREFIX = "BLP-"


# --- Seeding (Django set up) ---------------------------------------------------------------------


@dataclass(frozen=True)
class LiveWorld:
    agency: Any
    company: Any
    operator: Any
    officer: Any
    company_admin: Any


def _person(email: str, organisation, role: str):
    from safecommons.accounts.models import Membership, User

    user, _ = User.objects.get_or_create(email=email, defaults={"username": email, "display_name": email.split("@")[0]})
    if not Membership.objects.filter(user=user, organisation=organisation, role=role, ended_at__isnull=True).exists():
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def live_world() -> LiveWorld:
    """The agency, the monitoring company, their handoff agreement and three people (made once, kept)."""
    from django.utils import timezone

    from safecommons.core.roles import Role
    from safecommons.partners.models import (
        Agreement,
        AgreementGrant,
        AgreementParty,
        Organisation,
        OrganisationKind,
        Scope,
    )

    agency, _ = Organisation.objects.get_or_create(
        slug=AGENCY_SLUG, defaults={"kind": OrganisationKind.AGENCY, "name": "Bench Live Police Department"})
    company, _ = Organisation.objects.get_or_create(
        slug=COMPANY_SLUG, defaults={"kind": OrganisationKind.SECURITY_COMPANY, "name": "Bench Live Monitoring"})
    today = timezone.localdate()
    agreement, created = Agreement.objects.get_or_create(
        title="Bench live incident and alarm handoff MOU",
        defaults={"purpose": "Hand live incidents and alarm events to the agency.",
                  "status": Agreement.Status.SIGNED, "signed_at": timezone.now(),
                  "effective_from": today - timedelta(days=30), "expires_on": today + timedelta(days=3650)})
    if created:
        AgreementParty.objects.create(agreement=agreement, organisation=company, role="monitoring company")
        AgreementParty.objects.create(agreement=agreement, organisation=agency, role="receives incidents")
        for scope in (Scope.ALARM_EVENTS, Scope.INCIDENT_DATA):
            AgreementGrant.objects.create(agreement=agreement, scope=scope, provider=company, recipient=agency)
    return LiveWorld(
        agency=agency,
        company=company,
        operator=_person("operator@live.bench", company, Role.SECURITY_OPERATOR),
        officer=_person("officer@live.bench", agency, Role.OFFICER),
        company_admin=_person("admin@live.bench", company, Role.PARTNER_ADMIN),
    )


def staff_session(user) -> str:
    """A session key as after the real sign-in (password, then TOTP), stored where the server reads
    sessions (the engine of the settings: the database, or the shared cache in front of it)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from safecommons.accounts.backends import USER_BACKEND

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = USER_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["last_seen"] = int(time.time())
    session.create()
    return session.session_key


def csrf_token_new() -> str:
    """A CSRF secret, sent both as the csrftoken cookie and as the X-CSRFToken header (as a page's script
    does after reading the cookie)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def alarm_api_key_issue(world: LiveWorld) -> str:
    """A new API key of the monitoring company with the alarms:write scope; returns the secret."""
    from safecommons.core.permissions import actor_for_user
    from safecommons.partners.models import ApiKey
    from safecommons.partners.services import api_key_issue

    _, secret = api_key_issue(actor=actor_for_user(world.company_admin), organisation=world.company,
                              name=f"Bench alarm center {secrets.token_hex(3)}",
                              scopes=[ApiKey.ApiScope.ALARMS_WRITE], mfa_verified=True)
    return secret


def alarm_permits_ensure(world: LiveWorld, count: int) -> list[str]:
    """`count` active permits of the agency monitored by the company (the missing ones made); their numbers."""
    from django.db import connection

    from safecommons.incidents.models import AlarmPermit

    numbers = [f"{PERMIT_PREFIX}{n:06d}" for n in range(count)]
    have = set(AlarmPermit.objects.filter(agency=world.agency, number__startswith=PERMIT_PREFIX)
               .values_list("number", flat=True))
    created = AlarmPermit.objects.bulk_create(
        [AlarmPermit(agency=world.agency, monitoring_company=world.company, number=number,
                     address=f"{100 + n} Bench Ave", latitude=44.95 + (n % 200) * 0.0004,
                     longitude=-93.30 + (n // 200 % 200) * 0.0005)
         for n, number in enumerate(numbers) if number not in have], batch_size=5000)
    if created and connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # planner statistics now, not whenever autovacuum comes by
            cursor.execute(f'ANALYZE "{AlarmPermit._meta.db_table}"')
    AlarmPermit.objects.filter(agency=world.agency, number__startswith=PERMIT_PREFIX, is_active=False).update(
        is_active=True)
    return numbers


def incident_tables_empty() -> None:
    """No incident, timeline event or alarm event left from an earlier run (the duplicate window would
    otherwise join a new alarm to an old incident)."""
    from django.db import connection

    from safecommons.incidents.models import AlarmEvent, Commendation, Incident, IncidentEvent, Snapshot

    models = (AlarmEvent, Commendation, Snapshot, IncidentEvent, Incident)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(f'"{m._meta.db_table}"' for m in models) + " CASCADE")
    else:
        for model in models:
            model.objects.all().delete()


# --- The server under test -----------------------------------------------------------------------


def fd_limit_raise() -> int:
    """Raise this process's soft limit on open files to the hard limit (a thousand sockets and more)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        wanted = 65536 if hard == resource.RLIM_INFINITY else hard
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def server_env(*, database_url: str, redis_url: str, var_dir: str) -> dict[str, str]:
    """The environment of the server (and of the benchmark's own Django): production-like, no embedded
    worker, DEBUG off, a random key, files under a temporary directory."""
    return {
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "TASKS_BACKEND": "database",
        "EMBEDDED_WORKER": "false", "DEBUG": "false", "HTTPS": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        "VAR_DIR": var_dir, "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "safecommons.settings",
    }


def server_start(env: dict[str, str], port: int, workers: int, log_file) -> subprocess.Popen:
    """uvicorn serving the product's ASGI application (HTTP and websockets), in a session of its own so that
    the supervisor and its workers stop together. It inherits this process's limit on open files (raise it
    first with fd_limit_raise)."""
    command = [sys.executable, "-m", "uvicorn", "safecommons.asgi:application", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--ws", WEBSOCKET_PROTOCOL, "--lifespan", "off",
               "--no-access-log", "--log-level", "warning"]
    print(f"server: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    return subprocess.Popen(command, cwd=REPO_ROOT, env={**os.environ, **env}, stdout=log_file,
                            stderr=subprocess.STDOUT, start_new_session=True)


def server_wait(process: subprocess.Popen, port: int, *, workers: int = 1) -> bool:
    """True once the application answers /healthz (and the other workers had a moment to start)."""
    deadline = time.monotonic() + SERVER_START_LIMIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)  # noqa: S310
        except urllib.error.HTTPError:
            pass  # an answer, even 503 (a health check failing) means Django is up
        except OSError:
            time.sleep(0.3)
            continue
        if workers > 1:
            time.sleep(WORKER_SETTLE_S)
        return True
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


def cpu_seconds(server_group: int) -> dict[str, float]:
    """CPU seconds used so far by the server's processes (its process group), PostgreSQL (every backend of
    the server, busy with any database), Redis, and the whole machine (busy and idle)."""
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
        own, children = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        if int(fields[2]) == server_group:
            usage["server"] += own / ticks
        elif command == "postgres":
            usage["postgres"] += (own + children) / ticks  # the postmaster holds the time of backends that ended
        elif command.startswith("redis-server"):
            usage["redis"] += own / ticks
    values = [int(v) / ticks for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    usage["machine"] = sum(values)
    usage["machine_idle"] = values[3] + values[4]  # idle + iowait
    return usage


def session_cookie(session_key: str, csrf_token: str) -> str:
    return f"sessionid={session_key}; csrftoken={csrf_token}"


def api_json(port: int, method: str, path: str, body: dict | None = None, *, cookie: str = "",
             csrf_token: str = "", api_key: str = "") -> tuple[int, Any]:
    """One JSON request to the server; (status, decoded body or text)."""
    headers = {"Accept": "application/json", "Origin": f"http://127.0.0.1:{port}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if cookie:
        headers["Cookie"] = cookie
    if csrf_token:
        headers["X-CSRFToken"] = csrf_token
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")[:500]
