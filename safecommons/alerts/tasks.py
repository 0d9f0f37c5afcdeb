"""Background work of alerts: ids in, one service call each (services/outbox.py)."""

from django_tasks import task


@task()
def alert_fanout(alert_id: int) -> int:
    """Write the deliveries of a published alert and queue their sending; returns how many were queued."""
    from safecommons.alerts.services.outbox import alert_fanout_run

    return alert_fanout_run(alert_id=alert_id)


@task()
def newsletter_fanout(newsletter_id: int) -> int:
    """Write the deliveries of an approved newsletter and queue their sending; returns how many were queued."""
    from safecommons.alerts.services.outbox import newsletter_fanout_run

    return newsletter_fanout_run(newsletter_id=newsletter_id)


@task()
def delivery_send_batch(delivery_ids: list[int]) -> dict[str, int]:
    """Send the due deliveries among these ids; returns counts by outcome."""
    from safecommons.alerts.services.outbox import delivery_send_batch_run

    return delivery_send_batch_run(delivery_ids=delivery_ids).as_dict()


@task()
def deliveries_sweep() -> dict[str, int]:
    """On the schedule: queue again the fan-outs and deliveries a dead worker left behind."""
    from safecommons.alerts.services.outbox import deliveries_sweep as sweep

    return sweep()
