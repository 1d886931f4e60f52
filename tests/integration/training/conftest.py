"""A real app (real uvicorn on 127.0.0.1) over a migrated SQLite file, local blobs, the real event log and
the inline executor, with the G7 demo network and small simulated datasets written as real shards."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from heimdall.api.app import create_app
from heimdall.api.server import ThreadedServer
from heimdall.api.services import Services
from heimdall.events.log import EventLog
from heimdall.events.publisher import Publisher
from heimdall.jobs.executors.inline import InlineExecutor
from heimdall.jobs.kinds import training as _training_kind  # noqa: F401  (registers the training kind)
from heimdall.jobs.service import JobService
from heimdall.services.models import registry_services
from heimdall.services.networks import NetworkService, seed_demo_network
from heimdall.settings import Settings
from heimdall.store.blob import LocalBlobStore
from heimdall.store.db import make_engine, make_session_factory, transaction
from heimdall.store.schema import upgrade_database

REPO_ROOT = Path(__file__).resolve().parents[3]
# A network that trains in a second or two: what matters here is the plumbing, not the accuracy.
TINY = {"epochs": 2, "batch_size": 64, "learning_rate": 0.003, "val_fraction": 0.2, "seed": 3,
        "pause_check_every": 2, "network": {"hidden_size": 16, "attention_heads": 2}}
_names = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)  # the machine is shared


class Platform:
    """Everything ``heimdall serve`` wires, built from the same pieces."""

    def __init__(self, data_dir: Path, publish_wrapper=None) -> None:
        self.settings = Settings(data_dir=data_dir)
        upgrade_database(self.settings.resolved_database_url)
        self.engine = make_engine(self.settings.resolved_database_url)
        self.sessions = make_session_factory(self.engine)
        self.blobs = LocalBlobStore(data_dir / "blobs")
        self.publisher = Publisher(EventLog(self.sessions))
        self.publish = publish_wrapper(self.publisher) if publish_wrapper else self.publisher
        executor = InlineExecutor(self.sessions, self.publish, self.blobs)
        self.jobs = JobService(self.sessions, self.publish, executor, self.blobs)
        extra = registry_services(self.sessions, self.blobs, self.publish, self.jobs)
        self.registry, self.training, self.serving = extra["models"], extra["training"], extra["method_resolver"]
        self.g7_network_id = seed_demo_network(self.sessions, self.publish)["id"]
        self.services = Services(
            settings=self.settings, session_factory=self.sessions, publish=self.publish, jobs=self.jobs,
            blobs=self.blobs, executor=executor,
            extra=extra,
        )

    def dataset(self, network_id: str | None = None, *, num_samples: int = 400, seed: int = 1) -> str:
        """A ready dataset of G7 ``ideal`` samples (rss, toa, aoa), stored as the datasets job stores one."""
        from heimdall.services.dataset_shards import store_batch
        from heimdall.store.tables.datasets import DatasetRow
        from heimdall.synth import generate, load_config

        config = load_config({"seed": seed, "num_samples": num_samples, "network": "g7", "realism": "ideal"})
        with transaction(self.sessions) as session:
            row = DatasetRow(name=f"g7-{next(_names)}", network_id=network_id or self.g7_network_id,
                             config=config.model_dump(mode="json"), status="generating", num_samples=0,
                             requested_samples=num_samples, shards=[])
            session.add(row)
            session.flush()
            dataset_id = row.id
        shards = [store_batch(self.blobs, dataset_id, batch) for batch in generate(config, batch_size=256)]
        with transaction(self.sessions) as session:
            row = session.get(DatasetRow, dataset_id)
            row.shards, row.num_samples, row.status = shards, num_samples, "ready"
        return dataset_id

    def sample_sets(self, dataset_id: str, count: int = 3) -> list[dict[str, Any]]:
        from heimdall.services.dataset_shards import load_batch
        from heimdall.services.model_datasets import describe_datasets

        (info,) = describe_datasets(self.sessions, [dataset_id])
        return [s["measurement_set"] for s in load_batch(self.blobs, info.shards[0]).to_dicts()[:count]]

    def other_network(self) -> str:
        return NetworkService(self.sessions, self.publish).create({"name": f"other-{next(_names)}"})["id"]

    def logged(self) -> list[tuple[str, str]]:
        return [(e["topic"], e["event"]) for e in self.publisher.log.read_after(0, limit=1000)]

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def make_platform(tmp_path):
    """``make_platform(publish_wrapper=None)`` -> a Platform in this test's directory (closed afterwards)."""
    made: list[Platform] = []

    def make(publish_wrapper=None) -> Platform:
        made.append(Platform(tmp_path / f"p{len(made)}", publish_wrapper))
        return made[-1]

    yield make
    for platform in made:
        platform.close()


@pytest.fixture
def platform(make_platform) -> Platform:
    return make_platform()


@pytest.fixture
def client(platform):
    app = create_app(platform.settings, services=platform.services, static_dir=None)
    with ThreadedServer(app) as server, httpx.Client(base_url=f"{server.http_url}/api/v1", timeout=120) as http:
        yield http


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.fixture
def expect_error():
    return assert_error


@pytest.fixture
def tiny() -> dict[str, Any]:
    """Training options of a network that trains in a second or two."""
    return {**TINY, "network": dict(TINY["network"])}
