"""Scaled events: PostgreSQL appends from several processes become visible in id order, and Redis fans
events out to every API process's hub."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys

import pytest
import websockets

from heimdall.events.log import EventLog
from heimdall.store.db import make_engine, make_session_factory
from heimdall.store.schema import upgrade_database
from support.platform import serving
from support.services import REDIS_URL, require_service

pytestmark = pytest.mark.scaled
JOB = "job:00000000-0000-4000-8000-0000000000c1"

# A worker process: publishes through its own publisher (log append + Redis), like a Celery worker.
WRITER = """
import sys
from heimdall.events import make_publisher
from heimdall.settings import Settings
from heimdall.store.db import make_engine, make_session_factory
settings = Settings(data_dir=sys.argv[1], database_url=sys.argv[2], events_url=sys.argv[3])
publish = make_publisher(settings, make_session_factory(make_engine(settings.resolved_database_url)))
for step in range(int(sys.argv[4])):
    publish(sys.argv[5], "job.metrics", {"epoch": step, "writer": sys.argv[6]})
"""


@pytest.fixture
def pg_url(postgres_url):
    upgrade_database(postgres_url)
    return postgres_url


def _writers(tmp_path, url: str, events_url: str, count: int, per_writer: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), url, events_url, str(per_writer),
                              JOB, f"w{index}"]) for index in range(count)]


def test_concurrent_appends_are_seen_in_id_order_by_a_tailer(tmp_path, pg_url):
    engine = make_engine(pg_url)
    event_log = EventLog(make_session_factory(engine))
    writers = _writers(tmp_path, pg_url, "", count=4, per_writer=150)
    seen: list[int] = []
    while True:
        running = any(writer.poll() is None for writer in writers)
        seen += [envelope["id"] for envelope in event_log.read_after(seen[-1] if seen else 0)]
        if not running:
            break
    seen += [envelope["id"] for envelope in event_log.read_after(seen[-1] if seen else 0)]
    assert all(writer.returncode == 0 for writer in writers)
    everything = [envelope["id"] for envelope in event_log.read_after(0, limit=10_000)]
    # A tailer reading `id > last` never skipped an id that committed late.
    assert len(everything) == 600 and seen == everything
    engine.dispose()


async def _client(url: str):
    socket = await websockets.connect(url)
    assert json.loads(await socket.recv())["event"] == "connected"
    await socket.send(json.dumps({"op": "subscribe", "topics": [JOB]}))
    while json.loads(await asyncio.wait_for(socket.recv(), 10))["event"] != "subscribed":
        pass
    return socket


async def _collect(socket, count: int) -> list[dict]:
    received: list[dict] = []
    while len(received) < count:
        message = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if message["id"] is not None:
            received.append(message)
    return received


async def test_redis_fans_out_to_every_api_process(tmp_path, pg_url, make_platform):
    require_service("Redis", 6379)
    with contextlib.ExitStack() as running:
        # Two API processes' platforms on one database and one Redis: each with its own hub.
        servers = [running.enter_context(serving(make_platform(data_dir=tmp_path, database_url=pg_url,
                                                               events_url=REDIS_URL)))
                   for _ in range(2)]
        clients = await asyncio.gather(*(_client(server.ws_url) for server in servers))
        writers = _writers(tmp_path, pg_url, REDIS_URL, count=2, per_writer=100)
        results = await asyncio.gather(*(_collect(socket, 200) for socket in clients))
        assert all(writer.wait(timeout=60) == 0 for writer in writers)
        for received in results:
            ids = [message["id"] for message in received]
            assert ids == sorted(ids) and len(set(ids)) == 200
            assert {message["data"]["writer"] for message in received} == {"w0", "w1"}
        assert results[0] == results[1]  # both API processes delivered the very same envelopes
        await asyncio.gather(*(socket.close() for socket in clients))
