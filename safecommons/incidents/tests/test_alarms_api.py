"""The alarm exchange over HTTP: status codes per answer, the same answer to a resend, malformed input as a
plain 422, and keys only: a session, a key without the scope or of another kind of organisation is refused,
and one company's key never reaches another's events."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from safecommons.core.roles import Role
from safecommons.incidents.models import AlarmEvent, Incident
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_alarms import (
    ALARMS_URL,
    alarm_center,
    alarm_fields,
    alarm_permit,
    alarm_post,
    incident_moved_to,
)

pytestmark = pytest.mark.django_db


def post(client, url, body=None):
    return client.post(url, json.dumps(body) if body is not None else "", content_type="application/json")


# --- Sending


def test_an_accepted_alarm_is_a_201_with_the_incident(center, permit):
    response = alarm_post(center.client(), permit, event_id="E-1")
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert response.json() == {"event_id": "E-1", "outcome": "accepted", "reason": "", "detail": "",
                               "incident_id": incident.pk, "status": "received", "replayed": False}
    assert AlarmEvent.objects.get().payload["event_id"] == "E-1"


def test_a_joined_alarm_is_a_200_naming_the_open_incident(center, permit):
    first = alarm_post(center.client(), permit).json()
    response = alarm_post(center.client(), permit)
    assert response.status_code == 200
    assert (response.json()["outcome"], response.json()["incident_id"]) == ("joined", first["incident_id"])


def test_a_rejection_is_a_422_with_the_reason(center, permit):
    response = alarm_post(center.client(), permit, type="TROUBLE")
    assert response.status_code == 422
    assert (response.json()["outcome"], response.json()["reason"]) == ("rejected", "invalid_type")
    assert response.json()["incident_id"] is None


@pytest.mark.parametrize("type_code", ["BURG", "TROUBLE"])
def test_a_resend_gets_the_same_status_code_and_answer(center, permit, type_code):
    body = alarm_fields(permit, type=type_code)
    body["received_at"] = body["received_at"].isoformat()
    first = post(center.client(), ALARMS_URL, body)
    again = post(center.client(), ALARMS_URL, body)
    assert again.status_code == first.status_code
    assert again.json() == {**first.json(), "replayed": True}
    assert AlarmEvent.objects.count() == 1 and Incident.objects.count() <= 1


@pytest.mark.parametrize("change", [
    {"event_id": None},  # missing
    {"received_at": None},
    {"permit_number": ""},
    {"event_id": "has spaces/and slash"},
    {"received_at": "2025-05-01T12:00:00"},  # no time zone
    {"latitude": 123},
    {"audible": "loud"},
    {"verification": "rumour"},
])
def test_malformed_input_is_a_422_from_validation_and_is_not_stored(center, permit, change):
    body = alarm_fields(permit)
    body["received_at"] = body["received_at"].isoformat()
    body.update(change)
    body = {key: value for key, value in body.items() if value is not None}
    response = post(center.client(), ALARMS_URL, body)
    assert response.status_code == 422 and "outcome" not in response.json() and "detail" in response.json()
    assert not AlarmEvent.objects.exists()


def test_a_stale_event_over_http(center, permit):
    response = alarm_post(center.client(), permit, received_at=timezone.now() - timedelta(hours=1))
    assert (response.status_code, response.json()["reason"]) == (422, "stale_event")


# --- Looking up, cancelling, polling


def test_a_center_reads_back_its_event_with_the_incidents_state(center, permit):
    sent = alarm_post(center.client(), permit, event_id="E-9").json()
    incident_moved_to(Incident.objects.get(), Incident.Status.DISPATCHED, assigned_unit="2-Adam-14")
    body = center.client().get(f"{ALARMS_URL}/E-9").json()
    assert (body["event_id"], body["outcome"], body["incident_id"]) == ("E-9", "accepted", sent["incident_id"])
    assert (body["status"], body["assigned_unit"], body["cancel_requested"]) == ("dispatched", "2-Adam-14", False)


def test_a_center_cancels_over_http_with_or_without_a_body(center, permit, security_company, agency):
    alarm_post(center.client(), permit, event_id="E-1")
    response = post(center.client(), f"{ALARMS_URL}/E-1/cancel", {"reason": "Passcode given"})
    assert response.status_code == 200
    assert response.json()["outcome"] == "cancelled" and response.json()["disposition"] == "cancelled"
    alarm_post(center.client(), alarm_permit(security_company, agency), event_id="E-2")
    incident_moved_to(Incident.objects.get(alarm_events__event_id="E-2"), Incident.Status.ON_SCENE)
    response = post(center.client(), f"{ALARMS_URL}/E-2/cancel")  # an empty body
    assert (response.status_code, response.json()["outcome"]) == (200, "cancel_requested")


def test_cancelling_a_rejected_event_is_a_400(center, permit):
    alarm_post(center.client(), permit, event_id="E-1", type="TEST")
    assert post(center.client(), f"{ALARMS_URL}/E-1/cancel", {}).status_code == 400


def test_the_status_feed_over_http(center, permit):
    sent = alarm_post(center.client(), permit, event_id="E-1").json()
    body = center.client().get(f"{ALARMS_URL}/status", {"after": 0}).json()
    [opened] = body["events"]
    assert (opened["kind"], opened["incident_id"], opened["event_ids"]) == ("opened", sent["incident_id"], ["E-1"])
    assert body["last_event_id"] == opened["id"]
    assert center.client().get(f"{ALARMS_URL}/status", {"after": opened["id"]}).json() == {
        "events": [], "last_event_id": opened["id"]}
    assert center.client().get(f"{ALARMS_URL}/status", {"limit": 0}).status_code == 422


# --- Who may call


def test_a_signed_in_person_cannot_send_or_read_alarms(people, client_for, center, permit):
    alarm_post(center.client(), permit, event_id="E-1")
    for role in (Role.SECURITY_OPERATOR, Role.OFFICER, Role.RESIDENT):
        client = client_for(people[role])
        assert alarm_post(client, permit).status_code == 401
        assert client.get(f"{ALARMS_URL}/E-1").status_code == 401
        assert client.get(f"{ALARMS_URL}/status").status_code == 401
        assert post(client, f"{ALARMS_URL}/E-1/cancel", {}).status_code == 401
    assert AlarmEvent.objects.count() == 1


def test_without_a_key_every_alarm_endpoint_is_401(client, permit):
    assert alarm_post(client, permit).status_code == 401
    assert client.get(f"{ALARMS_URL}/status").status_code == 401
    assert client.get(f"{ALARMS_URL}/E-1").status_code == 401
    assert post(client, f"{ALARMS_URL}/E-1/cancel", {}).status_code == 401


def test_a_key_without_the_alarms_scope_is_refused_everywhere(security_company, center, permit):
    alarm_post(center.client(), permit, event_id="E-1")
    client = alarm_center(security_company, scopes=["cameras:write"]).client()
    assert alarm_post(client, permit).status_code == 403
    assert client.get(f"{ALARMS_URL}/status").status_code == 403
    assert client.get(f"{ALARMS_URL}/E-1").status_code == 403
    assert post(client, f"{ALARMS_URL}/E-1/cancel", {}).status_code == 403


def test_a_key_of_an_organisation_that_is_not_a_security_company_is_refused(partner, agency, permit):
    handoff_agreement(partner, agency)
    client = alarm_center(partner).client()
    assert alarm_post(client, permit).status_code == 403
    assert client.get(f"{ALARMS_URL}/status").status_code == 403
    assert not AlarmEvent.objects.exists()


def test_one_companys_key_cannot_read_or_cancel_anothers_events(center, permit, other_center):
    alarm_post(center.client(), permit, event_id="E-1")
    client = other_center.client()
    assert client.get(f"{ALARMS_URL}/E-1").status_code == 404
    assert post(client, f"{ALARMS_URL}/E-1/cancel", {}).status_code == 404
    assert client.get(f"{ALARMS_URL}/status").json()["events"] == []
    assert Incident.objects.get().status == Incident.Status.RECEIVED


def test_the_exchange_is_in_the_openapi_document_as_key_only(client):
    document = client.get("/api/openapi.json").json()
    send = document["paths"]["/api/incidents/alarms"]["post"]
    assert send["security"] == [{"ApiKeyAuth": []}]
    assert set(send["responses"]) >= {"200", "201", "422"}
    assert document["paths"]["/api/incidents/alarms/statistics"]["get"]["security"] == [{"SignedInSession": []}]
