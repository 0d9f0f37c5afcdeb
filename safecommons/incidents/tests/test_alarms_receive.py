"""Receiving alarm events (the service): accepted, joined as a duplicate, or rejected with a stored reason;
a resend of the same event id gets the first answer and creates nothing."""

import os
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from safecommons.core.audit.models import AuditEntry
from safecommons.incidents.models import AlarmEvent, Disposition, Incident, IncidentEvent, IncidentType
from safecommons.incidents.services import alarms as alarm_services
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_alarms import alarm_center, alarm_fields, alarm_permit, alarm_send
from safecommons.partners.models import Agreement, DataFlow, OrganisationKind, Scope
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def permit(security_company, agency):
    return alarm_permit(security_company, agency, number="AP-1001", address="12 Elm St", latitude=44.9,
                        longitude=-93.2)


# --- Accepted


def test_an_alarm_for_a_known_permit_opens_an_incident_for_the_permits_agency(center, permit, agency,
                                                                              security_company):
    answer = alarm_send(center, permit, type="burg", callback_phone="555-0199", verification="audio")
    assert (answer.outcome, answer.reason, answer.status_code, answer.replayed) == ("accepted", "", 201, False)
    incident = Incident.objects.get()
    assert answer.incident == incident
    assert (incident.agency, incident.company, incident.source) == (agency, security_company, Incident.Source.ALARM)
    assert (incident.type, incident.verification, incident.callback_phone) == (
        IncidentType.BURGLAR_ALARM, "audio", "555-0199")
    assert (incident.address, incident.latitude, incident.longitude) == ("12 Elm St", 44.9, -93.2)
    assert incident.alarm_permit == permit and incident.alarm_count == 1
    assert "zone 3 Back door" in incident.summary
    assert incident.priority == 120  # verified (100) + burglar alarm (20)
    assert incident.status == Incident.Status.RECEIVED


def test_the_accepted_alarm_is_stored_with_its_answer_and_opens_the_timeline(center, permit):
    fields = alarm_fields(permit, monitoring_center_ref="MC-7", operator_ref="op 12", audible=False)
    alarm_services.alarm_event_receive(actor=center.actor, **fields, payload={"raw": "as sent"})
    stored = AlarmEvent.objects.get()
    incident = Incident.objects.get()
    assert (stored.event_id, stored.outcome, stored.permit, stored.incident) == (
        fields["event_id"], "accepted", permit, incident)
    assert stored.payload == {"raw": "as sent"} and stored.event_received_at == fields["received_at"]
    opened = IncidentEvent.objects.get(incident=incident)
    assert (opened.kind, opened.side) == (IncidentEvent.Kind.OPENED, IncidentEvent.Side.ALARM_CENTER)
    assert opened.actor_label == "Watchful Monitoring (op 12)"
    assert opened.text.endswith("(silent)")
    assert opened.data["event_id"] == fields["event_id"] and opened.data["monitoring_center_ref"] == "MC-7"


def test_an_event_position_wins_over_the_permits(center, permit):
    alarm_send(center, permit, latitude=45.01, longitude=-93.3)
    assert Incident.objects.values_list("latitude", "longitude").get() == (45.01, -93.3)


def test_each_alarm_code_maps_to_an_incident_type(center, permit, clock):
    for code, alarm_type in alarm_services.ALARM_TYPES.items():
        clock.shift(3600)  # past the duplicate window: each opens its own incident
        answer = alarm_send(center, permit, type=code, received_at=timezone.now())
        assert answer.outcome == "accepted" and answer.incident.type == alarm_type.incident_type


def test_the_flow_is_recorded_under_the_agreement_without_an_audit_entry(center, permit, security_company, agency):
    audit_before = AuditEntry.objects.count()
    answer = alarm_send(center, permit)
    flow = DataFlow.objects.get()
    assert (flow.scope, flow.provider, flow.recipient) == (Scope.ALARM_EVENTS, security_company, agency)
    assert flow.agreement == Agreement.objects.get() and flow.object_id == str(answer.incident.pk)
    assert AuditEntry.objects.count() == audit_before


def test_an_accepted_alarm_takes_a_handful_of_queries(center, permit, django_assert_max_num_queries):
    alarm_send(center, permit)  # the first of a process may look up more (the sequence row)
    another = alarm_permit(permit.monitoring_company, permit.agency)
    # Ten statements, and the savepoints that make a racing resend safe.
    with django_assert_max_num_queries(16):
        assert alarm_send(center, another).outcome == "accepted"


