"""Cameras placed around an incident point, and canvasses of it."""

from __future__ import annotations

import math
from datetime import timedelta

import h3
from django.utils import timezone

from safecommons.cameras.models import Camera
from safecommons.cameras.services import canvass as canvass_services
from safecommons.core.permissions import actor_for_user
from safecommons.core.sphere import EARTH_RADIUS_M

# The incident: a street corner downtown.
POINT_LON, POINT_LAT = -93.2650, 44.9778


def position_from(lon: float, lat: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` along `bearing_deg` from (lon, lat), on the sphere: (lon, lat)."""
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    delta = distance_m / EARTH_RADIUS_M
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(math.sin(theta) * math.sin(delta) * math.cos(phi),
                            math.cos(delta) - math.sin(phi) * math.sin(phi2))
    return math.degrees(lam2), math.degrees(phi2)


def camera_near(*, owner_user=None, owner_organisation=None, from_bearing: float = 0.0, distance_m: float = 10.0,
                turned_deg: float = 0.0, fov_deg: float = 90.0, range_m: float = 50.0, retention_days: int = 30,
                status: str = Camera.Status.ACTIVE, share_exact_location: bool = False, name: str = "",
                **fields) -> Camera:
    """A camera `distance_m` from the incident in direction `from_bearing`, pointing at the incident, then
    turned by `turned_deg` (180: it looks away)."""
    lon, lat = position_from(POINT_LON, POINT_LAT, from_bearing, distance_m)
    bearing = (from_bearing + 180.0 + turned_deg) % 360.0
    return Camera.objects.create(
        owner_user=owner_user, owner_organisation=owner_organisation,
        name=name or f"Camera {from_bearing:g}/{distance_m:g}",
        longitude=lon, latitude=lat, bearing_deg=bearing, fov_deg=fov_deg, range_m=range_m,
        retention_days=retention_days, status=status, share_exact_location=share_exact_location,
        coverage_cell=h3.latlng_to_cell(lat, lon, 9), **fields)


def canvass_of_point(officer, agency, *, radius_m: float = 0.0, hours_ago: float = 2.0, window_hours: float = 1.0,
                     case_number: str = "2026-004711", **overrides):
    """A canvass of the incident point by the officer, for a window that ended `hours_ago`."""
    now = timezone.now()
    fields = {"case_number": case_number, "offense": "burglary", "reason": "Break-in at the corner store.",
              "longitude": POINT_LON, "latitude": POINT_LAT, "radius_m": radius_m,
              "window_start": now - timedelta(hours=hours_ago + window_hours),
              "window_end": now - timedelta(hours=hours_ago),
              **overrides}
    return canvass_services.canvass_open(actor=actor_for_user(officer), agency=agency, **fields)
