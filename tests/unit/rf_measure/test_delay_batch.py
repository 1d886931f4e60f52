"""gcc_delays_against_reference: the batched twin of gcc_delay, plus oscillator offsets and ambiguity."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.rf.measure import gcc_delay, gcc_delays_against_reference
from heimdall.rf.signals import generate_signal

FS = 50_000.0


def _delayed(rng, signal_type: str, delays_samples, snr_db: float = 20.0, n: int = 8000):
    source = generate_signal(signal_type, rng, (n + 400) / FS, FS)
    freqs = np.fft.fftfreq(source.size)
    rows = np.fft.ifft(np.fft.fft(source)[None] * np.exp(-2j * np.pi * freqs[None] * np.asarray(delays_samples)[:, None]),
                       axis=1)[:, 200:200 + n]
    sigma = np.sqrt(10 ** (-snr_db / 10) / 2)
    return rows + sigma * (rng.standard_normal(rows.shape) + 1j * rng.standard_normal(rows.shape))


def test_batched_delays_agree_with_gcc_delay_pair_by_pair():
    rng = np.random.default_rng(3)
    iq = _delayed(rng, "nbfm_voice", [0.0, 2.3, -4.7, 7.1])
    batch = gcc_delays_against_reference(iq, FS, reference=0, max_delay_s=3e-4, weighting="ml")
    for r in range(1, 4):
        single = gcc_delay(iq[0], iq[r], FS, max_delay_s=3e-4, weighting="ml", error_model="floor")
        assert batch.delay_s[r] == pytest.approx(single.delay_s, abs=1e-12)
        assert batch.sigma_s[r] == pytest.approx(single.sigma_s, rel=1e-9)
        assert batch.peak_ratio[r] == pytest.approx(single.peak_ratio, rel=1e-9)
    np.testing.assert_allclose(batch.delay_s * FS, [0.0, 2.3, -4.7, 7.1], atol=0.2)
    assert np.all(np.abs(batch.delay_s[1:] * FS - [2.3, -4.7, 7.1]) < 5 * batch.sigma_s[1:] * FS)
    assert batch.delay_s[0] == 0.0 and batch.sigma_s[0] == 0.0


def test_oscillator_offsets_are_removed_before_correlating():
    rng = np.random.default_rng(4)
    iq = _delayed(rng, "nbfm_voice", [0.0, 3.4, -6.2])
    offsets_hz = np.array([0.0, 180.0, -260.0])
    shifted = iq * np.exp(2j * np.pi * offsets_hz[:, None] * np.arange(iq.shape[1]) / FS)
    batch = gcc_delays_against_reference(shifted, FS, max_delay_s=3e-4, max_frequency_offset_hz=900.0)
    np.testing.assert_allclose(batch.frequency_offset_hz, offsets_hz, atol=2.0)
    np.testing.assert_allclose(batch.delay_s * FS, [0.0, 3.4, -6.2], atol=0.2)
    z = (batch.delay_s[1:] * FS - [3.4, -6.2]) / (batch.sigma_s[1:] * FS)
    assert np.all(np.abs(z) < 5)


def test_a_dc_blocked_carrier_has_no_resolved_delay():
    rng = np.random.default_rng(5)
    iq = _delayed(rng, "carrier", [0.0, 2.0, -3.0], snr_db=30.0)
    iq = iq - iq.mean(axis=1, keepdims=True)
    batch = gcc_delays_against_reference(iq, FS, max_delay_s=3e-4)
    assert not batch.resolved[1:].any()


def test_invalid_inputs_raise():
    iq = np.ones((3, 100), dtype=complex)
    with pytest.raises(InvalidInput):
        gcc_delays_against_reference(iq[0], FS)
    with pytest.raises(InvalidInput):
        gcc_delays_against_reference(iq, -1.0)
    with pytest.raises(InvalidInput):
        gcc_delays_against_reference(iq, FS, reference=3)
    with pytest.raises(InvalidInput):
        gcc_delays_against_reference(iq, FS, max_delay_s=[1e-3, 0.0, 1e-3])
    bad = iq.copy()
    bad[1, 4] = np.nan
    with pytest.raises(InvalidInput):
        gcc_delays_against_reference(bad, FS)


def test_single_precision_captures_give_the_double_precision_delays():
    """Simulated captures arrive as complex64: they are cast while written into the FFT buffer, so
    the delays match the complex128 input's far inside their error (and the offsets still come off)."""
    rng = np.random.default_rng(7)
    iq = _delayed(rng, "nbfm_voice", [0.0, 2.6, -5.3])
    shifted = iq * np.exp(2j * np.pi * np.array([0.0, 120.0, -75.0])[:, None] * np.arange(iq.shape[1]) / FS)
    double = gcc_delays_against_reference(shifted, FS, max_delay_s=3e-4, max_frequency_offset_hz=600.0)
    single = gcc_delays_against_reference(shifted.astype(np.complex64), FS, max_delay_s=3e-4,
                                          max_frequency_offset_hz=600.0)
    assert np.all(np.abs(single.delay_s - double.delay_s) <= 0.01 * double.sigma_s[1:].min())
    np.testing.assert_allclose(single.sigma_s, double.sigma_s, rtol=1e-3)
    np.testing.assert_allclose(single.frequency_offset_hz, double.frequency_offset_hz, atol=0.05)
