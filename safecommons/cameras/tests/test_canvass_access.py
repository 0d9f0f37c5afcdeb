"""Canvass pages and API: who may use them, and what they show of a camera."""

import pytest
from django.urls import reverse

from safecommons.cameras.index import camera_index_reset
from safecommons.cameras.models import Canvass, FootageRequest
from safecommons.cameras.tests.factories_canvass import POINT_LAT, POINT_LON, camera_near, canvass_of_point
from safecommons.core.roles import Role
from safecommons.core.tests.test_access_matrix import ANONYMOUS, call, client_of
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
__all__ = ["client_of"]  # the fixture, used by name

CANVASSERS = frozenset({Role.OFFICER, Role.SUPERVISOR})
# Everyone else, tried on every endpoint (the officer who opened a canvass and the agency's supervisors
# are the only ones who see it).
REFUSED = [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.SECURITY_OPERATOR, Role.LIAISON,
           Role.ANALYST, Role.AGENCY_ADMIN, Role.OVERSIGHT, ANONYMOUS]
NEW = {"case_number": "2026-1", "offense": "theft", "reason": "Bike stolen from the rack.",
       "latitude": POINT_LAT, "longitude": POINT_LON, "radius_m": 0}

SUCCESS = {"POST /api/cameras/canvasses": 201, "POST /api/cameras/canvasses/{canvass_id}/requests": 201,
           "POST /cameras/canvass/new/": 302, "POST /cameras/canvass/<int:canvass_id>/requests/": 302}


@pytest.fixture(autouse=True)
def _fresh_index():
    camera_index_reset()
    yield
    camera_index_reset()


@pytest.fixture
def camera(people):
    return camera_near(owner_user=people[Role.RESIDENT], from_bearing=0, distance_m=10)


@pytest.fixture
def canvass(people, agency, camera):
    return canvass_of_point(people[Role.OFFICER], agency)


def window(hours_ago=3):
    from datetime import timedelta

    from django.utils import timezone

    end = timezone.localtime() - timedelta(hours=hours_ago)  # a form's datetime-local is in local time
    return end - timedelta(hours=1), end


def endpoint_data(endpoint, canvass, camera):
    start, end = window()
    if endpoint == "POST /api/cameras/canvasses":
        return {"json_body": {**NEW, "window_start": start.isoformat(), "window_end": end.isoformat()}}
    if endpoint == "POST /cameras/canvass/new/":
        return {"data": {**NEW, "window_start": start.strftime("%Y-%m-%dT%H:%M"),
                         "window_end": end.strftime("%Y-%m-%dT%H:%M"), "agency": canvass.agency_id}}
    if endpoint == "POST /api/cameras/canvasses/{canvass_id}/requests":
        return {"json_body": {"camera_ids": [camera.pk]}}
    if endpoint == "POST /cameras/canvass/<int:canvass_id>/requests/":
        return {"data": {"camera_ids": [camera.pk]}}
    return {}


def expected(endpoint, who, allowed):
    if who in allowed:
        return SUCCESS.get(endpoint, 200)
    if who == ANONYMOUS:
        return 401 if endpoint.split(" ", 1)[1].startswith("/api/") else 302
    return 403


ENDPOINTS = [
    "GET /api/cameras/canvasses",
    "POST /api/cameras/canvasses",
    "GET /api/cameras/canvasses/{canvass_id}",
    "POST /api/cameras/canvasses/{canvass_id}/requests",
    "GET /cameras/canvass/",
    "GET /cameras/canvass/new/",
    "POST /cameras/canvass/new/",
    "GET /cameras/canvass/<int:canvass_id>/",
    "POST /cameras/canvass/<int:canvass_id>/requests/",
]


@pytest.mark.parametrize("who", [*REFUSED, Role.OFFICER, Role.SUPERVISOR])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_only_officers_and_supervisors_canvass(client_of, who, endpoint, canvass, camera):
    response = call(client_of(who), endpoint, canvass_id=canvass.pk, **endpoint_data(endpoint, canvass, camera))
    status = expected(endpoint, who, CANVASSERS)
    assert response.status_code == status, (endpoint, who, response.status_code, response.content[:300])
    if who == ANONYMOUS and status == 302:
        assert response.url.startswith(reverse("accounts:sign_in"))


@pytest.mark.parametrize("endpoint", ["GET /api/cameras/canvasses/{canvass_id}",
                                      "GET /cameras/canvass/<int:canvass_id>/",
                                      "POST /api/cameras/canvasses/{canvass_id}/requests",
                                      "POST /cameras/canvass/<int:canvass_id>/requests/"])
