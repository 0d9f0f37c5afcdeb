"""Background work of newsletters: the scheduled preparation of drafts."""

from django_tasks import task


@task()
def newsletters_prepare_due() -> list[int]:
    """On the schedule: the drafts of the last week and month that have ended, for every neighborhood with a
    newsletter subscriber (issues that exist are left alone); returns the ids of the drafts written."""
    from safecommons.alerts.services.newsletters import newsletters_prepare_scheduled

    return newsletters_prepare_scheduled()
