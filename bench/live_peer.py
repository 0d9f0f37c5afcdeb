"""The peer of bench_live_broadcast.py: a bare `websockets` broadcast server, and nothing else.

Run by the benchmark in a process of its own (not a benchmark itself, hence not named bench_*):

    python bench/live_peer.py --port 8124

Watchers connect to ws://127.0.0.1:PORT/watch. A sender connects to /send; each text message it sends is
wrapped in a JSON event of the same shape and about the same size as the product's (the event and the
incident's summary), serialised once, and pushed to every watcher with `websockets.broadcast`. No sign-in,
no storage, no numbering, no replay, no permission check: the floor of what fan-out over websockets costs
in Python on this machine. It runs on uvloop when installed, as uvicorn does, and prints "ready" on stdout
once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import sys
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve

LISTEN_BACKLOG = 2048  # uvicorn's default


def incident_event(seq: int, text: str) -> str:
    """What the product sends a board watcher for an operator's observation, with the same fields."""
    now = datetime.now(UTC).isoformat()
    return json.dumps({
        "type": "incident.event",
        "event": {"id": seq, "incident_id": 1, "kind": "observation", "kind_label": "Observation",
                  "side": "operator", "actor": "operator@live.bench", "text": text, "data": {}, "at": now},
        "incident": {
            "id": 1, "url": "/incidents/1/", "type": "break_in", "type_label": "Break-in in progress",
            "source": "operator", "status": "received", "status_label": "Received", "disposition": "",
            "priority": 60, "verification": "video", "verified": True, "weapons": False, "persons_at_risk": False,
            "suspect_count": 0, "vehicle_count": 0, "address": "100 Bench Ave", "latitude": 44.98,
            "longitude": -93.27, "company": "Bench Live Monitoring", "assigned_unit": "", "alarm_count": 0,
            "received_at": now,
        },
    })


class Peer:
    def __init__(self) -> None:
        self.watchers: set[ServerConnection] = set()
        self.seq = 0

    async def handler(self, connection: ServerConnection) -> None:
        if connection.request is not None and connection.request.path.startswith("/send"):
            async for message in connection:
                self.seq += 1
                text = message if isinstance(message, str) else message.decode()
                broadcast(self.watchers, incident_event(self.seq, text))
            return
        self.watchers.add(connection)
        try:
            await connection.wait_closed()
        finally:
            self.watchers.discard(connection)

    async def run(self, host: str, port: int) -> None:
        async with serve(self.handler, host, port, backlog=LISTEN_BACKLOG) as server:
            print("ready", flush=True)
            await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:  # a thousand watchers and more: as many open files
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        runner(Peer().run(args.host, args.port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
