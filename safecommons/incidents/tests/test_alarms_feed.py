"""A center's status feeds: the pollable one (after an event id) and the pushed one (ws/alarms/status/),
each carrying only the status events of the center's own company's incidents."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied

from safecommons.incidents.events import incident_event_append
from safecommons.incidents.models import Incident, IncidentEvent
from safecommons.incidents.selectors import alarms as alarm_selectors
from safecommons.incidents.tests.factories_alarms import alarm_center, alarm_permit, alarm_send, incident_moved_to


def police_dispatch(incident, unit="2-Adam-14"):
    """What the police side writes when it dispatches a unit (its own services are tested elsewhere)."""
    incident = incident_moved_to(incident, Incident.Status.DISPATCHED, assigned_unit=unit)
    return incident_event_append(incident=incident, kind=IncidentEvent.Kind.STATUS, side=IncidentEvent.Side.POLICE,
                                 actor_label="Sgt. Rivera", text="Dispatched", data={"status": "dispatched"})


def police_message(incident, text="Units two minutes out"):
    return incident_event_append(incident=incident, kind=IncidentEvent.Kind.MESSAGE, side=IncidentEvent.Side.POLICE,
                                 actor_label="Sgt. Rivera", text=text)


def feed(center, **kwargs):
    return alarm_selectors.alarm_status_feed(actor=center.actor, **kwargs)


# --- The pollable feed


@pytest.mark.django_db
def test_the_feed_carries_status_events_with_the_incident_state_and_the_centers_event_ids(center, permit):
    first = alarm_send(center, permit)
    joined = alarm_send(center, permit)
    police_message(first.incident)
    dispatched = police_dispatch(first.incident)
    result = feed(center)
    assert [event["kind"] for event in result.events] == ["opened", "alarm", "status"]
    last = result.events[-1]
    assert last["id"] == dispatched.seq == result.last_event_id
    assert last["incident_id"] == first.incident.pk and last["text"] == "Dispatched"
    assert (last["status"], last["disposition"], last["assigned_unit"]) == ("dispatched", "", "2-Adam-14")
    assert last["event_ids"] == [first.event_id, joined.event_id]
    assert set(last) >= {"id", "incident_id", "kind", "kind_label", "side", "actor", "text", "data", "at"}


@pytest.mark.django_db
def test_the_feed_resumes_after_the_last_event_id(center, permit):
    first = alarm_send(center, permit)
    cursor = feed(center).last_event_id
    police_dispatch(first.incident)
    later = feed(center, after=cursor)
    assert [event["kind"] for event in later.events] == ["status"]
    assert feed(center, after=later.last_event_id).events == []
    assert feed(center, after=later.last_event_id).last_event_id == later.last_event_id


@pytest.mark.django_db
def test_the_feed_pages_by_limit(center, permit, security_company, agency):
    for _ in range(3):
        alarm_send(center, alarm_permit(security_company, agency))
    page = feed(center, limit=2)
    assert len(page.events) == 2
    assert len(feed(center, after=page.last_event_id, limit=2).events) == 1


@pytest.mark.django_db
def test_another_companys_center_sees_nothing_of_ours(center, permit, other_center):
    alarm_send(center, permit)
    assert feed(other_center).events == []


@pytest.mark.django_db
def test_the_feed_needs_the_alarms_scope(security_company, center):
    with pytest.raises(PermissionDenied):
        feed(alarm_center(security_company, scopes=["cameras:write"]))


# --- The pushed feed


async def connect(center, query=""):
    from safecommons.asgi import application

    communicator = WebsocketCommunicator(application, f"/ws/alarms/status/{query}", headers=[
        (b"authorization", f"Bearer {center.secret}".encode()), (b"host", b"127.0.0.1")])
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
def test_the_pushed_feed_delivers_a_status_change_as_it_happens(center, permit):
    first = alarm_send(center, permit)

    async def scenario():
        communicator, connected, _ = await connect(center)
        assert connected
        await database_sync_to_async(police_message)(first.incident)
        await database_sync_to_async(police_dispatch)(first.incident)
        message = await communicator.receive_json_from(timeout=3)
        assert message["type"] == "incident.event"
        assert (message["event"]["kind"], message["event"]["text"]) == ("status", "Dispatched")
        assert message["incident"]["id"] == first.incident.pk
        assert message["incident"]["assigned_unit"] == "2-Adam-14"
        assert await communicator.receive_nothing(timeout=0.3)  # the message stayed between police and operator
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_the_pushed_feed_replays_what_came_after_the_last_event_id(center, permit):
    first = alarm_send(center, permit)
    seen = IncidentEvent.objects.get().seq
    joined = alarm_send(center, permit)
    police_dispatch(first.incident)

    async def scenario():
        communicator, connected, _ = await connect(center, f"?last_event_id={seen}")
        assert connected
        replayed = [await communicator.receive_json_from(timeout=3) for _ in range(2)]
        assert [m["event"]["kind"] for m in replayed] == ["alarm", "status"]
        assert replayed[0]["event"]["data"]["event_id"] == joined.event_id
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_another_companys_key_receives_nothing_of_ours(center, permit, other_center):
    async def scenario():
        communicator, connected, _ = await connect(other_center)
        assert connected
        await database_sync_to_async(alarm_send)(center, permit)
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_key_without_the_alarms_scope_is_refused(security_company, center):
    without_scope = alarm_center(security_company, scopes=["cameras:write"])

    async def scenario():
        _, connected, _code = await connect(without_scope)
        assert connected is False  # the handshake is refused (HTTP 403)

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_connection_without_a_key_or_with_a_wrong_one_is_refused(center):
    from safecommons.asgi import application

    async def scenario():
        for headers in ([], [(b"authorization", b"Bearer sc_nope_nope")]):
            communicator = WebsocketCommunicator(application, "/ws/alarms/status/",
                                                 headers=[*headers, (b"host", b"127.0.0.1")])
            connected, _code = await communicator.connect()
            assert connected is False

    async_to_sync(scenario)()
