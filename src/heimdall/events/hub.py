"""The WebSocket hub of one API process: one ordered stream of logged events, fanned out to clients.

Events reach the hub from three feeds: this process's own publisher (a direct hand-off), the wake-up
adapter of other processes' publishers (``heimdall.events.wakeup``: a local datagram carrying an id,
or a Redis message carrying the envelope) and a tail of the database log (always: the gap filler,
and what a bare id wakes). Each
event is encoded once and written to all its subscribers by the ``Flusher`` once per event-loop
iteration (see ``heimdall.events.connection`` and ``heimdall.events.wire``). The hub dispatches in strictly
increasing id order: an event is taken directly only when it is the very next id; any other id
means something is in flight, and the log (whose ids become visible in id order) is read instead.

Replay without gap or duplicate: on ``subscribe`` with ``after``, the hub notes the last id it has
dispatched (S), holds the client's live events, replays the log's events in (after, S], then
releases the held ones (all > S). The two sets are disjoint and together complete. Events an
earlier subscription of the same client already queued (``jobs`` before ``job:<id>``) are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from heimdall.errors import HeimdallError
from heimdall.events.connection import Connection, Flusher, Item, QueueBounds, Send
from heimdall.events.envelope import iso_ms
from heimdall.events.log import EventLog
from heimdall.events.protocol import AuthOp, PingOp, ProtocolError, SubscribeOp, parse_client_message
from heimdall.events.topics import subscription_keys
from heimdall.events.wakeup import Wakeup
from heimdall.events.wire import Encoded, FrameWriter

log = logging.getLogger(__name__)

REPLAY_PAGE = 500
TAIL_PAGE = 1000


@dataclass(frozen=True)
class HubTuning:
    """How a hub paces itself; the defaults are what ``heimdall serve`` runs with."""

    # How often the log is tailed as the gap filler; None: the wake-up adapter's choice (25 ms without one).
    poll_interval_s: float | None = None
    heartbeat_s: float = 15.0
    # Per-connection outbound queue (envelopes, bytes) before coalescing and overflow (docs/events.md).
    queue_size: int = 1000
    queue_bytes: int = 4 * 1024 * 1024
    # A client whose queue stays at its bound (it does not read) this long is dropped (close 1008).
    stall_grace_s: float = 30.0
    # Under a stream of wake-ups, the log is read at most this often, so each read is a batch.
    min_read_gap_s: float = 0.004


class Hub:
    def __init__(self, event_log: EventLog, *, wakeup: Wakeup | None = None,
                 tuning: HubTuning | None = None) -> None:
        tuning = tuning or HubTuning()
        self.log = event_log
        self.wakeup = wakeup
        fallback_s = wakeup.tail_interval_s if wakeup is not None else 0.025
        self.poll_interval_s = tuning.poll_interval_s if tuning.poll_interval_s is not None else fallback_s
        self.heartbeat_s = tuning.heartbeat_s
        self.queue_size = tuning.queue_size
        self.queue_bounds = QueueBounds(tuning.queue_size, tuning.queue_bytes, tuning.stall_grace_s)
        self.dropped_total = 0
        self.min_read_gap_s = tuning.min_read_gap_s
        self.last_id = 0
        self.dispatched_total = 0
        self._connections: dict[str, Connection] = {}
        self._subscribers: dict[str, set[Connection]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._flusher = Flusher()

    @property
    def bus(self) -> str:
        """How other processes' events reach this hub: "embedded" (datagrams, or only the log) or "redis"."""
        return self.wakeup.bus if self.wakeup is not None else "embedded"

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        _, self.last_id = await asyncio.to_thread(self.log.bounds)
        self._tasks = [
            asyncio.create_task(self._tail_loop(), name="hub-tail"),
            asyncio.create_task(self._heartbeat_loop(), name="hub-heartbeat"),
        ]
        if self.wakeup is not None:
            await self.wakeup.listen(self)

    async def stop(self) -> None:
        if self.wakeup is not None:
            await self.wakeup.stop_listening()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for connection in list(self._connections.values()):
            await self.disconnect(connection)

    # -- feeds -----------------------------------------------------------------------------------
    def offer_threadsafe(self, envelope: dict[str, Any]) -> None:
        """Hand over an event committed in this process (publisher listener; any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not serving: the tail picks it up when the hub starts
        with contextlib.suppress(RuntimeError):  # loop closed between the check and the call
            loop.call_soon_threadsafe(self.offer, envelope)

    def offer(self, envelope: dict[str, Any]) -> None:
        """A committed event from this process's publisher or a wake-up (event-loop thread)."""
        event_id = envelope["id"]
        if event_id <= self.last_id:
            return
        if event_id == self.last_id + 1:
            self.dispatch([envelope])
        else:
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def notified(self, event_id: int) -> None:
        """Another process appended ``event_id`` (a wake-up without the envelope): read the log now."""
        if event_id > self.last_id:
            self._wake.set()

    def dispatch(self, envelopes: list[dict[str, Any]]) -> None:
        """Fan out events in id order; ids already dispatched are dropped (each id once).

        Consecutive events with the same subscribers go to each of them as one run: one call per
        client per run instead of per event (a page of the log is usually one run per topic).
        """
        run: list[Item] = []
        run_targets: set[Connection] | None = None
        for envelope in envelopes:
            if envelope["id"] <= self.last_id:
                continue
            self.last_id = envelope["id"]
            self.dispatched_total += 1
            targets = self._targets(envelope)
            if not targets:
                continue
            if targets is not run_targets:
                _push_run(run_targets, run)
                run, run_targets = [], targets
            run.append((envelope, Encoded(json.dumps(envelope))))  # encoded once per event
        _push_run(run_targets, run)

    def _targets(self, envelope: dict[str, Any]) -> set[Connection] | None:
        keys = subscription_keys(envelope["topic"], envelope["event"])
        if len(keys) == 1:
            return self._subscribers.get(keys[0])
        targets: set[Connection] = set()
        for key in keys:
            targets |= self._subscribers.get(key, set())
        return targets

    async def _tail_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_read_s = 0.0
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval_s)
            # Under a burst of wake-ups, read at most every min_read_gap_s: each read then carries a
            # batch that goes out in one write per client, instead of one read and fan-out per event.
            gap_s = last_read_s + self.min_read_gap_s - loop.time()
            if gap_s > 0:
                await asyncio.sleep(gap_s)
            self._wake.clear()
            last_read_s = loop.time()
            try:
                page = await asyncio.to_thread(self.log.read_after, self.last_id, TAIL_PAGE)
            except HeimdallError as exc:
                log.warning("events: cannot tail the event log: %s", exc.message)
                await asyncio.sleep(1.0)
                continue
            self.dispatch(page)
            if len(page) == TAIL_PAGE:
                self._wake.set()

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            now = _now_iso()
            for connection in list(self._connections.values()):
                connection.push_system("heartbeat", {"server_time": now})

    # -- connections -----------------------------------------------------------------------------
    def connect(self, send: Send, *, writer: FrameWriter | None = None,
                may_read: Callable[[str], bool] | None = None) -> Connection:
        """A new client; with ``writer`` its frames go straight to its transport (see events.wire);
        ``may_read(topic)`` says which topics it may subscribe to (default: all)."""
        connection = Connection(uuid.uuid4().hex, send, writer=writer, flusher=self._flusher,
                                bounds=self.queue_bounds, on_drop=self._dropped)
        connection.may_read = may_read
        self._connections[connection.client_id] = connection
        connection.start()
        connection.push_system("connected", {"client_id": connection.client_id, "server_time": _now_iso(),
                                             "last_id": self.last_id})
        return connection

    async def disconnect(self, connection: Connection) -> None:
        self._connections.pop(connection.client_id, None)
        self._remove_topics(connection, set(connection.topics))
        await connection.close()

    def _dropped(self, connection: Connection) -> None:
        """A client stayed over its queue bound: forget it (after the fan-out that noticed it)."""
        self.dropped_total += 1
        log.info("events: dropped client %s: %s", connection.client_id, connection.dropped)
        asyncio.get_running_loop().call_soon(self._forget, connection)

    def _forget(self, connection: Connection) -> None:
        self._connections.pop(connection.client_id, None)
        self._remove_topics(connection, set(connection.topics))

    async def handle_message(self, connection: Connection, text: str | bytes) -> None:
        """One client message; problems are answered with ``error`` and the connection stays open."""
        try:
            op = parse_client_message(text)
            if isinstance(op, PingOp):
                connection.push_system("pong", {"server_time": _now_iso()})
            elif isinstance(op, SubscribeOp):
                _check_readable(connection, op.topics)
                await self.subscribe(connection, op.topics, op.after)
            elif isinstance(op, AuthOp):
                raise ProtocolError("already_authenticated", "this connection is already authenticated")
            else:
                self._remove_topics(connection, set(op.topics))
        except ProtocolError as exc:
            connection.push_system("error", {"code": exc.code, "message": exc.message})
        except HeimdallError as exc:
            connection.push_system("error", {"code": exc.code, "message": exc.message})

    async def subscribe(self, connection: Connection, topics: list[str], after: int | None) -> None:
        ordered = list(dict.fromkeys(topics))
        snapshot = self.last_id
        # What this client already receives: replaying it again would duplicate (jobs + job:<id>).
        prior = {topic: connection.delivered_after[topic] for topic in connection.topics}
        if after is None:
            self._add_topics(connection, ordered, snapshot, prior)
            connection.push_system("subscribed", {"topics": ordered, "replayed": 0})
            return
        connection.hold()
        self._add_topics(connection, ordered, after, prior)
        try:
            replayed = await self._replay_or_resync(connection, ordered, after, snapshot, prior)
            connection.push_system("subscribed", {"topics": ordered, "replayed": replayed})
        finally:
            connection.release()

    async def _replay_or_resync(self, connection: Connection, topics: list[str], after: int, upto: int,
                                prior: dict[str, int]) -> int:
        too_old, oldest = await asyncio.to_thread(self.log.cursor_too_old, after, upto)
        if too_old:
            for topic in topics:
                data = {"reason": "cursor_too_old", "after": after, "oldest_id": oldest}
                connection.push_system("resync", data, topic=topic)
                if topic not in prior:
                    connection.delivered_after[topic] = upto
            return 0
        replayed, cursor = 0, after
        while cursor < upto:
            page = await asyncio.to_thread(self.log.replay, topics, cursor, upto=upto, limit=REPLAY_PAGE)
            for envelope in page:
                if not _already_delivered(envelope, prior):
                    await connection.push_replay(envelope, json.dumps(envelope))
                    replayed += 1
            if len(page) < REPLAY_PAGE:
                break
            cursor = page[-1]["id"]
        return replayed

    def _add_topics(self, connection: Connection, topics: list[str], delivered_after: int,
                    prior: dict[str, int]) -> None:
        for topic in topics:
            connection.topics.add(topic)
            connection.delivered_after[topic] = min(prior.get(topic, delivered_after), delivered_after)
            self._subscribers[topic].add(connection)

    def _remove_topics(self, connection: Connection, topics: set[str]) -> None:
        for topic in topics:
            connection.topics.discard(topic)
            connection.delivered_after.pop(topic, None)
            subscribers = self._subscribers.get(topic)
            if subscribers is not None:
                subscribers.discard(connection)
                if not subscribers:
                    del self._subscribers[topic]

    # -- observability ---------------------------------------------------------------------------
    def get_connection(self, client_id: str) -> Connection | None:
        return self._connections.get(client_id)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def subscriber_counts(self) -> dict[str, int]:
        return {topic: len(connections) for topic, connections in self._subscribers.items()}


def _check_readable(connection: Connection, topics: list[str]) -> None:
    refused = [topic for topic in topics if connection.may_read is not None and not connection.may_read(topic)]
    if refused:
        raise ProtocolError("forbidden_topic", f"your role may not read {', '.join(sorted(refused))}")


def _push_run(targets: set[Connection] | None, run: list[Item]) -> None:
    if targets and run:
        for connection in targets:
            connection.push_live_many(run)


def _already_delivered(envelope: dict[str, Any], prior: dict[str, int]) -> bool:
    """Whether a subscription the client already had has sent (or queued) this event."""
    return any(
        key in prior and envelope["id"] > prior[key]
        for key in subscription_keys(envelope["topic"], envelope["event"])
    )


def _now_iso() -> str:
    return iso_ms(datetime.now(UTC))
