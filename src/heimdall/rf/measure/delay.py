"""Arrival-time difference of one signal at two receivers by generalised cross-correlation (GCC).

Sign convention: ``delay_s`` is the arrival time at ``b`` minus the arrival time at ``a``, so a
positive delay means ``b`` hears the signal later (``b[n] = a[n - D]``).

The error estimate is the first-order variance of the peak of the weighted correlation,
``var = sum W^2 w'^2 (Pa Pb - C^2) / 2 / (sum W w'^2 C)^2`` over frequency bins, with ``Pa``, ``Pb``
the two power spectra, ``C`` the coherent cross power, ``w'`` the angular frequency about the
weighted centroid and ``W`` the GCC weighting, all estimated from the data themselves (smoothed over
neighbouring bins; ``heimdall.rf.measure.spectral_model``). For flat spectra and white noise it
reduces to RF_NOTES section 2's ``1 / (2 pi beta_rms sqrt(T B SNR_eff))`` (within sqrt 2, the
complex-signal form), and it stays honest when part of the band is noise, a receiver's stop band,
interference, or incoherent between the receivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import fft as sfft

from heimdall.errors import InvalidInput
from heimdall.rf.measure.peak import parabolic_offsets, peak_ratio, refine_peaks, sampled_curvature
from heimdall.rf.measure.power import check_iq
from heimdall.rf.measure.spectral_model import (
    CrossSpectra,
    ErrorModel,
    SignalNoise,
    coherence_model,
    delay_variance,
    floor_model,
    weights,
)

Weighting = Literal["plain", "phat", "ml", "band"]


@dataclass(frozen=True)
class DelayEstimate:
    delay_s: float  # arrival at b minus arrival at a
    sigma_s: float  # 1-sigma error of delay_s from noise and partial coherence (not multipath or clocks)
    peak_ratio: float  # main correlation peak over the largest value outside its main lobe (inf if none)
    delay_samples: float
    weighting: str


def gcc_delay(
    iq_a: NDArray[np.complexfloating], iq_b: NDArray[np.complexfloating], sample_rate_hz: float, *, max_delay_s: float | None = None,
    phat: bool = False, weighting: Weighting | None = None, error_model: ErrorModel = "coherence",
) -> DelayEstimate:
    """Delay of ``iq_b`` relative to ``iq_a`` (both sampled on the same time grid), in seconds.

    ``weighting``: ``"plain"`` cross-correlation (default), ``"phat"`` (same as ``phat=True``:
    whitened, robust to narrow-band interference, poor at low SNR), or ``"ml"`` (Hannan-Thomson:
    each bin weighted by its coherence gamma^2 / (1 - gamma^2), near the Cramer-Rao bound for
    stationary signals). The peak is searched within ``+-max_delay_s`` and refined between samples
    by Newton steps on the band-limited correlation itself (no parabolic-fit bias). ``error_model``:
    how ``sigma_s`` finds each bin's noise (``spectral_model``: ``"coherence"`` from the pair's own
    cross spectrum, ``"floor"`` assuming white noise).
    """
    a, b = check_iq(iq_a, "iq_a"), check_iq(iq_b, "iq_b")
    if sample_rate_hz <= 0:
        raise InvalidInput("sample_rate_hz must be positive", field="sample_rate_hz")
    mode = check_weighting(weighting or ("phat" if phat else "plain"), error_model)
    lag_limit = _lag_limit(a.size, b.size, max_delay_s, sample_rate_hz)
    size = sfft.next_fast_len(max(a.size, b.size) + lag_limit + 1)
    spectra = CrossSpectra.of_spectra(sfft.fft(a, size)[None], sfft.fft(b, size)[None],
                                      2.0 * np.pi * sfft.fftfreq(size), min(a.size, b.size))
    peaks = correlate_pairs(spectra, mode, np.array([lag_limit]), error_model)
    delay_samples = float(peaks.delay_samples[0])
    return DelayEstimate(
        delay_s=delay_samples / sample_rate_hz, sigma_s=float(peaks.sigma_samples[0]) / sample_rate_hz,
        peak_ratio=float(peaks.peak_ratio[0]), delay_samples=delay_samples, weighting=mode,
    )


def check_weighting(mode: str, error_model: str) -> str:
    if mode not in ("plain", "phat", "ml", "band"):
        raise InvalidInput(f"unknown GCC weighting {mode!r}", field="weighting")
    if error_model not in ("coherence", "floor"):
        raise InvalidInput(f"unknown delay error model {error_model!r}", field="error_model")
    return mode


@dataclass(frozen=True)
class Peaks:
    delay_samples: NDArray[np.float64]
    sigma_samples: NDArray[np.float64]
    peak_ratio: NDArray[np.float64]
    windows: list[NDArray[np.float64]]  # |correlation| within each pair's lag window
    peaks: NDArray[np.int64]  # index of the integer peak in each window
    timing_weight: NDArray[np.float64]  # (P, K) weighting x coherent cross power: what sets each delay


def correlate_pairs(spectra: CrossSpectra, mode: str, lag_limits: NDArray[np.int64],
                    error_model: ErrorModel = "floor") -> Peaks:
    """Weighted correlation of every pair (row), its peak within +-lag_limits[p], refined, and the
    error model; all pairs at once (one inverse FFT, array Newton steps)."""
    floor, power_a, power_b = floor_model(spectra)
    weight = weights("plain" if mode == "band" else mode, spectra.cross, floor)
    windows, peaks = _sampled_peaks(weight * spectra.cross, lag_limits)
    if mode == "band":
        # plain weighting within the signal's band: bins whose coherence (at the plain peak's lag)
        # does not stand out of its own noise only add wiggles to the correlation
        rough = coherence_model(spectra, (peaks - lag_limits).astype(float), power_a, power_b)
        # within both receivers' passbands: a window's leakage carries the signal into the stop band,
        # coherently, tens of dB down, where it would pass for signal
        band = (rough.coherent > 0) & _passband(power_a) & _passband(power_b)
        # a row with no coherent bin at all (noise only, or too short to tell) stays plain
        weight = np.where(band.any(axis=1, keepdims=True), band, True).astype(float)
        windows, peaks = _sampled_peaks(weight * spectra.cross, lag_limits)
    weighted = weight * spectra.cross
    size = spectra.cross.shape[-1]
    sampled = np.array([sampled_curvature(w, p) for w, p in zip(windows, peaks, strict=True)])
    delay_samples, derivatives = refine_peaks(weighted, spectra.omega, (peaks - lag_limits).astype(float),
                                              parabolic_offsets(windows, peaks, sampled),
                                              None if spectra.extension else spectra.independent_bins,
                                              weights_are_information=mode == "ml")
    model: SignalNoise = floor
    if error_model == "coherence":
        model = coherence_model(spectra, delay_samples, power_a, power_b, strict=mode != "band")
    variance = delay_variance(spectra, weight, model, derivatives, phat=mode == "phat", fallback=sampled * size,
                              expected_curvature=error_model == "coherence")
    ratio = np.array([peak_ratio(w, p) for w, p in zip(windows, peaks, strict=True)])
    return Peaks(delay_samples, np.sqrt(variance), ratio, windows, peaks, weight * model.coherent)


def _passband(power: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Bins within 30 dB of a row's 90th-percentile power: a receiver's passband (a Kiwi's stop band
    fills half its 12 kHz, so the median, which ``power.live_bins`` uses, can lie in the skirt)."""
    level = np.quantile(power[:, :: max(1, power.shape[1] // 4096)], 0.9, axis=1, keepdims=True)
    passband: NDArray[np.bool_] = power > 1e-3 * level
    return passband


def _sampled_peaks(weighted: NDArray[np.complex128],
                   lag_limits: NDArray[np.int64]) -> tuple[list[NDArray[np.float64]], NDArray[np.int64]]:
    """|correlation| within each row's +-lag window (one inverse FFT for all rows) and its argmax."""
    magnitude = np.abs(sfft.ifft(weighted, axis=-1))
    size = weighted.shape[-1]
    windows = [row[np.arange(-limit, limit + 1) % size] for row, limit in zip(magnitude, lag_limits, strict=True)]
    return windows, np.array([int(np.argmax(window)) for window in windows])


def _lag_limit(size_a: int, size_b: int, max_delay_s: float | None, sample_rate_hz: float) -> int:
    limit = min(size_a, size_b) - 1
    if max_delay_s is not None:
        if max_delay_s <= 0:
            raise InvalidInput("max_delay_s must be positive", field="max_delay_s")
        limit = min(limit, int(np.ceil(max_delay_s * sample_rate_hz)))
    return max(limit, 1)
