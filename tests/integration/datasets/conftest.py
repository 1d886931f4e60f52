"""Datasets on the test platform (``build_platform`` over a real SQLite file and a real local blob
directory, jobs run inline: the same job function a server's workers run), and a real app on a real
uvicorn for the API tests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from heimdall.errors import StorageError
from heimdall.platform.root import Platform
from heimdall.store.blob import LocalBlobStore
from support.platform import PlatformFactory, api_client

# The toy network of configs/datasets/toy.yaml as stored receivers (the two S-meter ones are OpenWebRX).
TOY_RECEIVERS = [
    {"name": "a", "kind": "kiwisdr", "lat": 45.00, "lon": 7.50, "alt_m": 700, "capabilities": ["rss", "tdoa", "aoa"],
     "timing": "gnss"},
    {"name": "b", "kind": "kiwisdr", "lat": 45.10, "lon": 7.60, "alt_m": 700, "capabilities": ["rss", "tdoa"],
     "timing": "gnss"},
    {"name": "c", "kind": "openwebrx", "lat": 44.92, "lon": 7.62, "alt_m": 700, "capabilities": ["rss"],
     "timing": "none"},
    {"name": "d", "kind": "openwebrx", "lat": 45.05, "lon": 7.38, "alt_m": 700, "capabilities": ["rss"],
     "timing": "none"},
]
# Simulator options of the toy config, without ITM (so the tests spend their time on the platform).
TOY_OPTIONS: dict[str, Any] = {
    "seed": 1, "frequency_hz": 145_500_000, "realism": "hardware",
    "transmitters": {"area": {"center_lat": 45.02, "center_lon": 7.5, "radius_m": 10000}, "eirp_dbm": [30, 40],
                     "antenna_height_m": [1.5, 10], "signal_types": {"nbfm_voice": 0.7, "fsk4": 0.3}},
    "observation": {"time_measurement": "tdoa"},
}


class FailingBlobs:
    """A blob store whose dataset writes fail after ``succeed`` of them (a full disk, an S3 outage)."""

    def __init__(self, inner: LocalBlobStore, succeed: int) -> None:
        self.inner = inner
        self.remaining = succeed

    def put_bytes(self, key: str, data: bytes) -> None:
        if key.startswith("datasets/"):
            if self.remaining <= 0:
                raise StorageError(f"cannot write blob {key!r}: no space left on device (test)")
            self.remaining -= 1
        self.inner.put_bytes(key, data)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


class DatasetPlatform:
    """The test platform (what `heimdall serve` builds, with inline jobs) plus dataset helpers; every
    other attribute is the platform's (``datasets``, ``jobs``, ``networks``, ``publish``, ...)."""

    def __init__(self, make_platform: PlatformFactory, blobs=None) -> None:
        self.local_blobs: LocalBlobStore | None = None

        def wrap(local: LocalBlobStore):
            self.local_blobs = local
            return blobs(local) if blobs else local

        self.platform: Platform = make_platform(wrap_blobs=wrap, heartbeat_interval_s=0.5)
        self.hooks: list = []
        self.platform.publish.add_listener(self._on_event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.platform, name)

    def _on_event(self, envelope: dict[str, Any]) -> None:
        for hook in list(self.hooks):
            hook(envelope)

    def make_network(self, receivers=TOY_RECEIVERS, name: str = "toy") -> dict[str, Any]:
        ids = [self.platform.receivers.create(dict(fields))["id"] for fields in receivers]
        return self.platform.networks.create({"name": name, "receiver_ids": ids})

    def logged(self, topic: str = "datasets") -> list[tuple[str, dict]]:
        return [(e["event"], e["data"]) for e in self.platform.publish.log.read_after(0) if e["topic"] == topic]

    def blob_keys(self, prefix: str = "datasets/") -> list[str]:
        return self.local_blobs.list(prefix)


@pytest.fixture
def platform(make_platform) -> DatasetPlatform:
    return DatasetPlatform(make_platform)


@pytest.fixture
def platform_factory(make_platform):
    """``platform_factory(blobs=wrap)`` -> another DatasetPlatform (``wrap(local blob store)`` -> its blobs)."""
    return lambda **kwargs: DatasetPlatform(make_platform, **kwargs)


@pytest.fixture
def network(platform) -> dict[str, Any]:
    return platform.make_network()


@pytest.fixture
def client(platform):
    with api_client(platform.platform) as http:
        yield http


@pytest.fixture
def fast_controls(monkeypatch):
    """Jobs read their controls at every check (not every 0.2 s), so a pause lands at an exact shard."""
    monkeypatch.setattr("heimdall.jobs.context.CONTROL_MIN_INTERVAL_S", 0.0)


def expect_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]
