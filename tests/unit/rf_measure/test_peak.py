"""Newton refinement of a correlation peak: the same estimator as an exhaustive evaluation, whatever
the spectrum's dynamic range, and no pull towards zero lag from a finite record."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.rf.measure import gcc_delay
from heimdall.rf.measure.peak import refine_peaks

FS = 12_000.0


def _exact_peak(weighted: np.ndarray, omega: np.ndarray, start: float, samples: int | None) -> float:
    """The maximum of |R(tau)| / t(tau) by bisection on its derivative, every bin in double precision."""

    def slope(tau: float) -> float:
        phasor = weighted * np.exp(1j * omega * tau)
        r0, r1 = phasor.sum(), (1j * omega * phasor).sum()
        taper = 1.0 if samples is None else 1.0 - abs(tau) / samples
        taper_slope = 0.0 if samples is None else -np.sign(tau) / samples
        return taper * 2.0 * np.real(np.conj(r0) * r1) - 2.0 * taper_slope * abs(r0) ** 2

    low, high = start - 1.0, start + 1.0
    assert slope(low) > 0 > slope(high)
    for _ in range(60):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if slope(middle) > 0 else (low, middle)
    return 0.5 * (low + high)


def _carrier_am_and_weak_pm(size: int, spread_level: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """A DCF77-like cross spectrum: a carrier, near-carrier keying sidebands arriving 0.3 samples
    late, and a phase-modulated spread spectrum ``spread_level`` of the carrier per bin that carries
    most of the timing information (its delay: 4.37 samples)."""
    omega = 2.0 * np.pi * np.fft.fftfreq(size)
    frequency_hz = np.abs(omega) * FS / (2 * np.pi)
    rng = np.random.default_rng(3)
    spread = spread_level * np.sinc(frequency_hz / 645.0) ** 2 * (1 + 0.05 * rng.standard_normal(size))
    keying = np.where((frequency_hz > 0) & (frequency_hz < 30.0), 1e-3 / (1 + frequency_hz), 0.0)
    weighted = spread * np.exp(-1j * omega * 4.37) + keying * np.exp(-1j * omega * 4.67)
    weighted[0] = 1.0
    return weighted, omega


def test_weak_spread_spectrum_next_to_a_strong_carrier_keeps_its_weight() -> None:
    """Commit e16064d left bins under 1e-6 of the largest out of the Newton sums: the spread spectrum
    here (and DCF77's) was dropped and the delay followed the keying sidebands (23-31 us on DCF77)."""
    weighted, omega = _carrier_am_and_weak_pm(1 << 16)
    exact = _exact_peak(weighted, omega, 4.0, None)
    keying_only = _exact_peak(np.where(np.abs(weighted) > 1e-6, weighted, 0.0), omega, 4.0, None)
    assert abs(keying_only - exact) > 0.1  # the test spectrum does discriminate
    refined, _ = refine_peaks(weighted[None], omega, np.array([4.0]), np.array([0.0]))
    assert refined[0] == pytest.approx(exact, abs=1e-3)


def test_refinement_matches_the_exhaustive_peak_with_the_record_taper() -> None:
    weighted, omega = _carrier_am_and_weak_pm(1 << 15, spread_level=3e-5)
    exact = _exact_peak(weighted, omega, 4.0, 30_000)
    assert abs(exact - _exact_peak(weighted, omega, 4.0, None)) > 1e-3  # the taper matters here
    refined, _ = refine_peaks(weighted[None], omega, np.array([4.0]), np.array([0.2]), 30_000)
    assert refined[0] == pytest.approx(exact, abs=1e-4)


def test_narrow_signal_at_a_long_lag_is_not_pulled_towards_zero(make_pair) -> None:
    """A 300 Hz wide signal 150 samples late in 4096 samples at 30 dB: the plain correlation peak of
    the finite record sits 0.14 sample early (std 0.09); the taper-corrected estimate has no bias."""
    rng = np.random.default_rng(21)
    errors = []
    for _ in range(40):
        a, b = make_pair(rng, 4096, FS, 300.0, 150.3 / FS, snr_db=30.0)
        errors.append(gcc_delay(a, b, FS, max_delay_s=0.02).delay_samples - 150.3)
    assert abs(np.mean(errors)) < 3 * np.std(errors) / np.sqrt(40)
