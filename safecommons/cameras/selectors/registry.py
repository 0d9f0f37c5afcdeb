"""Reading the camera registry: an owner's cameras, and the public coverage map that shows no camera."""

from __future__ import annotations

from dataclasses import dataclass

import h3
from django.db.models import Count, Q, QuerySet

from safecommons.cameras.models import Camera
from safecommons.core.permissions import PARTNER_ROLES, Actor

COVERAGE_MIN_COUNT = 3


def cameras_managed(*, actor: Actor) -> QuerySet[Camera]:
    """The cameras the actor may edit: their own, and those of the organisations they work for or manage for."""
    organisations = actor.organisation_ids(PARTNER_ROLES)
    mine = Q(owner_user_id=actor.user_id) if actor.user_id is not None else Q(pk__in=[])
    return (Camera.objects.filter(mine | Q(owner_organisation_id__in=organisations)
                                  | Q(managed_by_id__in=organisations))
            .exclude(status=Camera.Status.WITHDRAWN).select_related("owner_organisation", "site"))


@dataclass(frozen=True)
class CoverageCell:
    cell: str
    count: int
    boundary: list[tuple[float, float]]  # (longitude, latitude) corners, for a map


def coverage_density(*, min_count: int = COVERAGE_MIN_COUNT) -> list[CoverageCell]:
    """Active cameras counted per hexagonal cell; cells with fewer than `min_count` are left out, so that no
    single camera (or pair) can be located from the map."""
    rows = (Camera.objects.filter(status=Camera.Status.ACTIVE).values("coverage_cell")
            .annotate(count=Count("id")).filter(count__gte=min_count).order_by("coverage_cell"))
    return [CoverageCell(row["coverage_cell"], row["count"],
                         [(lon, lat) for lat, lon in h3.cell_to_boundary(row["coverage_cell"])])
            for row in rows]
