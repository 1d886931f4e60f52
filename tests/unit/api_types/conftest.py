"""An in-process app (Starlette TestClient) over a temporary SQLite file, seeded with the G7 demo network."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from heimdall.api.app import create_app
from heimdall.api.services import Services
from heimdall.events.log import EventLog
from heimdall.events.publisher import Publisher
from heimdall.services.networks import seed_demo_network
from heimdall.settings import Settings
from heimdall.store.db import Base, make_engine, make_session_factory
from heimdall.store.tables import events as _events  # noqa: F401  (registers the tables create_all makes)
from heimdall.store.tables import receivers as _receivers  # noqa: F401


@pytest.fixture
def services(tmp_path) -> Services:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.resolved_database_url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    yield Services(settings=settings, session_factory=factory, publish=Publisher(EventLog(factory)))
    engine.dispose()


@pytest.fixture
def client(services) -> TestClient:
    app = create_app(services.settings, services=services, static_dir=None)
    with TestClient(app, base_url="http://testserver/api/v1") as http:
        yield http


@pytest.fixture
def g7(services) -> dict:
    """The demo network, as ``GET /networks/{id}`` returns it."""
    return seed_demo_network(services.session_factory, services.publish)
