"""The incident stream: stored before broadcast, received live, replayed after a reconnect, in order, once,
scoped to who may see it; in one process and, through Redis, across processes."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection

from safecommons.core.audit.models import AuditEntry
from safecommons.core.roles import Role
from safecommons.incidents import broadcast
from safecommons.incidents.events import incident_event_append
from safecommons.incidents.models import Incident, IncidentEvent
from safecommons.incidents.tests.factories import handoff_agreement, incident_opened, staff_session_key
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = os.environ.get("REDIS_URL", "")


async def watch(user, query: str = "", **session):
    """A browser's connection: its session cookie as after the real sign-in (see `staff_session_key`)."""
    from safecommons.asgi import application

    headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
    if user.is_authenticated:
        key = await sync_to_async(staff_session_key)(user, **session)
        headers.append((b"cookie", f"sessionid={key}".encode()))
    communicator = WebsocketCommunicator(application, f"/ws/incidents/{query}", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


def post(incident: Incident, text: str) -> IncidentEvent:
    """What an operator's update comes to on the timeline (the services call this after their changes)."""
    return incident_event_append(incident=incident, kind=IncidentEvent.Kind.OBSERVATION,
                                 side=IncidentEvent.Side.OPERATOR, actor_label="operator", text=text)


in_thread = sync_to_async  # the server writes from request threads, never from its event loop


async def received(communicator, timeout: float = 3.0) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


@pytest.fixture
def incident(agency, security_company, people):
    handoff_agreement(security_company, agency)
    return incident_opened(agency=agency, company=security_company)


def test_an_officers_board_receives_an_operators_update_as_it_is_posted(people, incident):
    async def scenario():
        board, connected, _ = await watch(people[Role.OFFICER])
        assert connected
        event = await in_thread(post)(incident, "Two people at the loading dock")
        message = await received(board)
        assert message["type"] == "incident.event"
        assert message["event"]["id"] == event.seq
        assert message["event"]["text"] == "Two people at the loading dock"
        assert message["incident"]["id"] == incident.pk
        await board.disconnect()

    async_to_sync(scenario)()


def test_a_reconnect_with_the_last_event_id_replays_the_gap_in_order_then_goes_live(people, incident):
    async def scenario():
        board, _, _ = await watch(people[Role.OFFICER])
        first = await in_thread(post)(incident, "first")
        assert (await received(board))["event"]["id"] == first.seq
        await board.disconnect()
        missed = [await in_thread(post)(incident, f"missed {n}") for n in range(3)]

        board, connected, _ = await watch(people[Role.OFFICER], f"?last_event_id={first.seq}")
        assert connected
        replayed = [(await received(board))["event"]["id"] for _ in missed]
        assert replayed == [event.seq for event in missed]
        live = await in_thread(post)(incident, "after the reconnect")
        assert (await received(board))["event"]["id"] == live.seq
        assert await board.receive_nothing(timeout=0.3)
        await board.disconnect()

    async_to_sync(scenario)()


def test_an_event_whose_broadcast_was_lost_is_read_from_the_database(people, incident, monkeypatch):
    real_publish = broadcast.publish
    dropped = []

    def lossy_publish(envelope):
        if not dropped:
            dropped.append(envelope.seq)  # the first broadcast never arrives
            return
        real_publish(envelope)

    monkeypatch.setattr(broadcast, "publish", lossy_publish)

    async def scenario():
        board, _, _ = await watch(people[Role.OFFICER])
        lost = await in_thread(post)(incident, "lost in transit")
        after = await in_thread(post)(incident, "arrives")
        got = [(await received(board))["event"]["id"] for _ in range(2)]
        assert got == [lost.seq, after.seq]  # in order, once each
        await board.disconnect()

    async_to_sync(scenario)()
    assert dropped


def test_events_arriving_out_of_order_are_handed_out_in_order(people, incident):
    async def scenario():
        board, _, _ = await watch(people[Role.OFFICER])
        hub = broadcast.hub_for_this_loop()
        events = [await in_thread(post)(incident, f"n{n}") for n in range(3)]
        # the three broadcasts arrive; copies of them come again, reversed: nothing is sent twice
        for envelope in reversed(await in_thread(broadcast.stored_envelopes)(after=events[0].seq - 1)):
            hub.receive(envelope)
        got = [(await received(board))["event"]["id"] for _ in events]
        assert got == [event.seq for event in events]
        assert await board.receive_nothing(timeout=0.3)
        await board.disconnect()

    async_to_sync(scenario)()


def test_a_hub_holds_a_later_event_until_the_earlier_one_arrives(people, incident):
    async def scenario():
        board, _, _ = await watch(people[Role.OFFICER])
        hub = broadcast.hub_for_this_loop()
        first, second = [await in_thread(post)(incident, f"n{n}") for n in range(2)]
        for _ in range(2):
            await received(board)
        # a fresh pair of numbers arrives reversed, as two writers' broadcasts may
        envelopes = await in_thread(lambda: _next_two_envelopes_without_broadcast(incident))()
        hub.receive(envelopes[1])
        assert await board.receive_nothing(timeout=0.1)
        hub.receive(envelopes[0])
        got = [(await received(board))["event"]["id"] for _ in range(2)]
        assert got == [envelopes[0].seq, envelopes[1].seq]
        await board.disconnect()

    async_to_sync(scenario)()


def _next_two_envelopes_without_broadcast(incident):
    from unittest import mock

    with mock.patch.object(broadcast, "publish"):
        events = [post(incident, "a"), post(incident, "b")]
    return [broadcast.envelope_for(event, incident) for event in events]


def test_company_a_operators_see_none_of_company_b_incidents(people, agency, security_company, incident):
    from safecommons.accounts.tests.factories import MembershipFactory

    other_company = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY, name="Other Alarm Co")
    handoff_agreement(other_company, agency)
    other_operator = MembershipFactory(organisation=other_company, role=Role.SECURITY_OPERATOR).user
    theirs = incident_opened(agency=agency, company=other_company)

    async def scenario():
        ours_console, connected, _ = await watch(people[Role.SECURITY_OPERATOR])
        assert connected
        their_console, _, _ = await watch(other_operator)
        await in_thread(post)(theirs, "their update")
        mine = await in_thread(post)(incident, "our update")
        assert (await received(ours_console))["event"]["id"] == mine.seq
        assert (await received(their_console))["event"]["text"] == "their update"
        assert await their_console.receive_nothing(timeout=0.3)
        # nor can they open our incident's stream, nor replay it
        _, connected, code = await watch(other_operator, f"?incident={incident.pk}&last_event_id=0")
        assert not connected
        replay, _, _ = await watch(other_operator, "?last_event_id=0")
        texts = [(await received(replay))["event"]["text"] for _ in range(2)]
        assert texts == ["Opened", "their update"]
        assert await replay.receive_nothing(timeout=0.3)
        for communicator in (ours_console, their_console, replay):
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_people_who_are_neither_police_nor_operators_are_refused(people, incident):
    async def scenario():
        for role in (Role.RESIDENT, Role.PARTNER_ADMIN, Role.ANALYST, Role.OVERSIGHT):
            _, connected, code = await watch(people[role])
            assert not connected, role
        from django.contrib.auth.models import AnonymousUser

        _, connected, _ = await watch(AnonymousUser())
        assert not connected

    async_to_sync(scenario)()


