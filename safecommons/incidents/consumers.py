"""Live connections to the incident stream: the police board and incident pages, an operator's console, and
an alarm center's pushed status feed. Each registers a watcher with this process's hub (broadcast.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied

from safecommons.incidents.broadcast import Watcher, hub_for_this_loop
from safecommons.incidents.framewriter import frame_writer
from safecommons.incidents.selectors import live as live_selectors

logger = logging.getLogger(__name__)

CLOSE_RELOAD = 4409  # too far behind to replay: reload the page and connect from its state
CLOSE_REVOKED = 4403  # no longer allowed to watch (membership or agreement ended)
RECHECK_SECONDS = 60  # how often an open watch is checked against the person's current memberships
SOCKET_SEND = "safecommons.socket_send"  # scope key: the server's send for this socket, set by asgi.py


def _int_param(query: dict[str, list[str]], name: str) -> int | None:
    values = query.get(name)
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


class _StreamConsumer(AsyncWebsocketConsumer):
    """Shared by both consumers: `watch_scope()` says what the connection may see (a refusal ends the
    handshake with HTTP 403); `?last_event_id=N` replays what came after N."""

    channel_layer_alias = "(none)"  # the hub (broadcast.py) brings the events: no channel layer per connection
    watcher: Watcher | None = None
    _recheck: asyncio.Task | None = None

    async def watch_scope(self, query, after):  # pragma: no cover - overridden
        raise NotImplementedError

    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode())
        after = _int_param(query, "last_event_id")
        try:
            scope = await self.watch_scope(query, after)
        except (PermissionDenied, ObjectDoesNotExist):
            await self.close()
            return
        send = self.scope.get(SOCKET_SEND) or self.base_send
        watcher = Watcher(scope=scope, send=send, overflow=self._overflow, write_now=frame_writer(send))
        hub = hub_for_this_loop()
        # Registered (and caught up) before the handshake completes: an event posted once the client sees the
        # connection open is never missed.
        try:
            caught_up = await hub.attach(watcher, after=after)
            await self.accept()
        except BaseException:
            hub.detach(watcher)
            raise
        if not caught_up:
            await self.send(text_data=json.dumps({"type": "reload"}))
            await self.close(code=CLOSE_RELOAD)
            return
        self.watcher = watcher
        watcher.open()
        self._recheck = asyncio.get_running_loop().create_task(self._recheck_loop(query))

    async def _overflow(self) -> None:
        # The client reads slower than events come: let it go; it resumes from the last id it saw.
        await self.close(code=CLOSE_RELOAD)

    async def still_allowed(self, query):
        return self.watcher.scope if self.watcher else None

    async def _recheck_loop(self, query) -> None:
        while True:
            await asyncio.sleep(RECHECK_SECONDS)
            try:
                scope = await self.still_allowed(query)
            except Exception:
                logger.exception("could not re-check a live watch")
                continue
            if self.watcher is None:
                return
            if scope is None:
                await self.close(code=CLOSE_REVOKED)
                return
            self.watcher.scope = scope

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "ping":
            await self.send(text_data="pong")

    async def disconnect(self, code):
        if self._recheck is not None:
            self._recheck.cancel()
        if self.watcher is not None:
            hub_for_this_loop().detach(self.watcher)
            self.watcher = None


class IncidentsConsumer(_StreamConsumer):
    """A signed-in person's incident stream: `?incident=ID` for one incident's page, else the board (police)
    or the console (operators). Refused to anyone else, and to a session that has not passed the staff
    policy (second factor, idle limit)."""

    async def watch_scope(self, query, after):
        return await database_sync_to_async(live_selectors.watch_scope_for_user)(
            user=self.scope.get("user"), session=self.scope.get("session"),
            incident_id=_int_param(query, "incident"), after=after)

    async def still_allowed(self, query):
        user = self.scope.get("user")
        return await database_sync_to_async(live_selectors.watch_scope_current)(
            user_id=user.pk, incident_id=_int_param(query, "incident"))


class AlarmStatusConsumer(_StreamConsumer):
    """An alarm center's pushed status feed, authenticated by its API key (`Authorization: Bearer …`)."""

    async def watch_scope(self, query, after):
        headers = dict(self.scope.get("headers") or [])
        self._authorization = headers.get(b"authorization", b"").decode("latin-1")
        return await database_sync_to_async(live_selectors.watch_scope_for_api_key)(
            authorization=self._authorization)

    async def still_allowed(self, query):
        try:
            return await database_sync_to_async(live_selectors.watch_scope_for_api_key)(
                authorization=self._authorization)
        except PermissionDenied:
            return None  # the key was revoked
