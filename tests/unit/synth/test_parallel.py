"""Parallel IQ-level generation: same bytes, same order as the single-process path."""

from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.synth import generate, write_iq_shard, write_shard
from heimdall.synth import parallel as parallel_module

CONFIG = {"seed": 5, "num_samples": 10, "iq": {"enabled": True, "duration_s": 0.02, "sample_rate_hz": 25_000.0},
          "transmitters": {"signal_types": {"nbfm_voice": 0.5, "fsk4": 0.5}, "eirp_dbm": [20, 30]}}


def _shards(batches):
    return [(len(b), int(b.sample_id[0]), write_shard(b), write_iq_shard(b)) for b in batches]


def test_two_workers_give_the_same_bytes_in_the_same_order(monkeypatch):
    calls = []

    def spy(*args):
        calls.append(args[-1])
        return pool_path(*args)

    pool_path = parallel_module.generate_iq_parallel
    monkeypatch.setattr(parallel_module, "generate_iq_parallel", spy)
    single = _shards(generate(CONFIG, 1, 9, batch_size=2, workers=1))
    assert calls == []
    parallel = _shards(generate(CONFIG, 1, 9, batch_size=2, workers=2))
    assert calls == [2]  # the pool really ran
    assert [s[:2] for s in single] == [(2, 1), (2, 3), (2, 5), (2, 7), (1, 9)]
    assert parallel == single


def test_workers_must_be_positive():
    with pytest.raises(InvalidInput):
        list(generate(CONFIG, workers=0))


def test_measurement_level_ignores_workers():
    plain = {"seed": 5, "num_samples": 50}
    assert _measurement(generate(plain, workers=2)) == _measurement(generate(plain))


def _measurement(batches):
    return [write_shard(b) for b in batches]



def test_a_daemonic_process_generates_in_process(monkeypatch):
    calls = []
    monkeypatch.setattr(parallel_module, "can_use_processes", lambda: False)
    monkeypatch.setattr(parallel_module, "generate_iq_parallel", lambda *args: calls.append(args) or iter(()))
    batches = list(generate(CONFIG, 0, 4, batch_size=2, workers=2))
    assert calls == [] and [len(b) for b in batches] == [2, 2]


def test_default_workers_is_bounded():
    assert 1 <= parallel_module.default_workers() <= parallel_module.MAX_DEFAULT_WORKERS
