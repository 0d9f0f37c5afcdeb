"""Writing a live event straight into a watcher's websocket, without going through its ASGI send.

A message to a thousand watchers goes through the ASGI send a thousand times: a coroutine each, which waits
on the connection's "writable" event, reads the message's keys, encodes the text, frames it and only then
writes it. Sampled during the live benchmark, the Python around the socket write took as long as the write
itself (docs/benchmarks.md, "Fourth round").

For the server we run (uvicorn with its sans-I/O websocket protocol, `manage.py serve`), `frame_writer`
gives a function that writes the frame, made once for all watchers (`text_frame`), with one call. A
connection that negotiated compression (browsers offer it) has its own frame made by the protocol instead.
It writes only when the ASGI send would have written at once (handshake done, nothing closing, no fragmented
message under way, the socket's buffer not full) and answers False otherwise, so that the watcher uses the
ASGI send, which waits. Any other server, or a uvicorn whose protocol no longer has what this relies on,
gets None: the ASGI send, as before.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from websockets.protocol import State

UVICORN_SANSIO = "uvicorn.protocols.websockets.websockets_sansio_impl"
PROTOCOL_RELIED_ON = ("conn", "transport", "writable", "disconnected", "close_sent", "handshake_complete",
                      "initial_response")
CONN_RELIED_ON = ("state", "extensions", "expect_continuation_frame", "writes", "send_text", "data_to_send")
TEXT_FINAL = 0x81  # FIN, opcode 1 (text); no RSV bits: no extension


def text_frame(data: bytes) -> bytes:
    """A whole text message as a server sends it (RFC 6455 §5.2: final, unmasked, no extension)."""
    length = len(data)
    if length < 126:
        head = struct.pack("!BB", TEXT_FINAL, length)
    elif length < 65536:
        head = struct.pack("!BBH", TEXT_FINAL, 126, length)
    else:
        head = struct.pack("!BBQ", TEXT_FINAL, 127, length)
    return head + data


def frame_writer(send: Callable[..., Any]) -> Callable[[bytes, bytes], bool] | None:
    """For a connection's ASGI send, a function `write(frame, data)` that writes the message now (`frame`, or
    `data` framed by the protocol when the connection uses an extension) and returns True, or returns False
    when it cannot (the caller then uses `send`). None: no such shortcut for this connection."""
    protocol = getattr(send, "__self__", None)
    if type(protocol).__module__ != UVICORN_SANSIO or not all(hasattr(protocol, n) for n in PROTOCOL_RELIED_ON):
        return None
    conn, writable = protocol.conn, protocol.writable
    if not all(hasattr(conn, name) for name in CONN_RELIED_ON):
        return None

    def write(frame: bytes, data: bytes) -> bool:
        if (not writable.is_set() or protocol.disconnected or protocol.close_sent or not protocol.handshake_complete
                or protocol.initial_response is not None or conn.state is not State.OPEN
                or conn.expect_continuation_frame):
            return False
        if conn.extensions or conn.writes:
            conn.send_text(data)
            protocol.transport.write(b"".join(conn.data_to_send()))
        else:
            protocol.transport.write(frame)
        return True

    return write
