"""One ``/ws`` client as the hub sees it: its topics and a bounded outbound queue.

The hub never awaits a client: it drops envelopes into this queue. When the client's transport can
take them (the usual case), they are written out synchronously once per event-loop iteration by the
hub's ``Flusher``: the client's whole backlog in one ``transport.write``, no task switch per event.
Only a client whose transport is paused (it reads slowly) is served by its own task, which waits for
the transport to drain; so a slow client only ever delays itself. Without a raw writer (another
server or protocol implementation) the task sends each envelope through the ASGI ``send``.

The queue is bounded by count and by bytes. When it is full, queued ``job.progress`` events are
coalesced to the latest per job (progress is a level, not a history). If even that leaves no room,
the backlog is dropped and the client gets a ``resync`` for each affected topic (it refetches over
REST); no other event is silently discarded. A client that stays at its bound (it does not read) for
longer than a grace period is dropped: the connection is closed with ``DROP_CLOSE_CODE`` and a
reason, and the client reconnects and resumes with ``after`` (what the log's replay is for).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from heimdall.events.envelope import make_envelope
from heimdall.events.topics import SYSTEM_TOPIC, subscription_keys
from heimdall.events.wire import Encoded, FrameWriter

Send = Callable[[str], Awaitable[None]]
# (envelope, its JSON text and frame): encoded once per event, not once per client.
Item = tuple[dict[str, Any], Encoded]

COALESCED_EVENTS = frozenset({"job.progress"})
# One transport.write carries at most this much; then the transport's flow control gets a say.
MAX_WRITE_BYTES = 256 * 1024
# A client over its bound longer than its grace is closed with this code (policy violation).
DROP_CLOSE_CODE = 1008
# After the close frame, the transport gets this long to flush before it is aborted (a peer that never
# reads would otherwise keep its buffers forever).
CLOSE_LINGER_S = 10.0


@dataclass(frozen=True)
class QueueBounds:
    """One client's outbound queue: envelopes, bytes, and how long it may stay full before it is dropped."""

    items: int = 1000
    bytes: int = 4 * 1024 * 1024
    stall_grace_s: float = 30.0


class Flusher:
    """Writes out every connection that got something during this event-loop iteration, once."""

    def __init__(self) -> None:
        self._dirty: dict[Connection, None] = {}
        self._scheduled = False

    def mark(self, connection: Connection) -> None:
        self._dirty[connection] = None
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        dirty, self._dirty = self._dirty, {}
        for connection in dirty:
            connection.flush()


