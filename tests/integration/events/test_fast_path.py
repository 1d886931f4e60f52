"""The fast paths against a real server: raw frame writes to real sockets, and the embedded wake-up
socket carrying another process's events to the hub long before its next poll of the log."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
import websockets

from heimdall.events import HubTuning
from heimdall.events.local_wakeup import LocalWakeup
from support.platform import serving

JOB = "job:00000000-0000-4000-8000-0000000000e1"
# Far longer than any receive timeout here: only the wake-up socket can deliver in time.
NEVER_POLL_S = 120.0

PUBLISH = """
import sys
from heimdall.events import make_publisher
from heimdall.settings import Settings
from heimdall.store.db import make_engine, make_session_factory
settings = Settings(data_dir=sys.argv[1])
publish = make_publisher(settings, make_session_factory(make_engine(settings.resolved_database_url)))
for step in range(5):
    publish(sys.argv[2], "job.metrics", {"epoch": step})
"""


async def test_the_server_writes_raw_frames_and_clients_parse_every_one(live_server, connect):
    client = await connect(compression=None)
    await client.subscribe([JOB])
    hub_side = live_server.hub.get_connection(client.messages[0]["data"]["client_id"])
    assert hub_side.writer is not None  # uvicorn websockets-sansio under the middleware: the raw path
    big = "é" * 40000  # a 16-bit and a 64-bit length header, and non-ASCII text
    published = await asyncio.to_thread(lambda: [
        live_server.publish(JOB, "job.metrics", {"epoch": n, "note": big if n % 2 else "x" * 200})
        for n in range(6)])
    received = await client.logged(len(published))
    assert received == published  # byte-for-byte the logged envelopes, one per frame
    await client.close()


@pytest.fixture
def notify_server(make_platform):
    platform = make_platform(hub_tuning=HubTuning(poll_interval_s=NEVER_POLL_S))
    wakeup = platform.wakeup
    assert isinstance(wakeup, LocalWakeup) and wakeup.path
    with serving(platform) as server:
        yield server, platform.settings.data_dir
    assert not os.path.exists(wakeup.path)  # the server removes its socket when it stops


async def test_another_process_wakes_the_hub_through_the_notify_socket(notify_server):
    server, data_dir = notify_server
    async with websockets.connect(server.ws_url) as socket:
        await socket.send(json.dumps({"op": "subscribe", "topics": [JOB]}))
        while json.loads(await asyncio.wait_for(socket.recv(), 10))["event"] != "subscribed":
            pass
        worker = await asyncio.create_subprocess_exec(sys.executable, "-c", PUBLISH, str(data_dir), JOB,
                                                      env={**os.environ})
        assert await asyncio.wait_for(worker.wait(), 60) == 0
        epochs = []
        while len(epochs) < 5:
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if message["id"] is not None:
                epochs.append(message["data"]["epoch"])
    assert epochs == [0, 1, 2, 3, 4]
