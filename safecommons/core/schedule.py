"""Jobs that run on a clock. The schedule only decides *when*; the task queue runs them.

Any number of processes may call `schedule_run_due`: the row lock on each job's `ScheduledRun`
lets exactly one of them enqueue it per period. The embedded default runs the loop on a thread of the
web process; production runs `manage.py run_schedule` (or calls it with --once from cron).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from safecommons.core.models import ScheduledRun

logger = logging.getLogger(__name__)

# name: (task path, how often)
SCHEDULE: dict[str, tuple[str, timedelta]] = {
    "tips.purge_expired": ("safecommons.tips.tasks.tips_purge_expired", timedelta(hours=1)),
    "tips.process_pending": ("safecommons.tips.tasks.tips_process_pending", timedelta(minutes=10)),
    "cameras.expire_requests": ("safecommons.cameras.tasks.footage_requests_expire", timedelta(hours=1)),
    "cameras.evidence_rehash": ("safecommons.cameras.tasks.evidence_rehash", timedelta(days=1)),
    "cameras.evidence_uploads_abandon": ("safecommons.cameras.tasks.evidence_uploads_abandon", timedelta(hours=6)),
    "crimedata.imports_abandoned": ("safecommons.crimedata.tasks.crime_imports_abandoned", timedelta(minutes=15)),
    "alerts.subscriptions_purge_pending": ("safecommons.alerts.tasks.subscriptions_purge_pending",
                                           timedelta(hours=6)),
    # Prepares the week's drafts on Mondays and the month's on the 1st (catching up on a day missed).
    "alerts.newsletters_prepare": ("safecommons.alerts.tasks.newsletters_prepare_due", timedelta(hours=6)),
    "alerts.deliveries_sweep": ("safecommons.alerts.tasks.deliveries_sweep", timedelta(minutes=1)),
}
_NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def schedule_run_due(*, now: datetime | None = None) -> list[str]:
    """Enqueue every job whose period has passed; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for name, (task_path, every) in SCHEDULE.items():
        try:
            ScheduledRun.objects.get_or_create(name=name, defaults={"last_enqueued_at": _NEVER})
        except IntegrityError:  # another process created it first
            pass
        with transaction.atomic():
            run = ScheduledRun.objects.select_for_update().get(name=name)
            if now - run.last_enqueued_at < every:
                continue
            import_string(task_path).enqueue()
            run.last_enqueued_at = now
            run.save(update_fields=["last_enqueued_at"])
        enqueued.append(name)
        logger.info("scheduled job %s enqueued", name)
    return enqueued


def scheduler_loop(*, stop: threading.Event, interval: float = 60.0) -> None:
    while not stop.is_set():
        try:
            schedule_run_due()
        except Exception:
            logger.exception("scheduler pass failed; trying again in %s s", interval)
        stop.wait(interval)
