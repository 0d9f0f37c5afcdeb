"""Background work of subscriptions: the confirmation and new-link emails, and the purge of subscriptions
never confirmed. Each task takes ids and calls a service."""

from django_tasks import task


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
