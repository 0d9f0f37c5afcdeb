"""The operator's API and the reads both sides share: hand over, list, read (audited), timeline, updates,
snapshots, withdraw. Company A's operators see nothing of company B's incidents; people without the role,
API keys and anonymous callers are refused."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.incidents.models import Incident, IncidentEvent
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_workflow import (
    client_site,
    expire,
    hand_over,
    other_agency_with_officer,
    other_company_with_operator,
    picture,
)
from safecommons.partners import services as partner_services

pytestmark = pytest.mark.django_db

BASE = "/api/incidents/incidents"
HANDOFF = {"type": "robbery", "verification": "video", "address": "400 Market St", "latitude": 44.97,
           "longitude": -93.26, "summary": "Armed robbery at the pharmacy counter", "suspect_count": 2,
           "suspects": [{"description": "Black hoodie, backpack"}], "weapons": "knife",
           "vehicles": [{"make": "Toyota", "model": "Corolla", "colour": "silver", "plate": "KLM 321",
                         "direction": "west on 4th"}],
           "persons_at_risk": True, "camera_refs": ["Counter cam 2"], "callback_phone": "555-0142"}
NOT_OPERATORS = [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.OFFICER, Role.LIAISON, Role.ANALYST,
                 Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.OVERSIGHT]
NOT_INVOLVED = [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.LIAISON, Role.ANALYST,
                Role.AGENCY_ADMIN, Role.OVERSIGHT]


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def agreement(security_company, agency):
    return handoff_agreement(security_company, agency)


@pytest.fixture
def operator_client(client_for, people, agreement):
    return client_for(people[Role.SECURITY_OPERATOR])


@pytest.fixture
def incident(people, agency, agreement):
    return hand_over(people[Role.SECURITY_OPERATOR], agency)


def test_an_operator_hands_over_and_follows_an_incident(operator_client, agency, security_company):
    response = post(operator_client, BASE, {"agency_id": agency.pk, **HANDOFF})
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["agency"], created["company"], created["status"]) == (agency.name, security_company.name,
                                                                         "received")
    assert created["url"] == f"/incidents/{created['id']}/" and created["persons_at_risk"]
    assert created["suspect_count"] == 2 and created["vehicle_count"] == 1

    listed = operator_client.get(BASE).json()
    assert [item["id"] for item in listed] == [created["id"]]

    detail = operator_client.get(f"{BASE}/{created['id']}").json()
    assert detail["suspects"] == [{"description": "Black hoodie, backpack"}]
    assert detail["vehicles"][0]["direction"] == "west on 4th" and detail["camera_refs"] == ["Counter cam 2"]
    assert detail["callback_phone"] == "555-0142" and detail["snapshots"] == []

    events = operator_client.get(f"{BASE}/{created['id']}/events").json()
    assert [e["kind"] for e in events] == ["opened"] and detail["last_event_id"] == events[0]["id"]
    assert set(events[0]) == {"id", "incident_id", "kind", "kind_label", "side", "actor", "text", "data", "at"}


def test_the_list_filters_by_state(operator_client, people, agency, incident):
    closed = hand_over(people[Role.SECURITY_OPERATOR], agency)
    post(operator_client, f"{BASE}/{closed.pk}/withdraw", {"reason": "False alarm"})
    assert [i["id"] for i in operator_client.get(BASE).json()] == [incident.pk]
    assert [i["id"] for i in operator_client.get(f"{BASE}?state=closed").json()] == [closed.pk]
    assert [i["id"] for i in operator_client.get(f"{BASE}?state=all").json()] == [incident.pk, closed.pk]
    assert operator_client.get(f"{BASE}?state=lost").status_code == 422


def test_a_handoff_with_a_client_site(operator_client, agency, security_company, partner):
    site = client_site(security_company, partner, address="9 Depot Rd")
    response = post(operator_client, BASE, {"agency_id": agency.pk, "type": "trespass", "verification": "video",
                                            "site_id": site.pk})
    assert response.status_code == 201 and response.json()["address"] == "9 Depot Rd"


def test_a_handoff_without_a_place_gets_a_400_saying_so(operator_client, agency):
    response = post(operator_client, BASE, {"agency_id": agency.pk, "type": "trespass", "verification": "video"})
    assert response.status_code == 400 and "Say where" in response.json()["detail"]


def test_a_handoff_to_an_agency_without_agreement_is_refused(client_for, people, agency):
    response = post(client_for(people[Role.SECURITY_OPERATOR]), BASE, {"agency_id": agency.pk, **HANDOFF})
    assert response.status_code == 403 and not Incident.objects.exists()


def test_a_handoff_to_an_unknown_agency_is_a_404(operator_client):
    assert post(operator_client, BASE, {"agency_id": 987654, **HANDOFF}).status_code == 404


def test_reading_an_incident_is_audited(operator_client, people, incident):
    operator_client.get(f"{BASE}/{incident.pk}")
    entry = AuditEntry.objects.filter(action="incident.view", object_id=str(incident.pk)).get()
    assert entry.actor_id == people[Role.SECURITY_OPERATOR].pk


def test_updates_over_the_api(operator_client, incident):
    movement = post(operator_client, f"{BASE}/{incident.pk}/updates",
                    {"kind": "movement", "latitude": 44.981, "longitude": -93.27, "heading_deg": 180, "speed_kmh": 8})
    assert movement.status_code == 201 and movement.json()["data"]["movement"]["heading_deg"] == 180
    suspect = post(operator_client, f"{BASE}/{incident.pk}/updates",
                   {"kind": "suspect", "suspect": {"description": "Third person, lookout"}, "weapons": "bat"})
    assert suspect.status_code == 201 and suspect.json()["data"]["changes"] == {"weapons": "bat"}
    vehicle = post(operator_client, f"{BASE}/{incident.pk}/updates",
                   {"kind": "vehicle", "vehicle": {"make": "Kia", "colour": "green", "direction": "south"}})
    assert vehicle.status_code == 201
    incident.refresh_from_db()
    assert incident.weapons == "bat" and incident.suspect_count == 1 and incident.vehicles[-1]["make"] == "Kia"


def test_a_bad_update_gets_a_400_or_422(operator_client, incident):
    out_of_range = post(operator_client, f"{BASE}/{incident.pk}/updates",
                        {"kind": "movement", "latitude": 44.98, "longitude": -93.27, "heading_deg": 500})
    assert out_of_range.status_code == 400
    assert post(operator_client, f"{BASE}/{incident.pk}/updates", {"kind": "gossip"}).status_code == 422


def test_a_snapshot_over_the_api(operator_client, incident):
    response = operator_client.post(f"{BASE}/{incident.pk}/snapshots", {
        "image": _upload(), "caption": "Side gate"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["caption"] == "Side gate" and body["url"] == f"/incidents/{incident.pk}/snapshots/{body['id']}/"
    image = operator_client.get(body["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"SERIAL-0042" not in b"".join(image.streaming_content)


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("gate.jpg", picture(), content_type="image/jpeg")


def test_withdraw_over_the_api(operator_client, incident):
    response = post(operator_client, f"{BASE}/{incident.pk}/withdraw", {"reason": "Owner arrived, all fine"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["disposition"]) == ("closed", "withdrawn")
    assert post(operator_client, f"{BASE}/{incident.pk}/withdraw", {"reason": "again"}).status_code == 403


# --- Company A sees nothing of company B


def test_another_companys_operator_sees_nothing(client_for, agency, incident):
    _, stranger = other_company_with_operator(agency)
    client = client_for(stranger)
    assert client.get(BASE).json() == []
    assert client.get(f"{BASE}?state=all").json() == []
    assert client.get(f"{BASE}/{incident.pk}").status_code == 403
    assert client.get(f"{BASE}/{incident.pk}/events").status_code == 403
    assert post(client, f"{BASE}/{incident.pk}/updates", {"kind": "observation", "text": "x"}).status_code == 403
    assert client.post(f"{BASE}/{incident.pk}/snapshots", {"image": _upload()}).status_code == 403
    assert post(client, f"{BASE}/{incident.pk}/withdraw", {"reason": "x"}).status_code == 403
    assert list(incident.events.values_list("kind", flat=True)) == ["opened"]
    assert not AuditEntry.objects.filter(action="incident.view").exists()


def test_an_unknown_incident_is_a_404(operator_client):
    assert operator_client.get(f"{BASE}/987654").status_code == 404
    assert post(operator_client, f"{BASE}/987654/updates", {"kind": "observation", "text": "x"}).status_code == 404


def test_an_update_reads_the_incident_and_its_agreement_once(operator_client, incident):
    # The hot path of the live board: the row is read once, locked, and the agreement asked once.
    with CaptureQueriesContext(connection) as queries:
        sent = post(operator_client, f"{BASE}/{incident.pk}/updates", {"kind": "observation", "text": "x"})
    assert sent.status_code == 201
    reads = [query["sql"] for query in queries.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")]
    assert sum('FROM "incidents_incident"' in sql for sql in reads) == 1
    assert sum('FROM "partners_agreementgrant"' in sql for sql in reads) == 1


BAD_UPDATES = [{"kind": "movement", "latitude": 44.9, "longitude": -93.2, "heading_deg": 500},
               {"kind": "suspect"}]


@pytest.mark.parametrize("body", BAD_UPDATES)
def test_who_may_not_update_is_refused_whatever_they_send(client_for, people, agency, incident, body):
    _, stranger = other_company_with_operator(agency)
    for person in (stranger, people[Role.OFFICER], people[Role.RESIDENT]):
        assert post(client_for(person), f"{BASE}/{incident.pk}/updates", body).status_code == 403


@pytest.mark.parametrize("body", BAD_UPDATES)
def test_an_update_to_an_unknown_incident_is_a_404_whatever_it_says(operator_client, body):
    assert post(operator_client, f"{BASE}/987654/updates", body).status_code == 404


def test_police_of_another_agency_see_nothing(client_for, incident):
    _, stranger = other_agency_with_officer()
    client = client_for(stranger)
    assert client.get(BASE).json() == []
    assert client.get(f"{BASE}/{incident.pk}").status_code == 403
    assert client.get(f"{BASE}/{incident.pk}/events").status_code == 403


def test_after_the_agreement_expires_updates_are_refused_but_the_record_stays_readable(operator_client, incident,
                                                                                          agreement):
    expire(agreement)
    refused = post(operator_client, f"{BASE}/{incident.pk}/updates", {"kind": "observation", "text": "late"})
    assert refused.status_code == 403
    assert operator_client.get(f"{BASE}/{incident.pk}").status_code == 200


# --- Everyone else is refused


@pytest.mark.parametrize("role", NOT_OPERATORS)
def test_only_operators_hand_over(client_for, people, agency, agreement, role):
    assert post(client_for(people[role]), BASE, {"agency_id": agency.pk, **HANDOFF}).status_code == 403


@pytest.mark.parametrize("role", NOT_INVOLVED)
def test_people_not_working_incidents_are_refused_every_read_and_update(client_for, people, incident, role):
    client = client_for(people[role])
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}/{incident.pk}").status_code == 403
    assert client.get(f"{BASE}/{incident.pk}/events").status_code == 403
    assert post(client, f"{BASE}/{incident.pk}/updates", {"kind": "observation", "text": "x"}).status_code == 403
    assert client.post(f"{BASE}/{incident.pk}/snapshots", {"image": _upload()}).status_code == 403
    assert post(client, f"{BASE}/{incident.pk}/withdraw", {"reason": "x"}).status_code == 403


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR])
def test_police_read_but_cannot_post_operator_updates(client_for, people, incident, role):
    client = client_for(people[role])
    assert client.get(f"{BASE}/{incident.pk}").status_code == 200
    assert post(client, f"{BASE}/{incident.pk}/updates", {"kind": "observation", "text": "x"}).status_code == 403
    assert post(client, f"{BASE}/{incident.pk}/withdraw", {"reason": "x"}).status_code == 403


def test_anonymous_callers_get_401(incident, agency):
    client = Client()
    assert client.get(BASE).status_code == 401
    assert client.get(f"{BASE}/{incident.pk}").status_code == 401
    assert client.get(f"{BASE}/{incident.pk}/events").status_code == 401
    assert post(client, BASE, {"agency_id": agency.pk, **HANDOFF}).status_code == 401
    assert post(client, f"{BASE}/{incident.pk}/updates", {"kind": "observation", "text": "x"}).status_code == 401
    assert client.post(f"{BASE}/{incident.pk}/snapshots", {"image": _upload()}).status_code == 401
    assert post(client, f"{BASE}/{incident.pk}/withdraw", {"reason": "x"}).status_code == 401


def test_an_api_key_is_not_a_person(security_company, agency, incident):
    admin = MembershipFactory(organisation=security_company, role=Role.PARTNER_ADMIN).user
    _key, secret = partner_services.api_key_issue(actor=actor_for_user(admin), organisation=security_company,
                                                  name="Alarm receiver", scopes=["alarms:write"], mfa_verified=True)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get(BASE).status_code == 401
    assert post(client, BASE, {"agency_id": agency.pk, **HANDOFF}).status_code == 401
    assert post(client, f"{BASE}/{incident.pk}/updates", {"kind": "observation", "text": "x"}).status_code == 401
    assert incident.events.filter(kind=IncidentEvent.Kind.OBSERVATION).count() == 0
