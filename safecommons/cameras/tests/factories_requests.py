"""Footage requests made straight in the database, so the owner's side is tested apart from the canvass."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safecommons.cameras.models import Camera, FootageRequest, Offense
from safecommons.cameras.services import camera_register
from safecommons.core.permissions import actor_for_user

FRONT_DOOR = {"name": "Front door", "latitude": 44.9801, "longitude": -93.2702, "bearing_deg": 90, "fov_deg": 100,
              "range_m": 30, "retention_days": 14}


def camera_of(user, organisation=None, **fields) -> Camera:
    """A camera registered by `user`, for themselves or for `organisation`."""
    return camera_register(actor=actor_for_user(user), organisation=organisation, **{**FRONT_DOOR, **fields})


def footage_request_to(camera: Camera, *, agency, officer, case_number: str = "24-001234",
                       **fields) -> FootageRequest:
    """A pending request from `officer` of `agency` for an hour of `camera`'s footage, due in a week."""
    now = timezone.now()
    values = {"case_number": case_number, "offense": Offense.BURGLARY,
              "reason": "A break-in next door; the suspect may have walked past.",
              "window_start": now - timedelta(hours=5), "window_end": now - timedelta(hours=4),
              "expires_at": now + timedelta(days=7), **fields}
    return FootageRequest.objects.create(camera=camera, agency=agency, officer=officer, **values)
