"""The real app (``build_services``: migrated SQLite, blob store, publisher, hub, job service) served by
a real uvicorn on a free port, and an httpx client for it."""

from __future__ import annotations

import httpx
import pytest

from heimdall.api.app import create_app
from heimdall.api.bootstrap import build_services
from heimdall.api.server import ThreadedServer
from heimdall.settings import Settings


def _settings(tmp_path, **overrides) -> Settings:
    values = {"data_dir": tmp_path, "job_modules": ["heimdall.jobs.kinds.counting"], "demo_network": False,
              "local_workers": 0, "max_body_bytes": 64 * 1024, **overrides}
    return Settings(**values)


@pytest.fixture
def make_server(tmp_path):
    """Start a server with settings overrides (local_workers=0 by default: jobs stay queued)."""
    servers: list[ThreadedServer] = []

    def start(static_dir=None, **overrides) -> ThreadedServer:
        settings = _settings(tmp_path / f"s{len(servers)}", **overrides)
        app = create_app(settings, services=build_services(settings), static_dir=static_dir)
        server = ThreadedServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def api(make_server):
    server = make_server()
    with httpx.Client(base_url=server.http_url, timeout=20) as client:
        client.server = server
        yield client
