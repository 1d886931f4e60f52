"""Power, noise floor and SNR of complex baseband IQ (full scale = 1.0, so powers are dBFS)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import fft as sfft
from scipy import special

from heimdall.errors import InvalidInput

_TINY = 1e-30


@dataclass(frozen=True)
class PowerEstimate:
    power_dbfs: float  # total power of the samples (signal + noise), whole sampled band
    signal_dbfs: float  # power_dbfs with the noise removed
    noise_dbfs: float  # noise power inside the measurement bandwidth
    snr_db: float  # signal_dbfs - noise_dbfs
    noise_density_dbfs_hz: float
    bandwidth_hz: float  # the bandwidth the noise and SNR refer to


@dataclass(frozen=True)
class PowerEstimates:
    """``PowerEstimate``'s fields, one value per row of a capture matrix."""

    power_dbfs: NDArray[np.float64]
    signal_dbfs: NDArray[np.float64]
    noise_dbfs: NDArray[np.float64]
    snr_db: NDArray[np.float64]
    noise_density_dbfs_hz: NDArray[np.float64]
    bandwidth_hz: NDArray[np.float64]


def check_iq(iq: NDArray[np.generic], name: str = "iq", min_samples: int = 16) -> NDArray[np.complex128]:
    samples = np.asarray(iq)
    if samples.ndim != 1 or samples.size < min_samples:
        raise InvalidInput(f"{name} must be a 1-D array of at least {min_samples} samples", field=name)
    if not np.all(np.isfinite(samples)):
        raise InvalidInput(f"{name} contains NaN or infinite samples", field=name)
    return samples.astype(np.complex128, copy=False)


def welch_psd(iq: NDArray[np.complexfloating], sample_rate_hz: float) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Centred two-sided Welch PSD (power per Hz; Hann window, 50 % overlap) along the last axis (one
    PSD per row of a matrix), its frequencies, and the number of averaged segments. Written out rather
    than scipy.signal.welch: importing scipy.signal costs more than a whole ``heimdall locate`` run."""
    n = iq.shape[-1]
    segment = int(min(1024, 2 ** np.floor(np.log2(n))))
    step = segment // 2
    starts = np.arange(0, n - segment + 1, step)
    window = np.hanning(segment + 1)[:-1]  # periodic Hann
    # single-precision input stays single (its 1e-7 relative error is far under a PSD's scatter): half
    # the memory traffic and a faster FFT; the strided view makes one copy of the frames, not two
    frames = np.lib.stride_tricks.sliding_window_view(iq, segment, axis=-1)[..., starts, :]
    spectra = sfft.fft(frames * window.astype(np.float32 if iq.dtype == np.complex64 else float), axis=-1)
    periodogram = spectra.real**2 + spectra.imag**2
    psd = np.mean(periodogram, axis=-2, dtype=float) / (sample_rate_hz * np.sum(window**2))
    freqs = sfft.fftfreq(segment, d=1.0 / sample_rate_hz)
    return np.fft.fftshift(freqs), np.fft.fftshift(psd, axes=-1), starts.size


def live_bins(psd: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Bins not in a receiver's stop band (more than 30 dB under the median: filtered away, not noise);
    per row along the last axis."""
    return psd > 1e-3 * np.median(psd, axis=-1, keepdims=True)


def noise_density(psd: NDArray[np.float64], segments: int, percentile: float) -> float:
    """White-noise density from a low percentile of the live bins of a PSD, de-biased with the
    chi-square law of an average of ``segments`` periodograms (a noise-only PSD gives the true density)."""
    return float(noise_densities(psd[None, :], segments, percentile)[0])


