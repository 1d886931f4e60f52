"""The per-client queue: order, progress coalescing, and resync instead of silent loss."""

from __future__ import annotations

import asyncio
import json

from heimdall.events.connection import Connection

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
