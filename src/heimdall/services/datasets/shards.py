"""Dataset shards in the blob store: write them, read them back (whole or a page of samples), and
check a whole dataset's health (integrity, counts, physics) while computing its statistics.

A shard is ``datasets/<id>/shard-<start>.arrow`` (Arrow IPC, ``heimdall.synth.write_shard``), plus
``datasets/<id>/shard-<start>.iq.npz`` for IQ-level datasets. ``<start>`` is the first sample id,
zero-padded so keys sort in sample order. Each shard's entry on the dataset row is
``{"key", "start_index", "count", "sha256", "bytes"}`` (+ ``iq_key``, ``iq_sha256``, ``iq_bytes``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from heimdall.errors import InvalidInput, NotFound
from heimdall.services.common import finite_json, iso_z
from heimdall.store.blob import BlobStore
from heimdall.store.db import utcnow
from heimdall.synth import (
    SampleBatch,
    ShardRef,
    dataset_statistics,
    read_iq_shard,
    read_shard,
    read_verified_shard,
    validate_samples,
    write_iq_shard,
    write_shard,
)

MAX_PROBLEMS = 20
# Full scale of synthesised IQ captures (docs/simulator.md, "IQ-level samples").
IQ_FULL_SCALE_DBM = -30.0


def dataset_prefix(dataset_id: str) -> str:
    return f"datasets/{dataset_id}/"


def shard_key(dataset_id: str, start_index: int, suffix: str = "arrow") -> str:
    return f"{dataset_prefix(dataset_id)}shard-{start_index:010d}.{suffix}"


def store_batch(blobs: BlobStore, dataset_id: str, batch: SampleBatch) -> dict[str, Any]:
    """Write ``batch`` as a shard (atomically, by the blob store) and return its entry for the row."""
    start = int(batch.sample_id[0])
    entry: dict[str, Any] = {"key": shard_key(dataset_id, start), "start_index": start, "count": len(batch)}
    if batch.iq is not None:
        iq = write_iq_shard(batch)
        entry.update(iq_key=shard_key(dataset_id, start, "iq.npz"), iq_sha256=_sha256(iq), iq_bytes=len(iq))
        blobs.put_bytes(entry["iq_key"], iq)
    data = write_shard(batch)
    entry.update(sha256=_sha256(data), bytes=len(data))
    blobs.put_bytes(entry["key"], data)
    return entry


def shard_keys(shard: Mapping[str, Any]) -> list[str]:
    return [shard["key"], *([shard["iq_key"]] if shard.get("iq_key") else [])]


def load_batch(blobs: BlobStore, shard: Mapping[str, Any]) -> SampleBatch:
    """One shard as a batch, checked by the one shard reader: CorruptShard (an InvalidInput) if it is
    corrupt, NotFound if missing."""
    ref = ShardRef("", shard["key"], shard["sha256"], shard["start_index"], shard["count"])
    return read_verified_shard(blobs.get_bytes(shard["key"]), ref)


def load_iq(blobs: BlobStore, shard: Mapping[str, Any]) -> dict[str, np.ndarray] | None:
    if not shard.get("iq_key"):
        return None
    data = blobs.get_bytes(shard["iq_key"])
    if _sha256(data) != shard["iq_sha256"]:
        raise InvalidInput(f"IQ shard {shard['iq_key']} is corrupt (sha256 mismatch)", field="shard")
    return read_iq_shard(data)


def iter_batches(blobs: BlobStore, dataset: Mapping[str, Any]) -> Iterator[SampleBatch]:
    """Every committed sample of ``dataset`` (a dataset dict), shard by shard, in sample order."""
    for shard in dataset["shards"]:
        yield load_batch(blobs, shard)


def read_samples(blobs: BlobStore, dataset: Mapping[str, Any], offset: int, limit: int) -> list[dict[str, Any]]:
    """Samples ``offset .. offset+limit-1`` as dicts, reading only the shards that hold them."""
    stop = min(offset + limit, dataset["num_samples"])
    samples: list[dict[str, Any]] = []
    for shard in dataset["shards"]:
        first, end = shard["start_index"], shard["start_index"] + shard["count"]
        if end <= offset or first >= stop:
            continue
        lo, hi = max(offset, first) - first, min(stop, end) - first
        dicts = load_batch(blobs, shard).slice(lo, hi).to_dicts()
        iq = load_iq(blobs, shard)
        if iq is not None:
            for position, sample in enumerate(dicts):
                sample["iq"] = iq_summary(iq, lo + position, [r["id"] for r in sample["measurement_set"]["receivers"]])
        samples.extend(dicts)
    return [finite_json(sample) for sample in samples]


def iq_summary(iq: Mapping[str, np.ndarray], row: int, receiver_ids: list[str]) -> dict[str, Any]:
    """What a browser shows of one sample's captures: their length, rate, start times and power."""
    captures = iq["iq"][row]
    mean_power = np.mean(np.abs(captures.astype(np.complex128)) ** 2, axis=-1)
    power_dbfs = 10.0 * np.log10(np.maximum(mean_power, 1e-30))
    return {
        "sample_rate_hz": float(iq["sample_rate_hz"]),
        "samples_per_capture": int(captures.shape[-1]),
        "captures": [
            {"receiver": rx, "start_time_s": float(iq["start_time_s"][row][r]), "power_dbfs": float(power_dbfs[r]),
             "power_dbm": float(power_dbfs[r] + IQ_FULL_SCALE_DBM)}
            for r, rx in enumerate(receiver_ids)
        ],
    }


