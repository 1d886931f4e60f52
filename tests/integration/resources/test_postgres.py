"""The same services on PostgreSQL (the scaled database), in a private schema of the shared ``test`` db."""

from __future__ import annotations

import pytest

from heimdall.errors import Conflict
from heimdall.services.networks import seed_demo_network

from .test_localizations_api import tdoa_measurement_set

pytestmark = pytest.mark.scaled


def test_resources_on_postgres(make_platform, postgres_url, recorder) -> None:
    platform = make_platform(database_url=postgres_url)  # migrated by the composition root
    platform.publish.add_listener(recorder)
    network = seed_demo_network(platform.session_factory, platform.publish)
    assert network is not None and seed_demo_network(platform.session_factory, platform.publish) is None
    receivers, networks, service = platform.receivers, platform.networks, platform.localizations
    with pytest.raises(Conflict):
        receivers.create({"name": "G7 rx3", "kind": "sdr", "lat": 1.0, "lon": 2.0})
    receivers.delete(network["receiver_ids"][6])
    assert len(networks.get(network["id"])["receiver_ids"]) == 6
    result = service.localize(tdoa_measurement_set(networks.get(network["id"])), network_id=network["id"])
    assert service.list(network_id=network["id"])["items"][0]["id"] == result["id"]
    networks.delete(network["id"])
    assert service.get(result["id"])["network_id"] is None
    assert recorder.names()[-1] == ("networks", "network.deleted")
