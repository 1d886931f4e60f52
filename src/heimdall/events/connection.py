"""One ``/ws`` client as the hub sees it: its topics and a bounded outbound queue with its own sender.

The hub never awaits a client: it drops envelopes into this queue and a per-connection task writes
them out, so a slow client only ever delays itself. When the queue is full, queued ``job.progress``
events are coalesced to the latest per job (progress is a level, not a history). If even that
leaves no room, the backlog is dropped and the client gets a ``resync`` for each affected topic
(it refetches over REST); no other event is silently discarded.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from heimdall.events.envelope import make_envelope
from heimdall.events.topics import SYSTEM_TOPIC, subscription_keys

Send = Callable[[str], Awaitable[None]]
# (envelope, its JSON text): the text is encoded once per event, not once per client.
Item = tuple[dict[str, Any], str]

COALESCED_EVENTS = frozenset({"job.progress"})


class Connection:
    def __init__(self, client_id: str, send: Send, *, queue_size: int = 1000) -> None:
        self.client_id = client_id
        self.topics: set[str] = set()
        # topic -> the id after which every event of that topic has been queued for this client
        self.delivered_after: dict[str, int] = {}
        self.queue_size = queue_size
        self.coalesced = 0
        self.overflows = 0
        self._send = send
        self._queue: deque[Item] = deque()
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._held: list[Item] | None = None
        self._held_lost: set[str] = set()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"ws-send-{self.client_id}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def push_live(self, envelope: dict[str, Any], encoded: str) -> None:
        """A live logged event; held back while a replay for this client is running."""
        if self._held is None:
            self._enqueue((envelope, encoded))
            return
        if len(self._held) >= self.queue_size:
            self._held_lost |= self._affected_topics(self._held)
            self._held.clear()
        self._held.append((envelope, encoded))

    def push_system(self, event: str, data: dict[str, Any], *, topic: str = SYSTEM_TOPIC) -> None:
        envelope = make_envelope(event, topic, data)
        self._enqueue((envelope, json.dumps(envelope)))

    async def push_replay(self, envelope: dict[str, Any], encoded: str) -> None:
        """A replayed event: waits for room instead of dropping (the client asked for history)."""
        while len(self._queue) >= self.queue_size // 2:
            self._room.clear()
            await self._room.wait()
        self._put((envelope, encoded))

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

    def _enqueue(self, item: Item) -> None:
        if len(self._queue) >= self.queue_size:
            self._coalesce()
        if len(self._queue) >= self.queue_size:
            self._overflow()
        self._put(item)

    def _put(self, item: Item) -> None:
        self._queue.append(item)
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
            self._put(_resync_item(topic))

    def _affected_topics(self, items) -> set[str]:
        topics: set[str] = set()
        for envelope, _ in items:
            if envelope["id"] is not None:
                topics |= set(subscription_keys(envelope["topic"], envelope["event"])) & self.topics
        return topics

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            while self._queue:
                _, encoded = self._queue.popleft()
                if len(self._queue) < self.queue_size // 2:
                    self._room.set()
                await self._send(encoded)
            self._ready.clear()
            self._room.set()


def _resync_item(topic: str) -> Item:
    envelope = make_envelope("resync", topic, {"reason": "overflow"})
    return envelope, json.dumps(envelope)

