from django_tasks import task

from safecommons.reports import services


@task()
def report_update_email(update_id: int) -> None:
    """Email the reporter about one step of their report (ids in, the service does the rest)."""
    services.report_update_email_send(update_id=update_id)
