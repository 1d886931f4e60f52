"""One ``/ws`` client as the hub sees it: its topics and a bounded outbound queue.

The hub never awaits a client: it drops envelopes into this queue. When the client's transport can
take them (the usual case), they are written out synchronously once per event-loop iteration by the
hub's ``Flusher``: the client's whole backlog in one ``transport.write``, no task switch per event.
Only a client whose transport is paused (it reads slowly) is served by its own task, which waits for
the transport to drain; so a slow client only ever delays itself. Without a raw writer (another
server or protocol implementation) the task sends each envelope through the ASGI ``send``.

When the queue is full, queued ``job.progress`` events are coalesced to the latest per job (progress
is a level, not a history). If even that leaves no room, the backlog is dropped and the client gets
a ``resync`` for each affected topic (it refetches over REST); no other event is silently discarded.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
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
                 flusher: Flusher | None = None) -> None:
        self.client_id = client_id
        self.topics: set[str] = set()
        # Which topics this client may subscribe to (None: all); set by whoever authenticated it.
        self.may_read: Callable[[str], bool] | None = None
        # topic -> the id after which every event of that topic has been queued for this client
        self.delivered_after: dict[str, int] = {}
        self.queue_size = queue_size
        self.coalesced = 0
        self.overflows = 0
        self.writer = writer
        self._send = send
        self._flusher = (flusher or Flusher()) if writer is not None else None
        self._queue: deque[Item] = deque()
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._held: list[Item] | None = None
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

    def push_live(self, envelope: dict[str, Any], encoded: Encoded | str) -> None:
        """A live logged event; held back while a replay for this client is running."""
        item = (envelope, _as_encoded(encoded))
        if self._held is None:
            self._enqueue(item)
            return
        if len(self._held) >= self.queue_size:
            self._held_lost |= self._affected_topics(self._held)
            self._held.clear()
        self._held.append(item)

    def push_live_many(self, items: list[Item]) -> None:
        """Several live events in id order (one dispatch run); the same as ``push_live`` for each."""
        if self._held is None and len(self._queue) + len(items) <= self.queue_size:
            self._queue.extend(items)
            self._wake()
            return
        for envelope, encoded in items:
            self.push_live(envelope, encoded)

    def push_system(self, event: str, data: dict[str, Any], *, topic: str = SYSTEM_TOPIC) -> None:
        envelope = make_envelope(event, topic, data)
        self._enqueue((envelope, Encoded(json.dumps(envelope))))

    async def push_replay(self, envelope: dict[str, Any], encoded: Encoded | str) -> None:
        """A replayed event: waits for room instead of dropping (the client asked for history)."""
        while len(self._queue) >= self.queue_size // 2:
            self._room.clear()
            await self._room.wait()
        self._put((envelope, _as_encoded(encoded)))

    def hold(self) -> None:
        self._held = []
        self._held_lost = set()

    def release(self) -> None:
        """End a replay: what arrived live meanwhile follows, in id order, after the replayed events."""
        held, lost = self._held or [], self._held_lost
        self._held, self._held_lost = None, set()
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
            self._queue.clear()  # the client is gone; its receive side disconnects it
        if self._queue:
            self._ready.set()  # paused (a slow reader): the task waits for the drain
        else:
            self._room.set()

    def _enqueue(self, item: Item) -> None:
        if len(self._queue) >= self.queue_size:
            self._coalesce()
        if len(self._queue) >= self.queue_size:
            self._overflow()
        self._put(item)

    def _put(self, item: Item) -> None:
        self._queue.append(item)
        self._wake()

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

    def _overflow(self) -> None:
        lost = self._affected_topics(self._queue)
        self.overflows += 1
        self._queue.clear()
        for topic in sorted(lost):
            self._queue.append(_resync_item(topic))

    def _affected_topics(self, items: Iterable[tuple[dict[str, Any], Any]]) -> set[str]:
        topics: set[str] = set()
        for envelope, _ in items:
            if envelope["id"] is not None:
                topics |= set(subscription_keys(envelope["topic"], envelope["event"])) & self.topics
        return topics

    def _write_batch(self, writer: FrameWriter) -> None:
        queue, frames, size = self._queue, [], 0
        while queue and size < MAX_WRITE_BYTES:
            frame = queue.popleft()[1].frame
            frames.append(frame)
            size += len(frame)
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
                _, encoded = self._queue.popleft()
                if len(self._queue) < self.queue_size // 2:
                    self._room.set()
                await self._send(encoded.text)
            self._ready.clear()
            self._room.set()


def _as_encoded(encoded: Encoded | str) -> Encoded:
    return encoded if isinstance(encoded, Encoded) else Encoded(encoded)


def _resync_item(topic: str) -> Item:
    envelope = make_envelope("resync", topic, {"reason": "overflow"})
    return envelope, Encoded(json.dumps(envelope))
