"""The shape of an alert's area, and the local metric plane that matching measures distances in.

An alert's area is the union of its drawn polygons (GeoJSON), its circles ({lat, lon, radius_m}) and the
named areas it picked. Everything here is WGS84 longitude/latitude, except inside `LocalPlane`: an
equirectangular plane in metres centred on the area, exact to about 0.2 % across a city (the scale error
grows with the north-south distance from the centre line, 0.1 % at 10 km at mid latitudes), which is far
below the 0.1 km² grid a subscription's place is kept on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from safecommons.core.geo import GeometryError, polygon_from_geojson
from safecommons.core.sphere import EARTH_RADIUS_M

METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0
CIRCLE_VERTICES = 64


@dataclass(frozen=True)
class LocalPlane:
    """An equirectangular projection in metres around (lon0, lat0)."""

    lon0: float
    lat0: float

    @property
    def metres_per_degree_lon(self) -> float:
        return METRES_PER_DEGREE * math.cos(math.radians(self.lat0))

    def project_xy(self, lons, lats) -> tuple[np.ndarray, np.ndarray]:
        lons, lats = np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64)
        return (lons - self.lon0) * self.metres_per_degree_lon, (lats - self.lat0) * METRES_PER_DEGREE

    def project(self, geometry: shapely.Geometry) -> shapely.Geometry:
        scale_x, scale_y = self.metres_per_degree_lon, METRES_PER_DEGREE
        return shapely.transform(geometry, lambda c: np.column_stack(
            [(c[:, 0] - self.lon0) * scale_x, (c[:, 1] - self.lat0) * scale_y]))

    def unproject(self, geometry: shapely.Geometry) -> shapely.Geometry:
        scale_x, scale_y = self.metres_per_degree_lon, METRES_PER_DEGREE
        return shapely.transform(geometry, lambda c: np.column_stack(
            [c[:, 0] / scale_x + self.lon0, c[:, 1] / scale_y + self.lat0]))


def plane_around(geometry: shapely.Geometry) -> LocalPlane:
    """The local plane centred on a geometry's bounding box."""
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    return LocalPlane(lon0=(min_lon + max_lon) / 2, lat0=(min_lat + max_lat) / 2)


def circle(*, lat: float, lon: float, radius_m: float) -> shapely.Geometry:
    """A circle on the ground as a lon/lat polygon (built in the plane centred on it)."""
    if not radius_m or radius_m <= 0:
        raise GeometryError("a circle needs a radius above 0 m")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise GeometryError("a circle's centre is outside longitude -180..180 / latitude -90..90")
    plane = LocalPlane(lon0=lon, lat0=lat)
    return plane.unproject(shapely.Point(0, 0).buffer(radius_m, quad_segs=CIRCLE_VERTICES // 4))


def _polygon(value: object) -> shapely.Geometry:
    """A GeoJSON Polygon/MultiPolygon dict, or bare coordinates: one ring, or a list of rings."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if isinstance(value, list):
        rings = value if value and isinstance(value[0][0], list | tuple) else [value]
        value = {"type": "Polygon", "coordinates": rings}
    return polygon_from_geojson(value)


def alert_area_shape(alert) -> shapely.Geometry:
    """The union of an alert's polygons, circles and named areas (lon/lat); empty when it has none.

    Raises GeometryError on a polygon or circle that cannot be read."""
    parts = [_polygon(p) for p in alert.area_polygons or []]
    for entry in alert.area_circles or []:
        try:
            parts.append(circle(lat=float(entry["lat"]), lon=float(entry["lon"]), radius_m=float(entry["radius_m"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise GeometryError(f"a circle needs lat, lon and radius_m ({exc})") from None
    if alert.pk:
        parts.extend(polygon_from_geojson(geometry) for geometry in alert.areas.values_list("geometry", flat=True))
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def area_shape(area) -> shapely.Geometry:
    """A named area (places.Area) as a shapely geometry."""
    return polygon_from_geojson(area.geometry)
