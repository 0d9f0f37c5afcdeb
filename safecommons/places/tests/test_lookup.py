import datetime

import pytest
from django.core.exceptions import PermissionDenied

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.places import selectors, services
from safecommons.places.models import AreaKind, OfficerAssignment
from safecommons.places.services import addresses_import
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(agency):
    """Two neighborhoods side by side inside one beat."""
    west = AreaFactory(agency=agency, name="West End", lon=-93.30, lat=44.90)
    east = AreaFactory(agency=agency, name="East End", lon=-93.29, lat=44.90)
    beat = AreaFactory(agency=agency, name="Beat 1", kind=AreaKind.BEAT, lon=-93.30, lat=44.90, size=0.02)
    return west, east, beat


def test_a_point_finds_its_neighborhood_first_then_the_beat(city):
    west, east, beat = city
    assert selectors.areas_at_point(longitude=-93.295, latitude=44.905) == [west, beat]
    assert selectors.areas_at_point(longitude=-93.285, latitude=44.905) == [east, beat]
    assert selectors.areas_at_point(longitude=-93.0, latitude=44.0) == []


def test_the_index_follows_changes_to_the_areas(city, agency):
    assert selectors.areas_at_point(longitude=-93.305, latitude=44.905) == []
    added = AreaFactory(agency=agency, name="Far West", lon=-93.31, lat=44.90)
    assert selectors.areas_at_point(longitude=-93.305, latitude=44.905) == [added]
    added.delete()
    assert selectors.areas_at_point(longitude=-93.305, latitude=44.905) == []


def test_an_address_leads_to_the_officer_of_its_neighborhood(city, people):
    west, _, _ = city
    addresses_import(rows=[(2, {"number": "120", "street": "Oak Street", "longitude": -93.295, "latitude": 44.905}),
                           (3, {"number": "140", "street": "Oak Street", "longitude": -93.285, "latitude": 44.905})])
    services.officer_assign(actor=actor_for_user(people[Role.SUPERVISOR]), area=west, officer=people[Role.OFFICER],
                            duty=OfficerAssignment.Duty.NEIGHBORHOOD_OFFICER, public_phone="555-0142",
                            starts_on=datetime.date(2025, 1, 1))
    result = selectors.area_lookup(address="120 oak st., Testville")
    assert result.located.label == "120 Oak Street"
    assert result.areas[0] == west
    assert [a.officer for a in result.assignments] == [people[Role.OFFICER]]
    # A number we don't have lands on the nearest one of the same street.
    assert selectors.area_lookup(address="138 Oak St").areas[0].name == "East End"


def test_an_unknown_street_gives_suggestions_not_a_guess(city):
    addresses_import(rows=[(2, {"number": "120", "street": "Oak Street", "longitude": -93.295, "latitude": 44.905})])
    result = selectors.area_lookup(address="120 Oakk Street")
    assert result.located is None and not result.found


def test_bad_gazetteer_rows_are_reported_with_their_line(db):
    count, problems = addresses_import(rows=[
        (2, {"number": "1", "street": "A St", "longitude": "x", "latitude": 1}),
        (3, {"number": "2", "street": "A St", "longitude": 500, "latitude": 1}),
        (4, {"number": "3", "street": "A St", "longitude": 1, "latitude": 1}),
    ])
    assert count == 1
    assert problems[0].startswith("line 2:") and problems[1].startswith("line 3:")


def test_ended_assignments_are_not_shown(city, people):
    west, _, _ = city
    supervisor = actor_for_user(people[Role.SUPERVISOR])
    assignment = services.officer_assign(actor=supervisor, area=west, officer=people[Role.OFFICER],
                                         duty=OfficerAssignment.Duty.NEIGHBORHOOD_OFFICER,
                                         starts_on=datetime.date(2025, 1, 1))
    services.officer_unassign(actor=supervisor, assignment=assignment, ends_on=datetime.date(2025, 6, 1))
    assert list(selectors.assignments_current(areas=[west])) == []


def test_only_agency_staff_can_be_assigned_and_only_by_admins_or_supervisors(city, people):
    west, _, _ = city
    with pytest.raises(Refused):
        services.officer_assign(actor=actor_for_user(people[Role.AGENCY_ADMIN]), area=west,
                                officer=people[Role.PARTNER_ADMIN], duty="beat_officer",
                                starts_on=datetime.date(2025, 1, 1))
    with pytest.raises(PermissionDenied):
        services.officer_assign(actor=actor_for_user(people[Role.OFFICER]), area=west, officer=people[Role.OFFICER],
                                duty="beat_officer", starts_on=datetime.date(2025, 1, 1))


def test_an_unknown_area_is_a_not_found_page(client):
    assert client.get("/places/areas/999999/").status_code == 404
