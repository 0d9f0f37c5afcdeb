"""The data migration that moves public points generalised under the old rule onto the grid."""

from importlib import import_module

import pytest
from django.apps import apps

from safecommons.crimedata import generalise
from safecommons.crimedata.models import CrimeRecord
from safecommons.crimedata.tests.factories import CrimeRecordFactory

pytestmark = pytest.mark.django_db

migration = import_module("safecommons.crimedata.migrations.0005_public_points_on_the_grid")


def test_old_block_mean_points_move_to_the_centre_of_their_grid_cell(agency):
    with_point = CrimeRecordFactory(agency=agency, latitude=44.9611, longitude=-93.2601)
    address_only = CrimeRecordFactory(agency=agency, latitude=None, longitude=None)
    middle_house = (44.95021, -93.24981)  # where the old rule put them: a block's mean, a house
    CrimeRecord.objects.filter(pk=with_point.pk).update(public_latitude=middle_house[0],
                                                        public_longitude=middle_house[1])
    cell = generalise.grid_cell(*middle_house)
    CrimeRecord.objects.filter(pk=address_only.pk).update(public_latitude=middle_house[0],
                                                          public_longitude=middle_house[1], public_h3_cell=cell)

    migration.points_to_grid(apps, None)

    with_point.refresh_from_db()
    address_only.refresh_from_db()
    exact_cell = generalise.grid_cell(44.9611, -93.2601)
    assert (with_point.public_latitude, with_point.public_longitude) == generalise.grid_centre(exact_cell)
    assert with_point.public_h3_cell == exact_cell
    assert (address_only.public_latitude, address_only.public_longitude) == generalise.grid_centre(cell)
