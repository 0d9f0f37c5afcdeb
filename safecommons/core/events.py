"""Realtime events: published after the transaction commits, delivered over the channel layer.

Embedded default: channels' in-memory layer inside the web process. Production: Redis pub/sub, so a
worker on another machine reaches a browser connected to any web process.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# The web server's event loop, recorded when the first socket connects. The in-memory layer's queues
# belong to that loop, so a publisher on another thread (the embedded worker) hands the send to it.
_server_loop: asyncio.AbstractEventLoop | None = None


def remember_server_loop() -> None:
    global _server_loop
    _server_loop = asyncio.get_running_loop()


def publish(group: str, event: dict[str, Any]) -> None:
    """Send an event to every socket in `group` now. Prefer `publish_on_commit` inside a transaction."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "event.message", "event": event}
    loop = _server_loop
    if isinstance(layer, InMemoryChannelLayer) and loop is not None and loop.is_running():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:
            asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
            return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a broadcast must never undo the write it reports
        logger.exception("could not publish event to %s", group)


def publish_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: publish(group, event), robust=True)