def test_another_officer_cannot_open_or_use_someone_elses_canvass(client_for, agency, canvass, camera, endpoint):
    from safecommons.accounts.tests.factories import MembershipFactory

    other = MembershipFactory(organisation=agency, role=Role.OFFICER).user
    response = call(client_for(other), endpoint, canvass_id=canvass.pk, **endpoint_data(endpoint, canvass, camera))
    assert response.status_code == 403
    assert not FootageRequest.objects.exists()


def test_an_officer_of_another_agency_cannot_open_a_canvass_for_this_one(client_for, agency):
    from safecommons.accounts.tests.factories import MembershipFactory
    from safecommons.partners.models import OrganisationKind

    elsewhere = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Elsewhere PD")
    officer = MembershipFactory(organisation=elsewhere, role=Role.OFFICER).user
    start, end = window()
    response = call(client_for(officer), "POST /api/cameras/canvasses",
                    json_body={**NEW, "agency_id": agency.pk, "window_start": start.isoformat(),
                               "window_end": end.isoformat()})
    assert response.status_code == 403 and not Canvass.objects.filter(agency=agency).exists()


def test_an_api_key_never_canvasses(people, partner, canvass):
    from safecommons.core.tests.test_access_matrix import bearer, issue_key

    _key, secret = issue_key(people, partner, ["agreements:read"])
    assert bearer(secret).get(f"/api/cameras/canvasses/{canvass.pk}").status_code == 401


def test_the_page_and_the_api_never_show_a_position_the_owner_did_not_share(client_for, people, agency):
    hidden = camera_near(owner_user=people[Role.RESIDENT], from_bearing=33, distance_m=14)
    shown = camera_near(owner_user=people[Role.RESIDENT], from_bearing=200, distance_m=21, share_exact_location=True)
    canvass = canvass_of_point(people[Role.OFFICER], agency)
    client = client_for(people[Role.OFFICER])
    page = client.get(reverse("cameras:canvass_detail", args=[canvass.pk])).content.decode()
    api = client.get(f"/api/cameras/canvasses/{canvass.pk}").content.decode()
    for text in (page, api):
        for value in (hidden.latitude, hidden.longitude):
            for digits in (4, 5, 6):  # rounded or cut short, in any way a page or a client might print it
                assert f"{value:.{digits}f}" not in text
                assert repr(value)[:repr(value).index(".") + 1 + digits] not in text
        assert repr(shown.latitude)[:9] in text  # the shared one is there, so the check can fail
        assert people[Role.RESIDENT].email not in text and str(people[Role.RESIDENT]) not in text
    body = client.get(f"/api/cameras/canvasses/{canvass.pk}").json()
    approximate = next(row for row in body["results"] if row["camera_id"] == hidden.pk)
    assert approximate["approximate"] is True and approximate["bearing_deg"] is None


def test_an_officer_opens_a_canvass_and_sends_requests_through_the_api(client_for, people, agency, camera):
    client = client_for(people[Role.OFFICER])
    start, end = window()
    created = call(client, "POST /api/cameras/canvasses",
                   json_body={**NEW, "window_start": start.isoformat(), "window_end": end.isoformat()})
    assert created.status_code == 201
    body = created.json()
    assert [row["camera_id"] for row in body["results"]] == [camera.pk]
    assert body["results"][0]["owner_kind"] == "resident" and body["results"][0]["owner_name"] == ""
    listed = client.get("/api/cameras/canvasses").json()
    assert [item["id"] for item in listed] == [body["id"]]
    sent = call(client, "POST /api/cameras/canvasses/{canvass_id}/requests", canvass_id=body["id"],
                json_body={"camera_ids": [camera.pk]})
    assert sent.status_code == 201 and sent.json()["skipped"] == []
    again = call(client, "POST /api/cameras/canvasses/{canvass_id}/requests", canvass_id=body["id"],
                 json_body={"camera_ids": [camera.pk]})
    assert again.json()["sent"] == [] and again.json()["skipped"] == [camera.pk]
    refused = call(client, "POST /api/cameras/canvasses/{canvass_id}/requests", canvass_id=body["id"],
                   json_body={"camera_ids": [camera.pk + 1000]})
    assert refused.status_code == 400 and "Nothing was sent" in refused.json()["detail"]
    detail = client.get(f"/api/cameras/canvasses/{body['id']}").json()
    assert [r["status"] for r in detail["requests"]] == ["pending"]


def test_the_new_canvass_form_shows_why_it_was_refused(client_for, people):
    client = client_for(people[Role.OFFICER])
    start, end = window(hours_ago=-48)  # in the future
    response = client.post(reverse("cameras:canvass_new"), {
        **NEW, "window_start": start.strftime("%Y-%m-%dT%H:%M"), "window_end": end.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400 and "future" in response.content.decode()
    assert not Canvass.objects.exists()
