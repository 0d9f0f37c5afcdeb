from django_tasks import task

from safecommons.tips import services


@task()
def tip_process(tip_id: int) -> None:
    """Route and relate a new tip. The payload is the tip's id and nothing else."""
    services.tip_process(tip_id=tip_id)


@task()
def tips_purge_expired() -> int:
    """The retention schedule's job: purge tips past their keep-by date."""
    return services.tips_purge_expired()


@task()
def tips_process_pending() -> int:
    """The schedule's safety net: tips whose processing was never enqueued get it now."""
    return services.tips_process_pending()
