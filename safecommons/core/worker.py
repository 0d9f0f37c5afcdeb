"""The embedded background worker: django-tasks' database worker loop on a thread of the web process.

Only for the single-machine default. Production runs `manage.py db_worker` (or `rqworker`) processes.
"""

from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger(__name__)
_thread: threading.Thread | None = None


def embedded_worker_start(*, interval: float = 0.5) -> threading.Thread:
    """Start the worker thread once per process."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return _thread
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"embedded-{os.getpid()}",
        excluded_queue_names=[],
    )

    def run() -> None:
        try:
            worker.run()
        except Exception:
            logger.exception("embedded worker stopped")

    _thread = threading.Thread(target=run, name="safecommons-embedded-worker", daemon=True)
    _thread.start()
    _scheduler_start()
    logger.info("embedded background worker and scheduler started")
    return _thread


def _scheduler_start() -> None:
    from safecommons.core.schedule import scheduler_loop

    threading.Thread(target=scheduler_loop, kwargs={"stop": threading.Event()},
                     name="safecommons-embedded-scheduler", daemon=True).start()


def embedded_worker_alive() -> bool | None:
    """True/False for the embedded thread; None when this process runs no embedded worker."""
    return None if _thread is None else _thread.is_alive()
