"""Hotspots from records: a planted cluster is found, uniform records flag nothing, the study area is the
agency's areas (or the hull of the data), and other agencies are refused."""

from __future__ import annotations

import random
from datetime import date, datetime

import h3
import pytest
from django.core.exceptions import PermissionDenied

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.crimedata.models import CrimeRecord
from safecommons.crimedata.selectors import hotspots as hotspot_selectors
from safecommons.crimedata.selectors.analytics import Filters
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

YEAR = Filters(start=date(2026, 1, 1), end=date(2026, 12, 31))
HOT_CENTRE = (44.975, -93.27)


def records_at(agency, cells: list[str], per_cell: dict[str, int] | None = None, *, seed: int = 3, n: int = 0):
    """`n` records in cells picked at random, plus `per_cell` extra records; each at its cell's centre."""
    rng = random.Random(seed)
    chosen = [rng.choice(cells) for _ in range(n)]
    for cell, extra in (per_cell or {}).items():
        chosen += [cell] * extra
    built = []
    for index, cell in enumerate(chosen):
        lat, lon = h3.cell_to_latlng(cell)
        built.append(CrimeRecordFactory.build(agency=agency, latitude=lat, longitude=lon,
                                              occurred_at=datetime(2026, 1 + index % 12, 10, 12, tzinfo=TZ)))
    CrimeRecord.objects.bulk_create(built)


@pytest.fixture
def city(agency):
    """A neighborhood of about 9 by 11 km; its resolution-8 cells."""
    area = AreaFactory(agency=agency, name="Central", lon=-93.33, lat=44.93, size=0.1)
    cells, how = hotspot_selectors.study_area_cells(agency_id=agency.pk, resolution=8)
    assert how == hotspot_selectors.STUDY_AREAS and len(cells) > 80
    return area, sorted(cells)


def test_a_planted_cluster_is_a_hot_spot(agency, people, city):
    _area, cells = city
    centre = h3.latlng_to_cell(*HOT_CENTRE, 8)
    records_at(agency, cells, {cell: 12 for cell in h3.grid_disk(centre, 1)}, n=len(cells) * 4)
    result = hotspot_selectors.hotspots(actor=actor_for_user(people[Role.ANALYST]), agency=agency, filters=YEAR)
    assert centre in {cell.cell for cell in result.hot}
    assert not result.cold
    assert result.records == len(cells) * 4 + 7 * 12 and result.study_cells == len(cells)
    assert result.cells[0].kind == "hot" and result.cells[0].z >= result.cells[-1].z


@pytest.mark.parametrize("per_cell", [1, 6])
def test_uniform_records_flag_nothing(agency, people, city, per_cell):
    _area, cells = city
    records_at(agency, cells, n=len(cells) * per_cell, seed=per_cell)
    result = hotspot_selectors.hotspots(actor=actor_for_user(people[Role.ANALYST]), agency=agency, filters=YEAR)
    assert not result.hot and not result.cold


def test_resolution_9_splits_the_grid_finer(agency, people, city):
    _area, cells = city
    records_at(agency, cells, n=200)
    result = hotspot_selectors.hotspots(actor=actor_for_user(people[Role.ANALYST]), agency=agency, filters=YEAR,
                                        resolution=9)
    assert result.resolution == 9 and result.study_cells > 6 * len(cells)
    assert all(h3.get_resolution(cell.cell) == 9 for cell in result.cells)
    with pytest.raises(ValueError):
        hotspot_selectors.hotspots_compute(agency_id=agency.pk, filters=YEAR, resolution=7)


def test_without_areas_the_study_area_is_the_hull_of_the_records(agency):
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(*HOT_CENTRE, 8), 4))
    records_at(agency, [cells[0], cells[-1], cells[10], cells[30]], n=40)
    result = hotspot_selectors.hotspots_compute(agency_id=agency.pk, filters=YEAR)
    assert result.study_area == hotspot_selectors.STUDY_HULL
    assert result.study_cells > 4  # the empty cells between the records count as zeros


def test_records_without_a_place_are_counted_apart(agency, city):
    CrimeRecordFactory(agency=agency, latitude=None, longitude=None, occurred_at=datetime(2026, 3, 1, tzinfo=TZ))
    result = hotspot_selectors.hotspots_compute(agency_id=agency.pk, filters=YEAR)
    assert result.unplaced == 1 and result.records == 0


def test_staff_of_another_agency_are_refused(agency, city):
    other = OrganisationFactory(kind="agency", name="Elsewhere PD")
    outsider = actor_for_user(MembershipFactory(organisation=other, role=Role.ANALYST).user)
    with pytest.raises(PermissionDenied):
        hotspot_selectors.hotspots(actor=outsider, agency=agency, filters=YEAR)
