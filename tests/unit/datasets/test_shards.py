"""Shards in a blob store: keys, reading pages of samples, and the health check catching damage."""

from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput, NotFound
from heimdall.services.datasets.generation_job import GenerateParams
from heimdall.services.datasets.shards import (
    check_dataset,
    load_batch,
    read_samples,
    shard_key,
    store_batch,
    summarize_statistics,
)
from heimdall.synth import generate, load_config

CONFIG = load_config({"seed": 4, "num_samples": 90, "network": "g7", "observation": {"time_measurement": "tdoa"}})


class MemoryBlobs:
    """The BlobStore interface over a dict (what the protocol promises, nothing more)."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def put_bytes(self, key: str, data: bytes) -> None:
        self.data[key] = bytes(data)

    def get_bytes(self, key: str) -> bytes:
        if key not in self.data:
            raise NotFound(f"no blob {key!r}")
        return self.data[key]

    def list(self, prefix: str = "") -> list[str]:
        return sorted(key for key in self.data if key.startswith(prefix))


@pytest.fixture(scope="module")
def batches():
    return list(generate(CONFIG, 0, 90, batch_size=40))


def _dataset(blobs: MemoryBlobs, batches) -> dict:
    shards = [store_batch(blobs, "ds", batch) for batch in batches]
    return {"id": "ds", "num_samples": sum(s["count"] for s in shards), "shards": shards}


def test_shard_keys_sort_in_sample_order():
    assert shard_key("ds", 0) == "datasets/ds/shard-0000000000.arrow"
    assert shard_key("ds", 4096, "iq.npz") == "datasets/ds/shard-0000004096.iq.npz"
    keys = [shard_key("ds", start) for start in (0, 4096, 40960, 409600)]
    assert keys == sorted(keys)


def test_a_healthy_dataset_passes_and_gives_statistics(batches):
    blobs = MemoryBlobs()
    dataset = _dataset(blobs, batches)
    assert [(s["start_index"], s["count"]) for s in dataset["shards"]] == [(0, 40), (40, 40), (80, 10)]
    seen = []
    health, stats = check_dataset(blobs, dataset, on_shard=lambda done, total: seen.append((done, total)))
    assert health["ok"] and health["problems"] == [] and health["samples_found"] == 90
    assert seen == [(0, 3), (1, 3), (2, 3)]
    assert health["physics"]["checks"]["rss_below_eirp"]["checked"] > 0
    assert stats["n_samples"] == 90
    summary = summarize_statistics(stats)
    assert summary["n_samples"] == 90 and set(summary["gdop"]) == {"median", "p95"} and "histograms" not in summary


def test_corrupt_missing_and_miscounted_shards_are_reported(batches):
    blobs = MemoryBlobs()
    dataset = _dataset(blobs, batches)
    blobs.data[dataset["shards"][1]["key"]] += b"!"
    del blobs.data[dataset["shards"][2]["key"]]
    health, stats = check_dataset(blobs, dataset)
    assert not health["ok"] and health["problem_count"] == 2 and health["samples_found"] == 40
    assert "corrupt" in health["problems"][0] and "missing" in health["problems"][1]
    assert stats["n_samples"] == 40
    with pytest.raises(InvalidInput):
        load_batch(blobs, dataset["shards"][1])


def test_gaps_and_wrong_totals_are_reported(batches):
    blobs = MemoryBlobs()
    dataset = _dataset(blobs, batches)
    gapped = {**dataset, "shards": [dataset["shards"][0], dataset["shards"][2]], "num_samples": 50}
    health, _ = check_dataset(blobs, gapped)
    assert not health["ok"] and "starts at 80, expected 40" in health["problems"][0]
    health, _ = check_dataset(blobs, {**dataset, "num_samples": 100})
    assert not health["ok"] and "the dataset says 100" in health["problems"][0]
    lying = {**dataset, "shards": [{**dataset["shards"][0], "start_index": 0, "count": 39}, *dataset["shards"][1:]]}
    health, _ = check_dataset(blobs, lying)
    assert not health["ok"] and any("ids other than 0..38" in p for p in health["problems"])


def test_read_samples_reads_a_page_across_shards(batches):
    blobs = MemoryBlobs()
    dataset = _dataset(blobs, batches)
    page = read_samples(blobs, dataset, 35, 10)
    assert [s["sample_id"] for s in page] == list(range(35, 45))
    assert page[0] == batches[0].sample(35) | {"snr_db": page[0]["snr_db"]}
    assert read_samples(blobs, dataset, 85, 100)[-1]["sample_id"] == 89
    assert read_samples(blobs, dataset, 90, 10) == []


def test_generate_params_are_checked():
    params = GenerateParams.parse({"dataset_id": "d", "start_index": "5", "count": 10, "shard_size": 4})
    assert params.stop == 15 and params.start_index == 5
    for bad in ({}, {"dataset_id": "d", "start_index": 0, "count": 0, "shard_size": 1},
                {"dataset_id": "d", "start_index": -1, "count": 1, "shard_size": 1},
                {"dataset_id": "d", "start_index": "x", "count": 1, "shard_size": 1}):
        with pytest.raises(InvalidInput) as error:
            GenerateParams.parse(bad)
        assert error.value.field == "params"
