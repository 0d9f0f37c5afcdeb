"""Django's HTTP side under ASGI, with request threads that live as long as the process.

Django's own ASGI handler gives every request a new thread (a fresh `ThreadSensitiveContext`) and, when
the request ends, starts one more thread to join it. It also runs the middleware in async mode, so a
request whose middleware and view are synchronous crosses between the event loop and its thread several
times. Measured in process here, that was 1-4 ms of every request, and a database connection opened and
closed each time (Django's connections belong to a thread); see docs/architecture.md, "Serving".

`PooledASGIHandler` keeps the rest of Django's handler (reading the body, sending the response, the client
going away) and changes three things:

- a request runs on a thread taken from a set of idle ones, and the thread goes back when the request
  ends. Nothing caps how many run at once: with none idle, a new thread is made, and threads beyond
  `idle_max` end when their request does. A thread serves one request at a time, so what Django keeps
  per thread (the database connection) is never shared by two requests;
- the middleware chain and the view run synchronously, in one call on that thread;
- `request_started` is sent in that same call, first. Django sends it from the event loop, which for its
  synchronous receivers (the database's) is a crossing to the thread and back of its own before the request
  is made: 0.4-0.6 ms of every request here (docs/benchmarks.md, "Sixth round").
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connections
from django.http import FileResponse
from django.urls import set_script_prefix


class PooledASGIHandler(ASGIHandler):
    def __init__(self, *, idle_max: int = 16) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.idle_max = idle_max
        self._idle: list[ThreadPoolExecutor] = []  # touched only on the event loop's thread

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread, cancelled = self._take(), False
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        except asyncio.CancelledError:
            cancelled = True
            raise
        finally:
            # Cancelled (the server shutting down), the request may leave its view running on the thread, which
            # then serves no one else and ends after it. Otherwise the thread is free: Django's handler waits
            # for the view even when the client has gone, and request_finished runs on the thread after it.
            if cancelled:
                self._retire(thread)
            else:
                self._give_back(thread)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:  # one Django cannot make (a query string that is not UTF-8, say): no view runs
            try:
                await signals.request_started.asend(sender=self.__class__, scope=scope)
                await self.send_response(error_response, send)
                await sync_to_async(error_response.close)()
            finally:
                body_file.close()
            return
        try:
            await self._serve(request, receive, send)
        except asyncio.CancelledError:
            raise  # the server gave up on the request: its view may still be reading the body on its thread
        except BaseException:
            body_file.close()
            raise
        body_file.close()

    async def _serve(self, request, receive, send) -> None:
        """The response, sent, unless the client goes away first; as Django's handler does."""

        async def respond():
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client went away while it was sent
                await self.send_response(response, send)
            return response

        # The listener first: when both are done, a disconnect must not hide an error of the response's.
        listener = asyncio.create_task(self.listen_for_disconnect(receive))
        responder = asyncio.create_task(respond())
        await asyncio.wait((listener, responder), return_when=asyncio.FIRST_COMPLETED)
        for task in (listener, responder):
            if not task.done():
                task.cancel()  # the client has gone: the view goes on, on its thread
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            elif not task.cancelled():
                with contextlib.suppress(RequestAborted):
                    task.result()
        if responder.cancelled():
            # Sent on the request's thread, which runs one call at a time: after the view, which it waits for.
            await signals.request_finished.asend(sender=self.__class__)
        else:
            await sync_to_async(responder.result().close)()  # sends request_finished on the request's thread

    def _started_and_response(self, request):
        signals.request_started.send(sender=self.__class__, scope=request.scope)
        return self.get_response(request)

    async def run_get_response(self, request):
        response = await sync_to_async(self._started_and_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # the server chunks the body itself
        return response

    def _take(self) -> ThreadPoolExecutor:
        if self._idle:
            return self._idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="http")

    def _give_back(self, thread: ThreadPoolExecutor) -> None:
        if len(self._idle) < self.idle_max:
            self._idle.append(thread)
        else:
            self._retire(thread)

    @staticmethod
    def _retire(thread: ThreadPoolExecutor) -> None:
        thread.submit(connections.close_all)  # its database connections close in their own thread
        thread.shutdown(wait=False)
