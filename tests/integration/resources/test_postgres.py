"""The same services on PostgreSQL (the scaled database), in a private schema of the shared ``test`` db."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from heimdall.errors import Conflict
from heimdall.services.localizations import LocalizationService
from heimdall.services.networks import NetworkService, seed_demo_network
from heimdall.services.receivers import ReceiverService
from heimdall.store.db import Base, make_engine, make_session_factory
from heimdall.store.tables import localizations as _localizations  # noqa: F401

from .test_localizations_api import tdoa_measurement_set

POSTGRES_URL = os.environ.get(
    "HEIMDALL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

pytestmark = pytest.mark.scaled


@pytest.fixture
def pg_factory():
    schema = f"resources_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except (OperationalError, ModuleNotFoundError) as exc:  # no server, or no driver installed
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL not available: {exc}")
    engine = make_engine(POSTGRES_URL).execution_options(schema_translate_map={None: schema})
    Base.metadata.create_all(
        engine,
        tables=[
            Base.metadata.tables[name]
            for name in ("receivers", "networks", "network_receivers", "localizations")
        ],
    )
    yield make_session_factory(engine)
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_resources_on_postgres(pg_factory) -> None:
    published: list[tuple[str, str]] = []

    def publish(topic, event, data):
        published.append((topic, event))

    network = seed_demo_network(pg_factory, publish)
    assert network is not None and seed_demo_network(pg_factory, publish) is None
    receivers = ReceiverService(pg_factory, publish)
    networks = NetworkService(pg_factory, publish)
    with pytest.raises(Conflict):
        receivers.create({"name": "G7 rx3", "kind": "sdr", "lat": 1.0, "lon": 2.0})
    receivers.delete(network["receiver_ids"][6])
    assert len(networks.get(network["id"])["receiver_ids"]) == 6
    service = LocalizationService(pg_factory, publish)
    result = service.localize(tdoa_measurement_set(networks.get(network["id"])), network_id=network["id"])
    assert service.list(network_id=network["id"])["items"][0]["id"] == result["id"]
    networks.delete(network["id"])
    assert service.get(result["id"])["network_id"] is None
    assert published[-1] == ("networks", "network.deleted")
