"""Point-in-area lookup through an R-tree (shapely STRtree) over prepared polygons.

Built once per process from the areas table and rebuilt when the table changes, so a lookup
costs a tree descent plus exact tests against the few polygons whose boxes hold the point,
instead of a test against every polygon.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely
from django.db.models import Count, Max
from shapely.geometry import shape

from safecommons.places.models import Area


@dataclass(frozen=True)
class AreaIndex:
    area_ids: np.ndarray
    geometries: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def build(cls, rows: list[tuple[int, dict]]) -> AreaIndex:
        area_ids = np.array([area_id for area_id, _ in rows], dtype=np.int64)
        geometries = np.array([shape(geometry) for _, geometry in rows], dtype=object)
        shapely.prepare(geometries)
        return cls(area_ids=area_ids, geometries=geometries, tree=shapely.STRtree(geometries))

    def containing(self, lon: float, lat: float) -> list[int]:
        """Ids of the areas that contain the point (a point on a shared border belongs to both)."""
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        return self.area_ids[hits].tolist()

    def containing_many(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For many points at once: (point positions, area ids), one pair per containment."""
        points = shapely.points(lons, lats)
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        return point_idx, self.area_ids[geom_idx]


_lock = threading.Lock()
_cached: tuple[tuple, AreaIndex] | None = None


def _table_version() -> tuple:
    stats = Area.objects.aggregate(count=Count("id"), latest=Max("updated_at"), top=Max("id"))
    return stats["count"], stats["latest"], stats["top"]


def area_index() -> AreaIndex:
    """The index for the areas as they are now (one cheap aggregate query decides whether to rebuild)."""
    global _cached
    version = _table_version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        if _cached is not None and _cached[0] == version:
            return _cached[1]
        index = AreaIndex.build(list(Area.objects.values_list("id", "geometry")))
        _cached = (version, index)
        return index
