"""Settings for the server that bench_tip_submit.py starts: the product's, plus the peer's URL.

Not a benchmark itself (hence not named bench_*). Importable as `tip_bench_settings` with bench/ on
PYTHONPATH, which the benchmark arranges.

BENCH_TIP_DB_CONNECTIONS picks how the workers hold their database connections, for both endpoints alike:
- `product` (default): as settings.py says.
- `per-request`: CONN_MAX_AGE = 0, a new connection per request (Django's advice under ASGI without a pool).
- `pool`: Django's psycopg connection pool (OPTIONS["pool"], needs the psycopg-pool package), sized by
  BENCH_TIP_DB_POOL_SIZE (default 8 per worker process).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from safecommons.settings import *  # noqa: F403  (the product's settings, unchanged but for what follows)
from safecommons.settings import DATABASES

ROOT_URLCONF = "tip_peer"

DB_CONNECTIONS = os.environ.get("BENCH_TIP_DB_CONNECTIONS", "product")
if DB_CONNECTIONS == "per-request":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DB_CONNECTIONS == "pool":
    size = int(os.environ.get("BENCH_TIP_DB_POOL_SIZE", "8"))
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}),
                                       "pool": {"min_size": 2, "max_size": size, "timeout": 30}}
elif DB_CONNECTIONS != "product":
    raise ImproperlyConfigured(f"BENCH_TIP_DB_CONNECTIONS must be product, per-request or pool, not {DB_CONNECTIONS!r}")
