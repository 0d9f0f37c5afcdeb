"""Hot and cold spots of an agency's records on the H3 grid: Getis-Ord Gi* over every cell of the study area,
each cell's own count against the study area's background as well, Benjamini-Hochberg at q = 0.05 (see
`crimedata/stats.py`). A hot spot is a significant cell whose own count is above the study area's mean: a cell
with no (or few) records beside a hot spot is not one. Each cell is named by the neighborhood holding its centre
and its centre's coordinates to three decimals (about 100 m: no block, no address).

The study area is the cells covering the agency's own areas (its jurisdiction and neighborhoods), so that a
street with no records inside the city counts as a zero, while the lake and the next town do not (with them
every populated cell would look hot). Cells holding records outside those areas are added, so that no record
is dropped. An agency without any area gets the cells covering the convex hull of its records instead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import h3
import numpy as np
from django.db.models import Count
from shapely.geometry import MultiPoint, mapping

from safecommons.core.permissions import Actor, require
from safecommons.crimedata import stats
from safecommons.crimedata.selectors.analytics import Filters, records_matching
from safecommons.partners.models import Organisation
from safecommons.places.geoindex import area_index
from safecommons.places.models import Area, AreaKind

RESOLUTIONS = (8, 9)
DEFAULT_RESOLUTION = 8
STUDY_AREAS = "areas"
STUDY_HULL = "hull"


@dataclass(frozen=True)
class HotCell:
    cell: str
    count: int
    z: float
    p: float
    kind: str  # "hot", "cold" or ""
    neighborhood: str = ""  # the agency's neighborhood holding the cell's centre ("" outside every one)

    @property
    def centre(self) -> tuple[float, float]:
        """The cell's centre (latitude, longitude) to three decimals: where it is, not which block."""
        lat, lon = h3.cell_to_latlng(self.cell)
        return round(lat, 3), round(lon, 3)

    @property
    def place(self) -> str:
        """The neighborhood and the centre, e.g. "Old Town (44.975, -93.270)"."""
        lat, lon = self.centre
        where = f"({lat:.3f}, {lon:.3f})"
        return f"{self.neighborhood} {where}" if self.neighborhood else where

    @property
    def boundary(self) -> list[list[float]]:
        """The hexagon as one closed ring of [longitude, latitude]."""
        ring = [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(self.cell)]
        return [*ring, ring[0]]


@dataclass(frozen=True)
class Hotspots:
    resolution: int
    study_area: str  # STUDY_AREAS or STUDY_HULL
    study_cells: int
    records: int  # placed records counted
    unplaced: int  # records without a place
    q: float
    cells: list[HotCell]  # cells with records, and flagged cells, hottest first

    @property
    def hot(self) -> list[HotCell]:
        return [cell for cell in self.cells if cell.kind == "hot"]

    @property
    def cold(self) -> list[HotCell]:
        return [cell for cell in self.cells if cell.kind == "cold"]


def _cell_counts(agency_id: int, filters: Filters, resolution: int) -> tuple[dict[str, int], int]:
    records = records_matching(agency_id=agency_id, filters=filters)
    counts: dict[str, int] = defaultdict(int)
    unplaced = 0
    for cell, n in records.values_list("h3_cell").annotate(n=Count("id")).order_by():
        if cell is None:
            unplaced += n
            continue
        fine = h3.int_to_str(cell)
        counts[fine if resolution == h3.get_resolution(fine) else h3.cell_to_parent(fine, resolution)] += n
    return dict(counts), unplaced


