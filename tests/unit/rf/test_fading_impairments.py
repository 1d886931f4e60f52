"""Fading statistics over seeded draws and receiver impairments."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.rf.fading import rayleigh_power_gain, rician_amplitude, rician_gain_sigma_db, rician_power_gain
from heimdall.rf.impairments import (
    apply_frequency_offset,
    apply_sample_clock_error,
    automatic_gain_control,
    perturb_positions,
    s_meter_quantise_dbm,
    s_units,
    thermal_noise_dbm,
)


@pytest.mark.parametrize("k", [0.0, 1.0, 10.0])
def test_rician_mean_power_is_one_and_k_is_recovered(k):
    h = rician_amplitude(np.random.default_rng(4), k, 200_000)
    assert np.mean(np.abs(h) ** 2) == pytest.approx(1.0, rel=0.01)
    steady = np.abs(np.mean(h)) ** 2
    scattered = np.var(h)
    if k > 0:
        assert steady / scattered == pytest.approx(k, rel=0.05)
    else:
        assert steady < 1e-3


def test_rayleigh_power_is_exponential():
    g = rayleigh_power_gain(np.random.default_rng(2), (400, 500))
    assert g.shape == (400, 500)
    assert np.mean(g) == pytest.approx(1.0, rel=0.01)
    assert np.mean(g < 1.0) == pytest.approx(1 - np.exp(-1.0), abs=0.005)  # exponential CDF at the mean


def test_fading_sigma_shrinks_with_k_and_rejects_negative_k():
    assert rician_gain_sigma_db(0.0) == pytest.approx(5.57, abs=0.05)  # Rayleigh in dB: 5.57 dB
    assert rician_gain_sigma_db(10.0) < rician_gain_sigma_db(1.0) < rician_gain_sigma_db(0.0)
    with pytest.raises(InvalidInput):
        rician_power_gain(np.random.default_rng(0), -1.0, 3)


def test_noise_floor_is_ktb_plus_nf():
    assert thermal_noise_dbm(1.0) == pytest.approx(-173.98, abs=0.01)
    assert thermal_noise_dbm(12_500.0, 6.0) == pytest.approx(-173.98 + 40.97 + 6.0, abs=0.01)
    with pytest.raises(InvalidInput):
        thermal_noise_dbm(0.0)


def test_s_meter_levels():
    assert s_units(-73.0, 7e6) == pytest.approx(9.0)
    assert s_units(-93.0, 145e6) == pytest.approx(9.0)
    assert s_units(-99.0, 145e6) == pytest.approx(8.0)
    np.testing.assert_allclose(
        s_meter_quantise_dbm([-100.0, -94.0, -80.0, -60.0, -200.0], 145e6),
        [-99.0, -93.0, -83.0, -63.0, -147.0],
    )
    assert s_meter_quantise_dbm(-75.0, 7e6) == pytest.approx(-73.0)


def test_frequency_offset_and_clock_error():
    fs = 10_000.0
    iq = np.ones(1000, dtype=complex)
    shifted = apply_frequency_offset(iq, 250.0, fs)
    assert np.argmax(np.abs(np.fft.fft(shifted))) == 25  # 250 Hz / 10 Hz per bin
    ramp = np.arange(1000.0) + 0j
    resampled = apply_sample_clock_error(ramp, 100.0)
    assert resampled[500].real == pytest.approx(500 * (1 + 100e-6))


def test_agc_steps_gain_toward_target():
    rng = np.random.default_rng(0)
    iq = 0.01 * (rng.standard_normal(4000) + 1j * rng.standard_normal(4000))
    out, gain_db = automatic_gain_control(iq, 1000, target_rms=0.25, step_db=1.0)
    assert np.all(np.mod(gain_db, 1.0) == 0)
    assert np.sqrt(np.mean(np.abs(out) ** 2)) == pytest.approx(0.25, rel=0.13)


def test_position_error_has_requested_spread():
    from heimdall.geo import geodetic_to_enu

    lat, lon, alt = perturb_positions(np.random.default_rng(1), np.full(20000, 45.0), np.full(20000, 7.5),
                                      np.full(20000, 300.0), 5.0)
    enu = geodetic_to_enu(lat, lon, alt, 45.0, 7.5, 300.0)
    np.testing.assert_allclose(np.std(enu, axis=0), 5.0, rtol=0.03)
