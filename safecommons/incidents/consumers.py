"""Live connections to the incident stream: the police board and incident pages, an operator's console, and
an alarm center's pushed status feed. Each registers a watcher with this process's hub (broadcast.py)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied

from safecommons.incidents.broadcast import Watcher, hub_for_this_loop
from safecommons.incidents.selectors import live as live_selectors

CLOSE_REFUSED = 4403
CLOSE_RELOAD = 4409  # too far behind to replay: reload the page and connect from its state


def _int_param(query: dict[str, list[str]], name: str) -> int | None:
    values = query.get(name)
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


class _StreamConsumer(AsyncWebsocketConsumer):
    """Shared by both consumers: `watch_scope()` says what the connection may see; `?last_event_id=N`
    replays what came after N."""

    watcher: Watcher | None = None

    async def watch_scope(self, query):  # pragma: no cover - overridden
        raise NotImplementedError

    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            scope = await self.watch_scope(query)
        except (PermissionDenied, ObjectDoesNotExist):
            await self.close(code=CLOSE_REFUSED)
            return
        watcher = Watcher(scope=scope, send=self._send_text)
        # Registered (and caught up) before the handshake completes: an event posted once the client sees the
        # connection open is never missed.
        caught_up = await hub_for_this_loop().attach(watcher, after=_int_param(query, "last_event_id"))
        await self.accept()
        if not caught_up:
            await self.send(text_data=json.dumps({"type": "reload"}))
            await self.close(code=CLOSE_RELOAD)
            return
        self.watcher = watcher
        watcher.open()

    async def _send_text(self, text: str) -> None:
        await self.send(text_data=text)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "ping":
            await self.send(text_data="pong")

    async def disconnect(self, code):
        if self.watcher is not None:
            hub_for_this_loop().detach(self.watcher)
            self.watcher = None


class IncidentsConsumer(_StreamConsumer):
    """A signed-in person's incident stream: `?incident=ID` for one incident's page, else the board (police)
    or the console (operators). Refused (4403) to anyone else."""

    async def watch_scope(self, query):
        user = self.scope.get("user")
        return await database_sync_to_async(live_selectors.watch_scope_for_user)(
            user=user, incident_id=_int_param(query, "incident"))


class AlarmStatusConsumer(_StreamConsumer):
    """An alarm center's pushed status feed, authenticated by its API key (`Authorization: Bearer …`)."""

    async def watch_scope(self, query):
        headers = dict(self.scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        return await database_sync_to_async(live_selectors.watch_scope_for_api_key)(authorization=authorization)
