"""Live events written straight into the websocket under uvicorn's sans-I/O protocol (framewriter.py): the
same frames the protocol would make, with and without compression, and the ASGI send whenever the
connection cannot take a frame at once."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from safecommons.core.roles import Role
from safecommons.incidents import broadcast
from safecommons.incidents.framewriter import UVICORN_SANSIO, frame_writer, text_frame
from safecommons.incidents.tests.factories import handoff_agreement, incident_opened, staff_session_key
from safecommons.incidents.tests.test_live_stream import post


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536])
def test_a_frame_is_what_the_websocket_protocol_makes(length):
    data = ("é" * length).encode()[:length]
    assert text_frame(data) == Frame(Opcode.TEXT, data).serialize(mask=False)


class Transport:
    def __init__(self):
        self.written = []

    def write(self, data):
        self.written.append(data)


class Conn:
    def __init__(self):
        self.state, self.extensions, self.expect_continuation_frame, self.writes = State.OPEN, [], False, []

    def send_text(self, data):
        self.writes.append(b"framed by the protocol: " + data)

    def data_to_send(self):
        writes, self.writes = self.writes, []
        return writes


class Protocol:
    """What frame_writer relies on in uvicorn's protocol, and nothing else."""

    def __init__(self):
        self.conn, self.transport, self.writable = Conn(), Transport(), asyncio.Event()
        self.writable.set()
        self.disconnected = self.close_sent = False
        self.handshake_complete, self.initial_response = True, None

    async def send(self, message):  # pragma: no cover - never called here
        raise AssertionError


Protocol.__module__ = UVICORN_SANSIO


def test_a_connection_ready_for_it_gets_the_frame_in_one_write():
    protocol = Protocol()
    write = frame_writer(protocol.send)
    assert write(b"FRAME", b"data") is True
    assert protocol.transport.written == [b"FRAME"]


def test_a_compressed_connection_gets_a_frame_its_protocol_makes():
    protocol = Protocol()
    protocol.conn.extensions = ["permessage-deflate"]
    write = frame_writer(protocol.send)
    assert write(b"FRAME", b"data") is True
    assert protocol.transport.written == [b"framed by the protocol: data"]


@pytest.mark.parametrize("state", ["full buffer", "closing", "closed", "fragment under way", "gone"])
def test_a_connection_that_cannot_take_it_at_once_is_left_to_the_asgi_send(state):
    protocol = Protocol()
    if state == "full buffer":
        protocol.writable.clear()
    elif state == "closing":
        protocol.close_sent = True
    elif state == "closed":
        protocol.conn.state = State.CLOSING
    elif state == "fragment under way":
        protocol.conn.expect_continuation_frame = True
    else:
        protocol.disconnected = True
    assert frame_writer(protocol.send)(b"FRAME", b"data") is False
    assert protocol.transport.written == []


def test_other_servers_and_changed_protocols_get_no_shortcut():
    async def plain_send(message):  # pragma: no cover - never called
        pass

    assert frame_writer(plain_send) is None
    protocol = Protocol()
    del protocol.initial_response
    assert frame_writer(protocol.send) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("compression", [None, "deflate"])
def test_under_uvicorn_a_board_gets_the_update_through_the_shortcut(asgi_server, people, agency, security_company,
                                                                    compression):
    handoff_agreement(security_company, agency)
    incident = incident_opened(agency=agency, company=security_company)
    key = staff_session_key(people[Role.OFFICER])
    url = asgi_server.replace("http://", "ws://") + "/ws/incidents/"

    async def scenario():
        async with connect(url, origin=asgi_server, additional_headers={"Cookie": f"sessionid={key}"},
                           compression=compression) as board:
            watchers = list(broadcast._hub.watchers)
            event = await sync_to_async(post)(incident, "Two people at the loading dock, one with a bag")
            raw = await asyncio.wait_for(board.recv(), 5)
            return watchers, event, raw, board.protocol.extensions

    watchers, event, raw, negotiated = asyncio.run(scenario())
    assert isinstance(raw, str)  # a text frame
    message = json.loads(raw)
    assert [watcher.write_now is not None for watcher in watchers] == [True]  # uvicorn's protocol: the shortcut
    assert bool(negotiated) == bool(compression)
    assert message["event"]["id"] == event.seq
    assert message["event"]["text"] == "Two people at the loading dock, one with a bag"
