"""Load generator for bench_tip_submit.py: keep-alive HTTP/1.1 POSTs at a fixed concurrency, stdlib only.

Run by the benchmark in a process of its own (not a benchmark itself, hence not named bench_*):

    python bench/tip_load.py --port 8123 --path /tips/ --body form --concurrency 16 --warmup 3 --duration 20

Each of `concurrency` connections sends one request, reads the whole response, then sends the next
(no pipelining); after `reconnect_after` requests it is closed and opened again, because the worker
process that accepted a kept-alive connection serves all of it, and a few long connections can leave
one worker busy and another idle. Every request carries a distinct description. Requests are sent for `warmup` seconds
(not scored), then for `duration` seconds (scored: responses that complete inside that window), then no
new request is sent and the ones in flight are awaited, so every request sent gets counted.
Prints one JSON object on stdout: responses by status, errors, scored count, latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from urllib.parse import urlencode

REQUEST_TIMEOUT_S = 30.0
SAMPLES_KEPT = 5

CATEGORIES = ["suspicious", "theft", "vehicle_theft", "vandalism", "drugs", "burglary", "traffic", "weapons"]
OPENINGS = [
    "I saw a white van parked behind the corner store",
    "Two men were trying car doors on the side street",
    "Someone keeps dealing from a silver sedan near the park",
    "A grey pickup has been circling the school at night",
    "People broke into the garage next to the laundromat",
    "A red hatchback ran the light and hit a parked car",
    "Somebody sprayed graffiti on the library wall",
    "A man showed a handgun outside the bus shelter",
]
DETAILS = [
    "around ten at night", "late on Friday", "most evenings this week", "just after school let out",
    "early this morning", "on Sunday afternoon",
]
PLACES = [
    "1200 Hennepin Ave", "Lake St and Chicago Ave", "400 Cedar Ave S", "Franklin Ave and Bloomington Ave",
    "2900 Bryant Ave S", "the parking lot behind 15 W 26th St",
]
PEOPLE = ["tall man in a black hoodie", "two teenagers on bikes", "woman with a red backpack", ""]
VEHICLES = ["white Ford van, plate ABC1234", "silver Honda sedan", "grey Chevy pickup, plate XKZ552", ""]


def tip_fields(rng: random.Random, unique: str) -> dict[str, str]:
    """One tip as the form fills it in; `unique` makes the description distinct from every other."""
    return {
        "category": rng.choice(CATEGORIES),
        "description": f"{rng.choice(OPENINGS)}, {rng.choice(DETAILS)}. Report {unique}.",
        "location_kind": "address",
        "location_text": rng.choice(PLACES),
        "occurred_text": rng.choice(DETAILS),
        "people_seen": rng.choice(PEOPLE),
        "vehicles_seen": rng.choice(VEHICLES),
        "language": "en",
    }


def request_bytes(host: str, path: str, body_kind: str, fields: dict[str, str]) -> bytes:
    if body_kind == "json":
        body = json.dumps(fields).encode()
        content_type = "application/json"
    else:
        body = urlencode(fields).encode()
        content_type = "application/x-www-form-urlencoded"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nAccept: text/html,application/json\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent; this is the closing blank line
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
        return status, body, False
    return status, body, headers.get("connection", "").lower() != "close"


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.host = f"{args.host}:{args.port}"
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.samples: list[str] = []
        self.sent = 0
        self.scored = 0
        self.scored_latencies: list[float] = []
        self.start = self.window_start = self.window_end = 0.0

    async def connection(self, number: int) -> None:
        rng = random.Random(f"{self.args.seed}-{number}")
        reader = writer = None
        sequence = 0
        while time.perf_counter() < self.window_end:
            sequence += 1
            unique = f"{self.args.label}-{number}-{sequence}"
            payload = request_bytes(self.host, self.args.path, self.args.body, tip_fields(rng, unique))
            began = time.perf_counter()
            self.sent += 1
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(self.args.host, self.args.port)
                writer.write(payload)
                status, body, keep_alive = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT_S)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as exc:
                self.errors[type(exc).__name__] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.05)  # a refused connection must not spin
                continue
            finished = time.perf_counter()
            self.statuses[status] += 1
            if status != 201 and len(self.samples) < SAMPLES_KEPT:
                self.samples.append(f"{status}: {body[:300].decode('utf-8', 'replace')}")
            if self.window_start <= finished <= self.window_end:
                self.scored += 1
                self.scored_latencies.append(finished - began)
            if not keep_alive or (self.args.reconnect_after and sequence % self.args.reconnect_after == 0):
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    async def run(self) -> dict:
        self.start = time.perf_counter()
        self.window_start = self.start + self.args.warmup
        self.window_end = self.window_start + self.args.duration
        await asyncio.gather(*(self.connection(n) for n in range(self.args.concurrency)))
        drained = time.perf_counter()
        latencies = sorted(self.scored_latencies)

        def quantile(q: float) -> float | None:
            return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2) if latencies else None

        return {
            "sent": self.sent,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
            "scored": self.scored,
            "window_s": self.args.duration,
            "rate": self.scored / self.args.duration,
            "latency_ms": {"p50": quantile(0.5), "p95": quantile(0.95), "p99": quantile(0.99),
                           "max": round(latencies[-1] * 1000, 2) if latencies else None},
            "drain_s": round(drained - self.window_end, 3),
            "samples": self.samples,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--body", choices=["form", "json"], default="form")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--reconnect-after", type=int, default=100,
                        help="open a new connection after this many requests (0: never), so that connections "
                             "are spread over the server's worker processes afresh")
    parser.add_argument("--label", default="load", help="goes into each description, keeping them distinct")
    parser.add_argument("--seed", default="20261122")
    args = parser.parse_args()
    try:
        import uvloop  # installed with uvicorn[standard]; lighter on the CPU the server also needs

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(Load(args).run())
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
