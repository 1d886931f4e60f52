import math

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.geo import geodetic_to_enu
from heimdall.synth import ShardRef
from heimdall.training.config import TrainingConfig
from heimdall.training.data import MemorySource, split_unit, validation_rows
from heimdall.training.metrics import banded_medians, localization_metrics
from heimdall.training.scenario_samples import scenario_samples


def test_toy_yaml_is_a_valid_versioned_config(toy_config):
    assert toy_config.schema_version == 1 and toy_config.seed == 7 and toy_config.network.hidden_size == 32
    assert TrainingConfig.from_dict(toy_config.to_dict()) == toy_config


@pytest.mark.parametrize(
    "bad",
    [{"epochs": 0}, {"learning_rate": -1.0}, {"val_fraction": 1.0}, {"schema_version": 2}, {"optimizer": "sgd"},
     {"grad_clip_norm": 0.0}, {"network": {"hidden_size": -3}}, {"epochs": "ten"}, {"early_stopping_patience": 0},
     {"shuffle_buffer_samples": 0}],
)
def test_bad_training_configs_are_invalid_input(bad):
    with pytest.raises(InvalidInput):
        TrainingConfig.from_dict(bad)


def test_unreadable_yaml_is_invalid_input(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("epochs: [1,\n")
    with pytest.raises(InvalidInput):
        TrainingConfig.from_yaml(path)
    with pytest.raises(InvalidInput):
        TrainingConfig.from_yaml(tmp_path / "missing.yaml")


def test_split_is_by_identity_seeded_uniform_and_stable_as_the_dataset_grows():
    first = ShardRef("dataset-a", "k0", "", 0, 400)
    val = validation_rows(first, seed=1, val_fraction=0.25)
    assert val.shape == (400,) and 60 < val.sum() < 140
    grown = validation_rows(ShardRef("dataset-a", "k", "", 0, 450), seed=1, val_fraction=0.25)
    np.testing.assert_array_equal(grown[:400], val)  # a sample keeps its side
    later = validation_rows(ShardRef("dataset-a", "k1", "", 200, 200), seed=1, val_fraction=0.25)
    np.testing.assert_array_equal(later, val[200:])  # the side depends on the sample, not on the shard
    assert not np.array_equal(validation_rows(first, seed=2, val_fraction=0.25), val)
    assert not np.array_equal(validation_rows(ShardRef("dataset-b", "k", "", 0, 400), 1, 0.25), val)
    u = split_unit(0, "big", np.arange(200_000))
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.005
    assert np.histogram(u, bins=10, range=(0, 1))[0].min() > 19_000  # uniform deciles


def test_sample_dicts_are_checked_when_wrapped():
    sample = scenario_samples("aoa-3deg", 1, np.random.default_rng(0))[0]
    with pytest.raises(InvalidInput, match="unique"):
        MemorySource([sample, sample])
    with pytest.raises(InvalidInput, match="sample_id"):
        MemorySource([{**sample, "sample_id": 7}])
    with pytest.raises(InvalidInput, match="measurement_set"):
        MemorySource([{"sample_id": "a", "truth": sample["truth"]}])
    with pytest.raises(InvalidInput, match="truth"):
        MemorySource([{**sample, "truth": {"lat": "north"}}])
    source = MemorySource([{**sample, "gdop": 2.5, "meta": {"snr_db": {"rx0": 10.0, "rx1": 20.0, "rx2": None}}}])
    data = source.read(0)
    assert data.gdop.tolist() == [2.5] and data.snr_db.tolist() == [15.0]


def test_calibrated_gaussian_errors_give_nominal_coverage():
    rng = np.random.default_rng(0)
    n = 20_000
    cov = np.array([[9.0e6, 2.0e6], [2.0e6, 1.0e6]])
    errors = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    metrics = localization_metrics(errors, np.broadcast_to(cov, (n, 2, 2)), np.zeros((n, 2)), np.zeros(n))
    assert metrics["coverage_68"] == pytest.approx(0.68, abs=0.015)
    assert metrics["coverage_95"] == pytest.approx(0.95, abs=0.01)
    norms = np.linalg.norm(errors, axis=1)
    assert metrics["median_error_m"] == pytest.approx(np.median(norms))
    assert metrics["rmse_m"] == pytest.approx(math.sqrt(np.trace(cov)), rel=0.02)
    too_confident = localization_metrics(errors, np.broadcast_to(cov / 4, (n, 2, 2)), np.zeros((n, 2)), np.zeros(n))
    assert too_confident["coverage_68"] < 0.4


def test_band_medians_skip_missing_values():
    bands = banded_medians(np.array([1.0, 2.0, 3.0, 4.0]), [1.0, None, 3.0, 30.0],
                           ((0.0, 2.0, "low"), (2.0, 10.0, "mid"), (10.0, math.inf, "high"), (-5.0, -1.0, "none")))
    assert bands == {"low": {"n": 1, "median_error_m": 1.0}, "mid": {"n": 1, "median_error_m": 3.0},
                     "high": {"n": 1, "median_error_m": 4.0}}


def test_scenario_samples_are_seeded_with_unique_ids_inside_the_disc():
    a = scenario_samples("aoa-3deg", 50, np.random.default_rng(9))
    b = scenario_samples("aoa-3deg", 50, np.random.default_rng(9))
    assert a == b and len({s["sample_id"] for s in a}) == 50
    en = geodetic_to_enu([s["truth"]["lat"] for s in a], [s["truth"]["lon"] for s in a], 0.0, 45.0, 7.5)[:, :2]
    assert np.all(np.linalg.norm(en, axis=1) <= 40_000.0 + 1.0)
    with pytest.raises(InvalidInput):
        scenario_samples("nope", 1, np.random.default_rng(0))
