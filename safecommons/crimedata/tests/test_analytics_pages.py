"""The analytics pages, downloads and API: who may use each (the access table), what they show, and that
another agency's staff are refused."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.roles import Role
from safecommons.core.tests.test_access_matrix import ACCESS, EVERYONE, assert_access, call, client_of
from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db
__all__ = ["client_of"]  # the fixture, used by name

STAFF_ENDPOINTS = [e for e in ACCESS if e.split(" ", 1)[1].startswith(("/api/crime/analytics/", "/crime/analytics/"))]
PUBLIC_ENDPOINTS = [e for e in ACCESS if e.split(" ", 1)[1].startswith(("/api/crime/trends", "/crime/trends/"))]
AS_OF = date(2026, 5, 31)
RANGE = {"start": "2026-01-01", "end": "2026-05-31", "as_of": "2026-05-31"}
PATH_VALUES = {"table": "heat", "chart": "heat"}


@pytest.fixture
def world(agency):
    """A neighborhood named with markup, and records of two groups in it over five months."""
    area = AreaFactory(agency=agency, name="<b>Old</b> Town", lon=-93.28, lat=44.97, size=0.02)
    for i in range(60):
        when = datetime(2026, 1, 1, 8, tzinfo=TZ) + timedelta(days=i * 2.5, hours=i % 13)
        CrimeRecordFactory(agency=agency, nibrs_code="220" if i % 3 else "13B", occurred_at=when, neighborhood=area,
                           latitude=44.975 + (i % 5) * 0.002, longitude=-93.275 + (i % 4) * 0.002,
                           premise_type="Residence" if i % 2 else "Street")
    hourly_counts_refresh(agency_id=agency.pk)
    return area


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", STAFF_ENDPOINTS + PUBLIC_ENDPOINTS)
def test_the_access_table_holds_for_the_analytics_and_trends(client_of, who, endpoint, world):
    response = call(client_of(who), endpoint, data=RANGE, area_id=world.pk, **PATH_VALUES)
    assert_access(response, endpoint, who)


@pytest.mark.parametrize("endpoint", STAFF_ENDPOINTS)
def test_staff_of_another_agency_are_refused_this_agencys_analytics(client_for, endpoint, agency, world):
    other = OrganisationFactory(kind="agency", name="Elsewhere PD")
    outsider = MembershipFactory(organisation=other, role=Role.AGENCY_ADMIN).user
    response = call(client_for(outsider), endpoint, data={**RANGE, "agency": agency.pk}, area_id=world.pk,
                    **PATH_VALUES)
    assert response.status_code in (403, 404)
    if "/areas/" not in endpoint:  # without naming an agency they read their own (the area is not theirs)
        own = call(client_for(outsider), endpoint, data=RANGE, **PATH_VALUES)
        assert own.status_code == 200


def test_the_overview_shows_the_heat_map_and_its_table_with_text_escaped(client_for, people, world):
    page = client_for(people[Role.ANALYST]).get("/crime/analytics/", RANGE).content.decode()
    assert "<svg" in page and "Records by weekday and hour" in page
    assert "<b>Old</b>" not in page and "&lt;b&gt;Old&lt;/b&gt; Town" in page
    assert "Burglary" in page and "Residence" in page


def test_the_heat_csv_adds_up_to_the_records(client_for, people, world):
    response = client_for(people[Role.OFFICER]).get("/crime/analytics/export/heat.csv", RANGE)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sum(int(row["count"]) for row in rows) == 60
    assert {row["offense"] for row in rows} == {"burglary", "assault"}


@pytest.mark.parametrize("chart", ["heat", "offense-hour", "areas", "premises"])
def test_each_chart_downloads_as_svg(client_for, people, world, chart):
    response = client_for(people[Role.SUPERVISOR]).get(f"/crime/analytics/charts/{chart}.svg", RANGE)
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    body = response.content.decode()
    assert body.startswith("<svg") and "<b>" not in body


@pytest.mark.parametrize("table", ["heat", "areas", "premises", "compstat", "hotspots"])
def test_each_table_downloads_as_csv(client_for, people, world, table):
    response = client_for(people[Role.ANALYST]).get(f"/crime/analytics/export/{table}.csv", RANGE)
    assert response.status_code == 200 and len(response.content.decode().splitlines()) > 1


def test_an_unknown_table_or_chart_is_not_found(client_for, people, world):
    client = client_for(people[Role.ANALYST])
    assert client.get("/crime/analytics/export/people.csv").status_code == 404
    assert client.get("/crime/analytics/charts/people.svg").status_code == 404


def test_the_compstat_page_and_api_agree(client_for, people, world):
    client = client_for(people[Role.ANALYST])
    page = client.get("/crime/analytics/compstat/", RANGE).content.decode()
    assert "Year to date" in page and "All offenses" in page
    data = client.get("/api/crime/analytics/compstat", RANGE).json()
    ytd = {p["name"]: p for p in data["periods"]}["ytd"]
    assert ytd["rows"][0]["offense_group"] == "" and ytd["rows"][0]["count"] == 60
    # The year to date is compared with last year only: no period before, on the page or in the API.
    assert ytd["prior_start"] is None and all(row["prior"]["count"] is None for row in ytd["rows"])
    assert page.count("Period before (") == 2
    csv_rows = client.get("/crime/analytics/export/compstat.csv", RANGE).content.decode().splitlines()
    assert all(line.split(",")[5] == "" for line in csv_rows if line.startswith("ytd,"))


def test_the_hotspot_page_carries_its_map_data_and_loads_nothing_from_elsewhere(client_for, people, world):
    page = client_for(people[Role.ANALYST]).get("/crime/analytics/hotspots/", RANGE).content.decode()
    assert 'id="hotspot-data"' in page and "hotspots.js" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page


def test_the_api_heat_matches_the_records(client_for, people, world):
    data = client_for(people[Role.LIAISON]).get("/api/crime/analytics/heat", {**RANGE, "by": "code"}).json()
    assert data["total"] == 60 and {cell["offense"] for cell in data["cells"]} == {"220", "13B"}


def test_bad_filters_are_refused_with_a_reason(client_for, people, world):
    client = client_for(people[Role.ANALYST])
    assert client.get("/crime/analytics/", {"start": "2026-05-01", "end": "2026-01-01"}).status_code == 400
    response = client.get("/api/crime/analytics/heat", {"group": "nonsense"})
    assert response.status_code == 400 and "offense group" in response.json()["detail"]