def test_a_session_without_its_second_factor_or_idle_too_long_is_refused(people, incident, settings):
    async def scenario():
        _, connected, _ = await watch(people[Role.OFFICER], second_factor=False)  # password only
        assert not connected
        _, connected, _ = await watch(people[Role.OFFICER], idle_minutes=settings.STAFF_IDLE_MINUTES + 1)
        assert not connected
        board, connected, _ = await watch(people[Role.OFFICER])
        assert connected
        await board.disconnect()

    async_to_sync(scenario)()


def test_a_watch_is_closed_once_the_person_may_no_longer_watch(people, incident, monkeypatch):
    from safecommons.accounts.models import Membership
    from safecommons.incidents import consumers

    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.1)

    async def scenario():
        board, connected, _ = await watch(people[Role.OFFICER])
        assert connected
        await in_thread(lambda: Membership.objects.filter(user=people[Role.OFFICER]).delete())()
        assert (await board.receive_output(timeout=3)) == {"type": "websocket.close", "code": consumers.CLOSE_REVOKED}

    async_to_sync(scenario)()


def test_a_client_that_cannot_keep_up_is_let_go_to_resume_later(people, incident, monkeypatch):
    monkeypatch.setattr(broadcast, "QUEUE_LIMIT", 2)

    async def scenario():
        for n in range(4):
            await in_thread(post)(incident, f"n{n}")
        board, connected, _ = await watch(people[Role.OFFICER], "?last_event_id=0")
        assert connected
        frame = await board.receive_output(timeout=2)
        while frame["type"] == "websocket.send":  # what was sent before it fell behind
            frame = await board.receive_output(timeout=2)
        assert frame == {"type": "websocket.close", "code": 4409}

    async_to_sync(scenario)()


