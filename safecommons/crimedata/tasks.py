"""Background work of crime data: ids in, one service call each."""

from django_tasks import task


@task()
def crime_import_run(run_id: int) -> str:
    """Import the uploaded export of one queued run; returns the run's final status."""
    from safecommons.crimedata.services.imports import crime_import_process

    return crime_import_process(run_id=run_id).status


@task()
def crime_import_watch(run_id: int, attempt: int) -> str:
    """A later look at a queued run: taken over if its worker is gone; returns the run's status."""
    from safecommons.crimedata.services.imports import crime_import_watch as watch

    return watch(run_id=run_id, attempt=attempt).status


@task()
def crime_imports_abandoned() -> list[int]:
    """On the schedule: fail the runs whose worker and watches are all gone; returns their ids."""
    from safecommons.crimedata.services.imports import crime_imports_abandoned_fail

    return crime_imports_abandoned_fail()
