import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.nn.features import CH
from heimdall.nn.normalization import FeatureNormalization, NormalizationFit, fit_normalization
from heimdall.training.batches import featurize
from heimdall.training.data import MemorySource


def test_statistics_come_from_the_given_split_only(fused_samples, all_modality_layout):
    batch = featurize(MemorySource(fused_samples).read(0), all_modality_layout)
    x, y = batch.features, batch.targets_en_m
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
    batch = featurize(MemorySource(fused_samples).read(0), all_modality_layout)
    x = batch.features
    norm = fit_normalization(x, batch.targets_en_m)
    z = norm.apply(x)
    assert np.all(z[..., CH["aoa_sin"]][x[..., CH["aoa_mask"]] == 0] == 0.0)
    assert np.all(z[..., CH["log_sigma_db"]][x[..., CH["rss_mask"]] == 1] == 0.0)  # constant channel
    present_power = z[..., CH["power_dbm"]][x[..., CH["rss_mask"]] > 0]
    assert abs(present_power.mean()) < 1e-4 and present_power.std() == pytest.approx(1.0, rel=1e-3)
    assert FeatureNormalization.from_dict(norm.to_dict()) == norm


def test_normalisation_for_other_channels_is_refused(fused_samples, all_modality_layout):
    x = featurize(MemorySource(fused_samples).read(0), all_modality_layout).features
    data = fit_normalization(x, np.ones((len(x), 2))).to_dict()
    data["channels"] = data["channels"][:-1]
    with pytest.raises(InvalidInput, match="channels"):
        FeatureNormalization.from_dict(data)


def test_statistics_streamed_batch_by_batch_equal_one_pass(fused_samples, all_modality_layout):
    batch = featurize(MemorySource(fused_samples).read(0), all_modality_layout)
    whole = fit_normalization(batch.features, batch.targets_en_m)
    streamed = NormalizationFit()
    for start in range(0, len(batch), 7):
        streamed.add(batch.features[start:start + 7], batch.targets_en_m[start:start + 7])
    result = streamed.result()
    assert result.length_scale_m == pytest.approx(whole.length_scale_m, rel=1e-12)
    np.testing.assert_allclose(result.offset, whole.offset, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.scale, whole.scale, rtol=1e-10)
