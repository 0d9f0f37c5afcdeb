"""A watcher writes each message to its connection at once, in the hub's loop over its watchers; a
connection that cannot take it yet (its ASGI send waits) gets its own task and queue, without holding up
anyone else."""

import asyncio

import pytest
from django.urls import path

from safecommons.incidents import broadcast
from safecommons.incidents.broadcast import Watcher, WatchScope
from safecommons.incidents.events import Envelope

SCOPE = WatchScope(agency_ids=frozenset({1}))


def envelope(seq: int, *, agency_id: int = 1) -> Envelope:
    return Envelope(seq=seq, incident_id=1, agency_id=agency_id, company_id=2, kind="observation", text=f"event {seq}")


class Connection:
    """An ASGI send that writes at once, or, while `blocked`, waits until unblocked (a full write buffer)."""

    def __init__(self, *, blocked: bool = False) -> None:
        self.sent: list[str] = []
        self.writable = asyncio.Event()
        if not blocked:
            self.writable.set()
        self.fail = False

    async def send(self, message):
        await self.writable.wait()
        if self.fail:
            raise OSError("the client went away")
        assert message["type"] == "websocket.send"
        self.sent.append(message["text"])


def live_watcher(connection: Connection, **kwargs) -> Watcher:
    watcher = Watcher(scope=SCOPE, send=connection.send, **kwargs)
    watcher.start_live()
    watcher.open()
    return watcher


def run(scenario):
    asyncio.run(scenario())


def test_a_message_is_written_before_offer_returns_without_a_task():
    async def scenario():
        connection = Connection()
        watcher = live_watcher(connection)
        tasks_before = len(asyncio.all_tasks())
        watcher.offer(envelope(1))
        watcher.offer(envelope(2, agency_id=9))  # not for this watcher
        watcher.offer(envelope(3))
        assert connection.sent == ["event 1", "event 3"]
        assert len(asyncio.all_tasks()) == tasks_before

    run(scenario)


def test_a_connection_that_cannot_take_a_message_holds_up_no_one_and_gets_everything_in_order():
    async def scenario():
        slow, quick = Connection(blocked=True), Connection()
        slow_watcher, quick_watcher = live_watcher(slow), live_watcher(quick)
        for seq in (1, 2, 3):
            slow_watcher.offer(envelope(seq))
            quick_watcher.offer(envelope(seq))
        assert quick.sent == ["event 1", "event 2", "event 3"]
        assert slow.sent == []
        slow.writable.set()
        for _ in range(5):
            await asyncio.sleep(0)
        assert slow.sent == ["event 1", "event 2", "event 3"]
        slow_watcher.offer(envelope(4))  # writable again: at once, no task
        assert slow.sent[-1] == "event 4"
        assert slow_watcher._sending is None

    run(scenario)


def test_what_is_replayed_before_the_connection_opens_is_sent_first_in_order():
    async def scenario():
        connection = Connection()
        watcher = Watcher(scope=SCOPE, send=connection.send)
        watcher.replay(envelope(1))
        watcher.offer(envelope(2))  # live, while catching up: held
        watcher.start_live()
        assert connection.sent == []
        watcher.open()
        watcher.offer(envelope(3))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert connection.sent == ["event 1", "event 2", "event 3"]

    run(scenario)


def test_a_reader_too_far_behind_is_let_go(monkeypatch):
    monkeypatch.setattr(broadcast, "QUEUE_LIMIT", 2)

    async def scenario():
        slow = Connection(blocked=True)
        let_go = asyncio.Event()

        async def overflow():
            let_go.set()

        watcher = live_watcher(slow, overflow=overflow)
        for seq in range(1, 6):
            watcher.offer(envelope(seq))
        await asyncio.wait_for(let_go.wait(), 1)
        slow.writable.set()
        await asyncio.sleep(0)
        assert slow.sent == []  # the send in progress was cancelled, the queue dropped
        watcher.offer(envelope(6))
        assert slow.sent == []

    run(scenario)


def test_a_connection_that_failed_is_skipped_and_the_others_still_get_the_message():
    async def scenario():
        gone, fine = Connection(), Connection()
        gone.fail = True
        gone_watcher, fine_watcher = live_watcher(gone), live_watcher(fine)
        for watcher in (gone_watcher, fine_watcher):
            watcher.offer(envelope(1))
        gone.fail = False
        gone_watcher.offer(envelope(2))
        assert gone.sent == []
        assert fine.sent == ["event 1"]

    run(scenario)


def test_stopping_a_watcher_cancels_the_send_that_was_waiting():
    async def scenario():
        slow = Connection(blocked=True)
        watcher = live_watcher(slow)
        watcher.offer(envelope(1))
        sending = watcher._sending
        assert sending is not None
        watcher.stop()
        with pytest.raises(asyncio.CancelledError):
            await sending
        assert not slow.writable._waiters  # the wait it was in was let go too
        slow.writable.set()
        await asyncio.sleep(0)
        assert slow.sent == []

    run(scenario)


def test_request_threads_publishing_at_once_share_one_redis_client(monkeypatch, settings):
    # A second client made by a racing thread would be dropped, and close its pool under the first thread.
    import threading

    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    monkeypatch.setattr(broadcast, "_redis_client", None)
    start, clients = threading.Barrier(8), []

    def take():
        start.wait()
        clients.append(broadcast._publisher())

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients) == 8 and len({id(client) for client in clients}) == 1


