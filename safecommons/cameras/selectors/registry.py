"""Reading the camera registry: an owner's cameras, and the public coverage map that shows no camera."""

from __future__ import annotations

from dataclasses import dataclass

import h3
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet

from safecommons.cameras.models import Camera
from safecommons.core.permissions import PARTNER_ROLES, Actor, may, require
from safecommons.partners import selectors as partner_selectors
from safecommons.partners.models import Organisation, OrganisationKind, Site

COVERAGE_MIN_COUNT = 3


def camera_manage_q(*, actor: Actor, prefix: str = "") -> Q:
    """The reach of the camera.manage rule as a filter (``prefix``: the path to the camera, e.g. "camera__"):
    the actor's own cameras, their organisations', and those their security company manages for a client
    it has an agreement in force with."""
    organisations = actor.organisation_ids(PARTNER_ROLES)
    q = Q(**{f"{prefix}owner_organisation_id__in": organisations})
    clients = partner_selectors.partners_in_force_with(organisations)
    if clients:
        q |= Q(**{f"{prefix}managed_by_id__in": organisations, f"{prefix}owner_organisation_id__in": clients})
    if actor.user_id is not None and actor.api_key_id is None:
        q |= Q(**{f"{prefix}owner_user_id": actor.user_id})
    return q


def cameras_managed(*, actor: Actor) -> QuerySet[Camera]:
    """The cameras the actor may edit: their own, and those of the organisations they work for or manage for."""
    return (Camera.objects.filter(camera_manage_q(actor=actor))
            .exclude(status=Camera.Status.WITHDRAWN).select_related("owner_organisation", "site"))


def camera_for_manage(*, actor: Actor, camera_id: int) -> Camera:
    """One camera the actor may edit (DoesNotExist if there is none, PermissionDenied if not theirs)."""
    camera = Camera.objects.select_related("owner_organisation", "managed_by", "site").get(pk=camera_id)
    require(actor, "camera.manage", camera)
    return camera


@dataclass(frozen=True)
class RegisterFor:
    """One answer to "whose camera is this?": oneself (no organisation), an organisation one works for, or
    a client organisation, whose cameras a security company then manages."""

    organisation: Organisation | None
    managed_by: Organisation | None = None

    @property
    def key(self) -> str:
        return "self" if self.organisation is None else str(self.organisation.pk)


# A security company's "clients" are the organisations it has an agreement in force with; an agency or an
# oversight body is a party to agreements too, but nobody registers cameras on their behalf.
_NOT_CLIENTS = (OrganisationKind.AGENCY, OrganisationKind.OVERSIGHT_BODY)


def registration_choices(*, actor: Actor) -> list[RegisterFor]:
    """Whom the actor may register cameras for. An API key registers for its own organisation only."""
    choices = [RegisterFor(None)] if actor.user_id is not None and actor.api_key_id is None else []
    own_ids = actor.organisation_ids(PARTNER_ROLES)
    own = list(Organisation.objects.filter(pk__in=own_ids).order_by("name"))
    choices += [RegisterFor(organisation) for organisation in own]
    if actor.api_key_id is not None:
        return choices
    for company in own:
        if company.kind != OrganisationKind.SECURITY_COMPANY:
            continue
        clients = (Organisation.objects.filter(pk__in=partner_selectors.partners_in_force_with({company.pk}))
                   .exclude(pk__in=own_ids).exclude(kind__in=_NOT_CLIENTS).order_by("name"))
        choices += [RegisterFor(client, company) for client in clients if may(actor, "camera.register", client)]
    return choices


def registration_choice(*, actor: Actor, organisation_id: int | None) -> RegisterFor:
    """The choice for an organisation id (None: oneself; for an API key, its own organisation)."""
    choices = registration_choices(actor=actor)
    if organisation_id is None and actor.api_key_id is not None:
        organisation_id = next(iter(actor.organisation_ids()), None)
    for choice in choices:
        if (choice.organisation.pk if choice.organisation is not None else None) == organisation_id:
            return choice
    raise PermissionDenied("camera.register")


def registration_sites(*, choices: list[RegisterFor]) -> QuerySet[Site]:
    """The sites of the organisations among the choices, for the site pick list."""
    ids = [choice.organisation.pk for choice in choices if choice.organisation is not None]
    return Site.objects.filter(organisation_id__in=ids).select_related("organisation").order_by("organisation", "name")


@dataclass(frozen=True)
class CoverageCell:
    cell: str
    count: int
    boundary: list[tuple[float, float]]  # (longitude, latitude) corners, for a map


def coverage_density(*, min_count: int = COVERAGE_MIN_COUNT) -> list[CoverageCell]:
    """Active cameras counted per hexagonal cell. A cell is shown only with at least `min_count` cameras of
    at least `min_count` different owners, so that no single camera, and no single house or business with a
    few cameras, can be picked out from the map."""
    rows = (Camera.objects.filter(status=Camera.Status.ACTIVE).values("coverage_cell")
            .annotate(count=Count("id"), owners=Count("owner_user", distinct=True)
                      + Count("owner_organisation", distinct=True))
            .filter(count__gte=min_count, owners__gte=min_count).order_by("coverage_cell"))
    return [CoverageCell(row["coverage_cell"], row["count"],
                         [(lon, lat) for lat, lon in h3.cell_to_boundary(row["coverage_cell"])])
            for row in rows]
