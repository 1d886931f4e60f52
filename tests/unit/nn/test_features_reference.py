"""Features stay what the per-sample implementation made (``data/features_reference.npz``).

The reference file was written at commit 79239be by ``data/make_features_reference.py`` (removed since:
it called the per-sample, dict-based ``build_features`` that the columnar rewrite replaced). It holds
measurement-set documents of every benchmark scenario and two simulator shards (G7 ``hardware`` with
TDoA, G7 ``ideal`` with TOA), the features made of them and the normalisation fitted on the shards'.
Agreement is asked to float32 round-off of each channel's magnitude (the rewrite is in fact bit-equal).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from heimdall.locate import parse_measurement_set
from heimdall.nn.features import FEATURE_CHANNELS, build_features
from heimdall.nn.layout import ReceiverLayout
from heimdall.synth import concatenate, read_shard

REFERENCE = Path(__file__).with_name("data") / "features_reference.npz"


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def assert_float32_equal(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal up to a few float32 ulps of each channel's largest magnitude."""
    assert actual.shape == expected.shape and actual.dtype == np.float32
    scale = np.maximum(np.abs(expected).reshape(-1, expected.shape[-1]).max(axis=0), 1.0)
    excess = np.abs(actual - expected) - 4 * np.finfo(np.float32).eps * scale
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    assert excess[worst] <= 0, f"{FEATURE_CHANNELS[worst[-1]]} at {worst[:-1]}: {actual[worst]} != {expected[worst]}"


def test_measurement_sets_give_the_reference_features(reference):
    sets = [parse_measurement_set(doc) for doc in json.loads(str(reference["sets_json"]))]
    layout = ReceiverLayout.from_dict(json.loads(str(reference["layout_json"])))
    assert_float32_equal(build_features(sets, layout), reference["sets_features"])


def test_shards_give_the_reference_features(reference):
    layout = ReceiverLayout.from_dict(json.loads(str(reference["shard_layout_json"])))
    batch = concatenate([read_shard(reference[key].tobytes()) for key in ("shard_0", "shard_1")])
    assert_float32_equal(build_features(batch.measurement_columns(), layout), reference["shard_features"])


def test_the_normalisation_streamed_shard_by_shard_is_the_reference_one(reference):
    from heimdall.nn.features import targets_en_m
    from heimdall.nn.normalization import NormalizationFit

    layout = ReceiverLayout.from_dict(json.loads(str(reference["shard_layout_json"])))
    expected = json.loads(str(reference["shard_normalization_json"]))
    fit = NormalizationFit()
    for key in ("shard_0", "shard_1"):
        batch = read_shard(reference[key].tobytes())
        fit.add(build_features(batch.measurement_columns(), layout),
                targets_en_m(batch.truth_lat, batch.truth_lon, batch.truth_alt_m, layout))
    got = fit.result().to_dict()
    assert got["length_scale_m"] == pytest.approx(expected["length_scale_m"], rel=1e-12)
    np.testing.assert_allclose(got["offset"], expected["offset"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["scale"], expected["scale"], rtol=1e-10)


def test_parsed_shard_samples_give_the_same_features_as_their_columns(reference):
    """The two ways in (a dataset shard's columns, a parsed JSON set) agree on the same samples."""
    layout = ReceiverLayout.from_dict(json.loads(str(reference["shard_layout_json"])))
    batch = read_shard(reference["shard_0"].tobytes())
    parsed = [parse_measurement_set(sample["measurement_set"]) for sample in batch.to_dicts()]
    assert_float32_equal(build_features(parsed, layout), build_features(batch.measurement_columns(), layout))
