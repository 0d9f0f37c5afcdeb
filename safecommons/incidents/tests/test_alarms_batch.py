"""Several alarm events in one call: each answered as if sent alone, one after the other, in one
transaction; over HTTP as one request with one answer per event."""

import json
import os
import threading

import pytest
from django.db import connection
from django.utils import timezone

from safecommons.incidents import broadcast
from safecommons.incidents.models import AlarmEvent, Incident, IncidentEvent
from safecommons.incidents.services import alarms as alarm_services
from safecommons.incidents.tests.factories_alarms import alarm_fields, alarm_permit
from safecommons.partners.models import DataFlow, OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
BATCH_URL = "/api/incidents/alarm-batches"


def receive(center, *events):
    return alarm_services.alarm_events_receive(
        actor=center.actor, alarms=[alarm_services.AlarmIn(**event) for event in events])


def as_json(event: dict) -> dict:
    return {**event, "received_at": event["received_at"].isoformat()}


def test_each_event_is_answered_as_if_sent_alone_in_the_order_given(center, permit, security_company, agency):
    other = alarm_permit(security_company, agency, number="AP-2002")
    first, second = alarm_fields(permit), alarm_fields(permit, type="FIRE", verification="video")
    events = [first, second, alarm_fields(other), alarm_fields(other, type="TEST"),
              alarm_fields(None, permit_number="AP-404"), first]
    answers = receive(center, *events)
    assert [(a.outcome, a.reason, a.status_code, a.replayed) for a in answers] == [
        ("accepted", "", 201, False), ("joined", "", 200, False), ("accepted", "", 201, False),
        ("rejected", "invalid_type", 422, False), ("rejected", "unknown_site", 422, False),
        ("accepted", "", 201, True)]
    at_permit = Incident.objects.get(alarm_permit=permit)
    assert answers[0].incident == answers[1].incident == answers[5].incident == at_permit
    assert at_permit.alarm_count == 2 and at_permit.verification == "video"  # raised by the verified alarm
    assert AlarmEvent.objects.count() == 5  # one row per event id
    assert AlarmEvent.objects.get(event_id=events[3]["event_id"]).permit == other  # counted against its site
    assert DataFlow.objects.filter(purpose__startswith="alarm event").count() == 2
    timeline = list(IncidentEvent.objects.order_by("seq").values_list("seq", "kind", "incident_id"))
    assert [(kind, incident) for _seq, kind, incident in timeline] == [
        ("opened", at_permit.pk), ("alarm", at_permit.pk), ("opened", answers[2].incident.pk)]
    assert [seq for seq, _kind, _incident in timeline] == list(range(timeline[0][0], timeline[0][0] + 3))


def test_an_event_answered_before_gets_its_first_answer_and_changes_nothing(center, permit):
    earlier = alarm_fields(permit)
    first = alarm_services.alarm_event_receive(actor=center.actor, **earlier)
    answers = receive(center, {**earlier, "type": "FIRE"}, alarm_fields(permit))
    assert (answers[0].outcome, answers[0].replayed, answers[0].incident) == ("accepted", True, first.incident)
    assert (answers[1].outcome, answers[1].incident) == ("joined", first.incident)
    assert Incident.objects.get().alarm_count == 2


def test_a_stale_event_or_one_without_an_agreement_is_rejected_and_the_rest_go_through(center, permit, agency,
                                                                                        security_company):
    uncovered = alarm_permit(security_company, OrganisationFactory(kind=OrganisationKind.AGENCY), number="AP-9")
    answers = receive(center, alarm_fields(permit, received_at=timezone.now() - timezone.timedelta(hours=1)),
                      alarm_fields(uncovered), alarm_fields(permit))
    assert [(a.outcome, a.reason) for a in answers] == [
        ("rejected", "stale_event"), ("rejected", "no_agreement"), ("accepted", "")]


