"""Every public crime page and API: dates out of range or windows over 366 days are refused with a plain
400, never a server error; the map and the trends pick the same agency, the same groups, by one rule."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safecommons.crimedata.models import PublicationRule
from safecommons.crimedata.selectors import public as public_selectors
from safecommons.crimedata.selectors import trends as trend_selectors
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def area(agency):
    area = AreaFactory(agency=agency, name="West End", lon=-93.30, lat=44.90)
    for day in range(1, 6):
        CrimeRecordFactory(agency=agency, nibrs_code="23C", neighborhood=area,
                           occurred_at=datetime(2026, 5, day, 12, tzinfo=TZ))
    return area


def public_urls(area) -> list[str]:
    return ["/crime/map/", "/api/crime/public/points", "/api/crime/public/hexes", "/api/crime/public/areas",
            "/api/crime/public/download.csv", "/api/crime/public/download.geojson", "/crime/trends/",
            "/api/crime/trends", f"/crime/trends/areas/{area.pk}/report.pdf"]


@pytest.mark.parametrize(("params", "message"), [
    ({"start": "0001-01-01", "end": "0001-01-03"}, "Give start between 1900-01-01 and"),
    ({"end": "0001-01-03"}, "Give end between 1900-01-01 and"),
    ({"end": "9999-12-31"}, "Give end between 1900-01-01 and"),
    ({"start": "2025-01-01", "end": "2026-05-01"}, "Choose at most 366 days at a time."),
    ({"start": "2026-05-10", "end": "2026-05-01"}, "The start date is after the end date."),
])
def test_every_public_page_and_api_refuses_dates_out_of_range_plainly(client, area, params, message):
    for url in public_urls(area):
        response = client.get(url, params)
        assert response.status_code == 400, (url, response.status_code)
        assert message in response.content.decode(), url


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_the_trends_refuse_an_as_of_out_of_range(client, area, as_of):
    for url in ("/crime/trends/", "/api/crime/trends", f"/crime/trends/areas/{area.pk}/report.pdf"):
        response = client.get(url, {"as_of": as_of})
        assert response.status_code == 400 and "Give as_of between 1900-01-01 and" in response.content.decode()


def test_the_trends_page_shows_the_defaults_with_the_message_and_the_api_refuses(client, area):
    page = client.get("/crime/trends/", {"start": "2020-01-01", "end": "2026-05-31"})
    assert page.status_code == 400 and "Choose at most 366 days at a time." in page.content.decode()
    assert client.get("/api/crime/trends", {"group": "jaywalking"}).json() == {
        "detail": "There is no offense group jaywalking."}


def test_map_and_trends_show_the_agency_with_records_of_the_lowest_id_found_with_exists(client, agency, area):
    OrganisationFactory(kind=OrganisationKind.AGENCY, name="AAA first by name")  # no records
    later = OrganisationFactory(kind=OrganisationKind.AGENCY, name="AAB with records")
    CrimeRecordFactory(agency=later, nibrs_code="23C", occurred_at=datetime(2026, 5, 3, 12, tzinfo=TZ))
    with CaptureQueriesContext(connection) as queries:
        chosen = public_selectors.public_agency()
    assert chosen == agency
    assert "EXISTS" in queries.captured_queries[0]["sql"].upper()
    assert client.get("/api/crime/trends").json()["agency"] == agency.slug


def test_the_trends_use_the_maps_groups_and_never_the_unclassified(agency, area):
    PublicationRule.objects.create(agency=agency, offense_group="unclassified", display="point")
    groups = [value for value, _label, _display in public_selectors.public_groups(agency_id=agency.pk)]
    assert "unclassified" not in groups
    CrimeRecordFactory(agency=agency, nibrs_code="", neighborhood=area, occurred_at=datetime(2026, 5, 3, tzinfo=TZ))
    query = trend_selectors.trends_query_parse(agency=agency, params={"start": "2026-05-01", "end": "2026-05-31"})
    trends = trend_selectors.trends_public(agency=agency, start=query.filters.start, end=query.filters.end,
                                           as_of=query.as_of)
    assert "unclassified" not in trends.groups and trends.groups == [g for g in groups if g in trends.groups]


def test_the_trends_report_link_keeps_every_filter(client, agency, area):
    params = {"start": "2026-05-01", "end": "2026-05-31", "as_of": "2026-05-20", "group": "larceny"}
    html = client.get("/crime/trends/", params).content.decode()
    assert (f"/crime/trends/areas/{area.pk}/report.pdf?agency={agency.slug}&amp;start=2026-05-01&amp;"
            "end=2026-05-31&amp;as_of=2026-05-20&amp;group=larceny") in html