def noise_densities(psd: NDArray[np.float64], segments: int, percentile: float) -> NDArray[np.float64]:
    """``noise_density`` of every row of ``psd`` (rows, bins)."""
    live = live_bins(psd)
    dof = 2 * max(segments, 1)
    correction = 2.0 * special.gammaincinv(dof / 2.0, percentile / 100.0) / dof  # chi2 quantile / dof
    floors: NDArray[np.float64] = np.array([_percentile(row[mask] if mask.any() else row, percentile)
                                            for row, mask in zip(psd, live, strict=True)]) / correction
    return floors


def _percentile(values: NDArray[np.float64], percentile: float) -> float:
    """np.percentile's linear interpolation from one partition (np.percentile's overhead dominates here)."""
    position = percentile / 100.0 * (values.size - 1)
    low = int(np.floor(position))
    high = min(low + 1, values.size - 1)
    part = np.partition(values, [low, high])
    return float(part[low] + (part[high] - part[low]) * (position - low))


def power_snr(iq: NDArray[np.complexfloating], sample_rate_hz: float, signal_bandwidth_hz: float | None = None) -> PowerEstimate:
    """Power and SNR of complex baseband samples.

    The noise density is the median of the PSD outside ``+-signal_bandwidth_hz / 2`` around 0 Hz
    (the tuned frequency) when a bandwidth is given, else the 20th percentile of the whole PSD; both
    assume white noise. SNR compares the noise-free power with the noise inside the signal bandwidth
    (the live part of the sampled band when none is given: bins more than 30 dB under the median
    PSD are a receiver's stop band, not noise).
    """
    rows = power_snr_rows(check_iq(iq)[None, :], sample_rate_hz, signal_bandwidth_hz)
    return PowerEstimate(**{name: float(getattr(rows, name)[0]) for name in PowerEstimate.__dataclass_fields__})


def power_snr_rows(iq_matrix: NDArray[np.complexfloating], sample_rate_hz: float,
                   signal_bandwidth_hz: float | None = None) -> PowerEstimates:
    """``power_snr`` of every row of ``iq_matrix`` (receivers, samples) at once: one Welch pass."""
    samples = np.asarray(iq_matrix)
    if samples.ndim != 2 or samples.shape[1] < 16 or not np.all(np.isfinite(samples)):
        raise InvalidInput("iq_matrix must be (rows, samples >= 16) of finite samples", field="iq_matrix")
    if sample_rate_hz <= 0:
        raise InvalidInput("sample_rate_hz must be positive", field="sample_rate_hz")
    freqs, psd, segments = welch_psd(samples, sample_rate_hz)
    live_fraction = np.count_nonzero(live_bins(psd), axis=1) / psd.shape[1]
    bandwidth_hz = sample_rate_hz * live_fraction
    if signal_bandwidth_hz is not None:
        if not 0 < signal_bandwidth_hz < sample_rate_hz:
            raise InvalidInput("signal_bandwidth_hz must lie between 0 and the sample rate", field="signal_bandwidth_hz")
        bandwidth_hz = np.full(psd.shape[0], float(signal_bandwidth_hz))
    outside = np.abs(freqs) > signal_bandwidth_hz / 2 if signal_bandwidth_hz is not None else None
    if outside is not None and np.count_nonzero(outside) >= 8:
        density = noise_densities(psd[:, outside], segments, 50.0)
    else:
        density = noise_densities(psd, segments, 20.0)
    total = np.mean(samples.real.astype(np.float64) ** 2 + samples.imag.astype(np.float64) ** 2, axis=1)
    signal_power = np.maximum(total - density * sample_rate_hz * live_fraction, _TINY)
    return PowerEstimates(
        power_dbfs=_db(total), signal_dbfs=_db(signal_power), noise_dbfs=_db(density * bandwidth_hz),
        snr_db=_db(signal_power) - _db(density * bandwidth_hz), noise_density_dbfs_hz=_db(density),
        bandwidth_hz=bandwidth_hz,
    )


def _db(power: NDArray[np.float64]) -> NDArray[np.float64]:
    return 10.0 * np.log10(np.maximum(power, _TINY))