def test_the_events_reach_watchers_in_the_order_given_after_the_commit(center, permit, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    published = []
    monkeypatch.setattr(broadcast, "publish", lambda *envelopes: published.extend(envelopes))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        receive(center, alarm_fields(permit), alarm_fields(permit), alarm_fields(permit))
        assert published == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [envelope.kind for envelope in published] == ["opened", "alarm", "alarm"]
    assert [envelope.seq for envelope in published] == sorted(envelope.seq for envelope in published)


def test_an_unusable_event_refuses_the_whole_call_naming_it(center, permit):
    with pytest.raises(alarm_services.Refused, match="Event 1"):
        receive(center, alarm_fields(permit), alarm_fields(permit, event_id="  "))
    assert not AlarmEvent.objects.exists() and not Incident.objects.exists()


# --- Over HTTP


def test_a_batch_is_answered_with_one_answer_per_event_in_order(center, permit):
    first = alarm_fields(permit)
    response = center.client().post(BATCH_URL, json.dumps({"events": [as_json(first), as_json(alarm_fields(permit)),
                                                                       as_json(first)]}),
                                     content_type="application/json")
    assert response.status_code == 200, response.content
    answers = response.json()["answers"]
    assert [(a["event_id"], a["outcome"], a["code"], a["replayed"]) for a in answers] == [
        (first["event_id"], "accepted", 201, False), (answers[1]["event_id"], "joined", 200, False),
        (first["event_id"], "accepted", 201, True)]
    assert len({a["incident_id"] for a in answers}) == 1 and answers[0]["status"] == "received"


def test_an_event_that_does_not_fit_the_schema_refuses_the_batch_and_stores_nothing(center, permit):
    bad = {**as_json(alarm_fields(permit)), "received_at": "yesterday"}
    response = center.client().post(BATCH_URL, json.dumps({"events": [as_json(alarm_fields(permit)), bad]}),
                                    content_type="application/json")
    assert response.status_code == 422
    assert [error["loc"][-3:] for error in response.json()["detail"]] == [["events", 1, "received_at"]]
    assert not AlarmEvent.objects.exists()


def test_an_empty_or_oversized_batch_is_refused(center, permit, monkeypatch):
    client = center.client()
    assert client.post(BATCH_URL, json.dumps({"events": []}), content_type="application/json").status_code == 422
    events = [as_json(alarm_fields(permit)) for _ in range(alarm_services.BATCH_MAX + 1)]
    assert client.post(BATCH_URL, json.dumps({"events": events}), content_type="application/json").status_code == 422
    assert not AlarmEvent.objects.exists()


# --- Two batches at once (PostgreSQL: concurrent transactions)

on_postgres = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                 reason="needs PostgreSQL (DATABASE_URL) for concurrent transactions")


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_batches_sent_at_once_with_the_same_events_store_each_once_and_open_one_incident_per_site(
        center, security_company, agency):
    permits = [alarm_permit(security_company, agency, number=f"AP-{n}") for n in range(6)]
    events = [alarm_fields(permit) for permit in permits] + [alarm_fields(permit) for permit in permits]
    results, errors = [], []

    def send(order):
        try:
            results.append(receive(center, *order))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(order,))
               for order in (events, list(reversed(events)), events[3:] + events[:3])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert AlarmEvent.objects.count() == 12
    assert Incident.objects.count() == 6 and sum(Incident.objects.values_list("alarm_count", flat=True)) == 12
    by_event = {}
    for answers in results:
        for answer in answers:
            by_event.setdefault(answer.event_id, set()).add((answer.outcome, answer.incident.pk))
    assert all(len(seen) == 1 for seen in by_event.values()), by_event


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_police_acting_while_an_alarm_commits_for_the_same_agency_do_not_deadlock(center, permit, people, agency,
                                                                                  monkeypatch):
    # The alarm holds the event counter until it commits; the officer's action, on another incident of the
    # agency, waits for that counter. Neither may hold what the other needs (the agency's row).
    import time

    from safecommons.core.roles import Role
    from safecommons.incidents.services import police as police_services
    from safecommons.incidents.tests.factories_workflow import actor, hand_over

    incident = hand_over(people[Role.SECURITY_OPERATOR], agency)
    officer = actor(people[Role.OFFICER])
    numbered = threading.Event()
    append = alarm_services.incident_events_append

    def append_then_linger(new_events):
        events = append(new_events)
        numbered.set()
        time.sleep(1.5)  # longer than PostgreSQL's deadlock_timeout
        return events

    monkeypatch.setattr(alarm_services, "incident_events_append", append_then_linger)
    errors = []

    def run(work):
        try:
            work()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: receive(center, alarm_fields(permit)),)),
        threading.Thread(target=run, args=(lambda: (numbered.wait(5),
                                                    police_services.incident_acknowledge(actor=officer,
                                                                                         incident=incident)),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.ACKNOWLEDGED