class Connection:
    def __init__(self, client_id: str, send: Send, *, queue_size: int = 1000, writer: FrameWriter | None = None,
                 flusher: Flusher | None = None, bounds: QueueBounds | None = None,
                 on_drop: Callable[[Connection], None] | None = None) -> None:
        self.client_id = client_id
        self.topics: set[str] = set()
        # Which topics this client may subscribe to (None: all); set by whoever authenticated it.
        self.may_read: Callable[[str], bool] | None = None
        # topic -> the id after which every event of that topic has been queued for this client
        self.delivered_after: dict[str, int] = {}
        self.bounds = bounds or QueueBounds(items=queue_size)
        self.queue_size = self.bounds.items
        self.coalesced = 0
        self.overflows = 0
        self.writer = writer
        # (code, reason) once this client was dropped for staying over its bound
        self.dropped: tuple[int, str] | None = None
        self._send = send
        self._on_drop = on_drop
        self._flusher = (flusher or Flusher()) if writer is not None else None
        self._queue: deque[Item] = deque()
        self._queued_bytes = 0
        self._full_since: float | None = None
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._held: list[Item] | None = None
        self._held_bytes = 0
        self._held_lost: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        run = self._run_raw if self.writer is not None else self._run_send
        self._task = asyncio.create_task(run(), name=f"ws-send-{self.client_id}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def pending_bytes(self) -> int:
        return self._queued_bytes

    def push_live(self, envelope: dict[str, Any], encoded: Encoded | str) -> None:
        """A live logged event; held back while a replay for this client is running."""
        item = (envelope, _as_encoded(encoded))
        if self._held is None:
            self._enqueue(item)
            return
        if self._held and (len(self._held) >= self.queue_size or self._held_bytes + _size(item) > self.bounds.bytes):
            self._held_lost |= self._affected_topics(self._held)
            self._held.clear()
            self._held_bytes = 0
        self._held.append(item)
        self._held_bytes += _size(item)

    def push_live_many(self, items: list[Item]) -> None:
        """Several live events in id order (one dispatch run); the same as ``push_live`` for each."""
        if self.dropped is not None:
            return
        if self._held is None and len(self._queue) + len(items) <= self.queue_size:
            size = sum(_size(item) for item in items)
            if self._queued_bytes + size <= self.bounds.bytes:
                self._queue.extend(items)
                self._queued_bytes += size
                self._wake()
                return
        for envelope, encoded in items:
            self.push_live(envelope, encoded)

    def push_system(self, event: str, data: dict[str, Any], *, topic: str = SYSTEM_TOPIC) -> None:
        envelope = make_envelope(event, topic, data)
        self._enqueue((envelope, Encoded(json.dumps(envelope))))

    async def push_replay(self, envelope: dict[str, Any], encoded: Encoded | str) -> None:
        """A replayed event: waits for room instead of dropping (the client asked for history)."""
        while self.dropped is None and self._over(self.queue_size // 2, self.bounds.bytes // 2):
            self._note_full()
            self._room.clear()
            await self._room.wait()
        if self.dropped is None:
            self._put((envelope, _as_encoded(encoded)))

    def hold(self) -> None:
        self._held = []
        self._held_bytes = 0
        self._held_lost = set()

    def release(self) -> None:
        """End a replay: what arrived live meanwhile follows, in id order, after the replayed events."""
        held, lost = self._held or [], self._held_lost
        self._held, self._held_bytes, self._held_lost = None, 0, set()
        for topic in sorted(lost):
            self.push_system("resync", {"reason": "overflow"}, topic=topic)
        for item in held:
            self._enqueue(item)

    def flush(self) -> None:
        """Write the backlog now if the transport takes it; otherwise leave it to this client's task."""
        writer = self.writer
        if writer is None:
            return
        while self._queue and writer.writable:
            self._write_batch(writer)
        if self._queue and writer.closed:
            self._clear()  # the client is gone; its receive side disconnects it
        if self._queue:
            self._ready.set()  # paused (a slow reader): the task waits for the drain
        else:
            self._drained()

    def _enqueue(self, item: Item) -> None:
        if self.dropped is not None:
            return
        full = self._over(self.queue_size, self.bounds.bytes - _size(item))
        if full or self._full_since is not None:  # full now, or not drained since it was
            self._note_full()
        if full and self.dropped is None:
            self._coalesce()
        if self._over(self.queue_size, self.bounds.bytes - _size(item)):
            self._overflow()
        if self.dropped is None:
            self._put(item)

    def _over(self, items: int, size: int) -> bool:
        """Whether the queue holds ``items`` envelopes or more than ``size`` bytes (never when empty)."""
        return bool(self._queue) and (len(self._queue) >= items or self._queued_bytes > size)

    def _note_full(self) -> None:
        """The queue is at its bound: past the grace period, this client is dropped."""
        now = time.monotonic()
        if self._full_since is None:
            self._full_since = now
        elif now - self._full_since > self.bounds.stall_grace_s:
            self.drop(DROP_CLOSE_CODE, f"too slow: outbound queue full for {self.bounds.stall_grace_s:g} s; "
                                       "reconnect and resume with after")

    def drop(self, code: int, reason: str) -> None:
        """Stop serving this client: free its queue, close its socket (code, reason), tell the hub."""
        if self.dropped is not None:
            return
        self.dropped = (code, reason)
        self._clear()
        self._held, self._held_bytes = None, 0
        self._room.set()
        if self.writer is not None:
            self.writer.close(code, reason, linger_s=CLOSE_LINGER_S)
        if self._task is not None:
            self._task.cancel()
        if self._on_drop is not None:
            self._on_drop(self)

    def _put(self, item: Item) -> None:
        self._queue.append(item)
        self._queued_bytes += _size(item)
        self._wake()

    def _clear(self) -> None:
        self._queue.clear()
        self._queued_bytes = 0

    def _drained(self) -> None:
        self._full_since = None
        self._room.set()

    def _wake(self) -> None:
        if self._flusher is not None:
            self._flusher.mark(self)
        else:
            self._ready.set()

    def _coalesce(self) -> None:
        latest: dict[tuple[str, str], int] = {}
        for index, (envelope, _) in enumerate(self._queue):
            if envelope["event"] in COALESCED_EVENTS:
                latest[(envelope["topic"], envelope["event"])] = index
        keep = set(latest.values())
        kept = [item for index, item in enumerate(self._queue)
                if item[0]["event"] not in COALESCED_EVENTS or index in keep]
        self.coalesced += len(self._queue) - len(kept)
        self._queue = deque(kept)
        self._queued_bytes = sum(_size(item) for item in kept)

    def _overflow(self) -> None:
        lost = self._affected_topics(self._queue)
        self.overflows += 1
        self._clear()
        for topic in sorted(lost):
            self._put(_resync_item(topic))

    def _affected_topics(self, items: Iterable[tuple[dict[str, Any], Any]]) -> set[str]:
        topics: set[str] = set()
        for envelope, _ in items:
            if envelope["id"] is not None:
                topics |= set(subscription_keys(envelope["topic"], envelope["event"])) & self.topics
        return topics

    def _write_batch(self, writer: FrameWriter) -> None:
        queue, frames, size = self._queue, [], 0
        while queue and size < MAX_WRITE_BYTES:
            item = queue.popleft()
            self._queued_bytes -= _size(item)
            frames.append(item[1].frame)
            size += len(frames[-1])
        writer.write(frames[0] if len(frames) == 1 else b"".join(frames))

    async def _run_raw(self) -> None:
        writer = self.writer
        assert writer is not None
        while True:
            await self._ready.wait()
            self._ready.clear()
            await writer.wait_writable()
            self.flush()

    async def _run_send(self) -> None:
        while True:
            await self._ready.wait()
            while self._queue:
                item = self._queue.popleft()
                self._queued_bytes -= _size(item)
                if len(self._queue) < self.queue_size // 2:
                    self._room.set()
                await self._send(item[1].text)
            self._ready.clear()
            self._drained()


def _size(item: Item) -> int:
    """What an envelope pins in a queue, in bytes (its JSON is ASCII: one byte per character)."""
    return len(item[1].text)


def _as_encoded(encoded: Encoded | str) -> Encoded:
    return encoded if isinstance(encoded, Encoded) else Encoded(encoded)


def _resync_item(topic: str) -> Item:
    envelope = make_envelope("resync", topic, {"reason": "overflow"})
    return envelope, Encoded(json.dumps(envelope))
