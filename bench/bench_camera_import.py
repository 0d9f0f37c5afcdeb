"""Benchmark: importing 100,000 cameras from one CSV file through `cameras_import_csv`, on PostgreSQL (scored)
and on SQLite (for information).

Run from the repository root:  .venv/bin/python bench/bench_camera_import.py

Prints one JSON line on stdout: seconds for the PostgreSQL import (target <= 30 s), with the same import on
SQLite as the peer. Details go to stderr. Each database runs in a process of its own (the settings read
DATABASE_URL once), started by this script with `--database`.

The file: 100,000 rows of a security company's client, every column filled in, 0.5 % of them bad (an
unknown placement, a range beyond 1,000 m, a latitude that is not a number), so the row checks and error
report are part of the work. Fixed seed. The importing organisation's cameras are removed before and after.

Needs PostgreSQL: BENCH_DATABASE_URL, default postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench
(role and database created if missing, see pgsetup.py). Without it it stops with an error, or quietly (exit
0, no JSON line) with BENCH_SKIP_MISSING_SERVICES=1. The SQLite database is a temporary file.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
for _path in (REPO_ROOT, BENCH_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from pgsetup import database_prepare, log  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://safecommons_bench@127.0.0.1:5432/safecommons_bench"
SEED = 20261202
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS") or 100_000)
BAD_SHARE = 0.005
TARGET_S = 30.0
SLUG = "bench-import-client"


def csv_text() -> tuple[str, int]:
    """The file, and how many of its rows are bad."""
    rng = np.random.default_rng(SEED)
    lon = -93.27 + rng.uniform(-0.15, 0.15, ROWS)
    lat = 44.98 + rng.uniform(-0.11, 0.11, ROWS)
    bad = rng.random(ROWS) < BAD_SHARE
    out = io.StringIO()
    out.write("external_ref,name,latitude,longitude,bearing_deg,fov_deg,range_m,placement,retention_days,"
              "live_share_capable,share_exact_location,preferred_contact\n")
    placements = ("outdoor", "outdoor", "outdoor", "indoor")
    for n in range(ROWS):
        latitude, placement, range_m = f"{lat[n]:.6f}", placements[n % 4], f"{rng.uniform(10, 300):.1f}"
        if bad[n]:
            kind = n % 3
            placement = "sideways" if kind == 0 else placement
            range_m = "5000" if kind == 1 else range_m
            latitude = "north" if kind == 2 else latitude
        out.write(f"CAM-{n:06d},Camera {n} lot {n % 97},{latitude},{lon[n]:.6f},{rng.uniform(0, 360):.1f},"
                  f"{rng.choice([60, 90, 110, 130, 180, 360])},{range_m},{placement},{rng.choice([7, 14, 30, 60])},"
                  f"{'yes' if n % 5 == 0 else 'no'},{'yes' if n % 3 == 0 else 'no'},desk{n % 50}@client.example\n")
    return out.getvalue(), int(bad.sum())


def run_one() -> int:
    """In the child process: import the file into the database DATABASE_URL names; print seconds as JSON."""
    with contextlib.redirect_stdout(sys.stderr):
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    from safecommons.accounts.models import Membership, User
    from safecommons.cameras.models import Camera
    from safecommons.cameras.services import registry
    from safecommons.core.permissions import actor_for_user
    from safecommons.core.roles import Role
    from safecommons.partners.models import Organisation

    organisation, _ = Organisation.objects.get_or_create(slug=SLUG, defaults={"kind": "business",
                                                                             "name": "Bench Import Client"})
    admin, _ = User.objects.get_or_create(email="admin@import.bench", defaults={"username": "admin@import.bench"})
    Membership.objects.get_or_create(user=admin, organisation=organisation, role=Role.PARTNER_ADMIN)
    Camera.objects.filter(owner_organisation=organisation).delete()
    text, bad = csv_text()
    actor = actor_for_user(admin)
    started = time.perf_counter()
    report = registry.cameras_import_csv(actor=actor, organisation=organisation, text=text)
    seconds = time.perf_counter() - started
    stored = Camera.objects.filter(owner_organisation=organisation).count()
    # BENCH_IMPORT_UPDATE=1: a second pass over the same file updates every camera by its reference
    # (bulk_update), for information; slow on PostgreSQL (see docs/benchmarks.md), hence not by default.
    update_seconds, again = None, None
    if os.environ.get("BENCH_IMPORT_UPDATE") == "1":
        started = time.perf_counter()
        again = registry.cameras_import_csv(actor=actor, organisation=organisation, text=text)
        update_seconds = time.perf_counter() - started
    Camera.objects.filter(owner_organisation=organisation).delete()
    ok = report.created == ROWS - bad and len(report.rejected) == bad and stored == report.created
    ok = ok and (again is None or (again.updated == report.created and again.created == 0))
    print(json.dumps({"seconds": seconds, "update_seconds": update_seconds, "created": report.created,
                      "rejected": len(report.rejected), "bad": bad, "ok": ok}))
    return 0


def child(database_url: str, var_dir: str) -> dict | None:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "safecommons.settings",
           "EMBEDDED_WORKER": "false", "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "VAR_DIR": var_dir,
           "LOG_LEVEL": "WARNING", "TASKS_BACKEND": "database", "REDIS_URL": ""}
    done = subprocess.run([sys.executable, __file__, "--database", database_url], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        log(f"FAIL: the import on {database_url.split(':')[0]} stopped: {done.stderr[-3000:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database")
    if parser.parse_args().database:
        return run_one()

    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    skip = os.environ.get("BENCH_SKIP_MISSING_SERVICES", "").lower() in {"1", "true", "yes"}
    problem = database_prepare(url)
    if problem:
        log(f"camera_import: BENCH_DATABASE_URL: {problem}")
        if skip:
            log("camera_import: skipped (BENCH_SKIP_MISSING_SERVICES=1); no result")
            return 0
        log("camera_import: set BENCH_DATABASE_URL, or BENCH_SKIP_MISSING_SERVICES=1 to skip this benchmark")
        return 2
    var_dir = tempfile.mkdtemp(prefix="safecommons-import-bench-")
    results = {}
    for label, database_url in (("PostgreSQL", url), ("SQLite", f"sqlite:///{var_dir}/import.sqlite3")):
        result = child(database_url, var_dir)
        if result is None:
            return 1
        log(f"{label}: {ROWS:,} rows imported in {result['seconds']:.1f} s ({ROWS / result['seconds']:,.0f} rows/s): "
            f"{result['created']:,} created, {result['rejected']:,} rejected with their line numbers "
            f"({result['bad']:,} bad rows in the file)"
            + (f"; the same file again (every camera updated by reference) {result['update_seconds']:.1f} s"
               if result["update_seconds"] is not None else ""))
        if not result["ok"]:
            log(f"FAIL: {label}: the counts do not match the file")
            return 1
        results[label] = result
    value, peer_value = results["PostgreSQL"]["seconds"], results["SQLite"]["seconds"]
    log(f"result: PostgreSQL {value:.1f} s (target <= {TARGET_S:g} s): {'met' if value <= TARGET_S else 'NOT met'}")
    print(json.dumps({
        "name": "camera_import", "value": round(value, 2), "unit": "s (100,000 rows, PostgreSQL)",
        "peer": "the same import on SQLite (for information)", "peer_value": round(peer_value, 2),
        "ratio": round(value / peer_value, 2), "target": f"<= {TARGET_S:g} s",
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
