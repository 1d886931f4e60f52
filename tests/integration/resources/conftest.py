"""A real app on a real uvicorn (127.0.0.1, free port) over a real SQLite file and the real event log."""

from __future__ import annotations

import httpx
import pytest

from heimdall.api.app import create_app
from heimdall.api.server import ThreadedServer
from heimdall.api.services import Services
from heimdall.events.log import EventLog
from heimdall.events.publisher import Publisher
from heimdall.settings import Settings
from heimdall.store.db import Base, make_engine, make_session_factory
from heimdall.store.tables import events as _events  # noqa: F401  (registers the tables create_all makes)
from heimdall.store.tables import localizations as _localizations  # noqa: F401


@pytest.fixture
def services(tmp_path) -> Services:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.resolved_database_url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    yield Services(settings=settings, session_factory=factory, publish=Publisher(EventLog(factory)))
    engine.dispose()


@pytest.fixture
def client(services):
    app = create_app(services.settings, services=services, static_dir=None)
    with (
        ThreadedServer(app) as server,
        httpx.Client(base_url=f"{server.http_url}/api/v1", timeout=60) as http,
    ):
        yield http


@pytest.fixture
def logged(services):
    """``logged()`` -> the (topic, event) pairs in the event log so far."""
    return lambda: [(envelope["topic"], envelope["event"]) for envelope in services.publish.log.read_after(0)]


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """The one error shape of CONTRACT section 2, with this status and code; returns the error."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.fixture
def expect_error():
    """``expect_error(response, status, code)`` -> the error object, after checking the one shape."""
    return assert_error
