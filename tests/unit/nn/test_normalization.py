import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.nn.features import CH, build_features, targets_en_m
from heimdall.nn.normalization import FeatureNormalization, fit_normalization


def test_statistics_come_from_the_given_split_only(fused_samples, all_modality_layout):
    sets = [s["measurement_set"] for s in fused_samples]
    x = build_features(sets, all_modality_layout)
    y = targets_en_m([s["truth"] for s in fused_samples], all_modality_layout)
    first, second = fit_normalization(x[:32], y[:32]), fit_normalization(x[32:], y[32:])
    assert first.offset[CH["power_dbm"]] != second.offset[CH["power_dbm"]]
    powers = x[:32, :, CH["power_dbm"]][x[:32, :, CH["rss_mask"]] > 0]
    assert first.offset[CH["power_dbm"]] == pytest.approx(powers.mean(), rel=1e-6)
    assert first.scale[CH["power_dbm"]] == pytest.approx(powers.std(), rel=1e-5)
    assert first.length_scale_m == pytest.approx(np.sqrt(np.mean(y[:32] ** 2)))
    # lengths share one scale and keep zero at the centre
    for name in ("east_m", "north_m", "toa_m", "tdoa_m"):
        assert (first.offset[CH[name]], first.scale[CH[name]]) == (0.0, first.length_scale_m)


def test_apply_zeroes_absent_values_and_round_trips(fused_samples, all_modality_layout):
    x = build_features([s["measurement_set"] for s in fused_samples], all_modality_layout)
    norm = fit_normalization(x, targets_en_m([s["truth"] for s in fused_samples], all_modality_layout))
    z = norm.apply(x)
    assert np.all(z[..., CH["aoa_sin"]][x[..., CH["aoa_mask"]] == 0] == 0.0)
    assert np.all(z[..., CH["log_sigma_db"]][x[..., CH["rss_mask"]] == 1] == 0.0)  # constant channel
    present_power = z[..., CH["power_dbm"]][x[..., CH["rss_mask"]] > 0]
    assert abs(present_power.mean()) < 1e-4 and present_power.std() == pytest.approx(1.0, rel=1e-3)
    assert FeatureNormalization.from_dict(norm.to_dict()) == norm


def test_normalisation_for_other_channels_is_refused(fused_samples, all_modality_layout):
    x = build_features([s["measurement_set"] for s in fused_samples], all_modality_layout)
    data = fit_normalization(x, np.ones((len(x), 2))).to_dict()
    data["channels"] = data["channels"][:-1]
    with pytest.raises(InvalidInput, match="channels"):
        FeatureNormalization.from_dict(data)
