"""Resume with ``after``: every missed event exactly once, in order, then live ones without a gap."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

from heimdall.events.log import MIN_RETENTION_S

JOB_A = "job:00000000-0000-4000-8000-00000000000a"
JOB_B = "job:00000000-0000-4000-8000-00000000000b"


def _publish_many(publish, items) -> list[dict]:
    return [publish(topic, event, data) for topic, event, data in items]


async def test_reconnect_with_after_gets_every_missed_event_once_in_order(live_server, connect):
    publish = live_server.publish
    client = await connect()
    await client.subscribe(["jobs", JOB_A])
    first = await asyncio.to_thread(_publish_many, publish, [
        (JOB_A, "job.created", {"id": JOB_A[4:]}), (JOB_A, "job.progress", {"step": 1})])
    seen = await client.logged(2)
    assert [m["id"] for m in seen] == [e["id"] for e in first]
    await client.close()

    missed_items = [
        (JOB_A, "job.state", {"status": "running"}), (JOB_A, "job.progress", {"step": 2}),
        (JOB_B, "job.created", {"id": JOB_B[4:]}), (JOB_B, "job.progress", {"step": 1}),
        ("datasets", "dataset.created", {"id": "d"}), (JOB_A, "job.metrics", {"epoch": 0, "loss": 1.5}),
        (JOB_B, "job.state", {"status": "running"}),
    ]
    missed = await asyncio.to_thread(_publish_many, publish, missed_items)
    expected = [e for e in missed if e["topic"] == JOB_A or e["event"] in ("job.created", "job.state")]

    client = await connect()
    subscribed = await client.subscribe(["jobs", JOB_A], after=seen[-1]["id"])
    assert subscribed["data"] == {"topics": ["jobs", JOB_A], "replayed": len(expected)}
    replayed = [m for m in client.messages if m["id"] is not None]
    assert replayed == expected  # same envelopes (ids, timestamps, data), same order, each once
    live = await asyncio.to_thread(publish, JOB_A, "job.state", {"status": "completed"})
    assert await client.logged(1) == [live]
    await client.close()


async def test_subscribe_while_events_stream_has_no_gap_and_no_duplicate(live_server, connect):
    publish = live_server.publish
    total = 300
    started = threading.Event()

    def produce() -> list[dict]:
        out = []
        for step in range(total):
            out.append(publish(JOB_A, "job.metrics", {"epoch": step}))
            if step == total // 3:
                started.set()
        return out

    producer = asyncio.create_task(asyncio.to_thread(produce))
    await asyncio.to_thread(started.wait, 10)
    client = await connect()
    await client.subscribe([JOB_A], after=0)
    produced = await producer
    received = [m for m in client.messages if m["id"] is not None]
    received += await client.logged(total - len(received))
    assert [m["id"] for m in received] == [e["id"] for e in produced]
    await client.close()


async def test_jobs_plus_job_topic_gets_each_event_once(live_server, connect):
    client = await connect()
    await client.subscribe(["jobs", JOB_A])
    await client.subscribe([JOB_A])  # subscribing twice to the same topic adds nothing
    events = await asyncio.to_thread(_publish_many, live_server.publish, [
        (JOB_A, "job.created", {"id": "a"}), (JOB_A, "job.progress", {"step": 1}),
        (JOB_B, "job.state", {"status": "running"}), (JOB_B, "job.progress", {"step": 1}),
        (JOB_A, "job.deleted", {"id": "a"}), ("models", "model.registered", {"id": "m"}),
    ])
    sentinel = await asyncio.to_thread(live_server.publish, JOB_A, "job.metrics", {"epoch": 1})
    received = await client.logged(5)
    assert [m["id"] for m in received] == [events[i]["id"] for i in (0, 1, 2, 4)] + [sentinel["id"]]
    await client.close()


async def test_too_old_cursor_gets_resync_then_live_events(live_server, connect):
    publish = live_server.publish
    await asyncio.to_thread(_publish_many, publish, [(JOB_A, "job.progress", {"step": s}) for s in range(5)])
    later = datetime.now(UTC) + timedelta(seconds=MIN_RETENTION_S + 60)
    assert await asyncio.to_thread(publish.log.prune, 0, now=later) == 5
    kept = await asyncio.to_thread(publish, JOB_A, "job.progress", {"step": 5})
    client = await connect()
    await client.send({"op": "subscribe", "topics": ["jobs", JOB_A], "after": 2})
    subscribed = await client.until(lambda m: m["event"] == "subscribed")
    resyncs = [m for m in client.messages if m["event"] == "resync"]
    assert {m["topic"] for m in resyncs} == {"jobs", JOB_A}
    assert all(m["id"] is None and m["data"]["reason"] == "cursor_too_old" for m in resyncs)
    assert resyncs[0]["data"]["oldest_id"] == kept["id"]
    assert subscribed["data"]["replayed"] == 0
    live = await asyncio.to_thread(publish, JOB_A, "job.progress", {"step": 6})
    assert await client.logged(1) == [live]
    await client.close()


async def test_adding_a_job_topic_does_not_replay_what_jobs_already_delivered(live_server, connect):
    publish = live_server.publish
    client = await connect()
    await client.subscribe(["jobs"])
    created = await asyncio.to_thread(publish, JOB_A, "job.created", {"id": "a"})
    progress = await asyncio.to_thread(publish, JOB_A, "job.progress", {"step": 1})
    assert await client.logged(1) == [created]  # progress is not a lifecycle event: not on `jobs`
    subscribed = await client.subscribe([JOB_A], after=0)
    assert subscribed["data"]["replayed"] == 1
    state = await asyncio.to_thread(publish, JOB_A, "job.state", {"status": "running"})
    received = [m for m in client.messages if m["id"] is not None]
    received += await client.logged(1)
    assert [m["id"] for m in received] == [created["id"], progress["id"], state["id"]]
    await client.close()
