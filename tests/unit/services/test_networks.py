from __future__ import annotations

import uuid

import numpy as np
import pytest

from heimdall.errors import Conflict, InvalidInput, NotFound
from heimdall.geo import bearing_deg, geodetic_to_ecef, slant_distance_m
from heimdall.services.networks import DEMO_NETWORK_NAME, g7_receiver_fields, seed_demo_network


@pytest.fixture
def three(receivers, kiwi) -> list[str]:
    return [receivers.create(kiwi(f"rx{index}", lat=45.0 + index / 10))["id"] for index in range(3)]


def test_create_keeps_the_receiver_order_and_publishes(networks, events, three) -> None:
    order = [three[2], three[0], three[1]]
    network = networks.create({"name": "north", "description": "test", "receiver_ids": order})
    assert network["receiver_ids"] == order
    assert [receiver["id"] for receiver in network["receivers"]] == order
    assert networks.get(network["id"])["receiver_ids"] == order
    assert events.events[-1] == ("networks", "network.created", network)


def test_create_with_no_receivers_is_allowed(networks) -> None:
    network = networks.create({"name": "empty"})
    assert network["receiver_ids"] == [] and network["description"] == ""


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": 7}, "name"),
        ({"name": "n", "receiver_ids": "abc"}, "receiver_ids"),
        ({"name": "n", "receiver_ids": [1, 2]}, "receiver_ids"),
        ({"name": "n", "description": 5}, "description"),
        ({"name": "n", "receivers": []}, "receivers"),
    ],
)
def test_create_rejects_bad_fields(networks, events, fields, field) -> None:
    with pytest.raises(InvalidInput) as caught:
        networks.create(fields)
    assert caught.value.field == field
    assert events.events == []


def test_unknown_and_repeated_receiver_ids_are_invalid(networks, three) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(InvalidInput) as caught:
        networks.create({"name": "n", "receiver_ids": [three[0], missing]})
    assert caught.value.to_dict()["error"]["details"] == {"field": "receiver_ids", "unknown": [missing]}
    with pytest.raises(InvalidInput, match="repeat"):
        networks.create({"name": "n", "receiver_ids": [three[0], three[0]]})
    assert networks.list()["total"] == 0


def test_duplicate_name_conflicts(networks) -> None:
    networks.create({"name": "g"})
    with pytest.raises(Conflict):
        networks.create({"name": "g"})
    other = networks.create({"name": "h"})
    with pytest.raises(Conflict):
        networks.update(other["id"], {"name": "g"})


def test_update_replaces_membership_and_reorders(networks, events, three) -> None:
    network = networks.create({"name": "n", "receiver_ids": three})
    reordered = networks.update(network["id"], {"receiver_ids": [three[1], three[0]]})
    assert reordered["receiver_ids"] == [three[1], three[0]]
    assert reordered["name"] == "n" and reordered["description"] == ""
    renamed = networks.update(network["id"], {"name": "m", "description": "d"})
    assert renamed["receiver_ids"] == [three[1], three[0]] and renamed["name"] == "m"
    assert events.names()[-2:] == [("networks", "network.updated")] * 2
    with pytest.raises(InvalidInput):
        networks.update(network["id"], {"receiver_ids": [str(uuid.uuid4())]})
    assert networks.get(network["id"])["receiver_ids"] == [three[1], three[0]]


def test_deleting_a_receiver_removes_it_from_its_networks(networks, receivers, events, three) -> None:
    network = networks.create({"name": "n", "receiver_ids": three})
    untouched = networks.create({"name": "other", "receiver_ids": [three[0]]})
    receivers.delete(three[1])
    assert networks.get(network["id"])["receiver_ids"] == [three[0], three[2]]
    assert networks.get(untouched["id"])["receiver_ids"] == [three[0]]
    topic, event, data = events.events[-1]
    assert (topic, event, data["id"], data["receiver_ids"]) == (
        "networks",
        "network.updated",
        network["id"],
        [three[0], three[2]],
    )


def test_deleting_a_network_keeps_its_receivers(networks, receivers, events, three) -> None:
    network = networks.create({"name": "n", "receiver_ids": three})
    networks.delete(network["id"])
    assert events.names()[-1] == ("networks", "network.deleted")
    assert receivers.list()["total"] == 3
    with pytest.raises(NotFound):
        networks.get(network["id"])
    with pytest.raises(NotFound):
        networks.update(network["id"], {"name": "x"})
    with pytest.raises(NotFound):
        networks.delete(network["id"])


def test_list_pages(networks) -> None:
    for index in range(4):
        networks.create({"name": f"n{index}"})
    page = networks.list(offset=2, limit=5)
    assert page["total"] == 4 and [item["name"] for item in page["items"]] == ["n2", "n3"]


def test_g7_geometry_matches_rf_notes() -> None:
    positions = np.array([[r["lat"], r["lon"], r["alt_m"]] for r in g7_receiver_fields()])
    assert positions.shape == (7, 3) and np.all(positions[:, 2] == 300.0)
    centre = positions[0]
    ring = positions[1:]
    chord_m = slant_distance_m(
        geodetic_to_ecef(*centre), geodetic_to_ecef(ring[:, 0], ring[:, 1], ring[:, 2])
    )
    np.testing.assert_allclose(chord_m, 50_000.0, atol=5.0)  # geodesic 50 km vs chord differ by < 1 m
    bearings = bearing_deg(*centre, ring[:, 0], ring[:, 1], ring[:, 2])
    wrapped_error_deg = (bearings - np.arange(0, 360, 60) + 180) % 360 - 180
    np.testing.assert_allclose(wrapped_error_deg, 0.0, atol=0.05)


def test_seed_demo_network_is_idempotent(session_factory, events, networks, receivers) -> None:
    network = seed_demo_network(session_factory, events)
    assert network is not None and network["name"] == DEMO_NETWORK_NAME
    assert [receiver["name"] for receiver in network["receivers"]] == [f"G7 rx{i}" for i in range(7)]
    assert all(
        r["kind"] == "simulated" and r["capabilities"] == ["rss", "tdoa", "aoa"] and r["timing"] == "gnss"
        for r in network["receivers"]
    )
    assert events.names() == [("receivers", "receiver.created")] * 7 + [("networks", "network.created")]
    assert seed_demo_network(session_factory, events) is None
    assert receivers.list()["total"] == 7 and networks.list()["total"] == 1


def test_seed_does_nothing_when_the_user_has_receivers(session_factory, events, receivers, kiwi) -> None:
    receivers.create(kiwi())
    events.events.clear()
    assert seed_demo_network(session_factory, events) is None
    assert events.events == [] and receivers.list()["total"] == 1
