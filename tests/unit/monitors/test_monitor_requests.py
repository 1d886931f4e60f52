"""Impossible monitor settings are refused with 422 and one line, before any job starts; a stored
monitor lists, reads and deletes; its job cannot be deleted out from under it while active."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from heimdall.api.app import create_app
from heimdall.platform.root import Platform


@pytest.fixture
def client(platform: Platform) -> TestClient:
    return TestClient(create_app(platform.settings, platform=platform))


def network(client: TestClient, kinds: tuple[str, ...] = ("openwebrx", "kraken", "kraken")) -> str:
    ids = []
    for index, kind in enumerate(kinds):
        fields = {"name": f"rx{index}", "kind": kind, "url": f"http://127.0.0.1:{9000 + index}/",
                  "lat": 45.0 + index / 100, "lon": 7.5}
        response = client.post("/api/v1/receivers", json=fields)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return str(client.post("/api/v1/networks", json={"name": "net", "receiver_ids": ids}).json()["id"])


def body(network_id: str, **changes: Any) -> dict[str, Any]:
    return {"network_id": network_id, "channels": [{"frequency_hz": 145_500_000}], **changes}


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"channels": []}, "channels", "at least one channel"),
    ({"channels": [{"frequency_hz": -5}]}, "channels[0].frequency_hz", "must lie in"),
    ({"channels": [{"frequency_hz": 2.4e9}]}, "channels[0].frequency_hz", "out of range"),
    ({"channels": [{"frequency_hz": 145e6, "threshold_db": 0}]}, "channels[0].threshold_db", "fire all the time"),
    ({"channels": [{"frequency_hz": 145e6, "threshold_db": 4}]}, "channels[0].threshold_db", "hysteresis"),
    ({"channels": [{"frequency_hz": 145e6, "threshold_db": 150}]}, "threshold_db", "nothing ever does"),
    ({"channels": [{"frequency_hz": 145e6}, {"frequency_hz": 145e6}]}, "channels", "two channels"),
    ({"min_receivers": 0}, "min_receivers", ">= 1"),
    ({"min_receivers": 4}, "min_receivers", "exceeds the 3 receivers"),
    ({"cot": [{"url": "http://tak:8087"}]}, "cot[0].url", "udp://HOST:PORT"),
    ({"cot": [{"url": "udp://tak:99999"}]}, "cot[0].url", "out of range"),
    ({"cot": [{"url": "tcp://:8087"}]}, "cot[0].url", "host"),
    ({"options": {"grouping": {"settle_s": -1}}}, "options.grouping", "settle_s"),
    ({"options": {"detector": {"open_threshold_db": 20}}}, "options.detector", "threshold_db"),
    ({"options": {"gain_offsets": {"rx": [{"low_hz": 2, "high_hz": 1, "offset_db": 0, "sigma_db": 1}]}}},
     "options.gain_offsets.rx", "low_hz < high_hz"),
    ({"options": {"gain_offsets": {"rx": [{"offset_db": 0}]}}}, "options.gain_offsets.rx", "must be a list"),
])
def test_impossible_settings_are_refused(client: TestClient, expect_error: Any, changes: dict[str, Any],
                                         field: str, words: str) -> None:
    response = client.post("/api/v1/monitors", json=body(network(client), **changes))
    error = expect_error(response, 422, "invalid_input")
    assert error["details"]["field"] == field and words in error["message"] and "\n" not in error["message"]
    assert client.get("/api/v1/monitors").json() == {"items": [], "total": 0}
    assert client.get("/api/v1/jobs", params={"kind": "monitor"}).json()["total"] == 0


def test_unknown_network_is_refused(client: TestClient, expect_error: Any) -> None:
    error = expect_error(client.post("/api/v1/monitors", json=body("no-such-network")), 422, "invalid_input")
    assert error["details"]["field"] == "network_id" and "unknown network" in error["message"]


def test_a_network_of_receivers_monitors_cannot_watch(client: TestClient, expect_error: Any) -> None:
    network_id = network(client, ("websdr", "sdr", "websdr"))
    error = expect_error(client.post("/api/v1/monitors", json=body(network_id, min_receivers=1)), 422, "invalid_input")
    assert "exceeds the 0 receivers" in error["message"]


def test_kiwisdrs_cannot_hear_vhf(client: TestClient, expect_error: Any) -> None:
    network_id = network(client, ("kiwisdr", "kiwisdr", "kraken"))
    error = expect_error(client.post("/api/v1/monitors", json=body(network_id, min_receivers=2)), 422, "invalid_input")
    assert "out of range of all but 1 receivers" in error["message"]
    hf = {"channels": [{"frequency_hz": 7_100_000}], "min_receivers": 3}
    error = expect_error(client.post("/api/v1/monitors", json=body(network_id, **hf)), 422, "invalid_input")
    assert "out of range of all but 2 receivers" in error["message"]


def test_missing_monitor_answers_404(client: TestClient, expect_error: Any) -> None:
    for path in ("/api/v1/monitors/nope", "/api/v1/monitors/nope/tracks", "/api/v1/monitors/nope/transmissions"):
        expect_error(client.get(path), 404, "not_found")
    expect_error(client.delete("/api/v1/monitors/nope"), 404, "not_found")
