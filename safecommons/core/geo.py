"""Geometry helpers shared by every area that stores places (GeoJSON in, shapely inside)."""

from __future__ import annotations

import shapely
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

POLYGON_TYPES = {"Polygon", "MultiPolygon"}


class GeometryError(ValueError):
    """A geometry that cannot be stored, with a reason a person can act on."""


def polygon_from_geojson(geometry: object) -> shapely.Geometry:
    """Parse and check a GeoJSON (Multi)Polygon in WGS84 lon/lat; raise GeometryError saying what is wrong."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise GeometryError("feature has no geometry")
    if geometry["type"] not in POLYGON_TYPES:
        raise GeometryError(f"geometry is a {geometry['type']}, expected Polygon or MultiPolygon")
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        raise GeometryError(f"coordinates are malformed ({exc})") from None
    if geom.is_empty:
        raise GeometryError("geometry is empty")
    min_x, min_y, max_x, max_y = geom.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        raise GeometryError(
            "coordinates are outside longitude -180..180 / latitude -90..90 "
            "(a projected file? convert it to WGS84 first)"
        )
    if not geom.is_valid:
        raise GeometryError(f"invalid polygon: {explain_validity(geom)}")
    return geom


def geojson_of(geom: shapely.Geometry) -> dict:
    """A plain-JSON GeoJSON geometry (lists, not tuples) for storage."""
    data = mapping(geom)

    def listify(value):
        if isinstance(value, tuple | list):
            return [listify(v) for v in value]
        return value

    return {"type": data["type"], "coordinates": listify(data["coordinates"])}
