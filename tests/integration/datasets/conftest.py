"""Datasets over a real SQLite file and a real local blob directory, jobs run by the inline executor
(the same job function a server's workers run), and a real app on a real uvicorn for the API tests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import heimdall.jobs.kinds.datasets  # noqa: F401 - registers dataset.generate
from heimdall.api.app import create_app
from heimdall.api.server import ThreadedServer
from heimdall.api.services import Services
from heimdall.errors import StorageError
from heimdall.events.log import EventLog
from heimdall.events.publisher import Publisher
from heimdall.jobs.executors import InlineExecutor
from heimdall.jobs.service import JobService
from heimdall.services.datasets import DatasetService
from heimdall.services.networks import NetworkService
from heimdall.services.receivers import ReceiverService
from heimdall.settings import Settings
from heimdall.store.blob import LocalBlobStore
from heimdall.store.db import Base, make_engine, make_session_factory
from heimdall.store.schema import load_all_tables

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


class Platform:
    """What `heimdall serve` builds for datasets, with the inline executor."""

    def __init__(self, tmp_path, blobs=None) -> None:
        load_all_tables()
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.settings = Settings(data_dir=tmp_path, log_level="WARNING")
        self.engine = make_engine(self.settings.resolved_database_url)
        Base.metadata.create_all(self.engine)
        self.session_factory = make_session_factory(self.engine)
        self.local_blobs = LocalBlobStore(tmp_path / "blobs")
        self.blobs = blobs(self.local_blobs) if blobs else self.local_blobs
        self.publish = Publisher(EventLog(self.session_factory))
        self.hooks: list = []
        self.publish.add_listener(self._on_event)
        self.executor = InlineExecutor(self.session_factory, self.publish, self.blobs, heartbeat_interval_s=0.5)
        self.jobs = JobService(self.session_factory, self.publish, self.executor, self.blobs)
        self.datasets = DatasetService(self.session_factory, self.publish, self.jobs, self.blobs)
        self.receivers = ReceiverService(self.session_factory, self.publish)
        self.networks = NetworkService(self.session_factory, self.publish)

    def _on_event(self, envelope: dict[str, Any]) -> None:
        for hook in list(self.hooks):
            hook(envelope)

    def make_network(self, receivers=TOY_RECEIVERS, name: str = "toy") -> dict[str, Any]:
        ids = [self.receivers.create(dict(fields))["id"] for fields in receivers]
        return self.networks.create({"name": name, "receiver_ids": ids})

    def logged(self, topic: str = "datasets") -> list[tuple[str, dict]]:
        return [(e["event"], e["data"]) for e in self.publish.log.read_after(0) if e["topic"] == topic]

    def blob_keys(self, prefix: str = "datasets/") -> list[str]:
        return self.local_blobs.list(prefix)

    def services(self) -> Services:
        return Services(settings=self.settings, session_factory=self.session_factory, publish=self.publish,
                        jobs=self.jobs, blobs=self.blobs, extra={"datasets": self.datasets})

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def platform(tmp_path):
    made = Platform(tmp_path)
    yield made
    made.close()


@pytest.fixture
def platform_factory(tmp_path):
    made: list[Platform] = []

    def make(**kwargs) -> Platform:
        made.append(Platform(tmp_path / f"p{len(made)}", **kwargs))
        return made[-1]

    yield make
    for item in made:
        item.close()


@pytest.fixture
def network(platform) -> dict[str, Any]:
    return platform.make_network()


@pytest.fixture
def client(platform):
    app = create_app(platform.settings, services=platform.services(), static_dir=None)
    with ThreadedServer(app) as server, httpx.Client(base_url=f"{server.http_url}/api/v1", timeout=60) as http:
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