def check_dataset(blobs: BlobStore, dataset: Mapping[str, Any],
                  on_shard: Callable[[int, int], None] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Re-read every shard: sha256 and size, readable, contiguous sample ids matching the row's counts,
    and the simulator's physics checks. Returns (health summary, statistics over the readable shards).
    ``on_shard(done, total)`` runs before each shard (a job's pause/cancel point)."""
    health = _Health(dataset)
    statistics = dataset_statistics(health.batches(blobs, on_shard))
    return health.summary(), statistics


class _Health:
    def __init__(self, dataset: Mapping[str, Any]) -> None:
        self.dataset = dataset
        self.problems: list[str] = []
        self.physics: dict[str, dict[str, int]] = {}
        self.without_measurements = 0
        self.found = 0
        self.checked = 0

    def batches(self, blobs: BlobStore, on_shard: Callable[[int, int], None] | None) -> Iterator[SampleBatch]:
        expected_start = 0
        shards = self.dataset["shards"]
        for done, shard in enumerate(shards):
            if on_shard is not None:
                on_shard(done, len(shards))
            if shard["start_index"] != expected_start:
                self.problem(f"shard {shard['key']} starts at {shard['start_index']}, expected {expected_start}")
            expected_start = shard["start_index"] + shard["count"]
            batch = self.read(blobs, shard)
            if batch is not None:
                self.checked += 1
                yield batch
        if expected_start != self.dataset["num_samples"]:
            self.problem(f"shards hold samples up to {expected_start}, the dataset says {self.dataset['num_samples']}")

    def read(self, blobs: BlobStore, shard: Mapping[str, Any]) -> SampleBatch | None:
        try:
            data = blobs.get_bytes(shard["key"])
        except NotFound:
            self.problem(f"shard {shard['key']} is missing from the blob store")
            return None
        if len(data) != shard["bytes"] or _sha256(data) != shard["sha256"]:
            self.problem(f"shard {shard['key']} is corrupt (size or sha256 mismatch)")
            return None
        try:
            batch = read_shard(data)
        except InvalidInput:
            self.problem(f"shard {shard['key']} is not a readable dataset shard")
            return None
        self.check_ids(shard, batch.sample_id)
        self.check_iq(blobs, shard)
        self.add_physics(validate_samples(batch))
        return batch

    def check_ids(self, shard: Mapping[str, Any], sample_id: np.ndarray) -> None:
        self.found += len(sample_id)
        expected = np.arange(shard["start_index"], shard["start_index"] + shard["count"])
        if len(sample_id) != shard["count"] or not np.array_equal(sample_id, expected):
            self.problem(f"shard {shard['key']} holds {len(sample_id)} samples with ids other than "
                         f"{shard['start_index']}..{shard['start_index'] + shard['count'] - 1}")

    def check_iq(self, blobs: BlobStore, shard: Mapping[str, Any]) -> None:
        if not shard.get("iq_key"):
            return
        try:
            iq = load_iq(blobs, shard)
        except (NotFound, InvalidInput) as exc:
            self.problem(exc.message)
            return
        if iq is not None and len(iq["sample_id"]) != shard["count"]:
            self.problem(f"IQ shard {shard['iq_key']} holds {len(iq['sample_id'])} captures, expected {shard['count']}")

    def add_physics(self, report: dict[str, Any]) -> None:
        for name, check in report["checks"].items():
            total = self.physics.setdefault(name, {"checked": 0, "failures": 0})
            total["checked"] += check["checked"]
            total["failures"] += check["failures"]
        self.without_measurements += report["samples_without_measurements"]

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def summary(self) -> dict[str, Any]:
        physics_ok = all(check["failures"] == 0 for check in self.physics.values())
        for name, check in self.physics.items():
            if check["failures"]:
                self.problem(f"physics check {name} failed for {check['failures']} of {check['checked']}")
        return {
            "ok": not self.problems and physics_ok,
            "checked_at": iso_z(utcnow()),
            "num_samples": self.dataset["num_samples"],
            "samples_found": self.found,
            "shards": {"total": len(self.dataset["shards"]), "checked": self.checked},
            "physics": {"checks": self.physics, "samples_without_measurements": self.without_measurements},
            "problems": self.problems[:MAX_PROBLEMS],
            "problem_count": len(self.problems),
        }


def summarize_statistics(statistics: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The histograms' medians and 95th percentiles, without the bins (the dataset object carries this;
    ``GET /datasets/{id}/statistics`` carries the histograms)."""
    if statistics is None:
        return None
    quantiles = {name: {"median": h["median"], "p95": h["p95"]} for name, h in statistics["histograms"].items()}
    return {"n_samples": statistics["n_samples"], **quantiles, "signal_types": statistics["signal_types"]}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
