"""Reading import runs and their validation reports: only for those who may import for the run's agency."""

from __future__ import annotations

from django.db.models import QuerySet

from safecommons.core.permissions import CRIME_IMPORTERS, Actor, require
from safecommons.crimedata.models import ImportRejection, ImportRun
from safecommons.partners.models import Organisation, OrganisationKind


def import_agencies(*, actor: Actor) -> list[Organisation]:
    """The agencies the actor imports crime data for (analysts and agency admins of each)."""
    if actor.api_key_id is not None:
        return []
    ids = actor.organisation_ids(CRIME_IMPORTERS)
    return list(Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.AGENCY).order_by("name"))


def import_runs(*, actor: Actor) -> QuerySet[ImportRun]:
    """The runs of every agency the actor imports for, newest first."""
    agencies = import_agencies(actor=actor)
    return ImportRun.objects.filter(agency__in=agencies).select_related("agency", "created_by")


def import_run_get(*, actor: Actor, run_id: int) -> ImportRun:
    """One run; PermissionDenied unless the actor imports for its agency (ImportRun.DoesNotExist if none)."""
    run = ImportRun.objects.select_related("agency", "created_by").get(pk=run_id)
    require(actor, "crime.import", run.agency)
    return run


def import_rejections(*, actor: Actor, run: ImportRun) -> QuerySet[ImportRejection]:
    """The run's rejected rows in file order."""
    require(actor, "crime.import", run.agency)
    return ImportRejection.objects.filter(run=run).order_by("line", "id")
