"""Reading live access: the owner's grants and every opening of them; the grants an officer's agency may
open now. No reader here ever returns the stream address (only `live_stream_open` does)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from safecommons.cameras.models import Camera, LiveGrant, LiveOpening
from safecommons.cameras.selectors.registry import cameras_managed
from safecommons.core.permissions import CANVASS_ROLES, Actor, may, require
from safecommons.partners.models import AgreementGrant, Organisation, OrganisationKind, Scope
from safecommons.partners.selectors import recipients_granted


def live_agencies_for(*, camera: Camera) -> QuerySet[Organisation]:
    """The agencies an agreement in force lets the camera's owner grant live access to (for a pick list)."""
    if camera.owner_organisation_id is None:
        return Organisation.objects.none()
    return (recipients_granted(scope=Scope.LIVE_CAMERA_ACCESS, provider_id=camera.owner_organisation_id)
            .filter(kind=OrganisationKind.AGENCY).order_by("name"))


def live_agreement_in_force(*, grant: LiveGrant, on=None) -> bool:
    """Whether the agreement the grant was made under is still signed, in force and still lets live camera
    access flow from the camera's owner to the agency."""
    return AgreementGrant.objects.filter(
        agreement_id=grant.agreement_id, scope=Scope.LIVE_CAMERA_ACCESS,
        provider_id=grant.camera.owner_organisation_id, recipient_id=grant.agency_id,
    ).in_force(on).exists()


def _grants() -> QuerySet[LiveGrant]:
    return (LiveGrant.objects.select_related("camera__owner_organisation", "agency", "granted_by", "revoked_by")
            .annotate(opening_count=Count("openings")))


def live_grants_of_camera(*, actor: Actor, camera: Camera) -> QuerySet[LiveGrant]:
    """Every grant on one camera, current and past, for whoever manages it."""
    require(actor, "camera.manage", camera)
    return _grants().filter(camera=camera)


def live_openings_of_camera(*, actor: Actor, camera: Camera) -> QuerySet[LiveOpening]:
    """Every opening of every grant on one camera, newest first, for whoever manages it."""
    require(actor, "camera.manage", camera)
    return LiveOpening.objects.filter(grant__camera=camera).select_related("officer", "grant__agency")


def live_grants_owned(*, actor: Actor) -> QuerySet[LiveGrant]:
    """Every grant on the cameras the actor manages."""
    return _grants().filter(camera__in=cameras_managed(actor=actor).values("pk"))


def live_grants_in_force(*, actor: Actor, now: datetime | None = None) -> QuerySet[LiveGrant]:
    """The grants the actor's agencies may open now: inside the window, not revoked, camera active. (The
    agreement is checked again at each opening.)"""
    require(actor, "live.list")
    now = now or timezone.now()
    return _grants().filter(agency_id__in=actor.organisation_ids(CANVASS_ROLES), revoked_at__isnull=True,
                            starts_at__lte=now, ends_at__gt=now, camera__status=Camera.Status.ACTIVE)


def live_grants_visible(*, actor: Actor) -> QuerySet[LiveGrant]:
    """For the API: an officer's in-force grants and an owner's grants, together."""
    scope = Q(pk__in=live_grants_owned(actor=actor).values("pk"))
    if may(actor, "live.list"):
        scope |= Q(pk__in=live_grants_in_force(actor=actor).values("pk"))
    return _grants().filter(scope)


def live_grant_for_owner(*, actor: Actor, grant_id: int) -> LiveGrant:
    """One grant, for whoever manages its camera (DoesNotExist / PermissionDenied otherwise)."""
    grant = _grants().get(pk=grant_id)
    require(actor, "live.revoke", grant)
    return grant


def live_grant_for_officer(*, actor: Actor, grant_id: int) -> LiveGrant:
    """One grant to the officer's agency, whatever its state (opening it decides whether it is in force)."""
    grant = _grants().get(pk=grant_id)
    require(actor, "live.open", grant)
    return grant


def live_openings(*, actor: Actor, grant: LiveGrant) -> QuerySet[LiveOpening]:
    """Every opening of a grant, newest first: when, which officer, why. For the owner."""
    require(actor, "live.revoke", grant)
    return grant.openings.select_related("officer")
