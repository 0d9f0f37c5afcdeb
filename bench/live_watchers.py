"""The load client of the live-incident benchmarks: many websocket watchers, and the requests whose effect
they wait for. Run by the benchmarks in a process of its own (not a benchmark itself, hence not bench_*).

    python bench/live_watchers.py broadcast --ws-url ws://127.0.0.1:8123/ws/incidents/ --watchers 1000 \
        --cookie "sessionid=…; csrftoken=…" --origin http://127.0.0.1:8123 \
        --post-url http://127.0.0.1:8123/api/incidents/incidents/1/updates --csrf-token … --updates 50
    python bench/live_watchers.py broadcast --ws-url ws://127.0.0.1:8124/watch --send-url ws://127.0.0.1:8124/send …
    python bench/live_watchers.py alarms --port 8123 --api-key sc_… --plan plan.json --out answers.json \
        --ws-url ws://127.0.0.1:8123/ws/incidents/ --cookie … --origin http://127.0.0.1:8123

`broadcast`: connects the watchers, then sends updates one by one, 100-200 ms apart (seeded), either as an
operator's POST (the product) or as a message on a sender websocket (the peer), and notes when each watcher
receives each update. Latency = receipt at the watcher - the moment just before the update was sent, both
read from time.perf_counter() in this one process. Prints one JSON object on stdout.

`alarms`: sends the alarm events of a plan (bench_alarm_ingest.py writes it) over keep-alive connections,
replays included, writes every answer to --out, and measures, with one board watcher connected, the time
from sending an alarm to its incident's "opened" event on the board. Prints one JSON object on stdout.

Watchers are asyncio protocols (no task per connection), and a message is timed when its bytes reach this
process. Without compression (the default) they read frames with a few lines of their own, so that the
client costs as little as it can; with --compression they offer permessage-deflate, as browsers do, and
the `websockets` library's sans-I/O client reads and inflates the frames. Runs on uvloop when installed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlparse

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri
from websockets.utils import accept_key

UPDATE_MARKER = b"bench-update-"
CONNECT_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 30.0
SAMPLES_KEPT = 5

TextHandler = Callable[[int, bytes, float], None]


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50, p90, p99 and max (nearest rank), in milliseconds from seconds."""
    if not values:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return round(ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))] * 1000, 2)

    return {"p50": rank(0.50), "p90": rank(0.90), "p99": rank(0.99), "max": round(ordered[-1] * 1000, 2)}


def fd_limit_raise() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard or hard == resource.RLIM_INFINITY:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (65536 if hard == resource.RLIM_INFINITY else hard, hard))


# --- Websocket watchers -------------------------------------------------------------------------------


