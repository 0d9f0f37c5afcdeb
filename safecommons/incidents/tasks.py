"""Background work of live incidents: ids in, one service call each."""

from django_tasks import task


@task()
def incident_outcome_email(incident_id: int) -> int:
    """Email a closed incident's outcome to the operator who opened it and the company's 24/7 contact."""
    from safecommons.incidents.services import police

    return police.incident_outcome_email_send(incident_id=incident_id)


@task()
def commendation_email(commendation_id: int, site_url: str = "") -> bool:
    """Tell a person they were commended, with a link to their commendation."""
    from safecommons.incidents.services import commendations

    return commendations.commendation_email_send(commendation_id=commendation_id, site_url=site_url)
