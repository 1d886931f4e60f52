import math

import numpy as np
import pytest

from heimdall.errors import InsufficientData, InvalidInput
from heimdall.geo import geodetic_to_enu
from heimdall.training.config import TrainingConfig
from heimdall.training.data import split_by_id
from heimdall.training.metrics import banded_medians, localization_metrics
from heimdall.training.scenario_samples import scenario_samples


def test_toy_yaml_is_a_valid_versioned_config(toy_config):
    assert toy_config.schema_version == 1 and toy_config.seed == 7 and toy_config.network.hidden_size == 32
    assert TrainingConfig.from_dict(toy_config.to_dict()) == toy_config


@pytest.mark.parametrize(
    "bad",
    [{"epochs": 0}, {"learning_rate": -1.0}, {"val_fraction": 1.0}, {"schema_version": 2}, {"optimizer": "sgd"},
     {"grad_clip_norm": 0.0}, {"network": {"hidden_size": -3}}, {"epochs": "ten"}, {"early_stopping_patience": 0}],
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


def test_split_is_by_id_seeded_and_stable_as_the_dataset_grows():
    samples = [{"sample_id": f"id{i}"} for i in range(400)]
    train, val = split_by_id(samples, 0.25, seed=1)
    assert len(train) + len(val) == 400 and 60 < len(val) < 140
    _, grown_val = split_by_id(samples + [{"sample_id": f"new{i}"} for i in range(50)], 0.25, seed=1)
    assert {s["sample_id"] for s in val} <= {s["sample_id"] for s in grown_val}
    _, other_val = split_by_id(samples, 0.25, seed=2)
    assert {s["sample_id"] for s in other_val} != {s["sample_id"] for s in val}


def test_split_errors():
    with pytest.raises(InvalidInput, match="unique"):
        split_by_id([{"sample_id": "a"}, {"sample_id": "a"}], 0.5, 0)
    with pytest.raises(InvalidInput, match="sample_id"):
        split_by_id([{"id": "a"}], 0.5, 0)
    with pytest.raises(InsufficientData):
        split_by_id([{"sample_id": "only"}], 0.5, 0)


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
