"""The test platform (a real SQLite file, a real local blob directory, jobs run inline) and the real app
on a real uvicorn: what `heimdall serve` builds for datasets, enough to generate tiny IQ datasets."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from support.platform import api_client

RECEIVERS = [
    {"name": "a", "kind": "kiwisdr", "lat": 45.00, "lon": 7.50, "alt_m": 700, "capabilities": ["rss", "tdoa"],
     "timing": "gnss"},
    {"name": "b", "kind": "kiwisdr", "lat": 45.10, "lon": 7.60, "alt_m": 700, "capabilities": ["rss", "tdoa"],
     "timing": "gnss"},
    {"name": "c", "kind": "kiwisdr", "lat": 44.92, "lon": 7.62, "alt_m": 700, "capabilities": ["rss", "tdoa"],
     "timing": "gnss"},
]


@pytest.fixture
def iq_network(platform) -> dict[str, Any]:
    """A stored network of three GNSS-timed receivers: ``{"network_id", "receiver_ids"}``."""
    ids = [platform.receivers.create(dict(fields))["id"] for fields in RECEIVERS]
    network = platform.networks.create({"name": "iq-net", "receiver_ids": ids})
    return {"network_id": network["id"], "receiver_ids": ids}


@pytest.fixture
def client(platform):
    with api_client(platform) as http:
        yield http


def generate(client: httpx.Client, network_id: str, name: str, **options: Any) -> dict[str, Any]:
    """Generate a dataset over REST and wait (the inline executor finishes it within the request)."""
    body = {"name": name, "network_id": network_id, "num_samples": 5, "seed": 3, "frequency_hz": 145_500_000,
            "realism": "ideal", **options}
    response = client.post("/datasets", json=body)
    assert response.status_code == 202, response.text
    dataset_id = response.json()["dataset"]["id"]
    for _ in range(600):
        dataset = client.get(f"/datasets/{dataset_id}").json()
        if dataset["status"] in {"ready", "failed"}:
            break
        time.sleep(0.05)
    assert dataset["status"] == "ready", dataset
    return dataset
