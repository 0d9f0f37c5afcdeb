"""A request body larger than MAX_UPLOAD_BYTES is refused before it reaches Django.

Django's ASGI handler writes the whole body to a temporary file before any view runs, so a limit checked in
a view comes after the disk has taken it all. Here the body is counted as it arrives: a declared
Content-Length over the limit is answered 413 at once, and a body that grows past it (chunked, or lying
about its length) is cut off with a 413 as soon as it does.
"""

from __future__ import annotations

import json


class BodySizeLimit:
    """ASGI middleware for the "http" scope."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        received, refused = 0, False

        async def counted_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}  # the application stops reading and answers nothing
            return message

        async def guarded_send(message):
            if not refused:  # the 413 has gone out; nothing else may follow it
                await send(message)

        return await self.app(scope, counted_receive, guarded_send)

    async def _refuse(self, send) -> None:
        limit_mb = self.max_bytes // (1024 * 1024)
        body = json.dumps({"detail": f"The request is larger than the {limit_mb} MB limit."}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