# --- Replays


def test_a_resent_event_gets_the_first_answer_and_creates_nothing(center, permit):
    fields = alarm_fields(permit)
    first = alarm_services.alarm_event_receive(actor=center.actor, **fields)
    again = alarm_services.alarm_event_receive(actor=center.actor, **{**fields, "type": "FIRE"})
    assert (again.outcome, again.incident, again.status_code, again.replayed) == (
        "accepted", first.incident, 201, True)
    assert Incident.objects.count() == 1 and AlarmEvent.objects.count() == 1
    assert IncidentEvent.objects.count() == 1


def test_a_resent_rejection_is_rejected_again_for_the_same_reason(center, permit):
    fields = alarm_fields(permit, type="TROUBLE")
    alarm_services.alarm_event_receive(actor=center.actor, **fields)
    again = alarm_services.alarm_event_receive(actor=center.actor, **{**fields, "type": "BURG"})
    assert (again.outcome, again.reason, again.status_code, again.replayed) == ("rejected", "invalid_type", 422, True)
    assert AlarmEvent.objects.count() == 1 and not Incident.objects.exists()


def test_two_companies_may_use_the_same_event_id(center, permit, agency):
    other = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY, name="Nightwatch Alarms")
    handoff_agreement(other, agency)
    other_center = alarm_center(other)
    alarm_send(center, permit, event_id="E-1")
    answer = alarm_send(other_center, alarm_permit(other, agency), event_id="E-1")
    assert answer.outcome == "accepted" and not answer.replayed
    assert Incident.objects.count() == 2


# --- Rejections, each stored


def rejection(answer, reason):
    stored = AlarmEvent.objects.get(event_id=answer.event_id)
    return (answer.outcome, answer.reason, answer.status_code, stored.outcome, stored.reason) == (
        "rejected", reason, 422, "rejected", reason)


@pytest.mark.parametrize("code", ["TROUBLE", "TEST", "", "burglary"])
def test_an_unknown_alarm_code_is_rejected_as_invalid_type(center, permit, code):
    answer = alarm_send(center, permit, type=code)
    assert rejection(answer, "invalid_type") and "BURG" in answer.detail
    assert not Incident.objects.exists()


def in_seconds(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def test_an_event_received_by_the_center_too_long_ago_is_stale(center, permit, settings):
    answer = alarm_send(center, permit, received_at=in_seconds(-settings.ALARM_STALE_SECONDS - 5))
    assert rejection(answer, "stale_event") and not Incident.objects.exists()


def test_an_event_dated_in_the_future_beyond_the_clock_skew_is_stale(center, permit, settings):
    late = alarm_send(center, permit, received_at=in_seconds(settings.ALARM_CLOCK_SKEW_SECONDS + 5))
    assert rejection(late, "stale_event") and "clock" in late.detail
    within = alarm_send(center, permit, received_at=in_seconds(settings.ALARM_CLOCK_SKEW_SECONDS - 5))
    assert within.outcome == "accepted"


def test_an_unknown_permit_number_is_an_unknown_site(center, permit):
    answer = alarm_send(center, None)
    assert rejection(answer, "unknown_site") and AlarmEvent.objects.get().permit is None


def test_another_companys_permit_is_an_unknown_site(center, agency):
    other = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY)
    assert rejection(alarm_send(center, alarm_permit(other, agency)), "unknown_site")


def test_an_inactive_permit_is_an_unknown_site(center, security_company, agency):
    assert rejection(alarm_send(center, alarm_permit(security_company, agency, is_active=False)), "unknown_site")


def test_a_permit_number_on_record_with_two_agencies_is_refused_as_ambiguous(center, security_company, agency):
    other_agency = OrganisationFactory(kind=OrganisationKind.AGENCY)
    handoff_agreement(security_company, other_agency)
    alarm_permit(security_company, agency, number="AP-7")
    twin = alarm_permit(security_company, other_agency, number="AP-7")
    answer = alarm_send(center, twin)
    assert rejection(answer, "unknown_site") and "more than one agency" in answer.detail


def test_without_an_agreement_the_alarm_is_refused(security_company, agency):
    center = alarm_center(security_company)
    permit = alarm_permit(security_company, agency)
    answer = alarm_send(center, permit)
    assert rejection(answer, "no_agreement") and AlarmEvent.objects.get().permit == permit
    assert not Incident.objects.exists() and not DataFlow.objects.exists()


