"""An in-process app (Starlette TestClient) serving the test platform, seeded with the G7 demo network."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from heimdall.api.app import create_app
from heimdall.services.networks import seed_demo_network


@pytest.fixture
def client(platform) -> TestClient:
    app = create_app(platform.settings, platform=platform, static_dir=None)
    with TestClient(app, base_url="http://testserver/api/v1") as http:
        yield http


@pytest.fixture
def g7(platform) -> dict:
    """The demo network, as ``GET /networks/{id}`` returns it."""
    return seed_demo_network(platform.session_factory, platform.publish)
