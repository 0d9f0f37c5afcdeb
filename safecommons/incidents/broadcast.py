"""Getting incident events to everyone watching, in order, with nothing missed.

Each web process holds one `Hub` on its event loop, and every live connection (a watcher) registers with
it. An event reaches the hubs after its transaction commits: directly in the embedded default (one
process), through one Redis pub/sub channel in production (every process subscribes once, whatever the
number of its watchers). The hub serialises the event's text once and hands it to each watcher allowed to
see it.

Events are numbered without holes (`EventSequence`), so a hub knows when one has not arrived: it waits a
moment for it, then reads it from the database. A watcher that connects with the last event id it saw first
gets everything after it from the database, then the live events, with each event exactly once.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Max, Q

from safecommons.incidents.events import Envelope, envelope_for
from safecommons.incidents.models import IncidentEvent

logger = logging.getLogger(__name__)

GAP_WAIT_SECONDS = 0.25  # how long a missing event may lag behind a later one before it is read from the database
SWEEP_SECONDS = 5.0  # how often an idle hub checks the database for events whose broadcast was lost
REPLAY_LIMIT = 5000  # a watcher further behind than this is told to reload instead
QUEUE_LIMIT = REPLAY_LIMIT + 1000  # a watcher with this many unsent events is let go (it resumes by id)
REDIS_READY_SECONDS = 3.0  # a hub whose first Redis subscription takes longer serves from the database meanwhile
HAND_OUT_WAIT_SECONDS = 1.0  # how long a publishing thread waits for its process's hub to hand events out


def redis_channel() -> str:
    # One database, one channel: events numbered by another database must never mix with ours.
    return f"safecommons:{settings.DATABASES['default']['NAME']}:incident-events"


@dataclass(frozen=True)
class WatchScope:
    """What one connection may see: the events of these agencies (police) or companies (operators),
    optionally of one incident, optionally only some kinds (an alarm center's status feed)."""

    agency_ids: frozenset[int] = frozenset()
    company_ids: frozenset[int] = frozenset()
    incident_id: int | None = None
    kinds: frozenset[str] | None = None

    def sees(self, envelope: Envelope) -> bool:
        if self.incident_id is not None and envelope.incident_id != self.incident_id:
            return False
        if self.kinds is not None and envelope.kind not in self.kinds:
            return False
        return envelope.agency_id in self.agency_ids or envelope.company_id in self.company_ids

    def q(self) -> Q:
        q = Q(agency_id__in=self.agency_ids) | Q(company_id__in=self.company_ids)
        if self.incident_id is not None:
            q &= Q(incident_id=self.incident_id)
        if self.kinds is not None:
            q &= Q(kind__in=self.kinds)
        return q


class _Resumed:
    """Awaiting this finishes a coroutine that was started by hand and stopped at `waiting_on` (a future it
    waits for): what a task does after its first step, for a coroutine whose first step ran elsewhere."""

    def __init__(self, coroutine: Coroutine, waiting_on: Any) -> None:
        self.coroutine, self.waiting_on = coroutine, waiting_on

    def __await__(self):
        coroutine, value = self.coroutine, self.waiting_on
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as error:  # thrown in by the task (its cancellation)
                try:
                    value = coroutine.throw(error)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    value = coroutine.send(sent)
                except StopIteration as done:
                    return done.value


@dataclass(eq=False)
class Watcher:
    """One connection's place in the stream. `send` is the connection's ASGI send; nothing is sent before
    `open()` (the connection is accepted only once the watcher is registered and caught up).

    A message is written to the socket at once, in the hub's own loop over its watchers, as a bare
    websocket server does: no queue, no task per watcher. Only when a connection's write buffer is full
    (its ASGI send has to wait) does the rest of that send move to a task, with what follows queued behind
    it, so one slow reader never holds up the others; past QUEUE_LIMIT queued it is let go (`overflow`)."""

    scope: WatchScope
    send: Callable[[dict[str, Any]], Awaitable[None]]
    overflow: Callable[[], Awaitable[None]] | None = None  # called once when the client cannot keep up
    write_now: Callable[[bytes, bytes], bool] | None = None  # writes at once if it can (framewriter.py)
    cursor: int = 0
    buffering: bool = True
    _held: list[Envelope] = field(default_factory=list)
    _backlog: deque[dict[str, Any]] = field(default_factory=deque)  # waiting to be written, in order
    _sending: asyncio.Task | None = None  # writing the backlog out while the connection is not writable
    _interrupted: Coroutine | None = None  # the send that had to wait, until its task starts
    _open: bool = False
    _stopped: bool = False

    def offer(self, envelope: Envelope) -> None:
        """A live event from the hub, in order."""
        if self.buffering:
            self._held.append(envelope)
        elif envelope.seq > self.cursor:
            self.cursor = envelope.seq
            if self.scope.sees(envelope):
                self._put(envelope)

    def replay(self, envelope: Envelope) -> None:
        """A stored event read for this watcher (already filtered to what it may see)."""
        if envelope.seq > self.cursor:
            self.cursor = envelope.seq
            self._put(envelope)

    def _put(self, envelope: Envelope) -> None:
        if self._stopped:
            return
        if self._open and self._sending is None:
            if self.write_now is not None:
                try:
                    if self.write_now(envelope.frame, envelope.data):
                        return
                except Exception:  # the connection went away; its disconnect detaches it
                    logger.debug("could not write to a watcher", exc_info=True)
                    self.stop()
                    return
            self._write(envelope.message)
            return
        if len(self._backlog) >= QUEUE_LIMIT:
            self.stop()
            if self.overflow is not None:
                asyncio.get_running_loop().create_task(self.overflow())
            return
        self._backlog.append(envelope.message)

    def _write(self, message: dict[str, Any]) -> None:
        """Run the connection's send up to its first wait: with room in the socket's buffer, it has written
        the frame and finished by then. Otherwise a task finishes it, and writes what queues up meanwhile."""
        coroutine = self.send(message)
        try:
            waiting_on = coroutine.send(None)
        except StopIteration:
            return
        except Exception:  # the connection went away; its disconnect detaches it
            logger.debug("could not send to a watcher", exc_info=True)
            self.stop()
            return
        self._interrupted = coroutine
        self._sending = asyncio.get_running_loop().create_task(self._write_rest(_Resumed(coroutine, waiting_on)))

    async def _write_rest(self, first: Awaitable[None] | None) -> None:
        self._interrupted = None  # this task finishes it now (or, cancelled, cancels the wait it is in)
        try:
            if first is not None:
                await first
            while self._backlog:
                await self.send(self._backlog.popleft())
        except Exception:
            logger.debug("could not send to a watcher", exc_info=True)
            self._stopped = True
            self._backlog.clear()
        finally:
            self._sending = None

    def start_live(self) -> None:
        held, self._held, self.buffering = self._held, [], False
        for envelope in held:
            self.offer(envelope)

    def open(self) -> None:
        """Start sending (after the connection is accepted): first what was replayed meanwhile."""
        if self._open or self._stopped:
            return
        self._open = True
        if self._backlog:
            self._sending = asyncio.get_running_loop().create_task(self._write_rest(None))

    def stop(self) -> None:
        self._stopped = True
        self._backlog.clear()
        if self._sending is not None:
            self._sending.cancel()
        if self._interrupted is not None:  # its task never got to run: let go of what it waits for
            self._interrupted.close()
            self._interrupted = None


# --- Reading the stored events (sync; run in a thread from the hub).


def latest_seq() -> int:
    return IncidentEvent.objects.aggregate(last=Max("seq"))["last"] or 0


def stored_envelopes(*, after: int, up_to: int | None = None, q: Q | None = None,
                     limit: int | None = None) -> list[Envelope]:
    events = IncidentEvent.objects.filter(seq__gt=after).select_related("incident__company").order_by("seq")
    if up_to is not None:
        events = events.filter(seq__lte=up_to)
    if q is not None:
        events = events.filter(q)
    if limit is not None:
        events = events[:limit]
    return [envelope_for(event, event.incident) for event in events]


class Hub:
    """The watchers of one process, fed in event order from the broadcast and, for gaps, the database."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, redis_url: str = "") -> None:
        self.loop = loop
        self.redis_url = redis_url
        self.watchers: set[Watcher] = set()
        self.expected: int | None = None  # the next event number to hand out
        self.pending: dict[int, Envelope | None] = {}  # None: a number known to have no stored event
        self._started: asyncio.Future | None = None
        self._gap_timer: asyncio.TimerHandle | None = None
        self._filling = False
        self._tasks: set[asyncio.Task] = set()  # held until done (the loop keeps only weak references)

    # -- watchers

    async def attach(self, watcher: Watcher, *, after: int | None) -> bool:
        """Register the watcher and bring it up to date from `after` (None: from now). False when it is more
        than REPLAY_LIMIT events behind: it should reload and reconnect from the page's new state."""
        await self.start()
        watcher.buffering = True
        self.watchers.add(watcher)
        try:
            return await self._catch_up(watcher, after=after)
        except BaseException:
            self.detach(watcher)
            raise

    async def _catch_up(self, watcher: Watcher, *, after: int | None) -> bool:
        if after is None:
            # From now: what the hub hands out from here on. Nothing it handed out before was for this watcher.
            watcher.cursor = (self.expected or 1) - 1
        else:
            missed = await database_sync_to_async(stored_envelopes)(after=after, q=watcher.scope.q(),
                                                                    limit=REPLAY_LIMIT + 1)
            if len(missed) > REPLAY_LIMIT:
                self.detach(watcher)
                return False
            watcher.cursor = after
            for envelope in missed:
                watcher.replay(envelope)
        watcher.start_live()
        return True

    def detach(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)
        watcher.stop()

    # -- events in

    def receive_all(self, envelopes: Sequence[Envelope], handed_out: threading.Event | None = None) -> None:
        try:
            for envelope in envelopes:
                self.receive(envelope)
        finally:
            if handed_out is not None:
                handed_out.set()

    def receive(self, envelope: Envelope) -> None:
        """An event from the broadcast (on the hub's loop)."""
        if self.expected is not None and envelope.seq < self.expected:
            return  # already handed out (read from the database while its broadcast lagged)
        self.pending[envelope.seq] = envelope
        self._drain()

    def _drain(self) -> None:
        if self.expected is None:
            return
        while self.expected in self.pending:
            envelope = self.pending.pop(self.expected)
            self.expected += 1
            if envelope is None:
                continue
            for watcher in tuple(self.watchers):
                watcher.offer(envelope)
        if self.pending and self._gap_timer is None and not self._filling:
            self._gap_timer = self.loop.call_later(GAP_WAIT_SECONDS, self._gap_timeout, context=contextvars.Context())

    def _gap_timeout(self) -> None:
        self._gap_timer = None
        if self.pending:
            self._spawn(self.fill_from_database(up_to=max(self.pending)))

    async def fill_from_database(self, *, up_to: int | None = None) -> None:
        """Read the events from `expected` to `up_to` (default: the latest) that the broadcast has not
        brought, and hand them out in order."""
        if self.expected is None or self._filling:
            return
        self._filling = True
        try:
            stored = await database_sync_to_async(stored_envelopes)(after=self.expected - 1, up_to=up_to)
            for envelope in stored:
                self.pending.setdefault(envelope.seq, envelope)
            if stored:
                # Numbers are dense, so one that is not stored by now was deleted with its incident.
                last = stored[-1].seq
                for missing in range(self.expected, last + 1):
                    self.pending.setdefault(missing, None)
        except Exception:
            logger.exception("could not read missed incident events")
        finally:
            self._filling = False
        self._drain()

    # -- life

    async def start(self) -> None:
        if self._started is None:
            self._started = self.loop.create_future()
            try:
                if self.redis_url:
                    ready = self.loop.create_future()
                    self._spawn(self._listen_redis(ready))
                    # Subscribed before we read where the stream stands, so nothing falls between. With Redis
                    # unreachable, watchers are served from the database (the sweep) until it is back.
                    try:
                        await asyncio.wait_for(asyncio.shield(ready), REDIS_READY_SECONDS)
                    except TimeoutError:
                        logger.warning("incident broadcast: Redis not reachable; reading events from the database")
                self.expected = await database_sync_to_async(latest_seq)() + 1
                for seq in [s for s in self.pending if s < self.expected]:
                    del self.pending[seq]
                self._spawn(self._sweep())
                self._started.set_result(True)
            except BaseException as error:
                self._started.set_exception(error)
                self._started = None
                raise
            self._drain()
        else:
            await self._started

    async def _listen_redis(self, ready: asyncio.Future) -> None:
        import redis.asyncio as aioredis

        while True:
            client = aioredis.from_url(self.redis_url, socket_connect_timeout=2)
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(redis_channel())
                if not ready.done():
                    ready.set_result(True)
                else:  # resubscribed after a drop: what was published meanwhile comes from the database
                    await self.fill_from_database()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self.receive(Envelope.from_wire(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("incident broadcast: lost Redis, reconnecting", exc_info=True)
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            if self.watchers and not self.pending:
                try:
                    latest = await database_sync_to_async(latest_seq)()
                except Exception:
                    logger.exception("could not read the latest incident event")
                    continue
                if self.expected is not None and latest >= self.expected:
                    await self.fill_from_database(up_to=latest)

    def _spawn(self, coroutine) -> None:
        task = self.loop.create_task(coroutine, context=contextvars.Context())  # whoever asked, the hub's own
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
        for watcher in tuple(self.watchers):
            self.detach(watcher)


# --- One hub per process (per event loop, which in a server is one).

_hub: Hub | None = None
_hub_lock = threading.Lock()


def hub_for_this_loop() -> Hub:
    """The hub of the running loop, made on first use (a server has one loop; tests make several)."""
    global _hub
    loop = asyncio.get_running_loop()
    with _hub_lock:
        if _hub is None or _hub.loop is not loop or loop.is_closed():
            _hub = Hub(loop, redis_url=settings.REDIS_URL)
        return _hub


_redis_client = None
_redis_client_lock = threading.Lock()


def _publisher():
    """The process's Redis client for publishing, made once. (Two made at once by two request threads would
    be one too many: the one dropped closes its pool, and with it the connection the other thread is using.)"""
    global _redis_client
    if _redis_client is None:
        with _redis_client_lock:
            if _redis_client is None:
                import redis

                _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    return _redis_client


def publish(*envelopes: Envelope) -> None:
    """Hand committed events, in order, to every hub (one Redis round trip for all of them). A failure here
    loses nothing: hubs read gaps from the database."""
    try:
        if settings.REDIS_URL:
            pipeline = _publisher().pipeline(transaction=False)
            for envelope in envelopes:
                pipeline.publish(redis_channel(), envelope.to_wire())
            pipeline.execute()
            return
        hub = _hub
        if hub is None or hub.loop.is_closed() or not hub.loop.is_running():
            return  # nobody is watching in this process
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is hub.loop:
            hub.receive_all(envelopes)
            return
        handed_out = threading.Event()
        # In a context of its own: the caller's (a request's, tied to its thread) must not follow the hub into
        # the timers and tasks it starts, which outlive the request.
        hub.loop.call_soon_threadsafe(hub.receive_all, envelopes, handed_out, context=contextvars.Context())
        # Wait while the hub writes to its watchers. This thread (a request's, mostly) would otherwise go on
        # with its response and take the interpreter from the fan-out in slices of the switch interval,
        # and the response waits for the event loop anyway.
        handed_out.wait(HAND_OUT_WAIT_SECONDS)
    except Exception:
        logger.exception("could not broadcast incident events %s; watchers will read them from the database",
                         ", ".join(str(envelope.seq) for envelope in envelopes))
