"""Training data: check the datasets a training job names and hand their shards to training.

Datasets are rows of ``datasets`` (``heimdall.store.tables.datasets``) whose ``shards`` list the
Arrow blobs (``heimdall.synth.read_shard``) committed so far. Training reads only ``ready``
datasets: a dataset still generating or expanding would change under the run, and a resumed run
needs exactly the samples it started with.

``training_source`` gives ``heimdall.training.ShardSource``: training streams the shards from the
blob store one at a time, each checked against its recorded sha256 (docs/neural.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import Conflict, InvalidInput, NotFound, StorageError
from heimdall.store.blob import BlobStore
from heimdall.store.tables.datasets import DatasetRow
from heimdall.synth import ShardRef
from heimdall.training.data import ShardSource

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


def training_source(blobs: BlobStore, datasets: Sequence[DatasetInfo]) -> ShardSource:
    """Every shard of every dataset, in order, as one training source (read lazily, verified on read)."""
    return ShardSource([_ref(d.id, shard) for d in datasets for shard in d.shards], blobs.get_bytes)


def _ref(dataset_id: str, shard: Any) -> ShardRef:
    try:
        return ShardRef(dataset_id, str(shard["key"]), str(shard["sha256"]), int(shard["start_index"]),
                        int(shard["count"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(f"dataset {dataset_id} lists a shard without its key, sha256 or count") from exc
