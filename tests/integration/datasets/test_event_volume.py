"""The event volume of a dataset job is linear in its shards (issue 9 item 2).

Each shard used to publish the whole dataset with every shard so far, so the log grew with the square
of the shard count (one `shard_size: 1` request of 2,000 samples added 382 MiB). Now a shard publishes
`dataset.shard_added` (that shard and the counts), and the shard size has a minimum.
"""

from __future__ import annotations

import json

import pytest

from heimdall.errors import InvalidInput
from heimdall.services.datasets.service import MIN_SHARD_SIZE

from .conftest import TOY_OPTIONS, expect_error

# What one shard may add to the `datasets` topic: its shard_added event (~500 bytes) and its entry in
# the final dataset.updated (~250 bytes). Independent of how many shards the dataset has.
MAX_BYTES_PER_SHARD = 1500


def _datasets_topic_bytes(platform, dataset_id: str) -> int:
    events, after = [], 0
    while page := platform.publish.log.read_after(after, 1000):
        events += page
        after = page[-1]["id"]
    return sum(len(json.dumps(e)) for e in events if e["topic"] == "datasets" and e["data"].get("id") == dataset_id)


def _generate(platform, network, name: str, shards: int) -> int:
    body = {"name": name, "network_id": network["id"], "num_samples": shards * MIN_SHARD_SIZE,
            "shard_size": MIN_SHARD_SIZE, **TOY_OPTIONS}
    dataset = platform.datasets.create(body)["dataset"]
    assert dataset["status"] == "ready" and len(dataset["shards"]) == shards
    return _datasets_topic_bytes(platform, dataset["id"])


def test_event_bytes_per_shard_do_not_grow_with_the_shard_count(platform, network):
    few, many = 2, 12
    bytes_few = _generate(platform, network, "few", few)
    bytes_many = _generate(platform, network, "many", many)
    per_extra_shard = (bytes_many - bytes_few) / (many - few)
    # Quadratic growth would make the extra shards cost more and more (the 12th alone would carry 12 entries).
    assert per_extra_shard <= MAX_BYTES_PER_SHARD, (bytes_few, bytes_many)
    added = [data for event, data in platform.logged() if event == "dataset.shard_added"]
    assert len(added) == few + many
    assert max(len(json.dumps(data)) for data in added) <= MAX_BYTES_PER_SHARD
    last = added[-1]
    assert last["num_samples"] == many * MIN_SHARD_SIZE and last["num_shards"] == many
    assert last["shard"]["start_index"] == (many - 1) * MIN_SHARD_SIZE and "shards" not in last


def test_a_shard_size_below_the_minimum_is_refused(platform, network, client):
    body = {"name": "tiny", "network_id": network["id"], "num_samples": 2000, "shard_size": 1, **TOY_OPTIONS}
    with pytest.raises(InvalidInput) as error:
        platform.datasets.create(body)
    assert error.value.field == "shard_size" and str(MIN_SHARD_SIZE) in error.value.message
    expect_error(client.post("/datasets", json=body), 422, "invalid_input")
    assert platform.datasets.list()["total"] == 0
