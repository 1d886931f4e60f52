"""``POST /localize`` stays bounded (issue 9, item 1): size limits (413/422), a budget (503
``budget_exceeded``), and a localization whose client goes away stops, seen through /metrics."""

from __future__ import annotations

import json
import socket
import time

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from heimdall.api.app import create_app
from heimdall.api.server import ThreadedServer
from heimdall.bench.scaling import largest_document
from heimdall.locate.limits import MAX_DOCUMENT_BYTES, MAX_RECEIVERS

G7_SET = {
    "receivers": [{"id": "a", "lat": 45.0, "lon": 7.5}, {"id": "b", "lat": 45.4, "lon": 7.5},
                  {"id": "c", "lat": 45.2, "lon": 8.0}, {"id": "d", "lat": 44.8, "lon": 7.9}],
    "toa": [{"receiver": r, "toa_s": 1e-4 + k * 1e-6, "sigma_s": 1.5e-7} for k, r in enumerate("abcd")],
}


def metrics(base_url: str) -> dict[str, float]:
    """``/metrics`` as {"name{label=value}": value} for the localization families."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("heimdall_locali"):
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def wait_for(predicate, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_too_many_receivers_is_a_422_naming_the_list(client, expect_error) -> None:
    doc = {**G7_SET, "receivers": [{"id": f"r{i}", "lat": 45.0, "lon": 7.0 + i * 1e-3} for i in range(MAX_RECEIVERS + 1)]}
    error = expect_error(client.post("/localize", json=doc), 422, "invalid_input")
    assert error["details"]["field"] == "receivers" and error["details"]["limit"] == MAX_RECEIVERS


def test_a_body_over_the_measurement_set_size_is_a_413(client, expect_error) -> None:
    doc = {**G7_SET, "method": "x" * MAX_DOCUMENT_BYTES}
    error = expect_error(client.post("/localize", json=doc), 413, "payload_too_large")
    assert error["details"]["limit_bytes"] == MAX_DOCUMENT_BYTES


def test_a_localization_past_the_budget_is_a_503_budget_exceeded(make_platform, expect_error) -> None:
    tight = make_platform(localize_budget_s=1e-6)
    with ThreadedServer(create_app(tight.settings, platform=tight, static_dir=None)) as server:
        response = httpx.post(f"{server.http_url}/api/v1/localize", json=G7_SET, timeout=60)
        error = expect_error(response, 503, "budget_exceeded")
        assert error["details"]["budget_s"] == 1e-6
        assert metrics(server.http_url)['heimdall_localizations_total{outcome=budget_exceeded}'] == 1


def test_a_normal_localization_is_counted_as_completed(platform) -> None:
    with ThreadedServer(create_app(platform.settings, platform=platform, static_dir=None)) as server:
        assert httpx.post(f"{server.http_url}/api/v1/localize", json=G7_SET, timeout=60).status_code == 200
        seen = metrics(server.http_url)
    assert seen["heimdall_localizations_total{outcome=completed}"] == 1
    assert seen["heimdall_localizations_in_flight"] == 0 and seen["heimdall_localization_evaluations_total"] > 0


@pytest.mark.slow
def test_a_client_that_goes_away_stops_its_localization(platform) -> None:
    body = json.dumps(largest_document(np.random.default_rng(0))).encode()  # seconds of CPU when finished
    with ThreadedServer(create_app(platform.settings, platform=platform, static_dir=None)) as server:
        connection = socket.create_connection((server.host, server.port))
        connection.sendall(b"POST /api/v1/localize HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        wait_for(lambda: metrics(server.http_url)["heimdall_localizations_in_flight"] == 1, "the localization")
        connection.close()
        wait_for(lambda: metrics(server.http_url)["heimdall_localizations_in_flight"] == 0, "it to stop")
        stopped = metrics(server.http_url)
        assert stopped["heimdall_localizations_total{outcome=cancelled}"] == 1
        assert stopped["heimdall_localizations_total{outcome=completed}"] == 0
        # no thread is still evaluating the likelihood
        time.sleep(0.3)
        assert metrics(server.http_url)["heimdall_localization_evaluations_total"] == \
            stopped["heimdall_localization_evaluations_total"]
