"""The HTTP side under ASGI (core/httphandler.py): request threads that are reused, one request per thread at
a time, as many at once as arrive, and the whole middleware chain and view on the request's thread."""

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import signals
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from safecommons.core.httphandler import PooledASGIHandler

both_inside = threading.Barrier(2)


def where(request):
    return JsonResponse({"thread": threading.get_ident(), "middleware_thread": request.middleware_thread})


def meet(request):
    both_inside.wait(timeout=5)  # two requests served one after the other would never both get here
    return JsonResponse({"thread": threading.get_ident(), "middleware_thread": request.middleware_thread})


inside, leave = threading.Event(), threading.Event()
held_on: list[int] = []
read_after_hold: list[bytes] = []


@csrf_exempt
def hold(request):
    held_on.append(threading.get_ident())
    inside.set()
    leave.wait(timeout=5)
    read_after_hold.append(request.body)  # after the server or the client gave up on the request
    return JsonResponse({})


urlpatterns = [path("where", where), path("meet", meet), path("hold", hold)]


class MarkThread:
    """Notes the thread the middleware chain runs on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.middleware_thread = threading.get_ident()
        return self.get_response(request)


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.MarkThread"]
    settings.ALLOWED_HOSTS = ["testserver"]
    return PooledASGIHandler(idle_max=2)


async def call(app, url: str, *, method: str = "GET", body: bytes = b"", query_string: bytes = b"",
               goes_away: threading.Event | None = None) -> tuple[int | None, bytes]:
    """Status and body of a request to `app`; with `goes_away`, the client disconnects once that is set."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": url, "raw_path": url.encode(), "query_string": query_string, "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    received = False
    answer: list[bytes] = []
    status: list[int] = []

    async def receive():
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        if goes_away is None:
            await asyncio.Event().wait()  # the client stays connected
        while not goes_away.is_set():
            await asyncio.sleep(0.01)
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            answer.append(message.get("body", b""))

    await app(scope, receive, send)
    return (status[0] if status else None), b"".join(answer)


async def get(app, url: str) -> dict:
    status, body = await call(app, url)
    assert status == 200, (status, body)
    return json.loads(body)


def test_requests_one_after_another_reuse_one_thread(handler):
    async def scenario():
        return [await get(handler, "/where") for _ in range(5)]

    answers = asyncio.run(scenario())
    assert len({answer["thread"] for answer in answers}) == 1
    assert threading.get_ident() not in {answer["thread"] for answer in answers}  # never the event loop's


def test_the_middleware_and_the_view_run_on_the_requests_thread(handler):
    answer = asyncio.run(get(handler, "/where"))
    assert answer["middleware_thread"] == answer["thread"]


def test_requests_at_the_same_time_run_at_the_same_time_on_threads_of_their_own(handler):
    async def scenario():
        return await asyncio.gather(get(handler, "/meet"), get(handler, "/meet"))

    first, second = asyncio.run(scenario())
    assert first["thread"] != second["thread"]


def test_threads_beyond_the_idle_limit_end_with_their_request(handler):
    global both_inside
    both_inside = threading.Barrier(4)

    async def scenario():
        meeting = await asyncio.gather(*(get(handler, "/meet") for _ in range(4)))
        idle = len(handler._idle)
        return meeting, idle, await get(handler, "/where")

    try:
        meeting, idle, after = asyncio.run(scenario())
    finally:
        both_inside = threading.Barrier(2)
    assert len({answer["thread"] for answer in meeting}) == 4
    assert idle == 2  # idle_max: the other two were shut down
    assert after["thread"] in {answer["thread"] for answer in meeting}  # an idle one, no new thread


def test_a_request_the_server_cancels_gives_up_its_thread_which_serves_no_one_else(handler):
    # Cancelled (the server shutting down), the request returns while its view still runs on the thread.
    async def scenario():
        request = asyncio.ensure_future(get(handler, "/hold"))
        while not inside.is_set():
            await asyncio.sleep(0.01)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        idle_after_cancel = list(handler._idle)
        try:
            # Asked while the held view still runs, so that both threads are alive and their identities
            # differ (a thread that has ended may hand its identity to the next one). Had the thread gone
            # back, this request would wait behind the held view, on the same thread.
            answer = await get(handler, "/where")
        finally:
            leave.set()
        return idle_after_cancel, answer

    inside.clear()
    leave.clear()
    held_on.clear()
    idle_after_cancel, answer = asyncio.run(scenario())
    assert idle_after_cancel == []
    assert answer["thread"] != held_on[0]  # the next request got another thread


class CountingThread(ThreadPoolExecutor):
    """A request thread that counts the calls the event loop hands it."""

    calls = 0

    def submit(self, *args, **kwargs):
        self.calls += 1
        return super().submit(*args, **kwargs)


def test_request_started_is_sent_on_the_requests_thread_in_the_call_that_runs_the_view(handler, monkeypatch):
    thread = CountingThread(max_workers=1)
    monkeypatch.setattr(handler, "_take", lambda: thread)
    started_on: list[int] = []

    def started(**kwargs):
        started_on.append(threading.get_ident())

    signals.request_started.connect(started)
    try:
        answer = asyncio.run(get(handler, "/where"))
    finally:
        signals.request_started.disconnect(started)
    assert started_on == [answer["thread"]]
    assert thread.calls == 2  # the response, then closing it; none before for the signal


def test_a_client_that_goes_away_leaves_the_view_to_finish_and_its_thread_to_serve_again(handler):
    finished: list[int] = []

    def request_finished(**kwargs):
        finished.append(threading.get_ident())

    async def scenario():
        gone = threading.Event()
        request = asyncio.ensure_future(call(handler, "/hold", goes_away=gone))
        for _ in range(500):
            if inside.is_set() or request.done():
                break
            await asyncio.sleep(0.01)
        assert inside.is_set(), "the view was never reached"
        gone.set()
        await asyncio.sleep(0.2)
        ended_early = request.done()
        leave.set()
        await request
        return ended_early, list(handler._idle)

    inside.clear()
    leave.clear()
    held_on.clear()
    signals.request_finished.connect(request_finished)
    try:
        ended_early, idle = asyncio.run(scenario())
    finally:
        signals.request_finished.disconnect(request_finished)
    assert not ended_early  # the handler waits for the view, whose thread is not free before it returns
    assert len(idle) == 1  # and then it is
    assert len(finished) == 1


def test_a_request_django_cannot_make_is_answered_400_with_both_signals_once(handler):
    sent: list[str] = []

    def started(**kwargs):
        sent.append("started")

    def finished(**kwargs):
        sent.append("finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        status, _ = asyncio.run(call(handler, "/where", query_string=b"q=\xff"))  # not UTF-8
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert status == 400
    assert sent == ["started", "finished"]


def test_a_request_the_server_cancels_keeps_its_body_for_the_view_still_running(handler):
    async def scenario():
        request = asyncio.ensure_future(call(handler, "/hold", method="POST", body=b"still here"))
        for _ in range(500):
            if inside.is_set() or request.done():
                break
            await asyncio.sleep(0.01)
        assert inside.is_set(), request.result() if request.done() else "the view was never reached"
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        leave.set()
        for _ in range(200):
            if read_after_hold:
                break
            await asyncio.sleep(0.01)

    inside.clear()
    leave.clear()
    held_on.clear()
    read_after_hold.clear()
    asyncio.run(scenario())
    assert read_after_hold == [b"still here"]
