"""Scaled events: PostgreSQL appends from several processes become visible in id order, and Redis fans
events out to every API process's hub."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid

import pytest
import websockets
from sqlalchemy import create_engine, text

from heimdall.api.app import create_app
from heimdall.api.server import ThreadedServer
from heimdall.api.services import Services
from heimdall.events import make_hub, make_publisher
from heimdall.events.log import EventLog
from heimdall.settings import Settings
from heimdall.store.db import make_engine, make_session_factory
from heimdall.store.schema import upgrade_database

pytestmark = pytest.mark.scaled
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
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


def require_service(name: str, port: int) -> None:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is unreachable: {exc}")
        pytest.skip(f"{name} is unreachable: {exc}")


@pytest.fixture
def pg_url():
    require_service("PostgreSQL", 5432)
    schema = f"heimdall_events_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    upgrade_database(url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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


async def test_redis_fans_out_to_every_api_process(tmp_path, pg_url):
    require_service("Redis", 6379)
    settings = Settings(data_dir=tmp_path, database_url=pg_url, events_url=REDIS_URL)
    engines, servers = [], []
    for _ in range(2):
        engine = make_engine(pg_url)
        factory = make_session_factory(engine)
        publish = make_publisher(settings, factory)
        services = Services(settings=settings, session_factory=factory, publish=publish,
                            hub=make_hub(settings, publish.log))
        servers.append(ThreadedServer(create_app(settings, services=services, static_dir=None)).start())
        engines.append(engine)
    try:
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
    finally:
        for server in servers:
            server.stop()
        for engine in engines:
            engine.dispose()
