"""The test platform (a migrated SQLite file, local blobs, the real event log, jobs run inline) with the
G7 demo network and small simulated datasets written as real shards, and a real app on a real uvicorn
serving it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from heimdall.platform.root import Platform
from heimdall.services.networks import seed_demo_network
from heimdall.store.db import transaction
from support.platform import PlatformFactory, api_client

REPO_ROOT = Path(__file__).resolve().parents[3]
# A network that trains in a second or two: what matters here is the plumbing, not the accuracy.
TINY = {"epochs": 2, "batch_size": 64, "learning_rate": 0.003, "val_fraction": 0.2, "seed": 3,
        "pause_check_every": 2, "network": {"hidden_size": 16, "attention_heads": 2}}
_names = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)  # the machine is shared


class TrainingPlatform:
    """The test platform plus training helpers; every other attribute is the platform's (``registry``,
    ``training``, ``serving``, ``jobs``, ``blobs``, ``settings``, ...)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.g7_network_id = seed_demo_network(platform.session_factory, platform.publish)["id"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.platform, name)

    def dataset(self, network_id: str | None = None, *, num_samples: int = 400, seed: int = 1) -> str:
        """A ready dataset of G7 ``ideal`` samples (rss, toa, aoa), stored as the datasets job stores one."""
        from heimdall.services.datasets.shards import store_batch
        from heimdall.store.tables.datasets import DatasetRow
        from heimdall.synth import generate, load_config

        config = load_config({"seed": seed, "num_samples": num_samples, "network": "g7", "realism": "ideal"})
        with transaction(self.session_factory) as session:
            row = DatasetRow(name=f"g7-{next(_names)}", network_id=network_id or self.g7_network_id,
                             config=config.model_dump(mode="json"), status="generating", num_samples=0,
                             requested_samples=num_samples, shards=[])
            session.add(row)
            session.flush()
            dataset_id = row.id
        shards = [store_batch(self.blobs, dataset_id, batch) for batch in generate(config, batch_size=256)]
        with transaction(self.session_factory) as session:
            row = session.get(DatasetRow, dataset_id)
            row.shards, row.num_samples, row.status = shards, num_samples, "ready"
        return dataset_id

    def sample_sets(self, dataset_id: str, count: int = 3) -> list[dict[str, Any]]:
        from heimdall.services.datasets.shards import load_batch
        from heimdall.services.models.training_data import describe_datasets

        (info,) = describe_datasets(self.session_factory, [dataset_id])
        return [s["measurement_set"] for s in load_batch(self.blobs, info.shards[0]).to_dicts()[:count]]

    def other_network(self) -> str:
        return self.platform.networks.create({"name": f"other-{next(_names)}"})["id"]

    def logged(self) -> list[tuple[str, str]]:
        return [(e["topic"], e["event"]) for e in self.platform.publish.log.read_after(0, limit=1000)]


@pytest.fixture
def training_platforms(make_platform: PlatformFactory):
    """``training_platforms()`` -> another TrainingPlatform in this test's directory."""
    return lambda: TrainingPlatform(make_platform())


@pytest.fixture
def platform(training_platforms) -> TrainingPlatform:
    return training_platforms()


@pytest.fixture
def client(platform):
    with api_client(platform.platform, timeout_s=120) as http:
        yield http


@pytest.fixture
def tiny() -> dict[str, Any]:
    """Training options of a network that trains in a second or two."""
    return {**TINY, "network": dict(TINY["network"])}
