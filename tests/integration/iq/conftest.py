"""A real SQLite file, a real local blob directory, jobs on the inline executor and the real app on a
real uvicorn: what `heimdall serve` builds for datasets, enough to generate tiny IQ datasets."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

import heimdall.jobs.kinds.datasets  # noqa: F401 - registers dataset.generate
from heimdall.api.app import create_app
from heimdall.api.server import ThreadedServer
from heimdall.api.services import Services
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

RECEIVERS = [
    {"name": "a", "kind": "kiwisdr", "lat": 45.00, "lon": 7.50, "alt_m": 700, "capabilities": ["rss", "tdoa"],
     "timing": "gnss"},
    {"name": "b", "kind": "kiwisdr", "lat": 45.10, "lon": 7.60, "alt_m": 700, "capabilities": ["rss", "tdoa"],
     "timing": "gnss"},
    {"name": "c", "kind": "kiwisdr", "lat": 44.92, "lon": 7.62, "alt_m": 700, "capabilities": ["rss", "tdoa"],
     "timing": "gnss"},
]


@pytest.fixture
def platform(tmp_path):
    load_all_tables()
    settings = Settings(data_dir=tmp_path, log_level="WARNING")
    engine = make_engine(settings.resolved_database_url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    blobs = LocalBlobStore(tmp_path / "blobs")
    publish = Publisher(EventLog(factory))
    executor = InlineExecutor(factory, publish, blobs, heartbeat_interval_s=0.5)
    jobs = JobService(factory, publish, executor, blobs)
    datasets = DatasetService(factory, publish, jobs, blobs)
    receivers, networks = ReceiverService(factory, publish), NetworkService(factory, publish)
    ids = [receivers.create(dict(fields))["id"] for fields in RECEIVERS]
    network = networks.create({"name": "iq-net", "receiver_ids": ids})
    services = Services(settings=settings, session_factory=factory, publish=publish, jobs=jobs, blobs=blobs,
                        extra={"datasets": datasets})
    yield {"settings": settings, "services": services, "network_id": network["id"], "receiver_ids": ids}
    engine.dispose()


@pytest.fixture
def client(platform):
    app = create_app(platform["settings"], services=platform["services"], static_dir=None)
    with ThreadedServer(app) as server, httpx.Client(base_url=f"{server.http_url}/api/v1", timeout=60) as http:
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