class LeanWatcher(asyncio.Protocol):
    """One websocket connection without compression, read with as little Python as a frame needs (the server's
    frames are not masked): the client must not be what limits the measure. Every text message goes, with the
    time its bytes arrived, to `on_text`; pings are answered, a close is returned."""

    def __init__(self, index: int, url: str, *, cookie: str, origin: str, on_text: TextHandler) -> None:
        parsed = urlparse(url)
        self.index = index
        self.key = base64.b64encode(os.urandom(16)).decode()
        head = [f"GET {parsed.path or '/'}{'?' + parsed.query if parsed.query else ''} HTTP/1.1",
                f"Host: {parsed.hostname}:{parsed.port}", "Upgrade: websocket", "Connection: Upgrade",
                f"Sec-WebSocket-Key: {self.key}", "Sec-WebSocket-Version: 13"]
        head += [f"Origin: {origin}"] if origin else []
        head += [f"Cookie: {cookie}"] if cookie else []
        self.request = ("\r\n".join(head) + "\r\n\r\n").encode()
        self.on_text = on_text
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.parts: list[bytes] = []
        self.lost = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        at = time.perf_counter()
        buffer = self.buffer
        buffer += data
        if not self.opened.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).decode("latin-1")
            del buffer[:end + 4]
            status = head.split(" ", 2)[1] if " " in head else "?"
            if status != "101" or f"sec-websocket-accept: {accept_key(self.key)}".lower() not in head.lower():
                self.opened.set_exception(ConnectionError(f"handshake answered {status}"))
                self.transport.close()
                return
            self.opened.set_result(True)
        while len(buffer) >= 2:
            length, offset = buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < offset + length:
                return
            first = buffer[0]
            payload = bytes(buffer[offset:offset + length])
            del buffer[:offset + length]
            opcode = first & 0x0F
            if opcode in (Opcode.TEXT.value, Opcode.CONT.value):
                if not first & 0x80:
                    self.parts.append(payload)
                    continue
                if self.parts:
                    payload, self.parts = b"".join([*self.parts, payload]), []
                self.on_text(self.index, payload, at)
            elif opcode == Opcode.PING.value:
                self.transport.write(Frame(Opcode.PONG, payload).serialize(mask=True))
            elif opcode == Opcode.CLOSE.value:
                self.transport.write(Frame(Opcode.CLOSE, payload[:2]).serialize(mask=True))
                self.transport.close()
                return

    def connection_lost(self, exc) -> None:
        self.lost = True
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed by the server"))

    def close(self) -> None:
        if self.transport is None or self.lost:
            return
        with contextlib.suppress(Exception):
            self.transport.write(Frame(Opcode.CLOSE, (1000).to_bytes(2, "big")).serialize(mask=True))
        self.transport.close()


