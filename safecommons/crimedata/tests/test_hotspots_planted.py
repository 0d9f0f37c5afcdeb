"""Hotspots a new user can trust: the demo's three planted clusters (uniform background, three clusters of its
sizes) are all found at the default resolution, a cell with no records of its own is never a hot spot, and each
spot is named by its neighborhood and block-free coordinates."""

from __future__ import annotations

import h3
import numpy as np
import pytest

from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.crimedata import stats
from safecommons.crimedata.selectors import hotspots as hotspot_selectors
from safecommons.crimedata.selectors.hotspots import neighbour_index
from safecommons.crimedata.tests.test_hotspots import YEAR, records_at
from safecommons.crimedata.tests.test_hotspots import city as city  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

# The demo's 4,000 records: 45 % of the offenses with a hotspot happen there, about 340 (market), 290 (foundry)
# and 180 (northgate) records; the other 3,190 spread over the city.
CLUSTERS = {(44.95, -93.31): 340, (45.01, -93.28): 290, (44.96, -93.25): 180}
BACKGROUND = 3190


def test_the_three_planted_clusters_of_the_demos_sizes_are_found_at_the_default_resolution(agency, people, city):
    _area, cells = city
    planted, extra = [], {}
    for (lat, lon), size in CLUSTERS.items():
        centre = h3.latlng_to_cell(lat, lon, hotspot_selectors.DEFAULT_RESOLUTION)
        beside = sorted(h3.grid_ring(centre, 1))[0]
        assert centre in cells and beside in cells
        extra[centre], extra[beside] = size * 6 // 10, size - size * 6 // 10  # a cluster over two cells
        planted.append((centre, beside))
    records_at(agency, cells, extra, n=BACKGROUND, seed=11)
    result = hotspot_selectors.hotspots(actor=actor_for_user(people[Role.ANALYST]), agency=agency, filters=YEAR)
    hot = {cell.cell for cell in result.hot}
    for centre, _beside in planted:
        assert centre in hot
    busiest = max(result.cells, key=lambda cell: cell.count)
    assert busiest.kind == "hot"
    assert all(cell.count > result.records / result.study_cells for cell in result.hot)
    assert not result.cold


def test_a_cell_without_records_is_never_a_hot_spot():
    """A tight cluster on a fine grid makes its empty neighbours' Gi* significant: they are not hot spots."""
    centre = h3.latlng_to_cell(44.93, -93.33, 9)
    cells = sorted(h3.grid_disk(centre, 12))
    rng = np.random.default_rng(4)
    x = rng.poisson(0.3, len(cells)).astype(float)
    x[cells.index(centre)] = 80
    for ring_cell in h3.grid_ring(centre, 1):
        x[cells.index(ring_cell)] = 0
    test = stats.hotspot_test(x, neighbour_index(cells))
    assert test.hot[cells.index(centre)]
    assert not (test.hot & (x <= x.mean())).any()
    assert test.near_hot[[cells.index(c) for c in h3.grid_ring(centre, 1)]].any()  # Gi* alone would call them hot


def test_each_spot_is_named_by_its_neighborhood_and_rounded_coordinates(agency, people, city, client_for):
    area, cells = city
    centre = h3.latlng_to_cell(44.95, -93.30, 8)
    records_at(agency, cells, {centre: 150}, n=len(cells) * 3)
    result = hotspot_selectors.hotspots(actor=actor_for_user(people[Role.ANALYST]), agency=agency, filters=YEAR)
    spot = next(cell for cell in result.hot if cell.cell == centre)
    lat, lon = h3.cell_to_latlng(centre)
    assert spot.neighborhood == area.name and spot.centre == (round(lat, 3), round(lon, 3))
    assert spot.place == f"{area.name} ({round(lat, 3):.3f}, {round(lon, 3):.3f})"
    page = client_for(people[Role.ANALYST]).get("/crime/analytics/hotspots/", {"start": "2026-01-01",
                                                                               "end": "2026-12-31"})
    assert spot.place in page.content.decode()
    data = client_for(people[Role.ANALYST]).get("/api/crime/analytics/hotspots",
                                                {"start": "2026-01-01", "end": "2026-12-31"}).json()
    named = next(cell for cell in data["cells"] if cell["cell"] == centre)
    assert named["neighborhood"] == area.name and named["centre"] == [round(lat, 3), round(lon, 3)]
