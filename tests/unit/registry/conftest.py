"""The registry of the test platform (the composition root over a real SQLite file and a real local blob
store), with toy networks trained once."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from heimdall.services.models.registry import ModelRegistry
from heimdall.store.blob import BlobStore
from support.events import EventRecorder

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclasses.dataclass(frozen=True)
class Trained:
    checkpoint: bytes
    onnx: bytes
    samples: list[dict[str, Any]]


def _train(seed: int, samples: list[dict[str, Any]]) -> Trained:
    import torch

    from heimdall.nn.config import NetworkConfig
    from heimdall.training import TrainingConfig, train
    from heimdall.training.onnx_check import export_checked_onnx

    torch.set_num_threads(1)
    config = TrainingConfig.from_yaml(REPO_ROOT / "configs" / "training" / "toy.yaml")
    config = dataclasses.replace(config, seed=seed, epochs=2, network=NetworkConfig(hidden_size=16, attention_heads=2))
    checkpoint = train(config, samples).checkpoint
    return Trained(checkpoint, export_checked_onnx(checkpoint), samples)


@pytest.fixture(scope="session")
def rss_samples() -> list[dict[str, Any]]:
    from heimdall.training.scenario_samples import scenario_samples

    return scenario_samples("rss-8db", 200, np.random.default_rng(8))


@pytest.fixture(scope="session")
def trained(rss_samples) -> Trained:
    """A toy RSS network on the G7 layout (rx0..rx6)."""
    return _train(7, rss_samples)


@pytest.fixture(scope="session")
def trained_other(rss_samples) -> Trained:
    """Another network on the same layout (another seed): other answers for the same input."""
    return _train(8, rss_samples)


@pytest.fixture
def session_factory(platform):
    return platform.session_factory


@pytest.fixture
def blobs(platform) -> BlobStore:
    return platform.blobs


@pytest.fixture
def events(platform) -> EventRecorder:
    """What the platform's services publish, as (topic, event, data), in order."""
    recorder = EventRecorder()
    platform.publish.add_listener(recorder)
    return recorder


@pytest.fixture
def registry(platform, events) -> ModelRegistry:
    return platform.registry


@pytest.fixture
def network_ids(platform, events) -> list[str]:
    """Two stored networks (no receivers needed: the registry only links to them)."""
    return [platform.networks.create({"name": name})["id"] for name in ("north", "south")]


@pytest.fixture
def dataset_row(session_factory):
    """``dataset_row(network_id, num_samples=..., status=...)`` -> the id of a stored dataset row (no blobs)."""
    from heimdall.store.db import transaction
    from heimdall.store.tables.datasets import DatasetRow

    def make(network_id: str | None, *, num_samples: int = 500, status: str = "ready") -> str:
        with transaction(session_factory) as session:
            row = DatasetRow(name=f"ds-{np.random.default_rng().integers(1 << 40)}", network_id=network_id,
                             config={}, status=status, num_samples=num_samples, requested_samples=num_samples,
                             shards=[{"key": "datasets/x/shard-0.arrow", "start_index": 0, "count": num_samples}]
                             if num_samples else [])
            session.add(row)
            session.flush()
            return row.id

    return make