def test_opening_a_watch_is_audited(people, incident):
    async def scenario():
        board, _, _ = await watch(people[Role.OFFICER])
        page, _, _ = await watch(people[Role.OFFICER], f"?incident={incident.pk}")
        await board.disconnect()
        await page.disconnect()

    async_to_sync(scenario)()
    assert AuditEntry.objects.filter(action="incident.board.watch", actor_id=people[Role.OFFICER].pk).count() == 1
    assert AuditEntry.objects.filter(action="incident.watch", object_id=str(incident.pk)).count() == 1


def test_one_incident_page_receives_only_that_incidents_events(people, agency, security_company, incident):
    other = incident_opened(agency=agency, company=security_company)

    async def scenario():
        page, _, _ = await watch(people[Role.OFFICER], f"?incident={incident.pk}")
        await in_thread(post)(other, "elsewhere")
        here = await in_thread(post)(incident, "here")
        assert (await received(page))["event"]["id"] == here.seq
        assert await page.receive_nothing(timeout=0.3)
        await page.disconnect()

    async_to_sync(scenario)()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql"},
                    reason="a second process needs a database it can share (PostgreSQL)")
def test_a_second_process_receives_the_event_through_redis(settings, people, agency, incident):
    settings.REDIS_URL = REDIS_URL
    db = connection.settings_dict
    database_url = (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                    f"/{db['NAME']}")
    listener = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import asyncio, django, json, sys
            django.setup()
            from safecommons.incidents.broadcast import Hub, WatchScope, Watcher

            async def main():
                hub = Hub(asyncio.get_running_loop(), redis_url={REDIS_URL!r})
                got = asyncio.Queue()

                async def send(message):
                    await got.put(message["text"])

                watcher = Watcher(scope=WatchScope(agency_ids=frozenset({{{agency.pk}}})), send=send)
                await hub.attach(watcher, after=None)
                watcher.open()
                print("ready", flush=True)
                print(await asyncio.wait_for(got.get(), 20), flush=True)
                await hub.stop()

            asyncio.run(main())
        """)],
        env={**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
             "DJANGO_SETTINGS_MODULE": "safecommons.settings", "EMBEDDED_WORKER": "0"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert listener.stdout.readline().strip() == "ready", listener.stderr.read()
        event = post(incident, "seen from another process")
        line = listener.stdout.readline()
        assert line, listener.stderr.read()
        message = json.loads(line)
        assert message["event"]["id"] == event.seq
        assert message["event"]["text"] == "seen from another process"
    finally:
        listener.kill()
        listener.wait()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
def test_through_redis_a_watcher_in_this_process_receives_what_is_published(settings, people, incident):
    settings.REDIS_URL = REDIS_URL

    async def scenario():
        board, connected, _ = await watch(people[Role.OFFICER])
        assert connected
        assert broadcast.hub_for_this_loop().redis_url == REDIS_URL
        event = await in_thread(post)(incident, "via redis")
        assert (await received(board, timeout=5))["event"]["id"] == event.seq
        await board.disconnect()
        await broadcast.hub_for_this_loop().stop()

    async_to_sync(scenario)()


def test_a_watcher_too_far_behind_is_told_to_reload(people, incident, monkeypatch):
    monkeypatch.setattr(broadcast, "REPLAY_LIMIT", 2)

    async def scenario():
        for n in range(3):
            await in_thread(post)(incident, f"n{n}")
        board, connected, _ = await watch(people[Role.OFFICER], "?last_event_id=0")
        assert connected
        assert await received(board) == {"type": "reload"}
        assert (await board.receive_output(timeout=1))["type"] == "websocket.close"

    async_to_sync(scenario)()


def test_numbers_have_no_holes_after_a_rolled_back_write(incident):
    from django.db import transaction

    first = post(incident, "kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        post(incident, "rolled back")
        raise RuntimeError
    second = post(incident, "kept too")
    assert second.seq == first.seq + 1

