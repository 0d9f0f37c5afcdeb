"""Fault injection: a real worker process (django-tasks-db's `db_worker`) is killed with SIGKILL in the middle
of a fan-out or of sending; another worker and the scheduled sweep finish the job, and every subscriber
gets the alert exactly once at the real SMTP server.

On PostgreSQL the workers use the test's own database. On SQLite (whose test database lives in memory) the
seeded database is copied to a file first, and the workers and the sweep run against that file."""

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from safecommons.alerts.models import Alert, Delivery
from safecommons.alerts.services.outbox import CRASH_AFTER_SENDS_ENV, alert_fanout_queue
from safecommons.alerts.tests.factories import AlertFactory, ChannelFactory, SubscriptionFactory

REPO = Path(__file__).resolve().parents[3]
SUBSCRIBERS = 24
LEASE_SECONDS = 1

SWEEP_AND_REPORT = """
import json, django
django.setup()
from safecommons.alerts.models import Alert, Delivery
from safecommons.alerts.services.outbox import deliveries_sweep
swept = deliveries_sweep() if SWEEP else None
print(json.dumps({"swept": swept, "statuses": sorted(Delivery.objects.values_list("status", flat=True)),
                  "fanout": list(Alert.objects.values_list("fanout", flat=True))}))
"""


def database_url(tmp_path) -> str:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user, host, port = settings["USER"] or "postgres", settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"
    path = tmp_path / "worker.sqlite3"
    with sqlite3.connect(path) as copy:
        connection.ensure_connection()
        connection.connection.backup(copy)
    return f"sqlite:///{path}"


def child_env(url: str, smtp_port: int, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", CRASH_AFTER_SENDS_ENV}}
    env.update(DATABASE_URL=url, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port), EMAIL_USE_TLS="0",
               EMBEDDED_WORKER="0", TASKS_BACKEND="database", ALERT_LEASE_SECONDS=str(LEASE_SECONDS),
               DJANGO_SETTINGS_MODULE="safecommons.settings", **extra)
    return env


def run_worker(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "db_worker", "--batch", "--interval", "0",
                           "--no-startup-delay", "-v", "0"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=180, check=False)


def sweep_and_report(env: dict[str, str], *, sweep: bool) -> dict:
    done = subprocess.run([sys.executable, "-c", f"SWEEP = {sweep}\n{SWEEP_AND_REPORT}"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("crash", ["7", "fanout"], ids=["killed-after-7-sends", "killed-mid-fan-out"])
def test_a_worker_killed_mid_run_is_taken_over_and_each_subscriber_gets_the_alert_once(
        agency, smtp_server, tmp_path, crash):
    addresses = [f"resident{n}@mail.example" for n in range(SUBSCRIBERS)]
    for address in addresses:
        ChannelFactory(subscription=SubscriptionFactory(agency=agency), address=address)
    with transaction.atomic():
        alert = AlertFactory(agency=agency, state=Alert.State.PUBLISHED, sent_at=timezone.now())
        alert_fanout_queue(alert=alert)
    url = database_url(tmp_path)

    killed = run_worker(child_env(url, smtp_server_port(smtp_server), **{CRASH_AFTER_SENDS_ENV: crash}))
    assert killed.returncode == -9, killed.stderr[-2000:]
    after_kill = sweep_and_report(child_env(url, smtp_server_port(smtp_server)), sweep=False)
    if crash == "fanout":
        assert after_kill["statuses"] == [] and after_kill["fanout"] != ["done"]
        assert smtp_server.messages == []
    else:
        assert Counter(after_kill["statuses"]) == {"delivered": 7, "pending": SUBSCRIBERS - 7}
        assert len(smtp_server.messages) == 7

    time.sleep(LEASE_SECONDS + 1.5)  # the dead worker's leases and tasks are now overdue
    env = child_env(url, smtp_server_port(smtp_server))
    swept = sweep_and_report(env, sweep=True)["swept"]
    assert swept == ({"fanouts": 1, "deliveries": 0} if crash == "fanout"
                     else {"fanouts": 0, "deliveries": SUBSCRIBERS - 7})
    finished = run_worker(env)
    assert finished.returncode == 0, finished.stderr[-2000:]

    final = sweep_and_report(env, sweep=False)
    assert final["statuses"] == ["delivered"] * SUBSCRIBERS and final["fanout"] == ["done"]
    received = Counter(rcpt for rcpts in smtp_server.recipients for rcpt in rcpts)
    assert received == dict.fromkeys(addresses, 1)
    if connection.vendor == "postgresql":
        assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == SUBSCRIBERS


def smtp_server_port(inbox) -> int:
    from django.conf import settings

    return settings.EMAIL_PORT
