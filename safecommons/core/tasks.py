"""Enqueueing background work so that it runs if, and only if, the caller's transaction commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task_backends


def enqueue_with_transaction(task: Any, *args: Any) -> None:
    """The database queue takes the task inside the transaction: one commit for the data and its task, and
    no window where one exists without the other. Any other queue (RQ) is told after the commit, so a
    worker never looks for a row that is not there yet; if that fails the data stays, and the failure is
    logged (a scheduled catch-up job finds what was left)."""
    backend = task_backends[task.backend]
    if backend.__class__.__module__.startswith("django_tasks_db") and transaction.get_connection().in_atomic_block:
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args), robust=True)
