"""Streaming training data: verified shard reading, the split, epoch order and resumable batches."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from heimdall.errors import CorruptShard, InsufficientData, InvalidInput
from heimdall.synth import ShardRef, generate, load_config, write_shard
from heimdall.training.batches import DataPlan, featurize
from heimdall.training.data import ShardSource

SHARD = 64


@pytest.fixture(scope="module")
def stored():
    """300 G7 samples in shards of 64 (the last one short), as a blob store would hold them."""
    config = load_config({"seed": 4, "num_samples": 300, "network": "g7", "realism": "ideal"})
    blobs, refs = {}, []
    for batch in generate(config, batch_size=SHARD):
        data = write_shard(batch)
        key = f"datasets/d1/shard-{int(batch.sample_id[0]):010d}.arrow"
        blobs[key] = data
        refs.append(ShardRef("d1", key, hashlib.sha256(data).hexdigest(), int(batch.sample_id[0]), len(batch)))
    return blobs, refs


def _plan(stored, buffer=100, seed=3):
    blobs, refs = stored
    return DataPlan(ShardSource(refs, blobs.__getitem__), seed=seed, val_fraction=0.2, shuffle_buffer_samples=buffer)


def _keys(batch):
    """One identity per sample: its true east/north position."""
    return [tuple(row) for row in np.round(batch.targets_en_m, 3)]


def test_an_epoch_reads_every_training_sample_once_in_full_batches(stored):
    plan = _plan(stored)
    layout, _ = plan.fit()
    batches = list(plan.epoch_batches(layout, epoch=0, batch_size=32))
    assert len(batches) == plan.batches_per_epoch(32) == -(-plan.n_train // 32)
    assert [len(b) for b in batches[:-1]] == [32] * (len(batches) - 1)
    seen = [k for b in batches for k in _keys(b)]
    train = [k for i in range(len(plan.source.refs))
             for k in _keys(featurize(plan.source.read(i).take(plan.rows(i, validation=False)), layout))]
    assert sorted(seen) == sorted(train) and len(set(seen)) == len(seen)
    val = [k for b in plan.validation_batches(layout, 50) for k in _keys(b)]
    assert len(val) == plan.n_val and not set(val) & set(seen)
    assert plan.n_train + plan.n_val == 300


def test_epochs_differ_and_a_resumed_epoch_continues_with_the_same_batches(stored):
    plan = _plan(stored, buffer=70)  # several windows, batches spanning two of them
    layout, _ = plan.fit()
    full = list(plan.epoch_batches(layout, epoch=1, batch_size=24))
    assert _keys(full[0]) != _keys(next(iter(plan.epoch_batches(layout, epoch=2, batch_size=24))))
    for start in (1, 3, 4, len(full) - 1):
        resumed = list(plan.epoch_batches(layout, epoch=1, batch_size=24, start_batch=start))
        assert len(resumed) == len(full) - start
        for a, b in zip(resumed, full[start:], strict=True):
            np.testing.assert_array_equal(a.features, b.features)
            np.testing.assert_array_equal(a.targets_en_m, b.targets_en_m)
    again = list(_plan(stored, buffer=70).epoch_batches(layout, epoch=1, batch_size=24))
    assert [_keys(b) for b in again] == [_keys(b) for b in full]  # seeded: the same in a new process


def test_the_shuffle_window_bounds_what_is_held(stored):
    plan = _plan(stored, buffer=70)
    windows = plan._windows(epoch=0)
    assert len(windows) > 1
    for shards, _, held in windows[:-1]:
        assert held >= 70 and held - plan.train_counts[shards[-1]] < 70  # closed by its last shard
    assert sum(held for _, _, held in windows) == plan.n_train
    one_window = _plan(stored, buffer=10_000)._windows(epoch=0)
    assert len(one_window) == 1  # a small dataset is shuffled as a whole


def test_fit_finds_the_layout_and_the_training_statistics(stored):
    plan = _plan(stored)
    calls = []
    layout, normalization = plan.fit(lambda done, total: calls.append((done, total)))
    assert calls == [(i, 5) for i in range(1, 6)]
    assert set(layout.modalities) == {"rss", "toa", "aoa"} and layout.max_receivers == 7
    assert normalization.length_scale_m > 1000.0


def test_corrupt_truncated_and_mislabelled_shards_raise_one_error(stored):
    blobs, refs = stored
    flipped = dict(blobs)
    flipped[refs[1].key] = blobs[refs[1].key][:-1] + bytes([blobs[refs[1].key][-1] ^ 1])
    with pytest.raises(CorruptShard, match="sha256") as info:
        ShardSource(refs, flipped.__getitem__).read(1)
    assert info.value.code == "corrupt_shard" and info.value.http_status == 422
    assert isinstance(info.value, InvalidInput)
    truncated = blobs[refs[2].key][:1000]
    short = ShardRef("d1", refs[2].key, hashlib.sha256(truncated).hexdigest(), refs[2].start_index, refs[2].count)
    with pytest.raises(CorruptShard, match="not a Heimdall dataset shard"):
        ShardSource([short], {short.key: truncated}.__getitem__).read(0)
    shifted = ShardRef("d1", refs[0].key, refs[0].sha256, 64, refs[0].count)
    with pytest.raises(CorruptShard, match="holds 64 samples, not samples 64..127"):
        ShardSource([shifted], blobs.__getitem__).read(0)


def test_too_few_samples_for_a_split_are_insufficient(stored):
    blobs, refs = stored
    tiny = ShardRef("d1", refs[0].key, refs[0].sha256, 0, 1)
    with pytest.raises(InsufficientData):
        DataPlan(ShardSource([tiny], blobs.__getitem__), seed=0, val_fraction=0.5, shuffle_buffer_samples=10)


def test_the_snr_band_value_is_the_median_over_receivers_with_a_finite_snr():
    from heimdall.training.data import finite_median

    rng = np.random.default_rng(0)
    values = rng.normal(10.0, 5.0, size=(500, 7))
    values[rng.random(values.shape) < 0.3] = np.nan
    values[3] = np.nan
    values[4, :2] = np.inf
    expected = [np.median(row[np.isfinite(row)]) if np.isfinite(row).any() else np.nan for row in values]
    np.testing.assert_allclose(finite_median(values), expected, equal_nan=True)


def test_a_shard_with_receivers_its_dataset_lacks_is_refused(stored):
    from heimdall.synth import read_shard

    blobs, refs = stored
    batch = read_shard(blobs[refs[1].key])
    meta = {**batch.meta, "receivers": [*batch.meta["receivers"][:-1], {**batch.meta["receivers"][-1], "id": "stray"}]}
    data = write_shard(dataclasses.replace(batch, meta=meta))
    changed = dict(blobs)
    changed[refs[1].key] = data
    odd = [refs[0], dataclasses.replace(refs[1], sha256=hashlib.sha256(data).hexdigest())]
    plan = DataPlan(ShardSource(odd, changed.__getitem__), seed=3, val_fraction=0.2, shuffle_buffer_samples=100)
    with pytest.raises(InvalidInput, match="does not fit its dataset's receivers") as info:
        plan.fit()
    assert info.value.code == "invalid_input"
