"""PostgreSQL set-up shared by the benchmarks that need a database (not a benchmark itself, hence not bench_*).

Each benchmark works in a database of its own, owned by a role that is not a superuser and may hold a limited
number of connections, so that a benchmark gone wrong (a server leaking connections, say) fails on its own
instead of filling the server's max_connections for everyone else on the machine.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

ROLE_CONNECTION_LIMIT = 60


def env_number(name: str, default: float) -> float:
    """A number from the environment, `default` when unset; a benchmark stops on anything else."""
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be a number, not {raw!r}") from None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_prepare(url: str) -> str | None:
    """Create the role and database of `url` if missing. Returns what is wrong, or None when ready.

    The database name must contain "bench": the benchmarks empty or fill its tables. Roles and databases
    are created through BENCH_PG_ADMIN_USER (default postgres) on the same server.
    """
    import psycopg

    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        return f"not a PostgreSQL URL: {parsed.scheme!r}"
    name, role = parsed.path.lstrip("/"), parsed.username or "postgres"
    if "bench" not in name:
        return f"the database name must contain 'bench' (its tables are emptied or filled), not {name!r}"
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5432
    admin = os.environ.get("BENCH_PG_ADMIN_USER", "postgres")
    try:
        with psycopg.connect(host=host, port=port, user=admin, password=parsed.password if admin == role else None,
                             dbname="postgres", autocommit=True, connect_timeout=5) as conn:
            found = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role]).fetchone()
            if found is None:
                conn.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT {ROLE_CONNECTION_LIMIT}')
                log(f"database: created role {role} (at most {ROLE_CONNECTION_LIMIT} connections)")
            elif found[0]:
                log(f"database: role {role} is a superuser, so no connection limit protects the server")
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
                log(f"database: created {name}")
            version = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError as exc:
        return f"cannot reach PostgreSQL at {host}:{port} as {admin}: {str(exc).strip()}"
    log(f"database: PostgreSQL {version}, database {name}, role {role}")
    return None


def database_or_exit_code(name: str, url: str) -> int | None:
    """Prepare the benchmark's database; None when ready, else the exit code after saying why (0, quietly
    without a result, under BENCH_SKIP_MISSING_SERVICES=1; 2 otherwise)."""
    problem = database_prepare(url)
    if problem is None:
        return None
    log(f"{name}: BENCH_DATABASE_URL: {problem}")
    if os.environ.get("BENCH_SKIP_MISSING_SERVICES", "").lower() in {"1", "true", "yes"}:
        log(f"{name}: skipped (BENCH_SKIP_MISSING_SERVICES=1); no result")
        return 0
    log(f"{name}: set BENCH_DATABASE_URL, or BENCH_SKIP_MISSING_SERVICES=1 to skip this benchmark")
    return 2


def django_env(url: str, var_dir: str) -> dict[str, str]:
    """The environment of a benchmark's Django child process: production-like, on `url`, no embedded worker."""
    import secrets

    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "safecommons.settings",
            "EMBEDDED_WORKER": "false", "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "VAR_DIR": var_dir,
            "LOG_LEVEL": "WARNING", "TASKS_BACKEND": "database", "REDIS_URL": ""}


def django_child_result(script: str, url: str, *, prefix: str, timeout: float) -> dict | None:
    """Run `script --child` in a Django process of its own on `url` (`django_env`); the JSON object its last
    line of output holds, or None (said why) when it stopped with an error."""
    import json
    import subprocess
    import tempfile

    env = django_env(url, tempfile.mkdtemp(prefix=prefix))
    done = subprocess.run([sys.executable, script, "--child"], cwd=os.path.dirname(os.path.dirname(script)),
                          env=env, stdout=subprocess.PIPE, text=True, check=False, timeout=timeout)
    if done.returncode != 0:
        log(f"FAIL: the benchmark stopped (exit {done.returncode})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])
