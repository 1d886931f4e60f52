"""Training data: check the datasets a training job names and load all their samples.

Datasets are rows of ``datasets`` (``heimdall.store.tables.datasets``) whose ``shards`` list the
Arrow blobs (``heimdall.synth.read_shard``) committed so far. Training reads only ``ready``
datasets: a dataset still generating or expanding would change under the run, and a resumed run
needs exactly the samples it started with.

Samples come out in the training format of ``heimdall.training`` (docs/neural.md): ``sample_id`` is
made unique across datasets (``<dataset id>:<index>``), and the simulator's per-receiver ``snr_db``
map becomes one number, the median over the receivers, for the per-SNR-band error metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import Conflict, InvalidInput, NotFound, StorageError
from heimdall.services.models.registry import sha256_hex
from heimdall.store.blob import BlobStore
from heimdall.store.tables.datasets import DatasetRow
from heimdall.synth import read_shard

MAX_DATASETS = 50


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    name: str
    network_id: str | None
    num_samples: int
    shards: tuple[dict[str, Any], ...]


def check_dataset_ids(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput("dataset_ids must be a non-empty list of dataset ids", field="dataset_ids")
    if not all(isinstance(item, str) and item for item in value):
        raise InvalidInput("dataset_ids must be a list of dataset ids (strings)", field="dataset_ids")
    if len(set(value)) != len(value):
        raise InvalidInput("dataset_ids must not repeat a dataset", field="dataset_ids")
    if len(value) > MAX_DATASETS:
        raise InvalidInput(f"at most {MAX_DATASETS} datasets per training job", field="dataset_ids")
    return list(value)


def describe_datasets(session_factory: sessionmaker[Session], dataset_ids: Sequence[str]) -> list[DatasetInfo]:
    """The datasets, checked: all exist (404), are ready (409), hold samples and share one network (422)."""
    dataset_ids = check_dataset_ids(dataset_ids)
    with session_factory() as session:
        rows = {row.id: row for row in session.scalars(select(DatasetRow).where(DatasetRow.id.in_(dataset_ids)))}
        unknown = [i for i in dataset_ids if i not in rows]
        if unknown:
            raise NotFound(f"no dataset with id {unknown[0]!r}",
                           details={"resource": "dataset", "id": unknown[0], "field": "dataset_ids", "unknown": unknown})
        infos = [_info(rows[i]) for i in dataset_ids]
    networks = sorted({str(info.network_id) for info in infos})
    if len(networks) > 1:
        raise InvalidInput(
            "the datasets come from different networks; a network is trained for one receiver layout",
            field="dataset_ids", details={"network_ids": {info.id: info.network_id for info in infos}},
        )
    return infos


def _info(row: DatasetRow) -> DatasetInfo:
    if row.status != "ready":
        raise Conflict(f"dataset {row.name!r} is {row.status}, not ready; wait for its job to finish",
                       field="dataset_ids", details={"dataset_id": row.id, "status": row.status})
    if not row.num_samples or not row.shards:
        raise InvalidInput(f"dataset {row.name!r} holds no samples", field="dataset_ids")
    return DatasetInfo(id=row.id, name=row.name, network_id=row.network_id, num_samples=int(row.num_samples),
                       shards=tuple(row.shards))


def load_samples(blobs: BlobStore, datasets: Sequence[DatasetInfo],
                 between_shards: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """Every sample of every dataset, in order; ``between_shards(done, total)`` after each shard."""
    total = sum(len(d.shards) for d in datasets)
    samples: list[dict[str, Any]] = []
    done = 0
    for dataset in datasets:
        for shard in dataset.shards:
            samples.extend(_shard_samples(blobs, dataset.id, shard))
            done += 1
            if between_shards is not None:
                between_shards(done, total)
    return samples


def _shard_samples(blobs: BlobStore, dataset_id: str, shard: dict[str, Any]) -> list[dict[str, Any]]:
    key = shard.get("key") if isinstance(shard, dict) else None
    if not isinstance(key, str):
        raise StorageError(f"dataset {dataset_id} lists a shard without a blob key")
    data = blobs.get_bytes(key)
    expected = shard.get("sha256")
    if isinstance(expected, str) and expected != sha256_hex(data):
        raise StorageError(f"shard {key} of dataset {dataset_id} does not match its sha256 (corrupt)")
    return [training_sample(dataset_id, sample) for sample in read_shard(data).to_dicts()]


def training_sample(dataset_id: str, sample: dict[str, Any]) -> dict[str, Any]:
    """A dataset sample as training reads it (unique string id, one SNR number)."""
    out = {**sample, "sample_id": f"{dataset_id}:{sample['sample_id']}"}
    snr = sample.get("snr_db")
    if isinstance(snr, dict):
        values = np.array([v for v in snr.values() if isinstance(v, int | float)], dtype=float)
        values = values[np.isfinite(values)]
        out["snr_db"] = float(np.median(values)) if values.size else None
    return out
