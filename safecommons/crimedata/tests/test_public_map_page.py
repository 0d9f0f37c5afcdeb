"""What the public map page says about itself: how large the grid cells and the zoomed-out hexagons are (from
the numbers the code uses), and the smallest counts actually in force for the groups shown only per area."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from safecommons.crimedata.models import PublicationRule
from safecommons.crimedata.selectors import public as selectors
from safecommons.crimedata.tests.test_public_api import PERIOD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agency):
    return build_world(agency)


def note(client, **params) -> str:
    page = client.get(reverse("crimedata:map"), {**PERIOD, **params})
    assert page.status_code == 200
    return re.sub(r"\s+", " ", page.content.decode())


def test_the_page_says_points_sit_at_a_grid_cell_centre_and_how_large_each_zoom_bands_hexagons_are(client, world):
    text = note(client)
    assert "moved to the centre of a grid cell: a hexagon with sides of about 201 m (402 m corner to corner)" in text
    assert "middle of its hundred-block" not in text and "170 metres" not in text
    bands = selectors.public_hex_bands()
    assert [(b.zoom_from, b.zoom_to, b.resolution) for b in bands] == [(8, 9, 6), (10, 11, 7), (12, 13, 8), (14, 14, 9)]
    for zoom, side in [("8–9", "3.7 km"), ("10–11", "1.4 km"), ("12–13", "531 m"), ("14", "201 m")]:
        assert f"zoom {zoom}: hexagons with sides of about {side}" in text
    assert f"Zoomed in (zoom {selectors.POINT_ZOOM} and closer)" in text
    assert f'data-point-zoom="{selectors.POINT_ZOOM}"' in text and f'data-min-zoom="{selectors.MAP_MIN_ZOOM}"' in text


def test_the_page_gives_one_threshold_when_every_area_group_has_the_same(client, world):
    text = note(client)
    assert "A count below 3 is shown as “fewer than 3”, never as the number." in text
    assert "crime-thresholds" not in text


def test_the_page_gives_each_groups_threshold_where_they_differ(client, world, agency):
    PublicationRule.objects.create(agency=agency, offense_group="domestic_violence", display="area", min_count=5)
    text = note(client)
    assert "Domestic violence: fewer than 5" in text and "Sex offense: fewer than 3" in text
    assert "A count below 3 is shown" not in text
    # The area tables' paragraph speaks only of the groups the filter shows: one group, one number.
    assert "A count below 5 is shown as “fewer than 5”" in note(client, group="domestic_violence")


def test_a_chosen_neighborhood_is_handed_to_the_map_to_frame(client, world):
    assert f'data-area="{world["west"].pk}"' in note(client, area=world["west"].pk)
    assert 'data-area=""' in note(client)
