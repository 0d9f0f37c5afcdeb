"""What /healthz reports: can we reach the database, and is background work being picked up?"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from safecommons.core.worker import embedded_worker_alive

# A task waiting longer than this with nobody taking it means no worker is running.
STALLED_AFTER = timedelta(minutes=2)


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"status": "down", "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor}


def worker_status() -> dict:
    backend = settings.TASKS_BACKEND
    report: dict = {"backend": backend, "embedded": embedded_worker_alive() is not None}
    try:
        if backend == "database":
            from django_tasks_db.models import DBTaskResult

            ready = DBTaskResult.objects.ready()
            oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
            report["queued"] = ready.count()
            report["oldest_queued_seconds"] = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0
            stalled = oldest is not None and timezone.now() - oldest > STALLED_AFTER
            report["status"] = "stalled" if stalled or embedded_worker_alive() is False else "ok"
        elif backend == "rq":
            import django_rq
            from rq import Worker

            queue = django_rq.get_queue("default")
            report["queued"] = queue.count
            report["workers"] = Worker.count(connection=queue.connection)
            report["status"] = "ok" if report["workers"] or not queue.count else "stalled"
        else:
            report["status"] = "ok"
    except Exception as exc:  # a health check reports trouble; it never raises it
        report.update(status="down", error=exc.__class__.__name__)
    return report


def health_status() -> tuple[bool, dict]:
    database = database_status()
    worker = worker_status() if database["status"] == "ok" else {"status": "unknown"}
    healthy = database["status"] == "ok" and worker["status"] == "ok"
    return healthy, {"status": "ok" if healthy else "degraded", "database": database, "worker": worker}
