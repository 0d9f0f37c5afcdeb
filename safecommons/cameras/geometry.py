"""The geometry of camera coverage: which cameras may have seen a point, and how well.

The model
---------
Positions are WGS84 longitude/latitude in degrees; the Earth is taken as a sphere of mean radius
``EARTH_RADIUS_M`` = 6,371,008.8 m (the IUGG mean radius R1).

* Distance is the great-circle distance, computed with the haversine formula, which stays accurate for
  the short distances that matter here (a few metres to a few kilometres), unlike the spherical law of
  cosines, whose ``acos`` near 1 loses about half the digits.
* Bearing is the initial great-circle bearing from A to B, ``atan2(east, north)`` of the direction of B in
  A's local east/north frame, in degrees clockwise from true north, 0 <= bearing < 360.

A camera at a position, mounted at ``bearing_deg``, with a horizontal field of view ``fov_deg`` and a
``range_m``, covers the spherical sector: every point within ``range_m`` of it (great-circle) whose initial
bearing from the camera lies within ``fov_deg / 2`` of ``bearing_deg`` (wrapping at 0/360). A field of
view of 360 degrees or more sees all around. A point less than ``AT_CAMERA_M`` from the camera counts as
seen by any camera in range: its direction is meaningless there, and the camera is right beside it.

Why a sphere is exact enough
----------------------------
Against the WGS84 ellipsoid, the spherical distance is off by at most about 0.5 %: the ellipsoid's radii of
curvature run from 6,335 km (north-south at the equator, the worst case at 0.56 %) to 6,400 km (at the
poles, 0.45 %), and stay within 0.3 % at mid-latitudes. Bearings are off by at most 0.2 degree. On a 500 m
camera range that is under 3 m, well inside the uncertainty of a camera's registered position (phone GPS,
a pin dropped on a map: 5-20 m), its stated range and its mounting bearing. An ellipsoidal solution would
cost an iterative algorithm per camera for no change in which cameras a canvass finds.

A canvass of an area
--------------------
An incident is often known only to within a small area, so a canvass may ask about a disc of
``point_radius_m`` around the point. A camera then counts when part of the disc can be in its sector:
the near edge of the disc is within range (``distance - point_radius_m <= range_m``) and the direction to
the centre is within ``fov/2`` plus the angular half-width the disc subtends from the camera. That
half-width is ``asin(min(1, sin(r/R) / sin(d/R)))`` on the sphere (Napier's rule for the right
spherical triangle camera-centre-tangent point), which is ``asin(min(1, r/d))`` in the plane to within
one part in ten million at city scale. A camera standing inside the disc always counts. The rule is
conservative: it never misses a camera whose sector touches the disc, and may include one whose sector
only passes just beside it, which for a canvass (asking one owner too many) is the right way to err.

Everything here is plain Python and numpy, so that it can be used in selectors, tasks and benchmarks
alike; ``camera_sees`` is the reference for one camera and ``cameras_seeing`` applies the same rules to
arrays of candidates that an index has already narrowed down (see ``bounding_box``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from safecommons.core.sphere import EARTH_RADIUS_M, bounding_box, distance_m  # noqa: F401  (part of this API)

# Closer than this, the direction from the camera to the point is meaningless: any camera sees it.
AT_CAMERA_M = 1.0

# How the ranking weighs distance against angle; see ``coverage_score``.
DISTANCE_WEIGHT = 0.7
ANGLE_WEIGHT = 0.3

@dataclass(frozen=True)
class Sighting:
    """How a camera sees a point: how far away it is, and how far off the camera's axis."""

    distance_m: float
    off_axis_deg: float  # between the camera's bearing and the direction to the point; 0 = straight ahead


