"""The test platform (a real SQLite file, the real event log) served by a real uvicorn (127.0.0.1, free port)."""

from __future__ import annotations

import pytest

from support.platform import api_client


@pytest.fixture
def client(platform):
    with api_client(platform) as http:
        yield http


@pytest.fixture
def logged(platform):
    """``logged()`` -> the (topic, event) pairs in the event log so far."""
    return lambda: [(envelope["topic"], envelope["event"]) for envelope in platform.publish.log.read_after(0)]