def test_after_the_agreement_expired_the_alarm_is_refused(security_company, agency):
    today = timezone.localdate()
    handoff_agreement(security_company, agency, effective_from=today - timedelta(days=60),
                      expires_on=today - timedelta(days=1))
    center = alarm_center(security_company)
    assert rejection(alarm_send(center, alarm_permit(security_company, agency)), "no_agreement")


def test_an_agreement_without_the_alarm_events_scope_does_not_do(security_company, agency):
    from safecommons.partners.tests.factories import agreement_between

    agreement_between(security_company, agency, Scope.INCIDENT_DATA)
    center = alarm_center(security_company)
    assert rejection(alarm_send(center, alarm_permit(security_company, agency)), "no_agreement")


# --- Who may send


def test_a_key_without_the_alarms_scope_is_refused(security_company, permit):
    center = alarm_center(security_company, scopes=["cameras:write"])
    with pytest.raises(PermissionDenied):
        alarm_send(center, permit)
    assert not AlarmEvent.objects.exists()


def test_a_key_of_an_organisation_that_is_not_a_security_company_is_refused(partner, permit):
    with pytest.raises(PermissionDenied):
        alarm_send(alarm_center(partner), permit)


# --- Duplicates


def test_a_second_alarm_from_the_site_within_the_window_joins_the_open_incident(center, permit, clock):
    first = alarm_send(center, permit)
    clock.shift(120)
    second = alarm_send(center, permit, type="PANIC", zone="1 Front door", operator_ref="op 4",
                        received_at=timezone.now())
    assert (second.outcome, second.status_code, second.incident) == ("joined", 200, first.incident)
    incident = Incident.objects.get()
    assert incident.alarm_count == 2 and incident.type == IncidentType.BURGLAR_ALARM
    alarm = IncidentEvent.objects.get(kind=IncidentEvent.Kind.ALARM)
    assert alarm.side == IncidentEvent.Side.ALARM_CENTER and "zone 1 Front door" in alarm.text
    assert alarm.data["event_id"] == second.event_id and alarm.data["type"] == "PANIC"
    assert AlarmEvent.objects.get(event_id=second.event_id).incident == incident


def test_a_verified_duplicate_raises_the_incidents_verification_and_priority(center, permit):
    first = alarm_send(center, permit)
    alarm_send(center, permit, verification="video")
    incident = Incident.objects.get(pk=first.incident.pk)
    assert incident.verification == "video" and incident.priority == 120


def test_an_alarm_after_the_window_opens_a_new_incident(center, permit, settings, clock):
    alarm_send(center, permit)
    clock.shift(settings.ALARM_DUPLICATE_WINDOW_SECONDS + 1)
    assert alarm_send(center, permit, received_at=timezone.now()).outcome == "accepted"
    assert Incident.objects.count() == 2


def test_an_alarm_after_the_incident_was_closed_opens_a_new_incident(center, permit):
    first = alarm_send(center, permit)
    Incident.objects.filter(pk=first.incident.pk).update(status=Incident.Status.CLOSED,
                                                         disposition=Disposition.FALSE_ALARM)
    second = alarm_send(center, permit)
    assert second.outcome == "accepted" and second.incident != first.incident


def test_an_alarm_from_another_site_is_not_a_duplicate(center, permit, security_company, agency):
    alarm_send(center, permit)
    assert alarm_send(center, alarm_permit(security_company, agency)).outcome == "accepted"


# --- Resends racing each other (PostgreSQL: real concurrent transactions)

on_postgres = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                 reason="needs PostgreSQL (DATABASE_URL) for concurrent transactions")


def _at_once(count, send):
    answers, errors, start = [], [], threading.Barrier(count)

    def run():
        try:
            start.wait()
            answers.append(send())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return answers


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_sent_twice_at_once_makes_one_row_and_one_incident(center, permit):
    fields = alarm_fields(permit)
    answers = _at_once(4, lambda: alarm_services.alarm_event_receive(actor=center.actor, **fields))
    assert AlarmEvent.objects.count() == 1 and Incident.objects.count() == 1
    assert {(a.outcome, a.incident.pk) for a in answers} == {("accepted", Incident.objects.get().pk)}
    assert sorted(a.replayed for a in answers) == [False, True, True, True]


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_different_alarms_from_one_site_at_once_open_one_incident(center, permit):
    answers = _at_once(4, lambda: alarm_send(center, permit))
    assert sorted(a.outcome for a in answers) == ["accepted", "joined", "joined", "joined"]
    assert Incident.objects.get().alarm_count == 4
