"""The public map's filters: each one changes what is shown as it should, hour ranges wrap past midnight,
dates default to the 28 days up to the latest record and are bounded; nonsense is refused plainly."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse

from safecommons.crimedata.selectors import public as selectors
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.crimedata.tests.test_public_api import PERIOD, at, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agency):
    return build_world(agency)


def point_keys(client, **params) -> list[tuple[str, str, int]]:
    """(group, date, hour) of each point the API gives for the filters."""
    response = client.get("/api/crime/public/points", {**PERIOD, **params})
    assert response.status_code == 200, response.content
    return sorted((f["properties"]["offense_group"], f["properties"]["date"], f["properties"]["hour"])
                  for f in response.json()["features"])


def area_texts(client, **params) -> dict[tuple[str, str], str]:
    areas = client.get("/api/crime/public/areas", {**PERIOD, **params}).json()["areas"]
    return {(a["name"], c["offense_group"]): c["text"] for a in areas for c in a["counts"]}


def test_without_filters_every_point_group_of_the_period_is_shown(client, world):
    assert [key[0] for key in point_keys(client)].count("larceny") == 6
    assert len(point_keys(client)) == 9


def test_the_group_filter_keeps_the_groups_asked_for(client, world):
    assert {k[0] for k in point_keys(client, group="burglary")} == {"burglary"}
    assert {k[0] for k in point_keys(client, group="burglary,assault")} == {"burglary", "assault"}
    assert len(point_keys(client, group=["burglary", "assault"])) == 3
    # A sensitive group asked for gives area counts, and only its own.
    assert {g for _area, g in area_texts(client, group="sex_offense")} == {"sex_offense"}
    assert area_texts(client, group="larceny") == {}


def test_the_date_filter_keeps_the_days_in_range_both_included(client, world):
    assert point_keys(client, start="2026-05-05", end="2026-05-07") == [
        ("larceny", "2026-05-05", 14), ("larceny", "2026-05-06", 23), ("larceny", "2026-05-07", 1)]


def test_an_hour_range_keeps_those_hours(client, world):
    assert point_keys(client, hour_from=14, hour_to=18) == [
        ("larceny", "2026-05-05", 14), ("larceny", "2026-05-12", 14), ("larceny", "2026-05-20", 18)]


def test_an_hour_range_wraps_past_midnight(client, world):
    night = point_keys(client, hour_from=22, hour_to=2)
    assert night == [("burglary", "2026-05-09", 2), ("burglary", "2026-05-10", 22),
                     ("larceny", "2026-05-06", 23), ("larceny", "2026-05-07", 1)]
    # Hours do not apply to the groups shown only as monthly area counts: same cells at any hours.
    everything = area_texts(client)
    assert everything[("West End", "sex_offense")] == "4"
    for hours in ({"hour_from": 22, "hour_to": 3}, {"hour_from": 22, "hour_to": 2}, {"hour_from": 12, "hour_to": 12}):
        assert area_texts(client, **hours) == everything


def test_a_record_without_an_hour_is_left_out_only_when_hours_are_asked_for(client, world, agency):
    CrimeRecordFactory(agency=agency, nibrs_code="290", occurred_at=at(14, 0), occurred_hour=None,
                       latitude=44.9051237, longitude=-93.2851237)
    assert ("vandalism", "2026-05-14", None) in point_keys(client)
    assert not [k for k in point_keys(client, hour_from=0, hour_to=23) if k[0] == "vandalism"]


def test_the_weekday_filter_keeps_those_days(client, world):
    assert point_keys(client, weekday="6") == [("assault", "2026-05-03", 20), ("burglary", "2026-05-10", 22)]
    assert point_keys(client, weekday=["sun"]) == point_keys(client, weekday="6")
    assert point_keys(client, weekday="sat,sun") == [
        ("assault", "2026-05-03", 20), ("burglary", "2026-05-09", 2), ("burglary", "2026-05-10", 22)]


def test_the_area_filter_keeps_one_neighborhood(client, world):
    river = world["river"]
    assert point_keys(client, area=river.pk) == [("assault", "2026-05-03", 20), ("burglary", "2026-05-09", 2)]
    assert {name for name, _g in area_texts(client, area=river.pk)} == {"Riverside"}


def test_filters_combine(client, world):
    assert point_keys(client, group="larceny", hour_from=22, hour_to=3, weekday="thu") == [
        ("larceny", "2026-05-07", 1)]  # 2026-05-07 is a Thursday


def test_the_page_and_the_api_apply_the_same_filters(client, world):
    page = client.get(reverse("crimedata:map"), {**PERIOD, "hour_from": 22, "hour_to": 2}).content.decode()
    assert "Offenses 1 to 4 of 4" in page
    assert 'value="22" selected' in page


def test_the_dates_default_to_the_28_days_up_to_the_latest_record(agency, world):
    with time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=TZ)):
        the_filter = selectors.public_filter_parse(agency=agency, params={})
    # The unclassified record of 2026-05-13 is not public; the last public one is the larceny of 2026-05-20.
    assert (the_filter.start, the_filter.end) == (date(2026, 4, 23), date(2026, 5, 20))
    with time_machine.travel(datetime(2026, 5, 10, 12, tzinfo=TZ)):
        the_filter = selectors.public_filter_parse(agency=agency, params={})
    assert (the_filter.start, the_filter.end) == (date(2026, 4, 13), date(2026, 5, 10))


@pytest.mark.parametrize(("params", "message"), [
    ({"start": "2026-05-10", "end": "2026-05-01"}, "The start date is after the end date."),
    ({"start": "2025-01-01", "end": "2026-05-01"}, "Choose at most 366 days at a time."),
    ({"start": "yesterday"}, "Give start as a date, YYYY-MM-DD."),
    ({"hour_from": "25"}, "Give hour_from as an hour from 0 to 23."),
    ({"weekday": "funday"}, "Give days of the week as 0 (Monday) to 6 (Sunday), or mon … sun."),
    ({"group": "jaywalking"}, "There is no offense group jaywalking."),
    ({"area": "999999"}, "Choose a neighborhood from the list."),
    ({"agency": "nowhere"}, "There is no agency nowhere."),
])
def test_nonsense_is_refused_with_a_plain_message(client, world, params, message):
    response = client.get("/api/crime/public/points", params)
    assert response.status_code in (400, 422)
    if response.status_code == 400:
        assert response.json()["detail"] == message
    page = client.get(reverse("crimedata:map"), params)
    assert page.status_code in (400, 404) and message in page.content.decode()


def test_another_agency_is_chosen_by_its_slug(client, world, agency):
    from safecommons.partners.models import OrganisationKind
    from safecommons.partners.tests.factories import OrganisationFactory

    other = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Elsewhere Police")
    CrimeRecordFactory(agency=other, nibrs_code="240", occurred_at=at(6, 6), latitude=45.0012347,
                       longitude=-93.1012347)
    assert point_keys(client, agency=other.slug) == [("motor_vehicle_theft", "2026-05-06", 6)]
    assert len(point_keys(client)) == 9  # the first agency with records, by default