class LibraryWatcher(asyncio.Protocol):
    """One websocket connection driven by the `websockets` library's sans-I/O client, which also inflates
    compressed frames (--compression, as browsers offer). Same contract as LeanWatcher."""

    def __init__(self, index: int, url: str, *, cookie: str, origin: str, on_text: TextHandler) -> None:
        self.index = index
        self.protocol = ClientProtocol(parse_uri(url), origin=origin or None,
                                       extensions=[ClientPerMessageDeflateFactory()], max_size=2**22)
        self.cookie = cookie
        self.on_text = on_text
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.parts: list[bytes] = []
        self.lost = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        request = self.protocol.connect()
        if self.cookie:
            request.headers["Cookie"] = self.cookie
        self.protocol.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        at = time.perf_counter()
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.protocol.handshake_exc is not None:
                    self._fail(self.protocol.handshake_exc)
                elif not self.opened.done():
                    self.opened.set_result(True)
            elif event.opcode is Opcode.TEXT or (event.opcode is Opcode.CONT and self.parts):
                if not event.fin:
                    self.parts.append(event.data)
                    continue
                text = b"".join([*self.parts, event.data]) if self.parts else event.data
                self.parts = []
                self.on_text(self.index, bytes(text), at)
        self._flush()

    def eof_received(self) -> bool:
        self.protocol.receive_eof()
        self._flush()
        return False

    def connection_lost(self, exc) -> None:
        self.lost = True
        self._fail(exc or ConnectionError(f"closed by the server ({self.protocol.close_code})"))

    def close(self) -> None:
        if self.transport is None or self.lost:
            return
        with contextlib.suppress(Exception):
            self.protocol.send_close()
            self._flush()
        self.transport.close()

    def _fail(self, exc: BaseException) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)

    def _flush(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()


Watcher = LeanWatcher | LibraryWatcher


async def watchers_connect(url: str, count: int, *, cookie: str, origin: str, compression: bool,
                           on_text: TextHandler, concurrency: int) -> tuple[list[Watcher], Counter]:
    """Open `count` watchers, `concurrency` handshakes at a time; the open ones and the failures by kind."""
    parsed = urlparse(url)
    loop = asyncio.get_running_loop()
    opened: list[Watcher] = []
    failures: Counter[str] = Counter()
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            kind = LibraryWatcher if compression else LeanWatcher
            watcher = kind(index, url, cookie=cookie, origin=origin, on_text=on_text)
            try:
                await asyncio.wait_for(loop.create_connection(lambda: watcher, parsed.hostname, parsed.port),
                                       CONNECT_TIMEOUT_S)
                await asyncio.wait_for(watcher.opened, CONNECT_TIMEOUT_S)
            except Exception as exc:  # counted and reported; the run decides whether it can go on
                failures[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
                watcher.close()
                return
            opened.append(watcher)

    await asyncio.gather(*(one(n) for n in range(count)))
    return opened, failures


# --- Keep-alive HTTP/1.1 ---------------------------------------------------------------------------------


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: one request at a time, whole responses."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request_bytes(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}",
                *(f"{name}: {value}" for name, value in headers.items())]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    async def send(self, payload: bytes) -> None:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(payload)

    async def answer(self) -> tuple[int, bytes]:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# --- broadcast: updates to many watchers ---------------------------------------------------------------------


class BroadcastRun:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sent_at: dict[int, float] = {}
        self.receipts: dict[int, dict[int, float]] = {}  # update -> watcher -> time
        self.duplicates = 0
        self.other_messages = 0

    def on_text(self, index: int, data: bytes, at: float) -> None:
        start = data.find(UPDATE_MARKER)
        if start < 0:
            self.other_messages += 1
            return
        start += len(UPDATE_MARKER)
        update = int(data[start:data.index(b":", start)])
        seen = self.receipts.setdefault(update, {})
        if index in seen:
            self.duplicates += 1
        else:
            seen[index] = at

    def complete(self, updates: range, watchers: int) -> bool:
        return all(len(self.receipts.get(update, ())) >= watchers for update in updates)

    async def run(self) -> dict:
        args = self.args
        began = time.perf_counter()
        watchers, failures = await watchers_connect(
            args.ws_url, args.watchers, cookie=args.cookie, origin=args.origin, compression=args.compression,
            on_text=self.on_text, concurrency=args.connect_concurrency)
        connect_s = time.perf_counter() - began
        result: dict = {"watchers": len(watchers), "connect_failures": dict(failures),
                        "connect_s": round(connect_s, 2)}
        if failures:
            for watcher in watchers:
                watcher.close()
            return result
        await asyncio.sleep(args.settle)

        send, stop_sender = await self.sender()
        rng = random.Random(args.seed)
        total = args.warmup + args.updates
        post_times: list[float] = []
        statuses: Counter[str] = Counter()
        samples: list[str] = []
        for update in range(total):
            await asyncio.sleep(rng.uniform(args.spacing_min, args.spacing_max))
            text = f"bench-update-{update}: the suspect walks north along the fence line, grey hoodie"
            status, body, took = await send(update, text)
            statuses[str(status)] += 1
            if update >= args.warmup:
                post_times.append(took)
            if status not in (0, 201) and len(samples) < SAMPLES_KEPT:
                samples.append(f"{status}: {body[:300].decode(errors='replace')}")
        scored = range(args.warmup, total)
        deadline = time.perf_counter() + args.drain
        while time.perf_counter() < deadline and not self.complete(range(total), len(watchers)):
            await asyncio.sleep(0.05)
        await stop_sender()
        for watcher in watchers:
            watcher.close()

        latencies, first, last = [], [], []
        slowest: list[tuple[float, int, float, float]] = []
        missing = 0
        for update in scored:
            seen = self.receipts.get(update, {})
            missing += len(watchers) - len(seen)
            times = [at - self.sent_at[update] for at in seen.values()]
            latencies.extend(times)
            if times:
                first.append(min(times))
                last.append(max(times))
                slowest.append((max(times), update, self.sent_at[update] - began, min(times)))
        slowest.sort(reverse=True)
        result.update({
            "updates": args.updates, "warmup_updates": args.warmup, "statuses": dict(statuses),
            "samples": samples, "pairs": len(latencies), "missing": missing, "duplicates": self.duplicates,
            "other_messages": self.other_messages, "latency_ms": percentiles(latencies),
            "first_watcher_ms": percentiles(first), "last_watcher_ms": percentiles(last),
            "send_ms": percentiles(post_times),
            "slowest": [{"update": update, "first_watcher_ms": round(soonest * 1000, 1),
                         "last_watcher_ms": round(took * 1000, 1), "sent_at_s": round(at, 2)}
                        for took, update, at, soonest in slowest[:3]],
        })
        return result

    async def sender(self):
        """A `send(update, text) -> (status, body, seconds)` for the product (HTTP POST) or the peer
        (a message on a websocket), and a function that stops it."""
        args = self.args
        if args.post_url:
            parsed = urlparse(args.post_url)
            connection = HttpConnection(parsed.hostname, parsed.port)
            headers = {"Content-Type": "application/json", "Accept": "application/json", "Cookie": args.post_cookie,
                       "X-CSRFToken": args.csrf_token, "Origin": args.origin}

            async def post(update: int, text: str) -> tuple[int, bytes, float]:
                body = json.dumps({"kind": "observation", "text": text}).encode()
                payload = connection.request_bytes("POST", parsed.path, body, headers)
                self.sent_at[update] = began = time.perf_counter()
                await connection.send(payload)
                status, answer = await asyncio.wait_for(connection.answer(), REQUEST_TIMEOUT_S)
                return status, answer, time.perf_counter() - began

            async def stop() -> None:
                connection.close()

            return post, stop

        from websockets.asyncio.client import connect

        socket = await connect(args.send_url, compression=None, ping_interval=None)

        async def message(update: int, text: str) -> tuple[int, bytes, float]:
            self.sent_at[update] = began = time.perf_counter()
            await socket.send(text)
            return 0, b"", time.perf_counter() - began

        async def close() -> None:
            await socket.close()

        return message, close


# --- alarms: ingest under load, and alarm-to-board latency -------------------------------------------------


class AlarmRun:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        with open(args.plan) as handle:
            self.plan = json.load(handle)
        self.events: list[dict] = self.plan["events"]
        self.payloads: dict[int, bytes] = {}
        self.answered: dict[int, asyncio.Event] = {}
        self.answers: list[dict | None] = []
        self.opened_at: dict[int, float] = {}  # incident id -> first "opened" event on the board
        self.board_messages = 0
        self.statuses: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.samples: list[str] = []
        self.headers = {"Content-Type": "application/json", "Accept": "application/json",
                        "Authorization": f"Bearer {args.api_key}"}

    def on_board(self, index: int, data: bytes, at: float) -> None:
        self.board_messages += 1
        if b'"opened"' not in data:
            return
        message = json.loads(data)
        event = message.get("event") or {}
        if event.get("kind") == "opened":
            self.opened_at.setdefault(int(event["incident_id"]), at)

    def payload(self, index: int) -> bytes:
        """The event's body, made when first sent (its received_at is then) and sent byte for byte again
        when replayed."""
        if index not in self.payloads:
            event = self.events[index]
            self.payloads[index] = json.dumps({
                "event_id": event["id"], "type": event["type"], "permit_number": event["permit"],
                "zone": event.get("zone", ""), "audible": event.get("audible", False),
                "callback_phone": "+1 612 555 0100", "verification": "unverified",
                "monitoring_center_ref": "BENCH-MC-1", "operator_ref": f"op-{index % 17}",
                "received_at": datetime.now(UTC).isoformat(),
            }).encode()
        return self.payloads[index]

    async def post(self, connection: HttpConnection, index: int) -> tuple[int, dict, float, float]:
        """Send one event (again on a new connection after a network error: a replay, as a center would);
        (status, answer, sent at, seconds)."""
        payload = connection.request_bytes("POST", "/api/incidents/alarms", self.payload(index), self.headers)
        status, answer, began, took = await self.exchange(connection, payload)
        if status not in (200, 201) and len(self.samples) < SAMPLES_KEPT:
            self.samples.append(f"{status}: {json.dumps(answer)[:300]}")
        return status, answer, began, took

    async def post_batch(self, connection: HttpConnection, indexes: list[int]) -> tuple[list[tuple[int, dict]],
                                                                                          float, float]:
        """Send several events in one request (POST /api/incidents/alarm-batches); ([(status the one-event
        endpoint would give, answer)] in order, sent at, seconds)."""
        body = b'{"events": [' + b", ".join(self.payload(index) for index in indexes) + b"]}"
        payload = connection.request_bytes("POST", "/api/incidents/alarm-batches", body, self.headers)
        status, answer, began, took = await self.exchange(connection, payload)
        answers = answer.get("answers") if status == 200 else None
        if not isinstance(answers, list) or len(answers) != len(indexes):
            if len(self.samples) < SAMPLES_KEPT:
                self.samples.append(f"batch {status}: {json.dumps(answer)[:300]}")
            return [(0, {"error": f"batch answered {status}"}) for _ in indexes], began, took
        return [(int(item.get("code") or 0), item) for item in answers], began, took

    async def exchange(self, connection: HttpConnection, payload: bytes) -> tuple[int, dict, float, float]:
        for _attempt in range(5):
            began = time.perf_counter()
            try:
                await connection.send(payload)
                status, body = await asyncio.wait_for(connection.answer(), REQUEST_TIMEOUT_S)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                    ValueError) as exc:
                self.errors[type(exc).__name__] += 1
                connection.close()
                await asyncio.sleep(0.1)
                continue
            self.statuses[str(status)] += 1
            try:
                answer = json.loads(body)
            except ValueError:
                answer = {"raw": body[:300].decode(errors="replace")}
            return status, answer, began, time.perf_counter() - began
        return 0, {"error": "no answer after 5 tries"}, began, 0.0

    def sendable(self, index: int, in_batch: set[int]) -> bool:
        """Whether the event may go in a batch holding `in_batch` now: not twice in one batch, and a join
        only once the alarm it joins has been answered."""
        after = self.events[index].get("after")
        return index not in in_batch and (after is None or self.answered[after].is_set())

    async def load(self) -> dict:
        """Every send of the plan's order over `connections` keep-alive connections, `batch` events per
        request (1: the one-event endpoint); a join waits until the alarm it joins has been answered. A
        batch never holds one event twice: the replays right behind originals of a batch are sent together,
        on a connection of their own, at the same moment as that batch, so that each races its original. Joins not
        sendable yet wait for a later batch, while this one fills up with what follows them."""
        order: list[int] = self.plan["order"]
        self.answers = [None] * len(order)
        for index in set(order):
            self.answered[index] = asyncio.Event()
        cursor = iter(enumerate(order))
        latencies: list[float] = []
        first_sent = math.inf
        last_answer = 0.0
        batch_size = max(1, self.args.batch)

        began_at = time.perf_counter()
        stop_at = began_at + self.args.max_seconds
        cut_short = False

        alone: list[asyncio.Task] = []
        raced = 0

        def note(position: int, index: int, status: int, answer: dict) -> None:
            self.answers[position] = {"event": index, "status": status, "outcome": answer.get("outcome"),
                                      "incident_id": answer.get("incident_id"), "reason": answer.get("reason")}
            self.answered[index].set()

        async def send_alone(items: list[tuple[int, int]]) -> None:
            nonlocal first_sent, last_answer
            connection = HttpConnection("127.0.0.1", self.args.port)
            if len(items) == 1:
                status, answer, began, took = await self.post(connection, items[0][1])
                results = [(status, answer)]
            else:
                results, began, took = await self.post_batch(connection, [index for _position, index in items])
            connection.close()
            first_sent = min(first_sent, began)
            last_answer = max(last_answer, began + took)
            latencies.append(took)
            for (position, index), (status, answer) in zip(items, results, strict=True):
                note(position, index, status, answer)

        async def connection_loop(number: int) -> None:
            nonlocal first_sent, last_answer, cut_short, raced
            connection = HttpConnection("127.0.0.1", self.args.port)
            done = 0
            deferred: list[tuple[int, int]] = []  # taken from the order, not sendable in the batch being made
            while True:
                if time.perf_counter() > stop_at:
                    cut_short = True  # what is left of the order is not sent (its answers stay None)
                    break
                batch: list[tuple[int, int]] = []
                in_batch: set[int] = set()
                racing: list[tuple[int, int]] = []  # replays of events in this batch, sent alone beside it
                waiting, deferred = deferred, []
                for item in waiting:
                    if len(batch) < batch_size and self.sendable(item[1], in_batch):
                        batch.append(item)
                        in_batch.add(item[1])
                    else:
                        deferred.append(item)
                while len(batch) < batch_size and len(deferred) < batch_size:
                    item = next(cursor, None)
                    if item is None:
                        break
                    if item[1] in in_batch:
                        racing.append(item)
                    elif self.sendable(item[1], in_batch):
                        batch.append(item)
                        in_batch.add(item[1])
                    else:
                        deferred.append(item)
                if not batch:
                    if not deferred:
                        break
                    # Only joins whose original is not answered yet: wait for the first one's.
                    await self.answered[self.events[deferred[0][1]]["after"]].wait()
                    continue
                if self.args.rate:  # paced: the batch's last send is due at its place in the order
                    delay = began_at + (batch[-1][0] + 1) / self.args.rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                if racing:  # on a connection of their own, in flight with the batch holding their originals
                    raced += len(racing)
                    alone.append(asyncio.get_running_loop().create_task(send_alone(racing)))
                if batch_size == 1:
                    status, answer, began, took = await self.post(connection, batch[0][1])
                    results = [(status, answer)]
                else:
                    results, began, took = await self.post_batch(connection, [index for _p, index in batch])
                first_sent = min(first_sent, began)
                last_answer = max(last_answer, began + took)
                latencies.append(took)
                for (position, index), (status, answer) in zip(batch, results, strict=True):
                    note(position, index, status, answer)
                done += 1
                if self.args.reconnect_after and done % self.args.reconnect_after == 0:
                    connection.close()
            connection.close()

        await asyncio.gather(*(connection_loop(n) for n in range(self.args.connections)))
        await asyncio.gather(*alone)
        wall = last_answer - first_sent if latencies else 0.0
        sent = [answer for answer in self.answers if answer is not None]
        return {"sends": len(sent), "events": len({answer["event"] for answer in sent}), "cut_short": cut_short,
                "raced": raced, "raced_requests": len(alone), "requests": len(latencies), "wall_s": round(wall, 3),
                "latency_ms": percentiles(latencies)}

    async def sample(self, indexes: list[int], rate: float) -> dict:
        """Send these alarms at `rate` per second (open loop, a few connections) and time each from the
        moment it is sent to its incident's "opened" event on the board."""
        if not indexes:
            return {}
        start = time.perf_counter() + 0.2
        queue = iter(enumerate(indexes))
        sent: list[tuple[float, dict, int]] = []

        async def connection_loop() -> None:
            connection = HttpConnection("127.0.0.1", self.args.port)
            for n, index in queue:
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                status, answer, began, _took = await self.post(connection, index)
                sent.append((began, answer, status))
            connection.close()

        await asyncio.gather(*(connection_loop() for _ in range(self.args.sampler_connections)))
        incident_ids = [answer.get("incident_id") for _began, answer, _status in sent]
        deadline = time.perf_counter() + self.args.drain
        while time.perf_counter() < deadline and not all(i in self.opened_at for i in incident_ids if i):
            await asyncio.sleep(0.05)
        latencies, missing, refused = [], 0, 0
        for began, answer, status in sent:
            incident_id = answer.get("incident_id")
            if status != 201 or not incident_id:
                refused += 1
            elif incident_id in self.opened_at:
                latencies.append(self.opened_at[incident_id] - began)
            else:
                missing += 1
        return {"sent": len(sent), "rate": rate, "seen": len(latencies), "missing": missing, "refused": refused,
                "latency_ms": percentiles(latencies)}

    async def run(self) -> dict:
        args = self.args
        board, failures = await watchers_connect(args.ws_url, 1, cookie=args.cookie, origin=args.origin,
                                                 compression=False, on_text=self.on_board, concurrency=1)
        if failures:
            return {"board_failures": dict(failures)}
        result: dict = {}
        during = self.plan.get("sampler_during") or []
        if during:
            async def sample_later() -> dict:
                await asyncio.sleep(args.sampler_delay)
                return await self.sample(during, args.sampler_rate)

            load, sampled = await asyncio.gather(self.load(), sample_later())
            result["sampler_during"] = sampled
        else:
            load = await self.load()
        result["load"] = load
        await asyncio.sleep(args.quiet)
        result["sampler_after"] = await self.sample(self.plan.get("sampler_after") or [], args.sampler_rate)
        result.update({"statuses": dict(self.statuses), "errors": dict(self.errors), "samples": self.samples,
                       "board_messages": self.board_messages})
        for watcher in board:
            watcher.close()
        with open(args.out, "w") as handle:
            json.dump(self.answers, handle)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ws-url", required=True)
    common.add_argument("--cookie", default="")
    common.add_argument("--origin", default="")
    common.add_argument("--drain", type=float, default=10.0, help="seconds to wait for the last deliveries")

    broadcast = commands.add_parser("broadcast", parents=[common])
    broadcast.add_argument("--watchers", type=int, default=1000)
    broadcast.add_argument("--connect-concurrency", type=int, default=25)
    broadcast.add_argument("--compression", action="store_true", help="offer permessage-deflate, as browsers do")
    target = broadcast.add_mutually_exclusive_group(required=True)
    target.add_argument("--post-url", help="the product: POST each update here (JSON, session and CSRF)")
    target.add_argument("--send-url", help="the peer: send each update as a message on this websocket")
    broadcast.add_argument("--post-cookie", default="", help="the operator's session and CSRF cookies")
    broadcast.add_argument("--csrf-token", default="")
    broadcast.add_argument("--updates", type=int, default=50)
    broadcast.add_argument("--warmup", type=int, default=5)
    broadcast.add_argument("--spacing-min", type=float, default=0.1)
    broadcast.add_argument("--spacing-max", type=float, default=0.2)
    broadcast.add_argument("--settle", type=float, default=1.0, help="seconds between the last connect and "
                                                                       "the first update")
    broadcast.add_argument("--seed", default="20261201")

    alarms = commands.add_parser("alarms", parents=[common])
    alarms.add_argument("--port", type=int, required=True)
    alarms.add_argument("--api-key", required=True)
    alarms.add_argument("--plan", required=True)
    alarms.add_argument("--out", required=True)
    alarms.add_argument("--connections", type=int, default=32)
    alarms.add_argument("--reconnect-after", type=int, default=100, help="requests on a connection before "
                                                                          "it is opened again")
    alarms.add_argument("--rate", type=float, default=0.0, help="sends per second of the load (0: as fast as "
                                                                 "the server answers)")
    alarms.add_argument("--batch", type=int, default=1, help="events per request (1: POST /api/incidents/alarms "
                                                             "each; more: POST /api/incidents/alarm-batches)")
    alarms.add_argument("--max-seconds", type=float, default=math.inf, help="send nothing new after this long")
    alarms.add_argument("--sampler-rate", type=float, default=50.0)
    alarms.add_argument("--sampler-connections", type=int, default=8)
    alarms.add_argument("--sampler-delay", type=float, default=5.0, help="seconds into the load before the "
                                                                          "sampler that runs alongside starts")
    alarms.add_argument("--quiet", type=float, default=2.0, help="seconds between the load and the last sampler")

    args = parser.parse_args()
    fd_limit_raise()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    run = BroadcastRun(args) if args.command == "broadcast" else AlarmRun(args)
    print(json.dumps(runner(run.run())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