def initial_bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The initial great-circle bearing from point 1 to point 2, degrees clockwise from north, 0 <= b < 360.

    The northward component is written as ``sin(dphi) + 2 sin(phi1) cos(phi2) sin^2(dlambda/2)`` rather
    than the textbook ``cos(phi1) sin(phi2) - sin(phi1) cos(phi2) cos(dlambda)``: the two are equal, but
    the textbook form subtracts two numbers near 1 and loses digits for points a few metres apart.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlambda = math.radians(lon2 - lon1)
    east = math.sin(dlambda) * math.cos(phi2)
    north = math.sin(phi2 - phi1) + 2 * math.sin(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return _normalise_bearing(math.degrees(math.atan2(east, north)))


def angle_between_deg(a: float, b: float) -> float:
    """The smallest absolute difference between two bearings in degrees, 0..180 (359 and 1 are 2 apart)."""
    difference = abs(a - b) % 360.0
    return min(difference, 360.0 - difference)


def camera_sees(
    *,
    camera_lon: float,
    camera_lat: float,
    bearing_deg: float,
    fov_deg: float,
    range_m: float,
    point_lon: float,
    point_lat: float,
    point_radius_m: float = 0.0,
) -> Sighting | None:
    """How the camera sees the point (or any part of the disc of ``point_radius_m`` around it), or None.

    None when the point is beyond ``range_m`` (plus ``point_radius_m``) or outside the field of view
    (widened by the disc's angular half-width). ``off_axis_deg`` is measured to the point itself, and is 0
    for a point within ``AT_CAMERA_M`` of the camera.
    """
    _check_camera(fov_deg, range_m, point_radius_m)
    distance = distance_m(camera_lon, camera_lat, point_lon, point_lat)
    if distance - point_radius_m > range_m:
        return None
    if distance < AT_CAMERA_M:
        return Sighting(distance_m=distance, off_axis_deg=0.0)
    off_axis = angle_between_deg(bearing_deg, initial_bearing_deg(camera_lon, camera_lat, point_lon, point_lat))
    if fov_deg < 360.0 and distance > point_radius_m:
        allowed = fov_deg / 2 + _disc_half_width_deg(point_radius_m, distance)
        if off_axis > allowed:
            return None
    return Sighting(distance_m=distance, off_axis_deg=off_axis)


def cameras_seeing(
    *,
    lons: np.ndarray,
    lats: np.ndarray,
    bearings: np.ndarray,
    fovs: np.ndarray,
    ranges: np.ndarray,
    point_lon: float,
    point_lat: float,
    point_radius_m: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``camera_sees`` over arrays of candidate cameras (positions, bearings, fields of view, ranges).

    Returns ``(indices, distances_m, off_axis_deg)`` for the cameras that see the point, indices into the
    input arrays in input order; order them with ``rank``. The same formulas as the scalar functions,
    element by element.
    """
    lons, lats, bearings, fovs, ranges = (
        np.asarray(values, dtype=np.float64) for values in (lons, lats, bearings, fovs, ranges)
    )
    if not lons.shape == lats.shape == bearings.shape == fovs.shape == ranges.shape or lons.ndim != 1:
        raise ValueError("lons, lats, bearings, fovs and ranges must be one-dimensional and of equal length")
    if lons.size and (fovs.min() <= 0 or ranges.min() < 0):
        raise ValueError("every fov must be positive and every range non-negative")
    if point_radius_m < 0:
        raise ValueError(f"point_radius_m must not be negative, got {point_radius_m}")

    phi1, phi2 = np.radians(lats), math.radians(point_lat)
    dlambda = np.radians(point_lon - lons)
    # Haversine distance, as in distance_m.
    haversine = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * math.cos(phi2) * np.sin(dlambda / 2) ** 2
    haversine = np.clip(haversine, 0.0, 1.0)
    distances = 2 * EARTH_RADIUS_M * np.arctan2(np.sqrt(haversine), np.sqrt(1 - haversine))
    # Initial bearing, as in initial_bearing_deg.
    east = np.sin(dlambda) * math.cos(phi2)
    north = np.sin(phi2 - phi1) + 2 * np.sin(phi1) * math.cos(phi2) * np.sin(dlambda / 2) ** 2
    bearings_to_point = np.degrees(np.arctan2(east, north))
    # Off-axis angle, as in angle_between_deg (the bearing need not be normalised first: only its
    # difference modulo 360 matters).
    difference = np.abs(bearings - bearings_to_point) % 360.0
    off_axis = np.minimum(difference, 360.0 - difference)

    # At the camera the off-axis angle is taken as 0, which every field of view accepts.
    off_axis = np.where(distances < AT_CAMERA_M, 0.0, off_axis)
    in_range = distances - point_radius_m <= ranges
    if point_radius_m > 0:
        outside_disc = distances > point_radius_m
        ratio = np.ones_like(distances)
        np.divide(
            math.sin(point_radius_m / EARTH_RADIUS_M),
            np.sin(distances / EARTH_RADIUS_M),
            out=ratio,
            where=outside_disc,
        )
        half_widths = np.degrees(np.arcsin(np.minimum(1.0, ratio)))
    else:
        outside_disc = np.ones_like(distances, dtype=bool)
        half_widths = np.zeros_like(distances)
    in_angle = (fovs >= 360.0) | ~outside_disc | (off_axis <= fovs / 2 + half_widths)
    seen = in_range & in_angle
    indices = np.flatnonzero(seen)
    return indices, distances[indices], off_axis[indices]


def coverage_score(
    *, distances_m: np.ndarray, off_axis_deg: np.ndarray, ranges_m: np.ndarray, fovs_deg: np.ndarray
) -> np.ndarray:
    """How poor each camera's view of the point is, lower being better (0 = at the camera, dead ahead).

    ``DISTANCE_WEIGHT * distance / range + ANGLE_WEIGHT * off_axis / (fov / 2)``. Both terms are relative
    to the camera's own reach, so each is 0..1 for a point inside the sector (a little more when a canvass
    radius reaches beyond it): a long-range camera at 100 m makes a better witness than a doorbell camera
    at 25 m of its 30 m. Distance weighs more (0.7 to 0.3) because detail on target (pixels per metre)
    falls with distance, whereas a point towards the edge of the frame is still recorded, only with some
    lens distortion and a greater chance of being cut off. An all-around camera's angle counts against
    180 degrees.
    """
    distances_m, off_axis_deg, ranges_m, fovs_deg = (
        np.asarray(values, dtype=np.float64) for values in (distances_m, off_axis_deg, ranges_m, fovs_deg)
    )
    half_fovs = np.minimum(fovs_deg, 360.0) / 2
    relative_distances = distances_m / np.maximum(ranges_m, AT_CAMERA_M)
    return DISTANCE_WEIGHT * relative_distances + ANGLE_WEIGHT * off_axis_deg / half_fovs


def rank(
    *, distances_m: np.ndarray, off_axis_deg: np.ndarray, ranges_m: np.ndarray, fovs_deg: np.ndarray
) -> np.ndarray:
    """The order (positions into the arrays) that puts the best views first, by ``coverage_score``; equal
    scores keep their input order, so that a canvass lists the same cameras the same way every time."""
    scores = coverage_score(distances_m=distances_m, off_axis_deg=off_axis_deg, ranges_m=ranges_m, fovs_deg=fovs_deg)
    return np.argsort(scores, kind="stable")


def _normalise_bearing(bearing: float) -> float:
    bearing %= 360.0
    # A tiny negative angle modulo 360 rounds up to exactly 360.0, which is north again.
    return 0.0 if bearing >= 360.0 else bearing


def _disc_half_width_deg(disc_radius_m: float, distance: float) -> float:
    """The angle the disc subtends either side of its centre, seen from a camera outside it."""
    if disc_radius_m <= 0:
        return 0.0
    ratio = math.sin(disc_radius_m / EARTH_RADIUS_M) / math.sin(distance / EARTH_RADIUS_M)
    return math.degrees(math.asin(min(1.0, ratio)))


def _check_camera(fov_deg: float, range_m: float, point_radius_m: float) -> None:
    if not fov_deg > 0:
        raise ValueError(f"fov_deg must be positive, got {fov_deg}")
    if not range_m >= 0:
        raise ValueError(f"range_m must not be negative, got {range_m}")
    if not point_radius_m >= 0:
        raise ValueError(f"point_radius_m must not be negative, got {point_radius_m}")
