"""Writes ``features_reference.npz``: inputs and what today's per-sample ``build_features`` makes of them.

Run once, before the columnar rewrite, from the repository root:
``PYTHONPATH=src python tests/unit/nn/data/make_features_reference.py``. The file freezes the inputs
(measurement-set JSON and shard bytes) next to the expected features, so the test does not depend on
the simulator staying the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from heimdall.bench.scenarios import SCENARIOS
from heimdall.nn.features import build_features, targets_en_m
from heimdall.nn.layout import layout_from_measurement_sets
from heimdall.nn.normalization import fit_normalization
from heimdall.synth import generate, load_config, read_shard, write_shard
from heimdall.training.scenario_samples import scenario_samples

OUT = Path(__file__).with_name("features_reference.npz")


def _shard(seed: int, **overrides) -> bytes:
    config = load_config({"seed": seed, "num_samples": 128, "network": "g7", **overrides})
    return write_shard(next(iter(generate(config, batch_size=128))))


def main() -> None:
    rng = np.random.default_rng(2024)
    sets = [s["measurement_set"] for name in SCENARIOS for s in scenario_samples(name, 24, rng)]
    layout = layout_from_measurement_sets(sets)
    shards = [_shard(5, realism="hardware", observation={"time_measurement": "tdoa"}), _shard(6, realism="ideal")]
    samples = [s for data in shards for s in read_shard(data).to_dicts()]
    shard_sets = [s["measurement_set"] for s in samples]
    shard_layout = layout_from_measurement_sets(shard_sets)
    shard_x = build_features(shard_sets, shard_layout)
    norm = fit_normalization(shard_x, targets_en_m([s["truth"] for s in samples], shard_layout))
    np.savez_compressed(
        OUT,
        sets_json=np.array(json.dumps(sets)),
        layout_json=np.array(json.dumps(layout.to_dict())),
        sets_features=build_features(sets, layout),
        **{f"shard_{i}": np.frombuffer(d, dtype=np.uint8) for i, d in enumerate(shards)},
        shard_layout_json=np.array(json.dumps(shard_layout.to_dict())),
        shard_features=shard_x,
        shard_normalization_json=np.array(json.dumps(norm.to_dict())),
    )


if __name__ == "__main__":
    main()
