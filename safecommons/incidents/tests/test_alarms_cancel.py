"""A center calls off an alarm: closed as cancelled before dispatch, a request police decide on after it,
and the same answer when asked again."""

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied

from safecommons.core.errors import Refused
from safecommons.incidents.models import Disposition, Incident, IncidentEvent
from safecommons.incidents.services import alarms as alarm_services
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_alarms import (
    alarm_center,
    alarm_permit,
    alarm_send,
    incident_moved_to,
)
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(center, security_company, agency):
    return alarm_send(center, alarm_permit(security_company, agency))


def cancel(center, answer, reason="Keyholder gave the passcode"):
    return alarm_services.alarm_event_cancel(actor=center.actor, event_id=answer.event_id, reason=reason)


def events(incident, kind):
    return list(IncidentEvent.objects.filter(incident=incident, kind=kind))


@pytest.mark.parametrize("status", [Incident.Status.RECEIVED, Incident.Status.ACKNOWLEDGED])
def test_before_dispatch_the_incident_is_closed_as_cancelled(center, accepted, status):
    incident_moved_to(accepted.incident, status)
    answer = cancel(center, accepted)
    incident = Incident.objects.get()
    assert answer.outcome == "cancelled" and answer.incident == incident
    assert (incident.status, incident.disposition) == (Incident.Status.CLOSED, Disposition.CANCELLED)
    assert incident.closed_at is not None and incident.cancel_requested_at is None
    [closing] = events(incident, IncidentEvent.Kind.STATUS)
    assert closing.side == IncidentEvent.Side.ALARM_CENTER and "Keyholder gave the passcode" in closing.text
    assert closing.data == {"event_id": accepted.event_id, "reason": "Keyholder gave the passcode",
                            "status": "closed", "disposition": "cancelled"}


@pytest.mark.parametrize("status", [Incident.Status.DISPATCHED, Incident.Status.ON_SCENE])
def test_once_police_are_on_the_way_the_cancellation_is_a_request(center, accepted, status):
    incident_moved_to(accepted.incident, status, assigned_unit="2-Adam-14")
    answer = cancel(center, accepted)
    incident = Incident.objects.get()
    assert answer.outcome == "cancel_requested"
    assert incident.status == status and incident.disposition == "" and incident.cancel_requested_at is not None
    [request] = events(incident, IncidentEvent.Kind.CANCEL_REQUESTED)
    assert "Keyholder gave the passcode" in request.text


def test_cancelling_again_gives_the_same_answer_and_adds_nothing(center, accepted):
    assert cancel(center, accepted).outcome == "cancelled"
    assert cancel(center, accepted).outcome == "cancelled"
    assert len(events(accepted.incident, IncidentEvent.Kind.STATUS)) == 1


def test_asking_twice_while_dispatched_asks_police_once(center, accepted):
    incident_moved_to(accepted.incident, Incident.Status.DISPATCHED)
    cancel(center, accepted)
    assert cancel(center, accepted).outcome == "cancel_requested"
    assert len(events(accepted.incident, IncidentEvent.Kind.CANCEL_REQUESTED)) == 1


def test_an_incident_police_already_closed_stays_as_they_closed_it(center, accepted):
    incident_moved_to(accepted.incident, Incident.Status.CLOSED, disposition=Disposition.ARREST)
    answer = cancel(center, accepted)
    assert answer.outcome == "already_closed" and answer.incident.disposition == Disposition.ARREST
    assert not events(accepted.incident, IncidentEvent.Kind.STATUS)


def test_cancelling_a_joined_alarm_cancels_the_incident_it_joined(center, accepted, security_company):
    joined = alarm_send(center, accepted.incident.alarm_permit)
    assert joined.outcome == "joined"
    assert cancel(center, joined).outcome == "cancelled"
    assert Incident.objects.get().disposition == Disposition.CANCELLED


def test_a_cancellation_without_a_reason_says_so_plainly(center, accepted):
    cancel(center, accepted, reason="")
    assert events(accepted.incident, IncidentEvent.Kind.STATUS)[0].text == "Cancelled by the alarm company."


def test_a_rejected_event_has_nothing_to_cancel(center):
    rejected = alarm_send(center, None)
    with pytest.raises(Refused):
        cancel(center, rejected)


def test_another_companys_event_is_not_found(center, accepted, agency):
    other = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY)
    handoff_agreement(other, agency)
    with pytest.raises(ObjectDoesNotExist):
        cancel(alarm_center(other), accepted)
    assert Incident.objects.get().status == Incident.Status.RECEIVED


def test_a_key_without_the_alarms_scope_cannot_cancel(accepted, security_company):
    with pytest.raises(PermissionDenied):
        cancel(alarm_center(security_company, scopes=["cameras:write"]), accepted)
