"""IQ-level TDoAs at `hardware` realism (oscillator offsets, sample-clock errors) obey the physics
and state honest sigmas: a regression test for correlations that lost the signal to frequency offsets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.synth import generate, load_config, validate_samples
from heimdall.synth.scenario import build_scenario

G7 = Path(__file__).resolve().parents[3] / "configs" / "datasets" / "g7.yaml"


def _config(signal_types: dict) -> dict:
    base = load_config(G7).model_dump(mode="json")
    base["transmitters"]["signal_types"] = signal_types
    return {**base, "seed": 13, "num_samples": 30, "realism": "hardware",
            "iq": {"enabled": True, "duration_s": 0.2, "sample_rate_hz": 50_000.0}}


def _truth_and_baselines(config: dict, batch):
    scn = build_scenario(load_config(config))
    tx = geodetic_to_ecef(batch.truth_lat, batch.truth_lon, batch.truth_alt_m)
    arrival = np.linalg.norm(tx[:, None] - scn.rx_true_ecef_m[None], axis=-1) / SPEED_OF_LIGHT_M_S
    rows, reference = np.arange(len(batch)), np.maximum(batch.tdoa_reference, 0)
    reference_ecef = scn.rx_true_ecef_m[reference]
    light_s = np.linalg.norm(scn.rx_true_ecef_m[None] - reference_ecef[:, None], axis=-1) / SPEED_OF_LIGHT_M_S
    return arrival - arrival[rows, reference][:, None], light_s


@pytest.fixture(scope="module")
def voice():
    config = _config({"nbfm_voice": 1.0})
    return config, next(generate(config))


def test_hardware_tdoas_lie_within_the_baseline_light_time(voice):
    config, batch = voice
    _, light_s = _truth_and_baselines(config, batch)
    present = ~np.isnan(batch.tdoa_s)
    assert np.count_nonzero(present) >= 30
    assert np.all(np.abs(batch.tdoa_s[present]) <= light_s[present] + 3.0 * batch.tdoa_sigma_s[present])
    assert validate_samples(batch)["ok"]


def test_hardware_tdoa_sigmas_are_calibrated(voice):
    config, batch = voice
    true_s, _ = _truth_and_baselines(config, batch)
    present = ~np.isnan(batch.tdoa_s)
    z = ((batch.tdoa_s - true_s) / batch.tdoa_sigma_s)[present]
    assert 0.6 <= np.std(z) <= 1.6
    assert np.max(np.abs(z)) < 6.0


def test_signals_without_timing_report_no_tdoa():
    config = _config({"carrier": 0.5, "cw": 0.5})
    config["num_samples"] = 8
    batch = next(generate(config))
    true_s, _light_s = _truth_and_baselines(config, batch)
    present = ~np.isnan(batch.tdoa_s)
    # what survives must be honest; a bare carrier never has an isolated correlation peak
    assert not np.any(present[batch.signal_type == 2])
    if present.any():
        assert np.all(np.abs((batch.tdoa_s - true_s) / batch.tdoa_sigma_s)[present] < 6.0)


def test_batched_sample_clock_error_matches_the_per_row_model():
    from heimdall.rf.impairments import apply_sample_clock_error
    from heimdall.synth.iq import apply_sample_clock_errors

    rng = np.random.default_rng(3)
    rows = (rng.standard_normal((3, 4000)) + 1j * rng.standard_normal((3, 4000))).astype(np.complex64)
    ppm = np.array([-40.0, 0.0, 200.0])  # the last sample of the 200 ppm row lies past the end: zero there
    out = apply_sample_clock_errors(rows, ppm)
    expected = np.stack([apply_sample_clock_error(row, p) for row, p in zip(rows, ppm, strict=True)])
    assert out.dtype == np.complex64
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert out[2, -1] == 0 and out[1, -1] == rows[1, -1]
    assert np.allclose(apply_sample_clock_errors(rows, np.array([300.0, -300.0, 1.0])),
                       np.stack([apply_sample_clock_error(r, p) for r, p in zip(rows, [300.0, -300.0, 1.0], strict=True)]),
                       atol=1e-5)  # over one sample of drift: the general path
