"""The per-client queue: order, progress coalescing, and resync instead of silent loss."""

from __future__ import annotations

import asyncio
import json

from heimdall.events.connection import DROP_CLOSE_CODE, Connection, QueueBounds
from heimdall.events.wire import Encoded

JOB = "job:00000000-0000-4000-8000-00000000000a"
OTHER = "job:00000000-0000-4000-8000-00000000000b"


def _envelope(event_id: int, event: str, topic: str = JOB, **data) -> tuple[dict, str]:
    envelope = {"id": event_id, "event": event, "topic": topic, "timestamp": "t", "data": data}
    return envelope, json.dumps(envelope)


class Gate:
    """A send() that blocks until opened: a client that does not read."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.sent: list[dict] = []

    async def send(self, text: str) -> None:
        await self.open.wait()
        self.sent.append(json.loads(text))


async def _drain(connection: Connection, gate: Gate) -> list[dict]:
    gate.open.set()
    for _ in range(200):
        if connection.pending == 0:
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.01)
    await connection.close()
    return gate.sent


async def test_progress_is_coalesced_but_state_changes_are_kept():
    gate = Gate()
    connection = Connection("c", gate.send, queue_size=10)
    connection.topics = {JOB, OTHER}
    connection.start()
    await asyncio.sleep(0)
    connection.push_live(*_envelope(1, "job.state", status="running"))
    for step in range(2, 30):
        topic = JOB if step % 2 else OTHER
        connection.push_live(*_envelope(step, "job.progress", topic=topic, step=step))
    connection.push_live(*_envelope(30, "job.state", status="completed"))
    sent = await _drain(connection, gate)
    ids = [message["id"] for message in sent]
    assert ids == sorted(ids)
    states = [m["data"]["status"] for m in sent if m["event"] == "job.state"]
    assert states == ["running", "completed"]
    assert connection.coalesced > 0 and connection.overflows == 0
    last_progress = {m["topic"]: m["data"]["step"] for m in sent if m["event"] == "job.progress"}
    assert last_progress == {JOB: 29, OTHER: 28}  # the latest of each job survives


async def test_overflow_of_non_coalescible_events_sends_resync():
    gate = Gate()
    connection = Connection("c", gate.send, queue_size=5)
    connection.topics = {"jobs", "models"}
    connection.start()
    await asyncio.sleep(0)
    for event_id in range(1, 12):
        connection.push_live(*_envelope(event_id, "job.state", status="running"))
    connection.push_live(*_envelope(12, "model.registered", topic="models"))
    sent = await _drain(connection, gate)
    assert connection.overflows >= 1
    resyncs = [m for m in sent if m["event"] == "resync"]
    assert {m["topic"] for m in resyncs} == {"jobs"}
    assert all(m["id"] is None and m["data"]["reason"] == "overflow" for m in resyncs)
    assert sent[-1]["event"] == "model.registered"
    logged = [m["id"] for m in sent if m["id"] is not None]
    assert logged == sorted(logged)


async def test_held_events_follow_the_replay_in_order():
    gate = Gate()
    connection = Connection("c", gate.send, queue_size=100)
    connection.topics = {JOB}
    connection.start()
    connection.hold()
    connection.push_live(*_envelope(5, "job.progress", step=5))
    await connection.push_replay(*_envelope(3, "job.created"))
    await connection.push_replay(*_envelope(4, "job.state", status="running"))
    connection.push_system("subscribed", {"topics": [JOB], "replayed": 2})
    connection.release()
    connection.push_live(*_envelope(6, "job.progress", step=6))
    sent = await _drain(connection, gate)
    assert [m["id"] for m in sent] == [3, 4, None, 5, 6]
    assert sent[2]["event"] == "subscribed"


async def test_the_queue_is_bounded_by_bytes_as_well_as_by_count():
    gate = Gate()  # never opened: a client that does not read
    connection = Connection("c", gate.send, bounds=QueueBounds(items=1000, bytes=20_000, stall_grace_s=3600))
    connection.topics = {JOB}
    connection.start()
    await asyncio.sleep(0)
    padding = "x" * 5000
    for event_id in range(1, 200):
        connection.push_live(*_envelope(event_id, "job.state", status="running", padding=padding))
        assert connection.pending_bytes <= 20_000 + 6000  # the bound, plus at most the one item that just came
    assert connection.overflows > 0 and connection.dropped is None
    # Live runs (the hub's fast path) honour the byte bound too.
    run = [(envelope, Encoded(text)) for envelope, text in
           (_envelope(event_id, "job.metrics", epoch=event_id, padding=padding) for event_id in range(200, 260))]
    connection.push_live_many(run)
    assert connection.pending_bytes <= 20_000 + 6000
    await connection.close()


async def test_a_client_over_its_bound_past_the_grace_is_dropped_and_freed():
    gate = Gate()
    dropped: list[Connection] = []
    connection = Connection("c", gate.send, bounds=QueueBounds(items=10, bytes=10_000, stall_grace_s=1.0),
                            on_drop=dropped.append)
    connection.topics = {JOB}
    connection.start()
    await asyncio.sleep(0)
    for event_id in range(1, 30):
        connection.push_live(*_envelope(event_id, "job.state", status="running"))
    assert connection.dropped is None  # over its bound, but within the grace
    await asyncio.sleep(1.1)
    connection.push_system("heartbeat", {"server_time": "t"})  # any later message notices the stall
    assert dropped == [connection] and connection.dropped is not None
    code, reason = connection.dropped
    assert code == DROP_CLOSE_CODE and "after" in reason and len(reason.encode()) <= 123  # a close reason's limit
    assert connection.pending == 0 and connection.pending_bytes == 0
    connection.push_live(*_envelope(40, "job.state", status="completed"))
    assert connection.pending == 0
    await connection.close()


async def test_a_client_that_drains_in_time_is_kept():
    gate = Gate()
    connection = Connection("c", gate.send, bounds=QueueBounds(items=10, bytes=10_000, stall_grace_s=0.2))
    connection.topics = {JOB}
    connection.start()
    await asyncio.sleep(0)
    for event_id in range(1, 30):
        connection.push_live(*_envelope(event_id, "job.state", status="running"))
    gate.open.set()
    for _ in range(200):
        if connection.pending == 0:
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.3)
    connection.push_system("heartbeat", {"server_time": "t"})
    assert connection.dropped is None
    await connection.close()


async def test_a_replay_into_a_client_that_never_reads_ends_when_it_is_dropped():
    gate = Gate()
    connection = Connection("c", gate.send, bounds=QueueBounds(items=10, bytes=10_000, stall_grace_s=0.5))
    connection.topics = {JOB}
    connection.start()
    connection.hold()

    async def replay() -> None:
        for event_id in range(1, 100):
            await connection.push_replay(*_envelope(event_id, "job.state", status="running"))

    replaying = asyncio.create_task(replay())
    await asyncio.sleep(0.7)
    assert not replaying.done()  # waiting for room the client never makes
    connection.push_system("heartbeat", {"server_time": "t"})
    await asyncio.wait_for(replaying, 30)
    assert connection.dropped is not None and connection.pending == 0
    connection.release()
    assert connection.pending == 0
    await connection.close()
