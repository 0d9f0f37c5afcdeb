"""The public coverage map and transparency report: open to anyone, counts only, never a camera's place,
a case, an owner or an officer."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from safecommons.accounts.tests.factories import UserFactory
from safecommons.cameras import services
from safecommons.cameras.models import Camera, FootageRequest, LiveGrant, LiveOpening, Offense
from safecommons.cameras.selectors import transparency as transparency_selectors
from safecommons.cameras.tests.factories_live import grant, live_agreement, live_camera
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 15, 17, 0, tzinfo=UTC)  # noon in Chicago
CASE = "TPD-25-0042731"
SPOT = {"latitude": 44.977753, "longitude": -93.265011}


def make_cameras(people, count, *, latitude=SPOT["latitude"], longitude=SPOT["longitude"], **extra):
    """`count` cameras side by side, each of a different resident (the first is the shared fixture's)."""
    owners = [people[Role.RESIDENT], *(UserFactory() for _ in range(count - 1))]
    return [services.camera_register(actor=actor_for_user(owner), name=f"Cam {i}", latitude=latitude + i * 1e-6,
                                     longitude=longitude, bearing_deg=0, fov_deg=90, range_m=20, retention_days=7,
                                     **extra) for i, owner in enumerate(owners)]


def footage_request(camera, agency, officer, *, offense, status, made):
    request = FootageRequest.objects.create(
        camera=camera, agency=agency, officer=officer, case_number=CASE, offense=offense,
        reason="Suspect fled on foot past the corner", window_start=made - timedelta(hours=2),
        window_end=made - timedelta(hours=1), expires_at=made + timedelta(days=7), status=status)
    FootageRequest.objects.filter(pk=request.pk).update(created_at=made)
    return request


# --- Coverage


def test_anyone_sees_the_coverage_page_and_api(client, client_for, people):
    make_cameras(people, 3)
    for who in (client, client_for(people[Role.OFFICER])):
        page = who.get(reverse("cameras:coverage"))
        assert page.status_code == 200 and b"at least 3 cameras of at least 3 different owners" in page.content
        data = who.get("/api/cameras/coverage").json()
        assert data["type"] == "FeatureCollection" and [f["properties"]["count"] for f in data["features"]] == [3]


def test_coverage_hides_small_cells_and_never_gives_a_camera_position(client, people):
    dense = make_cameras(people, 4)
    make_cameras(people, 2, latitude=44.99, longitude=-93.20)  # a pair elsewhere: never shown
    make_cameras(people, 1, latitude=44.95, longitude=-93.30)
    response = client.get("/api/cameras/coverage")
    features = response.json()["features"]
    assert [f["properties"] for f in features] == [{"count": 4}]
    assert set(features[0]["properties"]) == {"count"}
    ring = features[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7  # a closed hexagon
    body = response.content.decode() + client.get(reverse("cameras:coverage")).content.decode()
    for camera in dense:
        assert f"{camera.latitude}" not in body and f"{camera.longitude}" not in body
    assert "Cam 0" not in body and "44.99" not in body


def test_a_cell_of_one_owners_cameras_is_never_shown(client, people):
    resident = actor_for_user(people[Role.RESIDENT])
    for i in range(5):  # one house, five cameras: the cell would point at that house
        services.camera_register(actor=resident, name=f"Cam {i}", latitude=SPOT["latitude"] + i * 1e-6,
                                 longitude=SPOT["longitude"], bearing_deg=0, fov_deg=90, range_m=20, retention_days=7)
    assert client.get("/api/cameras/coverage").json()["features"] == []


def test_paused_and_withdrawn_cameras_do_not_count(client, people):
    cameras = make_cameras(people, 3)
    services.camera_status_set(actor=actor_for_user(people[Role.RESIDENT]), camera=cameras[0],
                               status=Camera.Status.PAUSED)
    assert client.get("/api/cameras/coverage").json()["features"] == []


# --- Transparency


@pytest.fixture
def history(people, partner, agency):
    """Requests over three months, live grants and openings: what the report should count."""
    officer, cameras = people[Role.OFFICER], make_cameras(people, 1)
    with time_machine.travel(NOW, tick=False):
        may, june = datetime(2025, 5, 10, 15, tzinfo=UTC), datetime(2025, 6, 2, 15, tzinfo=UTC)
        january_last_year = datetime(2024, 1, 20, 15, tzinfo=UTC)
        for offense, status, made in [
            (Offense.ROBBERY, FootageRequest.Status.APPROVED, may),
            (Offense.BURGLARY, FootageRequest.Status.DECLINED, may),
            (Offense.ASSAULT, FootageRequest.Status.NO_FOOTAGE, may),
            (Offense.DRUGS, FootageRequest.Status.EXPIRED, june),
            (Offense.MISSING_PERSON, FootageRequest.Status.PENDING, june),
            (Offense.HOMICIDE, FootageRequest.Status.APPROVED, june),
            (Offense.THEFT, FootageRequest.Status.APPROVED, january_last_year),
        ]:
            footage_request(cameras[0], agency, officer, offense=offense, status=status, made=made)
        live_agreement(partner, agency)
        live_grant = grant(people, live_camera(people, partner), agency)
        LiveGrant.objects.filter(pk=live_grant.pk).update(created_at=may)
        for _opening in range(2):
            opening = LiveOpening.objects.create(grant=live_grant, officer=officer, reason="Patrol check")
        LiveOpening.objects.filter(pk=opening.pk).update(opened_at=may)
        yield


def _month(report, year, month):
    return next(m for m in report.months if m.month == date(year, month, 1))


def test_the_report_counts_each_outcome_in_the_month_it_was_asked(history):
    with time_machine.travel(NOW, tick=False):
        report = transparency_selectors.transparency_report()
    assert [m.month for m in report.months][0] == date(2024, 7, 1) and len(report.months) == 12
    may, june = _month(report, 2025, 5), _month(report, 2025, 6)
    assert may.requests == {"made": 3, "approved": 1, "declined": 1, "no_footage": 1, "expired": 0, "pending": 0}
    assert june.requests == {"made": 3, "approved": 1, "declined": 0, "no_footage": 0, "expired": 1, "pending": 1}
    assert may.by_group["person"] == {"made": 1, "approved": 0, "declined": 0, "no_footage": 1, "expired": 0,
                                      "pending": 0}
    assert may.by_group["property"]["made"] == 2 and june.by_group["society"]["expired"] == 1
    assert june.by_group["other"]["pending"] == 1 and june.by_group["person"]["approved"] == 1
    assert (may.live_grants, may.live_openings, june.live_openings) == (1, 1, 1)
    assert report.totals.requests["made"] == 6  # January 2024 is outside the last 12 months


def test_a_year_can_be_chosen(history):
    with time_machine.travel(NOW, tick=False):
        report = transparency_selectors.transparency_report(year=2024)
        this_year = transparency_selectors.transparency_report(year=2025)
    assert len(report.months) == 12 and report.totals.requests == {
        "made": 1, "approved": 1, "declined": 0, "no_footage": 0, "expired": 0, "pending": 0}
    assert [m.month.month for m in this_year.months] == [1, 2, 3, 4, 5, 6]  # no months to come


def test_the_report_is_one_query_per_kind_of_record(history, django_assert_max_num_queries):
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(3):
        transparency_selectors.transparency_report()


def test_anyone_reads_the_page_and_api_and_nothing_personal_is_in_them(client, client_for, people, partner,
                                                                        history):
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("cameras:transparency"))
        api = client.get("/api/cameras/transparency")
        signed_in = client_for(people[Role.PARTNER_ADMIN]).get("/api/cameras/transparency")
    assert page.status_code == api.status_code == signed_in.status_code == 200
    assert b"<svg" in page.content and b"Crimes against persons" in page.content
    data = api.json()
    assert data["period"] == "last-12-months" and data["totals"]["requests"]["made"] == 6
    june = next(m for m in data["months"] if m["month"] == "2025-06")
    assert june["requests"]["pending"] == 1 and june["live_openings"] == 1
    for body in (page.content.decode(), api.content.decode()):
        for personal in (CASE, "Suspect fled", "Patrol check", "Street fair", "Lobby", "Cam 0", partner.name,
                         people[Role.OFFICER].email, str(people[Role.OFFICER]), people[Role.RESIDENT].email):
            assert personal not in body


def test_a_year_over_the_api_and_a_bad_year_refused(client, history):
    with time_machine.travel(NOW, tick=False):
        assert client.get("/api/cameras/transparency?year=2024").json()["totals"]["requests"]["made"] == 1
        assert client.get("/api/cameras/transparency?year=1990").status_code == 400
        assert client.get(reverse("cameras:transparency") + "?year=2024").status_code == 200
        assert client.get(reverse("cameras:transparency") + "?year=soon").status_code == 400


def test_an_empty_report_has_twelve_months_of_zeros(client):
    data = json.loads(client.get("/api/cameras/transparency").content)
    assert len(data["months"]) == 12 and data["totals"]["requests"]["made"] == 0
    assert data["months"][-1]["month"] == timezone.localdate().strftime("%Y-%m")
