"""Who may use each live-incident endpoint, API and page, as the access table says: every role and nobody
try each one in a world where the security company hands the agency an incident under an agreement in force,
and the agency has commended the company's operator. The alarm exchange takes a company's API key only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safecommons.core.roles import Role
from safecommons.core.tests.test_access_matrix import (
    ACCESS,
    EVERYONE,
    NOBODY,
    assert_access,
    bearer,
    call,
    client_of,
    issue_key,
)
from safecommons.incidents.models import AlarmEvent, Commendation, Incident, IncidentEvent, Snapshot
from safecommons.incidents.services import operator as operator_services
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_alarms import alarm_center, alarm_fields, alarm_permit, alarm_send
from safecommons.incidents.tests.factories_commendations import CommendationFactory
from safecommons.incidents.tests.factories_workflow import (
    actor,
    hand_over,
    other_agency_with_officer,
    other_company_with_operator,
    picture,
)
from safecommons.partners.models import ApiKey, OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
__all__ = ["client_of"]  # the fixture, used by name


def _is_incidents(endpoint: str) -> bool:
    route = endpoint.split(" ", 1)[1]
    return route.startswith(("/api/incidents/", "/incidents/"))


# The alarm exchange answers an alarm center's API key, never a browser session.
KEY_ONLY = [
    "POST /api/incidents/alarms",
    "POST /api/incidents/alarm-batches",
    "GET /api/incidents/alarms/status",
    "GET /api/incidents/alarms/{event_id}",
    "POST /api/incidents/alarms/{event_id}/cancel",
]
# Every other live-incident endpoint of the table, tried by every role and by nobody.
ENDPOINTS = [endpoint for endpoint in ACCESS if _is_incidents(endpoint) and endpoint not in KEY_ONLY]


@dataclass(frozen=True)
class World:
    agency: object
    incident: Incident
    snapshot: Snapshot
    commendation: Commendation

    def path_values(self) -> dict[str, int]:
        return {"incident_id": self.incident.pk, "snapshot_id": self.snapshot.pk,
                "commendation_id": self.commendation.pk}


@pytest.fixture
def world(people, agency, security_company) -> World:
    """An open incident handed over by the company's operator (with a snapshot), and a private commendation
    of the agency to that operator, not answered yet."""
    operator = people[Role.SECURITY_OPERATOR]
    handoff_agreement(security_company, agency)
    incident = hand_over(operator, agency)
    snapshot = operator_services.incident_snapshot_attach(actor=actor(operator), incident=incident,
                                                          image_file=png_upload(), caption="Back door")
    commendation = CommendationFactory(agency=agency, recipient=operator, issued_by=people[Role.SUPERVISOR])
    return World(agency=agency, incident=incident, snapshot=snapshot, commendation=commendation)


def png_upload(name: str = "gate.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, picture(fmt="PNG"), content_type="image/png")


def world_state(world: World) -> tuple:
    """What a write changes: incidents, their timeline and snapshots, commendations and the consent."""
    world.commendation.refresh_from_db()
    return (Incident.objects.count(), IncidentEvent.objects.count(), Snapshot.objects.count(),
            Commendation.objects.count(), world.commendation.public_consent)


RESIDENT_EMAIL = "resident@test.example"  # the shared fixtures' resident, commended by the issuers
HANDOFF_FORM = {"type": "break_in", "verification": "video", "address": "77 Lake St", "summary": "Window smashed",
                "suspect_count": "0", "suspects-TOTAL_FORMS": "0", "suspects-INITIAL_FORMS": "0",
                "vehicles-TOTAL_FORMS": "0", "vehicles-INITIAL_FORMS": "0"}
COMMENDATION = {"title": "For calling it in", "citation": "Called at once and stayed on the line."}

# Valid input for each write: (json body) for the API, (form data) for pages; built fresh for each call.
INPUT = {
    "POST /api/incidents/incidents": lambda world: {"json_body": {
        "agency_id": world.agency.pk, "type": "break_in", "verification": "video", "address": "77 Lake St"}},
    "POST /api/incidents/incidents/{incident_id}/updates": lambda world: {"json_body": {
        "kind": "observation", "text": "Two people at the back door"}},
    "POST /api/incidents/incidents/{incident_id}/snapshots": lambda world: {"data": {
        "image": png_upload(), "caption": "Side gate"}},
    "POST /api/incidents/incidents/{incident_id}/withdraw": lambda world: {"json_body": {"reason": "Staff member"}},
    "POST /api/incidents/incidents/{incident_id}/acknowledge": lambda world: {"json_body": {}},
    "POST /api/incidents/incidents/{incident_id}/assign": lambda world: {"json_body": {"unit": "2-Adam-14"}},
    "POST /api/incidents/incidents/{incident_id}/status": lambda world: {"json_body": {"status": "dispatched"}},
    "POST /api/incidents/incidents/{incident_id}/close": lambda world: {"json_body": {
        "disposition": "arrest", "outcome_summary": "Both arrested at the scene"}},
    "POST /api/incidents/incidents/{incident_id}/messages": lambda world: {"json_body": {"text": "On our way"}},
    "POST /api/incidents/commendations": lambda world: {"json_body": {
        "recipient_email": RESIDENT_EMAIL, **COMMENDATION}},
    "POST /api/incidents/commendations/{commendation_id}/consent": lambda world: {"json_body": {"public": True}},
    "POST /incidents/new/": lambda world: {"data": {"agency": world.agency.pk, **HANDOFF_FORM}},
    "POST /incidents/<int:incident_id>/messages/": lambda world: {"data": {"message-text": "On our way"}},
    "POST /incidents/<int:incident_id>/updates/": lambda world: {"data": {
        "kind": "observation", "observation-text": "Two people at the back door",
        "observation-verification": "video"}},
    "POST /incidents/<int:incident_id>/snapshots/": lambda world: {"data": {
        "snapshot-image": png_upload(), "snapshot-caption": "Side gate"}},
    "POST /incidents/<int:incident_id>/withdraw/": lambda world: {"data": {"withdraw-reason": "Staff member"}},
    "POST /incidents/<int:incident_id>/acknowledge/": lambda world: {},
    "POST /incidents/<int:incident_id>/assign/": lambda world: {"data": {"assign-unit": "2-Adam-14"}},
    "POST /incidents/<int:incident_id>/status/": lambda world: {"data": {"status-status": "dispatched"}},
    "POST /incidents/<int:incident_id>/close/": lambda world: {"data": {
        "close-disposition": "arrest", "close-outcome_summary": "Both arrested at the scene"}},
    "POST /incidents/commendations/issue/": lambda world: {"data": {
        "agency": world.agency.pk, "recipient_email": RESIDENT_EMAIL, "incident": "", **COMMENDATION}},
    "POST /incidents/commendations/<int:commendation_id>/consent/": lambda world: {"data": {"public": "yes"}},
}


def endpoint_input(endpoint: str, world: World) -> dict:
    if endpoint.startswith("POST "):
        assert endpoint in INPUT, f"give {endpoint} valid input in INPUT"
    return INPUT[endpoint](world) if endpoint in INPUT else {}


def test_the_key_only_endpoints_are_in_the_table_as_nobodys():
    assert all(ACCESS[endpoint] == NOBODY for endpoint in KEY_ONLY)
    assert any(e.startswith("GET /incidents/") for e in ENDPOINTS) and any("/api/" in e for e in ENDPOINTS)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_role_gets_what_the_access_table_says(client_of, who, endpoint, world):
    before = world_state(world)
    response = call(client_of(who), endpoint, **endpoint_input(endpoint, world), **world.path_values())
    assert_access(response, endpoint, who)
    # A 302 from a page's form also answers input it could not use: the write must really have happened,
    # and nothing may change for anyone refused (nor on any read).
    changed = world_state(world) != before
    assert changed == (who in ACCESS[endpoint] and endpoint.startswith("POST ")), (endpoint, who)


# --- The other agency's officer and the other company's operator: refused each incident of this pair

INCIDENT_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if "incident_id" in endpoint]


@pytest.mark.parametrize("outsider", ["other_agency_officer", "other_company_operator"])
@pytest.mark.parametrize("endpoint", INCIDENT_ENDPOINTS)
def test_police_of_another_agency_and_operators_of_another_company_are_refused_the_incident(
    client_for, outsider, endpoint, world
):
    if outsider == "other_agency_officer":
        _agency, user = other_agency_with_officer()
    else:
        _company, user = other_company_with_operator(world.agency)
    before = world_state(world)
    response = call(client_for(user), endpoint, **endpoint_input(endpoint, world), **world.path_values())
    assert response.status_code == 403, (endpoint, outsider, response.status_code)
    assert world_state(world) == before


# --- The alarm exchange: an alarm center's API key, never a session


@pytest.fixture
def sent(center, permit):
    """An alarm event the center sent: accepted, an incident received by the agency."""
    answer = alarm_send(center, permit)
    assert answer.outcome == "accepted"
    return answer


def alarm_input(endpoint: str, permit) -> dict:
    if endpoint == "POST /api/incidents/alarms":
        # At another permit of the company: accepted as a new incident, not joined to the one already open.
        body = alarm_fields(alarm_permit(permit.monitoring_company, permit.agency))
        return {"json_body": {**body, "received_at": body["received_at"].isoformat()}}
    if endpoint == "POST /api/incidents/alarm-batches":
        body = alarm_fields(alarm_permit(permit.monitoring_company, permit.agency))
        return {"json_body": {"events": [{**body, "received_at": body["received_at"].isoformat()}]}}
    if endpoint == "POST /api/incidents/alarms/{event_id}/cancel":
        return {"json_body": {"reason": "The customer entered their code"}}
    return {}


ALARM_SUCCESS = {"POST /api/incidents/alarms": 201}


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", KEY_ONLY)
def test_no_session_of_any_role_uses_the_alarm_exchange(client_of, who, endpoint, permit, sent):
    response = call(client_of(who), endpoint, event_id=sent.event_id, **alarm_input(endpoint, permit))
    assert response.status_code == 401, (endpoint, who, response.status_code)
    assert AlarmEvent.objects.count() == 1
    assert Incident.objects.get().status == Incident.Status.RECEIVED


@pytest.mark.parametrize("endpoint", KEY_ONLY)
def test_the_companys_key_with_alarms_write_uses_the_alarm_exchange(center, endpoint, permit, sent):
    response = call(center.client(), endpoint, event_id=sent.event_id, **alarm_input(endpoint, permit))
    assert response.status_code == ALARM_SUCCESS.get(endpoint, 200), (endpoint, response.content[:300])
    if endpoint == "POST /api/incidents/alarms/{event_id}/cancel":
        assert response.json()["outcome"] == "cancelled"
    if endpoint == "POST /api/incidents/alarm-batches":
        assert [answer["code"] for answer in response.json()["answers"]] == [201]
    if endpoint == "GET /api/incidents/alarms/status":
        assert sent.incident.pk in {event["incident_id"] for event in response.json()["events"]}


@pytest.mark.parametrize("endpoint", KEY_ONLY)
def test_a_key_without_alarms_write_or_of_a_business_is_refused_the_alarm_exchange(
    people, partner, security_company, endpoint, permit, sent
):
    unscoped = alarm_center(security_company, scopes=[s for s in ApiKey.ApiScope.values if s != "alarms:write"])
    _key, business = issue_key(people, partner, ["alarms:write"], name="not an alarm center")
    for client in (unscoped.client(), bearer(business)):
        response = call(client, endpoint, event_id=sent.event_id, **alarm_input(endpoint, permit))
        assert response.status_code == 403, (endpoint, response.status_code, response.content[:300])
    assert AlarmEvent.objects.count() == 1
    assert Incident.objects.get().status == Incident.Status.RECEIVED


@pytest.mark.parametrize("endpoint", ["GET /api/incidents/alarms/{event_id}",
                                      "POST /api/incidents/alarms/{event_id}/cancel"])
def test_another_alarm_center_is_told_an_event_it_did_not_send_does_not_exist(agency, endpoint, permit, sent):
    # 404 rather than 403: an event id is looked up among the caller's own events only, so another company
    # cannot learn which ids exist.
    other = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY, name="Nightwatch Security")
    handoff_agreement(other, agency)
    response = call(alarm_center(other).client(), endpoint, event_id=sent.event_id, **alarm_input(endpoint, permit))
    assert response.status_code == 404
    assert Incident.objects.get().status == Incident.Status.RECEIVED
