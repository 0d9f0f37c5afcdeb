"""Live events written straight into the websocket under uvicorn's sans-I/O protocol (framewriter.py): the
same frames the protocol would make, with and without compression, and the ASGI send whenever the
connection cannot take a frame at once."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode

from safecommons.core.roles import Role
from safecommons.incidents import consumers
from safecommons.incidents.framewriter import frame_writer, text_frame
from safecommons.incidents.tests.factories import handoff_agreement, incident_opened, staff_session_key
from safecommons.incidents.tests.test_live_stream import post


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536])
def test_a_frame_is_what_the_websocket_protocol_makes(length):
    data = ("é" * length).encode()[:length]
    assert text_frame(data) == Frame(Opcode.TEXT, data).serialize(mask=False)


class Transport(asyncio.Transport):
    """The socket under uvicorn's protocol: keeps what is written."""

    def __init__(self):
        super().__init__()
        self.written, self.closing = [], False

    def write(self, data):
        self.written.append(bytes(data))

    def is_closing(self):
        return self.closing

    def close(self):
        self.closing = True

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


class Connection:
    """uvicorn's sans-I/O protocol serving one websocket, and a websockets client at the other end."""

    def __init__(self, *, compression: bool, accept: bool = True):
        from uvicorn.config import Config
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
        from uvicorn.server import ServerState
        from websockets.client import ClientProtocol
        from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
        from websockets.uri import parse_uri

        self.accept, self.sends = accept, []
        config = Config(self.app, ws="websockets-sansio", lifespan="off", ws_ping_interval=None, interface="asgi3")
        config.load()
        self.protocol = WebSocketsSansIOProtocol(config, ServerState(), {})
        self.transport = Transport()
        self.protocol.connection_made(self.transport)
        self.client = ClientProtocol(parse_uri("ws://127.0.0.1:8000/ws/incidents/"),
                                     extensions=[ClientPerMessageDeflateFactory()] if compression else None)
        self.client.send_request(self.client.connect())
        self.protocol.data_received(b"".join(self.client.data_to_send()))

    async def app(self, scope, receive, send):
        self.sends.append(send)
        await receive()
        if self.accept:
            await send({"type": "websocket.accept"})
        await asyncio.sleep(3600)

    async def opened(self):
        for _ in range(5):
            await asyncio.sleep(0)
        self.received()

    def received(self) -> list:
        self.client.receive_data(b"".join(self.transport.written))
        self.transport.written.clear()
        return [event for event in self.client.events_received() if isinstance(event, Frame)]


def run(scenario):
    return asyncio.run(scenario())


@pytest.mark.parametrize("compression", [False, True])
def test_the_client_gets_the_message_whole_with_or_without_compression(compression):
    data = ("Two people at the loading dock, é " * 3000).encode()  # over 64 KiB: the longest header

    async def scenario():
        connection = Connection(compression=compression)
        await connection.opened()
        write = frame_writer(connection.sends[0])
        written = write(text_frame(data), data)
        first_byte = connection.transport.written[0][0]
        frames = connection.received()
        return written, first_byte, frames, connection.client.extensions

    written, first_byte, frames, extensions = run(scenario)
    assert written is True
    assert bool(extensions) is compression
    assert first_byte == (0xC1 if compression else 0x81)  # FIN, text, and RSV1 where the protocol compressed it
    assert [(frame.opcode, frame.data) for frame in frames] == [(Opcode.TEXT, data)]


def test_no_frame_before_the_handshake_completes():
    async def scenario():
        connection = Connection(compression=False, accept=False)
        await connection.opened()
        return frame_writer(connection.sends[0])(text_frame(b"x"), b"x"), list(connection.transport.written)

    assert run(scenario) == (False, [])


def test_no_frame_while_the_socket_buffer_is_full_nor_once_the_client_closed():
    async def scenario():
        connection = Connection(compression=False)
        await connection.opened()
        write = frame_writer(connection.sends[0])
        connection.protocol.pause_writing()  # the socket's buffer is full
        while_paused = write(text_frame(b"x"), b"x")
        connection.protocol.resume_writing()
        connection.client.send_close(1000)
        connection.protocol.data_received(b"".join(connection.client.data_to_send()))
        connection.transport.written.clear()
        after_close = write(text_frame(b"y"), b"y")
        return while_paused, after_close, list(connection.transport.written)

    assert run(scenario) == (False, False, [])


def test_what_the_protocol_has_still_to_send_goes_first():
    async def scenario():
        connection = Connection(compression=False)
        await connection.opened()
        connection.protocol.conn.send_ping(b"ping")  # queued in the protocol, not yet written
        frame_writer(connection.sends[0])(text_frame(b"news"), b"news")
        return [(frame.opcode, frame.data) for frame in connection.received()]

    assert run(scenario) == [(Opcode.PING, b"ping"), (Opcode.TEXT, b"news")]


def test_other_servers_get_no_shortcut():
    async def plain_send(message):  # pragma: no cover - never called
        pass

    assert frame_writer(plain_send) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("compression", [None, "deflate"])
def test_under_uvicorn_a_board_gets_the_update_through_the_shortcut(asgi_server, people, agency, security_company,
                                                                    compression, monkeypatch):
    handoff_agreement(security_company, agency)
    incident = incident_opened(agency=agency, company=security_company)
    key = staff_session_key(people[Role.OFFICER])
    url = asgi_server.replace("http://", "ws://") + "/ws/incidents/"
    answers = []  # what the shortcut answered, each time the hub used it

    def watched_frame_writer(send):
        write = frame_writer(send)

        def watched(frame, data):
            answers.append(write(frame, data))
            return answers[-1]

        return watched if write is not None else None

    monkeypatch.setattr(consumers, "frame_writer", watched_frame_writer)

    async def scenario():
        async with connect(url, origin=asgi_server, additional_headers={"Cookie": f"sessionid={key}"},
                           compression=compression) as board:
            event = await sync_to_async(post)(incident, "Two people at the loading dock, one with a bag")
            raw = await asyncio.wait_for(board.recv(), 5)
            return event, raw, board.protocol.extensions

    event, raw, negotiated = asyncio.run(scenario())
    assert answers == [True]  # written by the shortcut, not the ASGI send
    assert bool(negotiated) == bool(compression)
    assert isinstance(raw, str)  # a text frame
    message = json.loads(raw)
    assert message["event"]["id"] == event.seq
    assert message["event"]["text"] == "Two people at the loading dock, one with a bag"