def test_stopping_a_watcher_whose_waiting_send_has_started_cancels_it_cleanly():
    async def scenario():
        slow = Connection(blocked=True)
        watcher = live_watcher(slow)
        watcher.offer(envelope(1))
        watcher.offer(envelope(2))
        sending = watcher._sending
        await asyncio.sleep(0)  # the task runs, and waits with the send
        assert slow.writable._waiters
        watcher.stop()
        with pytest.raises(asyncio.CancelledError):
            await sending
        assert not slow.writable._waiters
        slow.writable.set()
        await asyncio.sleep(0)
        assert slow.sent == []

    run(scenario)


@pytest.fixture
def hub_in_its_thread(monkeypatch, settings):
    """This process's hub, on an event loop of its own thread, as under the web server (no Redis)."""
    import threading

    settings.REDIS_URL = ""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    hub = broadcast.Hub(loop)
    hub.expected = 1
    monkeypatch.setattr(broadcast, "_hub", hub)
    yield hub
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


def test_a_thread_that_publishes_goes_on_once_its_process_watchers_have_the_events(hub_in_its_thread):
    # Going on at once, the request's thread would take the interpreter from the fan-out in slices.
    import time

    connection = Connection()
    hub_in_its_thread.watchers.add(live_watcher(connection))
    hub_in_its_thread.loop.call_soon_threadsafe(time.sleep, 0.2)  # the loop is busy for a moment
    broadcast.publish(envelope(1), envelope(2))
    assert connection.sent == ["event 1", "event 2"]


def test_a_stuck_event_loop_holds_a_publishing_thread_up_only_briefly(hub_in_its_thread, monkeypatch):
    import threading
    import time

    monkeypatch.setattr(broadcast, "HAND_OUT_WAIT_SECONDS", 0.1)
    connection = Connection()
    hub_in_its_thread.watchers.add(live_watcher(connection))
    free = threading.Event()
    hub_in_its_thread.loop.call_soon_threadsafe(free.wait, 5)
    started = time.monotonic()
    broadcast.publish(envelope(1))
    assert time.monotonic() - started < 1
    assert connection.sent == []
    free.set()
    deadline = time.monotonic() + 5
    while not connection.sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert connection.sent == ["event 1"]  # handed out once the loop was free again


def publish_after_a_gap(request):
    from django.http import JsonResponse

    broadcast.publish(envelope(2))  # event 1 was stored by another process, and its broadcast never came
    return JsonResponse({})


urlpatterns = [path("publish", publish_after_a_gap)]


@pytest.mark.django_db  # the hub's reading thread may hold a connection from an earlier test
def test_a_gap_found_after_a_request_published_is_filled_from_the_database(monkeypatch, settings):
    # The request's context (its thread, which it gives back at its end) must not follow the hub into the
    # timer and the task that read the gap: there, they failed every 0.25 s and held every later event back.
    from safecommons.core.httphandler import PooledASGIHandler
    from safecommons.core.tests.test_httphandler import get

    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.REDIS_URL = ""
    monkeypatch.setattr(broadcast, "stored_envelopes", lambda **kwargs: [envelope(1), envelope(2)])
    monkeypatch.setattr(broadcast, "GAP_WAIT_SECONDS", 0.05)

    async def scenario():
        hub = broadcast.Hub(asyncio.get_running_loop())
        hub.expected = 1
        monkeypatch.setattr(broadcast, "_hub", hub)
        connection = Connection()
        hub.watchers.add(live_watcher(connection))
        await get(PooledASGIHandler(), "/publish")
        for _ in range(100):
            if connection.sent == ["event 1", "event 2"]:
                break
            await asyncio.sleep(0.02)
        return connection.sent, hub.pending

    sent, pending = asyncio.run(scenario())
    assert sent == ["event 1", "event 2"] and not pending


class Shortcut:
    """A connection's `write_now` (framewriter.py): takes frames while `ready`, fails if `broken`."""

    def __init__(self) -> None:
        self.ready, self.broken, self.written = True, False, []

    def __call__(self, frame: bytes, data: bytes) -> bool:
        if self.broken:
            raise OSError("the client went away")
        if not self.ready:
            return False
        self.written.append(data.decode())
        return True


def test_a_watcher_writes_through_the_shortcut_and_uses_its_send_only_when_the_shortcut_declines():
    async def scenario():
        connection, shortcut = Connection(), Shortcut()
        watcher = live_watcher(connection, write_now=shortcut)
        watcher.offer(envelope(1))
        shortcut.ready = False
        watcher.offer(envelope(2))
        return shortcut.written, connection.sent

    assert asyncio.run(scenario()) == (["event 1"], ["event 2"])


def test_once_a_send_has_to_wait_what_follows_queues_behind_it_even_if_the_shortcut_could_write():
    async def scenario():
        connection, shortcut = Connection(blocked=True), Shortcut()
        watcher = live_watcher(connection, write_now=shortcut)
        watcher.offer(envelope(1))  # through the shortcut
        shortcut.ready = False  # the socket's buffer is full: the send waits
        watcher.offer(envelope(2))
        shortcut.ready = True
        watcher.offer(envelope(3))  # must not overtake 2
        connection.writable.set()
        await asyncio.sleep(0.01)
        return shortcut.written, connection.sent

    assert asyncio.run(scenario()) == (["event 1"], ["event 2", "event 3"])


def test_a_watcher_whose_shortcut_fails_stops():
    async def scenario():
        connection, shortcut = Connection(), Shortcut()
        watcher = live_watcher(connection, write_now=shortcut)
        shortcut.broken = True
        watcher.offer(envelope(1))
        shortcut.broken = False
        watcher.offer(envelope(2))
        return watcher._stopped, shortcut.written, connection.sent

    assert asyncio.run(scenario()) == (True, [], [])
