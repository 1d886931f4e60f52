"""The real platform (``build_platform``: migrated SQLite, blob store, publisher, hub, job engine, local
executor) served by a real uvicorn on a free port, and an httpx client for it."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from support.platform import COUNTING_JOB_MODULE, serving


@pytest.fixture
def make_server(make_platform):
    """Start a server with settings overrides (local_workers=0 by default: jobs stay queued)."""
    with contextlib.ExitStack() as servers:

        def start(static_dir=None, **overrides):
            settings = {"job_modules": [COUNTING_JOB_MODULE], "local_workers": 0, "max_body_bytes": 64 * 1024,
                        **overrides}
            return servers.enter_context(serving(make_platform(inline_jobs=False, **settings), static_dir))

        yield start


@pytest.fixture
def api(make_server):
    server = make_server()
    with httpx.Client(base_url=server.http_url, timeout=20) as client:
        client.server = server
        yield client