def study_area_cells(*, agency_id: int, resolution: int, neighborhood_id: int | None = None,
                     data_cells: set[str] = frozenset()) -> tuple[set[str], str]:
    """The cells of the study area and how it was chosen (see the module's docstring)."""
    areas = Area.objects.filter(agency_id=agency_id, kind__in=[AreaKind.JURISDICTION, AreaKind.NEIGHBORHOOD])
    if neighborhood_id is not None:
        areas = areas.filter(pk=neighborhood_id)
    cells: set[str] = set()
    for geometry in areas.values_list("geometry", flat=True):
        try:
            cells |= set(h3.geo_to_cells(geometry, resolution))
        except (ValueError, TypeError, h3.H3BaseException):
            continue  # a broken polygon leaves its cells to the data
    if cells:
        return cells | set(data_cells), STUDY_AREAS
    if not data_cells:
        return set(), STUDY_HULL
    centres = [h3.cell_to_latlng(cell) for cell in data_cells]
    hull = MultiPoint([(lon, lat) for lat, lon in centres]).convex_hull
    if hull.geom_type == "Polygon":
        cells = set(h3.geo_to_cells(mapping(hull), resolution))
    return cells | set(data_cells), STUDY_HULL


def neighbour_index(cells: list[str]) -> np.ndarray:
    """(n, 7): each cell's own index and its ring-1 neighbours' inside `cells`, padded with -1."""
    position = {cell: i for i, cell in enumerate(cells)}
    out = np.full((len(cells), 7), -1, dtype=np.int64)
    for i, cell in enumerate(cells):
        inside = [position[other] for other in h3.grid_disk(cell, 1) if other in position]
        out[i, : len(inside)] = inside
    return out


def _neighborhood_names(agency_id: int, cells: list[str]) -> dict[str, str]:
    """Cell → the name of the agency's neighborhood holding its centre (cells outside every one left out)."""
    names = dict(Area.objects.filter(agency_id=agency_id, kind=AreaKind.NEIGHBORHOOD).values_list("pk", "name"))
    if not cells or not names:
        return {}
    centres = np.array([h3.cell_to_latlng(cell) for cell in cells])
    positions, area_ids = area_index().containing_many(centres[:, 1], centres[:, 0])
    out: dict[str, str] = {}
    for position, area_id in zip(positions.tolist(), area_ids.tolist(), strict=True):
        if area_id in names:
            out.setdefault(cells[position], names[area_id])
    return out


def hotspots_compute(*, agency_id: int, filters: Filters, resolution: int = DEFAULT_RESOLUTION,
                     q: float = stats.FDR_Q) -> Hotspots:
    """Hot and cold spots of one agency's records matching `filters`, unscoped."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {RESOLUTIONS}")
    counts, unplaced = _cell_counts(agency_id, filters, resolution)
    area, how = study_area_cells(agency_id=agency_id, resolution=resolution, neighborhood_id=filters.neighborhood_id,
                                 data_cells=set(counts))
    cells = sorted(area)
    x = np.fromiter((counts.get(cell, 0) for cell in cells), dtype=float, count=len(cells))
    test = stats.hotspot_test(x, neighbour_index(cells), q=q)
    kinds = np.where(test.hot, "hot", np.where(test.cold, "cold", ""))
    shown = np.nonzero((x > 0) | test.hot | test.cold)[0]
    names = _neighborhood_names(agency_id, [cells[i] for i in shown])
    out = [HotCell(cell=cells[i], count=int(x[i]), z=round(float(test.z[i]), 3), p=float(test.p[i]),
                   kind=str(kinds[i]), neighborhood=names.get(cells[i], "")) for i in shown]
    out.sort(key=lambda cell: (-cell.z, cell.cell))
    return Hotspots(resolution=resolution, study_area=how, study_cells=len(cells), records=int(x.sum()),
                    unplaced=unplaced, q=q, cells=out)


def hotspots(*, actor: Actor, agency: Organisation, filters: Filters, resolution: int = DEFAULT_RESOLUTION) -> Hotspots:
    """Hot and cold spots of the agency's records matching `filters`, at H3 resolution 8 or 9."""
    require(actor, "crime.analytics", agency)
    return hotspots_compute(agency_id=agency.pk, filters=filters, resolution=resolution)
