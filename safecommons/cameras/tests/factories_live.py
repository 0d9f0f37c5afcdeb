"""Live access in tests: a business's live-capable camera, an agreement letting it share live video with the
agency, and grants made through the service (moved in time with a plain update where a test needs it)."""

from datetime import timedelta

from django.utils import timezone

from safecommons.cameras import services
from safecommons.cameras.models import LiveGrant
from safecommons.cameras.services import live as live_services
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.models import Scope
from safecommons.partners.tests.factories import agreement_between

STREAM_URL = "rtsps://viewer:s3cret-pass@cam.acme.example:322/lobby"
LOBBY = {"name": "Lobby", "latitude": 44.98, "longitude": -93.27, "bearing_deg": 90, "fov_deg": 90, "range_m": 30,
         "retention_days": 14, "live_share_capable": True}


def live_camera(people, partner, **fields):
    return services.camera_register(actor=actor_for_user(people[Role.PARTNER_ADMIN]), organisation=partner,
                                    **{**LOBBY, **fields})


def live_agreement(partner, agency):
    return agreement_between(partner, agency, Scope.LIVE_CAMERA_ACCESS, title="Live video MOU")


def grant(people, camera, agency, *, starts_in=timedelta(minutes=-5), lasts=timedelta(hours=4),
          stream_url=STREAM_URL) -> LiveGrant:
    starts_at = timezone.now() + starts_in
    return live_services.live_grant_create(actor=actor_for_user(people[Role.PARTNER_ADMIN]), camera=camera,
                                           agency=agency, stream_url=stream_url, starts_at=starts_at,
                                           ends_at=starts_at + lasts, purpose="Street fair security")


def move_window(live_grant: LiveGrant, *, starts_in: timedelta, lasts: timedelta) -> LiveGrant:
    starts_at = timezone.now() + starts_in
    LiveGrant.objects.filter(pk=live_grant.pk).update(starts_at=starts_at, ends_at=starts_at + lasts)
    live_grant.refresh_from_db()
    return live_grant
