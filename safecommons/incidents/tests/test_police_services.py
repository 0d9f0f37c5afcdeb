"""The police services: acknowledge, assign, move the status forward only, close with an outcome that is
emailed to the company; messages from both sides; and who is refused."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from safecommons.core.errors import Refused
from safecommons.core.roles import Role
from safecommons.incidents.models import Disposition, Incident, IncidentEvent
from safecommons.incidents.services import operator as operator_services
from safecommons.incidents.services import police as police_services
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_workflow import actor, expire, hand_over, other_agency_with_officer
from safecommons.partners.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(security_company, agency):
    return handoff_agreement(security_company, agency)


@pytest.fixture
def incident(people, agency, agreement):
    return hand_over(people[Role.SECURITY_OPERATOR], agency)


@pytest.fixture
def officer(people):
    return actor(people[Role.OFFICER])


def last_event(incident):
    return incident.events.order_by("-seq").first()


def test_an_officer_acknowledges(officer, people, incident):
    acknowledged = police_services.incident_acknowledge(actor=officer, incident=incident)
    assert acknowledged.status == Incident.Status.ACKNOWLEDGED and acknowledged.acknowledged_at is not None
    assert acknowledged.acknowledged_by == people[Role.OFFICER]
    event = last_event(incident)
    assert (event.kind, event.side, event.data["status"]) == ("status", "police", "acknowledged")
    assert "Testville Police Department" in event.actor_label


def test_acknowledging_twice_is_refused(officer, incident):
    police_services.incident_acknowledge(actor=officer, incident=incident)
    with pytest.raises(Refused, match="already"):
        police_services.incident_acknowledge(actor=officer, incident=incident)


def test_assigning_a_unit_dispatches_the_incident(officer, incident):
    assigned = police_services.incident_assign(actor=officer, incident=incident, unit=" 2-Adam-14 ")
    assert (assigned.assigned_unit, assigned.status) == ("2-Adam-14", Incident.Status.DISPATCHED)
    assert assigned.acknowledged_at is not None and assigned.dispatched_at is not None
    event = last_event(incident)
    assert event.kind == IncidentEvent.Kind.ASSIGNED and event.data == {"unit": "2-Adam-14", "status": "dispatched"}


def test_reassigning_on_scene_keeps_the_status(officer, incident):
    police_services.incident_status_set(actor=officer, incident=incident, status="on_scene")
    reassigned = police_services.incident_assign(actor=officer, incident=incident, unit="3-Baker-2")
    assert reassigned.status == Incident.Status.ON_SCENE and reassigned.assigned_unit == "3-Baker-2"


def test_a_unit_needs_a_call_sign(officer, incident):
    with pytest.raises(Refused):
        police_services.incident_assign(actor=officer, incident=incident, unit="  ")


def test_the_status_moves_forward_and_stamps_each_step(officer, incident):
    police_services.incident_acknowledge(actor=officer, incident=incident)
    dispatched = police_services.incident_status_set(actor=officer, incident=incident, status="dispatched")
    assert dispatched.status == "dispatched" and dispatched.dispatched_at is not None
    on_scene = police_services.incident_status_set(actor=officer, incident=incident, status="on_scene")
    assert on_scene.status == "on_scene" and on_scene.on_scene_at >= on_scene.dispatched_at
    assert last_event(incident).data == {"status": "on_scene", "previous": "dispatched"}


def test_skipping_ahead_stamps_the_skipped_steps(officer, incident):
    on_scene = police_services.incident_status_set(actor=officer, incident=incident, status="on_scene")
    assert on_scene.acknowledged_at and on_scene.dispatched_at and on_scene.on_scene_at


@pytest.mark.parametrize("path", [("dispatched", "acknowledged"), ("on_scene", "dispatched"),
                                  ("acknowledged", "acknowledged")])
def test_the_status_never_moves_back(officer, incident, path):
    police_services.incident_status_set(actor=officer, incident=incident, status=path[0])
    with pytest.raises(Refused, match="only moves forward"):
        police_services.incident_status_set(actor=officer, incident=incident, status=path[1])


@pytest.mark.parametrize("status", ["received", "closed", "nonsense"])
def test_only_the_working_statuses_can_be_set(officer, incident, status):
    with pytest.raises(Refused):
        police_services.incident_status_set(actor=officer, incident=incident, status=status)


def test_closing_sends_the_outcome_back(officer, people, incident, security_company,
                                        django_capture_on_commit_callbacks):
    ContactFactory(organisation=security_company, email="late-shift@watchful.example", is_24_7=True,
                   escalation_order=2)
    ContactFactory(organisation=security_company, email="desk@watchful.example", is_24_7=True, escalation_order=1)
    ContactFactory(organisation=security_company, email="office@watchful.example", is_24_7=False,
                   escalation_order=0)
    with django_capture_on_commit_callbacks(execute=True):
        closed = police_services.incident_close(actor=officer, incident=incident, disposition=Disposition.ARREST,
                                                outcome_summary="Two arrested at the back door. Thank you.")
    assert closed.status == Incident.Status.CLOSED and closed.closed_at is not None
    assert closed.disposition == "arrest" and closed.outcome_summary.startswith("Two arrested")
    event = last_event(incident)
    assert event.kind == IncidentEvent.Kind.OUTCOME and event.text.startswith("Two arrested")
    assert event.data["disposition"] == "arrest"
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [people[Role.SECURITY_OPERATOR].email, "desk@watchful.example"])
    assert all("Two arrested at the back door" in message.body for message in mail.outbox)
    assert all("Arrest" in message.body and "Testville Police Department" in message.subject
               for message in mail.outbox)


def test_the_outcome_is_emailed_once_when_the_opener_is_the_contact(officer, people, incident, security_company,
                                                                    django_capture_on_commit_callbacks):
    ContactFactory(organisation=security_company, email=people[Role.SECURITY_OPERATOR].email.upper())
    with django_capture_on_commit_callbacks(execute=True):
        police_services.incident_close(actor=officer, incident=incident, disposition=Disposition.NO_CRIME,
                                       outcome_summary="Nothing found.")
    assert len(mail.outbox) == 1


def test_closing_needs_an_outcome_and_a_police_disposition(officer, incident):
    with pytest.raises(Refused):
        police_services.incident_close(actor=officer, incident=incident, disposition="arrest", outcome_summary="")
    for disposition in (Disposition.WITHDRAWN, Disposition.CANCELLED, "nonsense"):
        with pytest.raises(Refused):
            police_services.incident_close(actor=officer, incident=incident, disposition=disposition,
                                           outcome_summary="Done")
    incident.refresh_from_db()
    assert incident.is_open


def test_a_closed_incident_takes_no_more_police_actions(officer, incident):
    police_services.incident_close(actor=officer, incident=incident, disposition="gone_on_arrival",
                                   outcome_summary="Gone.")
    for act in (lambda: police_services.incident_acknowledge(actor=officer, incident=incident),
                lambda: police_services.incident_assign(actor=officer, incident=incident, unit="1-A-1"),
                lambda: police_services.incident_status_set(actor=officer, incident=incident, status="on_scene"),
                lambda: police_services.incident_close(actor=officer, incident=incident, disposition="arrest",
                                                       outcome_summary="Again")):
        with pytest.raises(Refused, match="closed"):
            act()


def test_police_of_another_agency_are_refused(incident):
    _, stranger = other_agency_with_officer()
    for act in (lambda a: police_services.incident_acknowledge(actor=a, incident=incident),
                lambda a: police_services.incident_assign(actor=a, incident=incident, unit="X"),
                lambda a: police_services.incident_status_set(actor=a, incident=incident, status="dispatched"),
                lambda a: police_services.incident_close(actor=a, incident=incident, disposition="arrest",
                                                         outcome_summary="x"),
                lambda a: police_services.incident_message_post(actor=a, incident=incident, text="hi")):
        with pytest.raises(PermissionDenied):
            act(actor(stranger))


@pytest.mark.parametrize("role", [Role.LIAISON, Role.ANALYST, Role.AGENCY_ADMIN, Role.SECURITY_OPERATOR,
                                  Role.PARTNER_ADMIN, Role.RESIDENT, Role.OVERSIGHT])
def test_only_officers_and_supervisors_dispatch(people, incident, role):
    with pytest.raises(PermissionDenied):
        police_services.incident_acknowledge(actor=actor(people[role]), incident=incident)


# --- Messages


def test_both_sides_exchange_messages(officer, people, incident, security_company):
    from_police = police_services.incident_message_post(actor=officer, incident=incident, text="Units 2 min out")
    from_operator = police_services.incident_message_post(actor=actor(people[Role.SECURITY_OPERATOR]),
                                                          incident=incident, text="Suspects still inside")
    assert (from_police.kind, from_police.side) == ("message", "police")
    assert (from_operator.kind, from_operator.side) == ("message", "operator")
    assert security_company.name in from_operator.actor_label


def test_an_empty_message_is_refused(officer, incident):
    with pytest.raises(Refused):
        police_services.incident_message_post(actor=officer, incident=incident, text=" \n ")


def test_no_messages_on_a_closed_incident(officer, people, incident):
    operator_services.incident_withdraw(actor=actor(people[Role.SECURITY_OPERATOR]), incident=incident,
                                        reason="Mistake")
    with pytest.raises(PermissionDenied):
        police_services.incident_message_post(actor=officer, incident=incident, text="Still coming?")


def test_the_operator_cannot_message_once_the_agreement_expired(people, incident, agreement):
    expire(agreement)
    with pytest.raises(PermissionDenied):
        police_services.incident_message_post(actor=actor(people[Role.SECURITY_OPERATOR]), incident=incident,
                                              text="Hello?")


def test_another_companys_operator_cannot_message(agency, incident):
    from safecommons.incidents.tests.factories_workflow import other_company_with_operator

    _, stranger = other_company_with_operator(agency)
    with pytest.raises(PermissionDenied):
        police_services.incident_message_post(actor=actor(stranger), incident=incident, text="hi")
