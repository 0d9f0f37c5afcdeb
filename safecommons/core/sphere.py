"""The Earth as a sphere, for distances and search boxes at city scale (cameras, related tips).

WGS84 longitude/latitude in degrees on a sphere of the IUGG mean radius. Against the ellipsoid the
distance is off by at most about 0.5 % (cameras/geometry.py says why that is exact enough here).
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8

# bounding_box widens its angular radius by this much so that floating-point rounding can never leave a
# point that lies exactly on the circle outside the box (1e-9 of a city-scale radius is far below 1 mm).
_BOX_RELATIVE_PAD = 1e-9
_BOX_ABSOLUTE_PAD_DEG = 1e-12


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The great-circle distance in metres between two points (haversine on the mean-radius sphere)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    haversine = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    haversine = min(1.0, max(0.0, haversine))
    return 2 * EARTH_RADIUS_M * math.atan2(math.sqrt(haversine), math.sqrt(1 - haversine))


def bounding_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """A (min_lon, min_lat, max_lon, max_lat) box that surely contains every point within ``radius_m``.

    Meant for an index prefilter (``latitude BETWEEN ... AND longitude BETWEEN ...``), so it always has
    min_lon <= max_lon within -180..180: when the circle reaches a pole, or crosses the antimeridian, the
    box spans every longitude rather than wrapping. Otherwise it is the tightest box on the sphere: the
    latitude extent is the angular radius, and the longitude extent ``asin(sin(radius) / cos(lat))`` is
    where the circle touches its meridians, which is wider than ``radius / cos(lat)`` and never divides by a
    cosine near zero (a circle close enough to a pole for that to matter contains the pole).
    """
    if radius_m < 0:
        raise ValueError(f"radius_m must not be negative, got {radius_m}")
    angular_radius = radius_m / EARTH_RADIUS_M * (1 + _BOX_RELATIVE_PAD) + math.radians(_BOX_ABSOLUTE_PAD_DEG)
    if angular_radius >= math.pi:
        return (-180.0, -90.0, 180.0, 90.0)
    lat = min(90.0, max(-90.0, lat))
    angular_radius_deg = math.degrees(angular_radius)
    min_lat, max_lat = lat - angular_radius_deg, lat + angular_radius_deg
    if min_lat <= -90.0 or max_lat >= 90.0:
        return (-180.0, max(-90.0, min_lat), 180.0, min(90.0, max_lat))
    # |lat| + radius < 90 here, so sin(radius) < cos(lat) and the ratio is below 1.
    half_width_deg = math.degrees(math.asin(math.sin(angular_radius) / math.cos(math.radians(lat))))
    lon = (lon + 180.0) % 360.0 - 180.0
    min_lon, max_lon = lon - half_width_deg, lon + half_width_deg
    if min_lon < -180.0 or max_lon > 180.0:
        return (-180.0, min_lat, 180.0, max_lat)
    return (min_lon, min_lat, max_lon, max_lat)
