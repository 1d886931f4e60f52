from __future__ import annotations

import uuid

KIWI = {
    "name": "kiwi-1",
    "kind": "kiwisdr",
    "url": "http://kiwi.example:8073",
    "lat": 45.1,
    "lon": 7.6,
    "alt_m": 250.0,
}


def test_receiver_crud_round_trip(expect_error, client, logged) -> None:
    created = client.post("/receivers", json=KIWI)
    assert created.status_code == 201
    receiver = created.json()
    assert uuid.UUID(receiver["id"]) and receiver["capabilities"] == ["rss", "tdoa"]
    assert client.get(f"/receivers/{receiver['id']}").json() == receiver
    patched = client.patch(
        f"/receivers/{receiver['id']}", json={"enabled": False, "antenna": {"gain_dbi": 3}}
    )
    assert patched.status_code == 200
    assert patched.json()["enabled"] is False and patched.json()["lat"] == 45.1
    assert patched.json()["antenna"] == {"gain_dbi": 3.0, "type": "omni"}
    page = client.get("/receivers", params={"offset": 0, "limit": 10}).json()
    assert page["total"] == 1 and page["items"][0]["id"] == receiver["id"]
    assert client.get("/receivers", params={"enabled": True}).json()["total"] == 0
    assert client.delete(f"/receivers/{receiver['id']}").status_code == 204
    expect_error(client.get(f"/receivers/{receiver['id']}"), 404, "not_found")
    assert logged() == [
        ("receivers", "receiver.created"),
        ("receivers", "receiver.updated"),
        ("receivers", "receiver.deleted"),
    ]


def test_receiver_validation_errors_are_422_naming_the_field(expect_error, client) -> None:
    error = expect_error(client.post("/receivers", json={**KIWI, "lat": 91.0}), 422, "invalid_input")
    assert error["details"]["field"] == "lat"
    error = expect_error(client.post("/receivers", json={**KIWI, "colour": "red"}), 422, "invalid_input")
    assert "colour" in error["details"]["field"]
    error = expect_error(client.post("/receivers", json={**KIWI, "kind": "hackrf"}), 422, "invalid_input")
    assert error["details"]["field"] == "kind"
    error = expect_error(client.post("/receivers", json={**KIWI, "timing": "none"}), 422, "invalid_input")
    assert error["details"]["field"] == "capabilities"
    # NaN is not JSON, but Python's parser accepts it: it must still be refused, not stored.
    nan_body = '{"name": "n", "kind": "sdr", "lat": NaN, "lon": 7.0}'
    response = client.post("/receivers", content=nan_body, headers={"content-type": "application/json"})
    assert expect_error(response, 422, "invalid_input")["details"]["field"] == "lat"
    assert client.get("/receivers").json()["total"] == 0


def test_duplicate_names_and_unknown_ids(expect_error, client) -> None:
    assert client.post("/receivers", json=KIWI).status_code == 201
    expect_error(client.post("/receivers", json=KIWI), 409, "conflict")
    missing = str(uuid.uuid4())
    expect_error(client.patch(f"/receivers/{missing}", json={"lat": 1.0}), 404, "not_found")
    expect_error(client.delete(f"/receivers/{missing}"), 404, "not_found")
    expect_error(client.get("/networks/not-a-uuid"), 404, "not_found")


def test_patch_null_on_a_required_field_is_refused(expect_error, client) -> None:
    receiver = client.post("/receivers", json=KIWI).json()
    error = expect_error(
        client.patch(f"/receivers/{receiver['id']}", json={"name": None}), 422, "invalid_input"
    )
    assert error["details"]["field"] == "name"
    assert client.patch(f"/receivers/{receiver['id']}", json={"url": None}).json()["url"] is None


def test_network_crud_and_membership(expect_error, client, logged) -> None:
    ids = [
        client.post("/receivers", json={**KIWI, "name": f"k{i}", "lat": 45 + i / 10}).json()["id"]
        for i in range(3)
    ]
    created = client.post("/networks", json={"name": "alps", "receiver_ids": ids[::-1]})
    assert created.status_code == 201
    network = created.json()
    assert network["receiver_ids"] == ids[::-1] and [r["id"] for r in network["receivers"]] == ids[::-1]
    expect_error(client.post("/networks", json={"name": "alps"}), 409, "conflict")
    patched = client.patch(f"/networks/{network['id']}", json={"description": "three kiwis"}).json()
    assert patched["description"] == "three kiwis" and patched["receiver_ids"] == ids[::-1]
    assert client.delete(f"/receivers/{ids[1]}").status_code == 204
    assert client.get(f"/networks/{network['id']}").json()["receiver_ids"] == [ids[2], ids[0]]
    assert client.get("/networks").json()["total"] == 1
    assert client.delete(f"/networks/{network['id']}").status_code == 204
    expect_error(client.get(f"/networks/{network['id']}"), 404, "not_found")
    network_events = [event for topic, event in logged() if topic == "networks"]
    assert network_events == ["network.created", "network.updated", "network.updated", "network.deleted"]


def test_unknown_receiver_in_a_network_is_422_naming_receiver_ids(expect_error, client) -> None:
    missing = str(uuid.uuid4())
    error = expect_error(
        client.post("/networks", json={"name": "n", "receiver_ids": [missing]}), 422, "invalid_input"
    )
    assert error["details"]["field"] == "receiver_ids" and error["details"]["unknown"] == [missing]
    error = expect_error(client.post("/networks", json={"name": "n", "members": []}), 422, "invalid_input")
    assert "members" in error["details"]["field"]
