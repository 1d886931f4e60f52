"""Signal generators and their RMS bandwidth."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.rf.signals import SIGNAL_TYPES, generate_signal, nominal_rms_bandwidth_hz, rms_bandwidth_hz

FS = 50_000.0


def test_rms_bandwidth_of_a_two_tone_is_half_the_spacing():
    t = np.arange(50_000) / FS
    iq = np.exp(2j * np.pi * 1000 * t) + np.exp(-2j * np.pi * 1000 * t)
    assert rms_bandwidth_hz(iq, FS) == pytest.approx(1000.0, rel=1e-6)
    assert rms_bandwidth_hz(np.exp(2j * np.pi * 3000 * t), FS) == pytest.approx(0.0, abs=1e-6)  # about centroid


def test_bandwidths_order_as_the_physics_says():
    beta = {s: nominal_rms_bandwidth_hz(s) for s in SIGNAL_TYPES}
    assert beta["carrier"] < 1.0  # a bare carrier cannot be timed
    assert 5.0 < beta["cw"] < 200.0
    assert 300.0 < beta["nbfm_voice"] < 1500.0  # RF_NOTES: NBFM voice ~0.3-1.5 kHz
    assert beta["nbfm_ctcss"] == pytest.approx(500.0 / np.sqrt(2), rel=0.05)  # sinusoidal FM: dev / sqrt 2
    assert 800.0 < beta["fsk4"] < 1500.0  # symbols at +-600/+-1800 Hz: rms 1342 Hz before smoothing


@pytest.mark.parametrize("signal_type", SIGNAL_TYPES)
def test_generators_are_seeded_and_unit_power(signal_type):
    a = generate_signal(signal_type, np.random.default_rng(3), 0.2, FS)
    b = generate_signal(signal_type, np.random.default_rng(3), 0.2, FS)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (10_000,)
    assert np.mean(np.abs(a) ** 2) == pytest.approx(1.0, rel=0.05)


def test_fm_peak_deviation_is_respected():
    iq = generate_signal("nbfm_voice", np.random.default_rng(1), 1.0, FS)
    inst_hz = np.diff(np.unwrap(np.angle(iq))) * FS / (2 * np.pi)
    assert np.max(np.abs(inst_hz)) <= 2500.0 + 1e-6


def test_voice_is_modulated_even_in_short_captures():
    for seed in range(5):
        iq = generate_signal("nbfm_voice", np.random.default_rng(seed), 0.05, FS)
        assert rms_bandwidth_hz(iq, FS) > 100.0


def test_unknown_signal_type_names_the_field():
    with pytest.raises(InvalidInput) as info:
        generate_signal("ssb", np.random.default_rng(0), 0.1, FS)
    assert info.value.field == "signal_type"
