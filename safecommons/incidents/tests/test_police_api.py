"""The police API: acknowledge, assign, status, close, and messages from both sides; police of another agency,
other roles, API keys and anonymous callers are refused."""

import json

import pytest
from django.core import mail
from django.test import Client

from safecommons.core.roles import Role
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_workflow import hand_over, other_agency_with_officer

pytestmark = pytest.mark.django_db

BASE = "/api/incidents/incidents"
POLICE = [Role.OFFICER, Role.SUPERVISOR]
NOT_POLICE = [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.SECURITY_OPERATOR, Role.LIAISON,
              Role.ANALYST, Role.AGENCY_ADMIN, Role.OVERSIGHT]
ACTIONS = [("acknowledge", {}), ("assign", {"unit": "2-Adam-14"}), ("status", {"status": "dispatched"}),
           ("close", {"disposition": "arrest", "outcome_summary": "Arrested"})]


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def incident(people, security_company, agency):
    handoff_agreement(security_company, agency)
    return hand_over(people[Role.SECURITY_OPERATOR], agency)


@pytest.mark.parametrize("role", POLICE)
def test_police_work_an_incident_to_its_end(client_for, people, incident, role, django_capture_on_commit_callbacks):
    client = client_for(people[role])
    assert client.get(BASE).json()[0]["id"] == incident.pk
    acknowledged = post(client, f"{BASE}/{incident.pk}/acknowledge")
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    assigned = post(client, f"{BASE}/{incident.pk}/assign", {"unit": "2-Adam-14"})
    assert assigned.json()["assigned_unit"] == "2-Adam-14" and assigned.json()["status"] == "dispatched"
    on_scene = post(client, f"{BASE}/{incident.pk}/status", {"status": "on_scene"})
    assert on_scene.json()["status"] == "on_scene" and on_scene.json()["on_scene_at"]
    back = post(client, f"{BASE}/{incident.pk}/status", {"status": "dispatched"})
    assert back.status_code == 400 and "forward" in back.json()["detail"]
    with django_capture_on_commit_callbacks(execute=True):
        closed = post(client, f"{BASE}/{incident.pk}/close",
                      {"disposition": "arrest", "outcome_summary": "One arrested, one fled on foot"})
    assert closed.status_code == 200 and closed.json()["disposition"] == "arrest"
    assert closed.json()["outcome_summary"] == "One arrested, one fled on foot"
    assert [m.to for m in mail.outbox] == [[people[Role.SECURITY_OPERATOR].email]]
    kinds = [e["kind"] for e in client.get(f"{BASE}/{incident.pk}/events").json()]
    assert kinds == ["opened", "status", "assigned", "status", "outcome"]


def test_bad_police_input_is_refused_with_reasons(client_for, people, incident):
    client = client_for(people[Role.OFFICER])
    assert post(client, f"{BASE}/{incident.pk}/status", {"status": "closed"}).status_code == 422
    assert post(client, f"{BASE}/{incident.pk}/close", {"disposition": "withdrawn",
                                                        "outcome_summary": "x"}).status_code == 400
    assert post(client, f"{BASE}/{incident.pk}/close", {"disposition": "arrest",
                                                        "outcome_summary": " "}).status_code == 400
    assert post(client, f"{BASE}/{incident.pk}/assign", {"unit": ""}).status_code == 400


def test_messages_from_both_sides(client_for, people, incident):
    police = post(client_for(people[Role.OFFICER]), f"{BASE}/{incident.pk}/messages", {"text": "ETA 3 minutes"})
    assert police.status_code == 201 and police.json()["side"] == "police"
    operator = post(client_for(people[Role.SECURITY_OPERATOR]), f"{BASE}/{incident.pk}/messages",
                    {"text": "Suspects leaving by the north exit"})
    assert operator.status_code == 201 and operator.json()["side"] == "operator"
    assert operator.json()["kind"] == "message" and operator.json()["id"] > police.json()["id"]


def test_the_operator_cannot_use_police_actions(client_for, people, incident):
    client = client_for(people[Role.SECURITY_OPERATOR])
    for action, data in ACTIONS:
        assert post(client, f"{BASE}/{incident.pk}/{action}", data).status_code == 403, action


def test_police_of_another_agency_are_refused(client_for, incident):
    _, stranger = other_agency_with_officer()
    client = client_for(stranger)
    for action, data in [*ACTIONS, ("messages", {"text": "hi"})]:
        assert post(client, f"{BASE}/{incident.pk}/{action}", data).status_code == 403, action


@pytest.mark.parametrize("role", NOT_POLICE)
def test_other_roles_are_refused_police_actions(client_for, people, incident, role):
    client = client_for(people[role])
    for action, data in ACTIONS:
        assert post(client, f"{BASE}/{incident.pk}/{action}", data).status_code == 403, action
    incident.refresh_from_db()
    assert incident.status == "received"


@pytest.mark.parametrize("role", [r for r in NOT_POLICE if r != Role.SECURITY_OPERATOR])
def test_other_roles_cannot_message(client_for, people, incident, role):
    assert post(client_for(people[role]), f"{BASE}/{incident.pk}/messages", {"text": "hi"}).status_code == 403


def test_anonymous_callers_get_401(incident):
    client = Client()
    for action, data in [*ACTIONS, ("messages", {"text": "hi"})]:
        assert post(client, f"{BASE}/{incident.pk}/{action}", data).status_code == 401, action


def test_an_unknown_incident_is_a_404(client_for, people):
    assert post(client_for(people[Role.OFFICER]), f"{BASE}/987654/acknowledge").status_code == 404
