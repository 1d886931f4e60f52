"""Arrival-time difference of one signal at two receivers by generalised cross-correlation (GCC).

Sign convention: ``delay_s`` is the arrival time at ``b`` minus the arrival time at ``a``, so a
positive delay means ``b`` hears the signal later (``b[n] = a[n - D]``).

The error estimate is the first-order variance of the peak of the weighted correlation,
``var = sum W^2 w'^2 (Pa Pb - C^2) / 2 / (sum W w'^2 C)^2`` over frequency bins, with ``Pa``, ``Pb``
the two power spectra, ``C`` the coherent cross power, ``w'`` the angular frequency about the
weighted centroid and ``W`` the GCC weighting, all estimated from the data themselves (smoothed over
neighbouring bins). For flat spectra and white noise it reduces to RF_NOTES section 2's
``1 / (2 pi beta_rms sqrt(T B SNR_eff))`` (within sqrt 2, the complex-signal form), and it stays honest
when part of the band is noise, interference, or incoherent between the receivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import fft as sfft
from scipy.ndimage import uniform_filter1d

from heimdall.errors import InvalidInput
from heimdall.rf.measure.power import check_iq, noise_density

Weighting = Literal["plain", "phat", "ml"]
_NOISE_PERCENTILE = 20.0


@dataclass(frozen=True)
class DelayEstimate:
    delay_s: float  # arrival at b minus arrival at a
    sigma_s: float  # 1-sigma error of delay_s from noise and partial coherence (not multipath or clocks)
    peak_ratio: float  # main correlation peak over the largest value outside its main lobe (inf if none)
    delay_samples: float
    weighting: str


@dataclass(frozen=True)
class _SignalNoise:
    coherent: NDArray[np.float64]  # |common signal| cross power per bin
    perpendicular: NDArray[np.float64]  # noise variance of a cross-spectrum bin across the signal phase


@dataclass(frozen=True)
class _Spectra:
    a: NDArray[np.complex128]
    b: NDArray[np.complex128]
    omega: NDArray[np.float64]  # rad/sample
    independent_bins: int


def gcc_delay(
    iq_a: NDArray, iq_b: NDArray, sample_rate_hz: float, *, max_delay_s: float | None = None,
    phat: bool = False, weighting: Weighting | None = None,
) -> DelayEstimate:
    """Delay of ``iq_b`` relative to ``iq_a`` (both sampled on the same time grid), in seconds.

    ``weighting``: ``"plain"`` cross-correlation (default), ``"phat"`` (same as ``phat=True``:
    whitened, robust to narrow-band interference, poor at low SNR), or ``"ml"`` (Hannan-Thomson:
    each bin weighted by its coherence gamma^2 / (1 - gamma^2), near the Cramer-Rao bound for
    stationary signals). The peak is searched within ``+-max_delay_s`` and refined between samples
    by Newton steps on the band-limited correlation itself (no parabolic-fit bias).
    """
    a, b = check_iq(iq_a, "iq_a"), check_iq(iq_b, "iq_b")
    if sample_rate_hz <= 0:
        raise InvalidInput("sample_rate_hz must be positive", field="sample_rate_hz")
    mode: str = weighting or ("phat" if phat else "plain")
    if mode not in ("plain", "phat", "ml"):
        raise InvalidInput(f"unknown GCC weighting {mode!r}", field="weighting")
    lag_limit = _lag_limit(a.size, b.size, max_delay_s, sample_rate_hz)
    spectra = _spectra(a, b, lag_limit)
    cross = np.conj(spectra.a) * spectra.b
    model = _signal_noise(spectra)
    weights = _weights(mode, cross, model)
    weighted = weights * cross
    magnitude = np.abs(sfft.ifft(weighted))
    lags = np.arange(-lag_limit, lag_limit + 1)
    window = magnitude[lags % cross.size]
    peak = int(np.argmax(window))
    delay_samples, derivatives = _refine(weighted, spectra.omega, float(lags[peak]))
    fallback = _sampled_curvature(window, peak) * cross.size
    variance = _delay_variance(spectra, weights, model, *derivatives, phat=mode == "phat", fallback=fallback)
    return DelayEstimate(
        delay_s=delay_samples / sample_rate_hz, sigma_s=float(np.sqrt(variance)) / sample_rate_hz,
        peak_ratio=_peak_ratio(window, peak), delay_samples=delay_samples, weighting=mode,
    )


def _spectra(a: NDArray[np.complex128], b: NDArray[np.complex128], lag_limit: int) -> _Spectra:
    """Zero-padded so that circular correlation equals linear correlation for |lag| <= lag_limit."""
    size = sfft.next_fast_len(max(a.size, b.size) + lag_limit + 1)
    omega = 2.0 * np.pi * sfft.fftfreq(size)
    return _Spectra(sfft.fft(a, size), sfft.fft(b, size), omega, min(a.size, b.size))


def _lag_limit(size_a: int, size_b: int, max_delay_s: float | None, sample_rate_hz: float) -> int:
    limit = min(size_a, size_b) - 1
    if max_delay_s is not None:
        if max_delay_s <= 0:
            raise InvalidInput("max_delay_s must be positive", field="max_delay_s")
        limit = min(limit, int(np.ceil(max_delay_s * sample_rate_hz)))
    return max(limit, 1)


def _smooth(values: NDArray[np.float64], spectra: _Spectra) -> tuple[NDArray[np.float64], float]:
    """Average over neighbouring bins; returns the smoothed values and the independent bins averaged."""
    oversampling = spectra.omega.size / spectra.independent_bins
    width = int(max(16, oversampling * 8, spectra.omega.size // 1024))
    return uniform_filter1d(values, width, mode="wrap"), max(1.0, width / oversampling)


def _signal_noise(spectra: _Spectra) -> _SignalNoise:
    """Common signal plus independent white noise at each receiver: per-bin signal power from the
    smoothed spectra minus a noise floor (low percentile, chi-square de-biased)."""
    power_a, averaged = _smooth(np.abs(spectra.a) ** 2, spectra)
    power_b, _ = _smooth(np.abs(spectra.b) ** 2, spectra)
    noise_a = noise_density(power_a, round(averaged), _NOISE_PERCENTILE)
    noise_b = noise_density(power_b, round(averaged), _NOISE_PERCENTILE)
    signal_a = np.clip(power_a - noise_a, 0.0, None)
    signal_b = np.clip(power_b - noise_b, 0.0, None)
    # variance of the component of one cross-spectrum bin perpendicular to the signal
    perpendicular = 0.5 * (signal_a * noise_b + signal_b * noise_a + noise_a * noise_b)
    return _SignalNoise(np.sqrt(signal_a * signal_b), perpendicular)


def _weights(mode: str, cross: NDArray[np.complex128], model: _SignalNoise) -> NDArray[np.float64]:
    if mode == "plain":
        return np.ones(cross.size)
    if mode == "phat":
        magnitude = np.abs(cross)
        return 1.0 / np.maximum(magnitude, 1e-12 * magnitude.max() + 1e-300)
    # Hannan-Thomson / Eckart: gamma^2 / ((1 - gamma^2) |G_ab|) with the model's smooth spectra
    return model.coherent / np.maximum(2.0 * model.perpendicular, 1e-300)


def _refine(weighted: NDArray[np.complex128], omega: NDArray[np.float64], lag: float) -> tuple[float, tuple]:
    """Newton steps on |R(tau)|^2, R(tau) = sum_k Y_k exp(j w_k tau), from the integer peak, kept
    within one sample of it. Returns the delay in samples and (R, R', R'') there."""
    # bins that carry nothing (a receiver's stop band) cannot move the peak
    significant = np.abs(weighted) > 1e-9 * np.abs(weighted).max()
    weighted, omega = weighted[significant], omega[significant]
    base = weighted * np.exp(1j * omega * lag)

    def derivatives(offset: float) -> tuple[complex, complex, complex]:
        phase = base * np.exp(1j * omega * offset)
        return complex(phase.sum()), complex((1j * omega * phase).sum()), complex((-(omega**2) * phase).sum())

    offset, values = 0.0, derivatives(0.0)
    for _ in range(8):
        r0, r1, r2 = values
        curvature = abs(r1) ** 2 + np.real(np.conj(r0) * r2)
        if curvature >= 0:
            break
        step = float(np.clip(-np.real(np.conj(r0) * r1) / curvature, -0.5, 0.5))
        if abs(offset + step) > 1.0:
            break
        offset += step
        values = derivatives(offset)
        if abs(step) < 1e-7:
            break
    return lag + offset, values


def _delay_variance(spectra: _Spectra, weights: NDArray[np.float64], model: _SignalNoise,
                    r0: complex, r1: complex, r2: complex, *, phat: bool, fallback: float) -> float:
    """First-order variance of the |R| peak: noise of the slope over the measured peak curvature."""
    if abs(r0) == 0:
        return float("inf")
    curvature = (abs(r1) ** 2 + np.real(np.conj(r0) * r2)) / abs(r0)
    if curvature >= 0:  # a noisy, flat-topped peak: take the curvature of the sampled correlation
        curvature = fallback
    if curvature >= 0:
        return float("inf")
    # a common phase rotation is no delay: frequencies count about the correlation's own centroid
    centroid = float(np.imag(r1 / r0))
    if phat:
        # each whitened bin is a unit phasor: its spread across the signal phase is at most 1/2
        spread = np.minimum(0.5, model.perpendicular / np.maximum(model.coherent**2, 1e-300))
    else:
        spread = weights**2 * model.perpendicular
    numerator = np.sum((spectra.omega - centroid) ** 2 * spread)
    # zero-padded bins are not independent: the sums count each independent bin `oversampling` times
    oversampling = spectra.omega.size / spectra.independent_bins
    return float(oversampling * numerator / curvature**2)


def _sampled_curvature(window: NDArray[np.float64], peak: int) -> float:
    if peak == 0 or peak == window.size - 1:
        return 0.0
    return float(window[peak - 1] - 2.0 * window[peak] + window[peak + 1])


def _peak_ratio(window: NDArray[np.float64], peak: int) -> float:
    """Main peak over the highest correlation outside the main lobe (3 half-widths either side)."""
    half = window[peak] / 2.0
    below = np.nonzero(window < half)[0]
    left = below[below < peak]
    right = below[below > peak]
    half_width = max(peak - (left[-1] if left.size else 0), (right[0] if right.size else window.size) - peak, 1)
    outside = np.ones(window.size, dtype=bool)
    outside[max(0, peak - 3 * half_width):peak + 3 * half_width + 1] = False
    if not outside.any():
        return float("inf")
    return float(window[peak] / max(window[outside].max(), 1e-300))
