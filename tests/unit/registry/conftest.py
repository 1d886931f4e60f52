"""The registry over a real SQLite file and a real local blob store, with toy networks trained once."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from heimdall.services.models import ModelRegistry
from heimdall.services.networks import NetworkService
from heimdall.store.blob import LocalBlobStore
from heimdall.store.db import Base, make_engine, make_session_factory
from heimdall.store.tables import datasets as _datasets  # noqa: F401  (registers the tables create_all makes)
from heimdall.store.tables import models as _models  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parents[3]


class EventRecorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, topic: str, event: str, data: dict[str, Any]) -> None:
        self.events.append((topic, event, data))

    def names(self) -> list[tuple[str, str]]:
        return [(topic, event) for topic, event, _ in self.events]


@dataclasses.dataclass(frozen=True)
class Trained:
    checkpoint: bytes
    onnx: bytes
    samples: list[dict[str, Any]]


def _train(seed: int, samples: list[dict[str, Any]]) -> Trained:
    import torch

    from heimdall.nn.config import NetworkConfig
    from heimdall.services.model_export import export_checked_onnx
    from heimdall.training import TrainingConfig, train

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
def session_factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'heimdall.db'}")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def blobs(tmp_path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def events() -> EventRecorder:
    return EventRecorder()


@pytest.fixture
def registry(session_factory, blobs, events) -> ModelRegistry:
    return ModelRegistry(session_factory, blobs, events)


@pytest.fixture
def network_ids(session_factory, events) -> list[str]:
    """Two stored networks (no receivers needed: the registry only links to them)."""
    service = NetworkService(session_factory, events)
    return [service.create({"name": name})["id"] for name in ("north", "south")]


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
