"""Live access pages and API: the owner grants, revokes and sees every opening; an officer lists and opens;
the answer with the address is never cached; everyone else is refused."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from safecommons.cameras.models import LiveGrant, LiveOpening
from safecommons.cameras.tests.factories_live import STREAM_URL, grant, live_agreement, live_camera, move_window
from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db

BASE = "/api/cameras"
OWNERS = (Role.PARTNER_MEMBER, Role.PARTNER_ADMIN)
OFFICERS = (Role.OFFICER, Role.SUPERVISOR)
NOT_OWNERS = [r for r in Role if r not in OWNERS]
NOT_OFFICERS = [r for r in Role if r not in OFFICERS]


@pytest.fixture
def camera(people, partner, agency):
    live_agreement(partner, agency)
    return live_camera(people, partner)


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


# --- Pages


def test_the_owner_grants_from_the_camera_page(client_for, people, camera, agency):
    client = client_for(people[Role.PARTNER_MEMBER])
    page = client.get(reverse("cameras:camera_live", args=[camera.pk]))
    assert page.status_code == 200 and agency.name.encode() in page.content
    start = timezone.now()
    response = client.post(reverse("cameras:camera_live", args=[camera.pk]), {
        "agency": agency.pk, "stream_url": STREAM_URL, "starts_at": local(start),
        "ends_at": local(start + timedelta(days=1)), "purpose": "Street fair"})
    assert response.status_code == 302
    live_grant = LiveGrant.objects.get()
    assert (live_grant.agency, live_grant.purpose) == (agency, "Street fair")
    page = client.get(reverse("cameras:camera_live", args=[camera.pk]))
    assert b"Street fair" in page.content and STREAM_URL.encode() not in page.content


def test_the_grant_form_says_why_it_is_refused(client_for, people, camera, agency):
    start = timezone.now()
    response = client_for(people[Role.PARTNER_ADMIN]).post(reverse("cameras:camera_live", args=[camera.pk]), {
        "agency": agency.pk, "stream_url": "http://cam.example/", "starts_at": local(start),
        "ends_at": local(start + timedelta(days=1)), "purpose": "Street fair"})
    assert response.status_code == 400 and b"rtsp://" in response.content and not LiveGrant.objects.exists()


def test_without_an_agreement_the_page_says_so(client_for, people, partner):
    camera = live_camera(people, partner)
    page = client_for(people[Role.PARTNER_ADMIN]).get(reverse("cameras:camera_live", args=[camera.pk]))
    assert page.status_code == 200 and b"live camera access" in page.content and b"<select" not in page.content


def test_the_officer_lists_and_opens_and_the_owner_sees_the_opening(client_for, people, camera, agency):
    live_grant = grant(people, camera, agency)
    officer = client_for(people[Role.OFFICER])
    listing = officer.get(reverse("cameras:live_list"))
    assert b"Lobby" in listing.content and STREAM_URL.encode() not in listing.content
    response = officer.post(reverse("cameras:live_open", args=[live_grant.pk]), {"reason": "Robbery in progress"})
    assert response.status_code == 200 and STREAM_URL.encode() in response.content
    assert response["Cache-Control"] == "no-store"
    owner_page = client_for(people[Role.PARTNER_ADMIN]).get(reverse("cameras:camera_live", args=[camera.pk]))
    assert b"Robbery in progress" in owner_page.content and str(people[Role.OFFICER]).encode() in owner_page.content


def test_an_https_stream_plays_in_a_video_element_from_its_own_server_only(client_for, people, camera, agency):
    live_grant = grant(people, camera, agency, stream_url="https://video.acme.example/lobby.m3u8")
    response = client_for(people[Role.OFFICER]).post(reverse("cameras:live_open", args=[live_grant.pk]),
                                                     {"reason": "Alarm"})
    assert b"<video" in response.content
    assert "media-src 'self' https://video.acme.example" in response["Content-Security-Policy"]


def test_an_opening_outside_the_window_is_refused_on_the_page(client_for, people, camera, agency):
    live_grant = move_window(grant(people, camera, agency), starts_in=timedelta(days=-3), lasts=timedelta(days=1))
    client = client_for(people[Role.OFFICER])
    response = client.post(reverse("cameras:live_open", args=[live_grant.pk]), {"reason": "x"}, follow=True)
    assert b"has ended" in response.content and STREAM_URL.encode() not in response.content
    assert not LiveOpening.objects.exists()


def test_the_owner_revokes_from_the_page(client_for, people, camera, agency):
    live_grant = grant(people, camera, agency)
    response = client_for(people[Role.PARTNER_ADMIN]).post(reverse("cameras:live_revoke", args=[live_grant.pk]))
    assert response.status_code == 302
    live_grant.refresh_from_db()
    assert live_grant.revoked_at is not None


@pytest.mark.parametrize("role", NOT_OWNERS)
def test_only_the_owner_sees_the_camera_page_and_revokes(client_for, people, camera, agency, role):
    live_grant = grant(people, camera, agency)
    client = client_for(people[role])
    assert client.get(reverse("cameras:camera_live", args=[camera.pk])).status_code == 403
    assert client.post(reverse("cameras:live_revoke", args=[live_grant.pk])).status_code == 403


@pytest.mark.parametrize("role", NOT_OFFICERS)
def test_only_officers_list_and_open(client_for, people, camera, agency, role):
    live_grant = grant(people, camera, agency)
    client = client_for(people[role])
    assert client.get(reverse("cameras:live_list")).status_code == 403
    assert client.post(reverse("cameras:live_open", args=[live_grant.pk]), {"reason": "x"}).status_code == 403
    assert not LiveOpening.objects.exists()


def test_the_pages_need_a_sign_in(client, camera):
    for url in (reverse("cameras:camera_live", args=[camera.pk]), reverse("cameras:live_list")):
        assert client.get(url).status_code == 302


# --- API


def test_the_api_grants_lists_opens_and_shows_openings(client_for, people, camera, agency):
    owner = client_for(people[Role.PARTNER_ADMIN])
    start = timezone.now() - timedelta(minutes=1)
    created = post(owner, f"{BASE}/cameras/{camera.pk}/live/grants", {
        "agency_id": agency.pk, "stream_url": STREAM_URL, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(), "purpose": "Parade"})
    assert created.status_code == 201 and "stream_url" not in created.json()
    grant_id = created.json()["id"]
    officer = client_for(people[Role.OFFICER])
    assert [g["id"] for g in officer.get(f"{BASE}/live/grants").json()] == [grant_id]
    assert [g["id"] for g in owner.get(f"{BASE}/live/grants").json()] == [grant_id]
    opened = post(officer, f"{BASE}/live/grants/{grant_id}/open", {"reason": "Crowd crush"})
    assert opened.status_code == 200 and opened.json()["stream_url"] == STREAM_URL
    assert opened["Cache-Control"] == "no-store"
    openings = owner.get(f"{BASE}/live/grants/{grant_id}/openings").json()
    assert [(o["officer"], o["reason"]) for o in openings] == [(str(people[Role.OFFICER]), "Crowd crush")]
    revoked = post(owner, f"{BASE}/live/grants/{grant_id}/revoke", {"reason": "Done"})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    again = post(officer, f"{BASE}/live/grants/{grant_id}/open", {"reason": "Again"})
    assert again.status_code == 400 and "revoked" in again.json()["detail"]


def test_the_api_refuses_a_grant_without_the_live_scope(client_for, people, partner, agency):
    camera = live_camera(people, partner)
    start = timezone.now()
    response = post(client_for(people[Role.PARTNER_ADMIN]), f"{BASE}/cameras/{camera.pk}/live/grants", {
        "agency_id": agency.pk, "stream_url": STREAM_URL, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(), "purpose": "Parade"})
    assert response.status_code == 400 and "No agreement" in response.json()["detail"]


@pytest.mark.parametrize("role", NOT_OFFICERS)
def test_the_api_lets_only_officers_open(client_for, people, camera, agency, role):
    live_grant = grant(people, camera, agency)
    response = post(client_for(people[role]), f"{BASE}/live/grants/{live_grant.pk}/open", {"reason": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", NOT_OWNERS)
def test_the_api_lets_only_owners_grant_revoke_and_read_openings(client_for, people, camera, agency, role):
    live_grant = grant(people, camera, agency)
    client = client_for(people[role])
    start = timezone.now()
    assert post(client, f"{BASE}/cameras/{camera.pk}/live/grants", {
        "agency_id": agency.pk, "stream_url": STREAM_URL, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(), "purpose": "x"}).status_code == 403
    assert post(client, f"{BASE}/live/grants/{live_grant.pk}/revoke", {}).status_code == 403
    assert client.get(f"{BASE}/live/grants/{live_grant.pk}/openings").status_code == 403


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.LIAISON, Role.ANALYST, Role.AGENCY_ADMIN, Role.OVERSIGHT])
def test_the_grant_list_refuses_those_neither_officer_nor_owner(client_for, people, role):
    assert client_for(people[role]).get(f"{BASE}/live/grants").status_code == 403


def test_the_live_api_needs_a_session(client, camera):
    assert client.get(f"{BASE}/live/grants").status_code == 401
    assert post(client, f"{BASE}/live/grants/1/open", {"reason": "x"}).status_code == 401
