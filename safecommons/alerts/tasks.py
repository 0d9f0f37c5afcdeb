"""Background work of alerts, subscriptions and newsletters: ids in, one service call each."""

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


# --- Subscriptions: confirmation and new-link mail, the purge of requests never confirmed


@task()
def subscription_confirmation_email(channel_id: int) -> bool:
    """Mail the double opt-in link to a new email address."""
    from safecommons.alerts.services import subscriptions

    return subscriptions.subscription_confirmation_email_send(channel_id=channel_id)


@task()
def subscription_manage_link_email(channel_id: int) -> bool:
    """Mail a fresh manage link after the old links were revoked."""
    from safecommons.alerts.services import subscriptions

    return subscriptions.subscription_manage_link_email_send(channel_id=channel_id)


@task()
def subscriptions_purge_pending() -> int:
    """Delete subscriptions nobody confirmed within 7 days."""
    from safecommons.alerts.services import subscriptions

    return subscriptions.subscriptions_purge_pending()


# --- Newsletters: the scheduled drafts


@task()
def newsletters_prepare_due() -> list[int]:
    """On the schedule: the drafts of the last week and month that have ended, for every neighborhood with a
    newsletter subscriber (issues that exist are left alone); returns the ids of the drafts written."""
    from safecommons.alerts.services.newsletters import newsletters_prepare_scheduled

    return newsletters_prepare_scheduled()
