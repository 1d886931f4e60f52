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


def check_iq(iq: NDArray, name: str = "iq", min_samples: int = 16) -> NDArray[np.complex128]:
    samples = np.asarray(iq)
    if samples.ndim != 1 or samples.size < min_samples:
        raise InvalidInput(f"{name} must be a 1-D array of at least {min_samples} samples", field=name)
    if not np.all(np.isfinite(samples)):
        raise InvalidInput(f"{name} contains NaN or infinite samples", field=name)
    return samples.astype(np.complex128, copy=False)


def welch_psd(iq: NDArray, sample_rate_hz: float) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Centred two-sided Welch PSD (power per Hz; Hann window, 50 % overlap), its frequencies, and the
    number of averaged segments. Written out rather than scipy.signal.welch: importing scipy.signal
    costs more than a whole ``heimdall locate`` run."""
    segment = int(min(1024, 2 ** np.floor(np.log2(iq.size))))
    step = segment // 2
    starts = np.arange(0, iq.size - segment + 1, step)
    window = np.hanning(segment + 1)[:-1]  # periodic Hann
    frames = iq[starts[:, None] + np.arange(segment)[None, :]] * window
    psd = np.mean(np.abs(sfft.fft(frames, axis=1)) ** 2, axis=0) / (sample_rate_hz * np.sum(window**2))
    freqs = sfft.fftfreq(segment, d=1.0 / sample_rate_hz)
    return np.fft.fftshift(freqs), np.fft.fftshift(psd), starts.size


def live_bins(psd: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Bins not in a receiver's stop band (more than 30 dB under the median: filtered away, not noise)."""
    return psd > 1e-3 * np.median(psd)


def noise_density(psd: NDArray[np.float64], segments: int, percentile: float) -> float:
    """White-noise density from a low percentile of the live bins of a PSD, de-biased with the
    chi-square law of an average of ``segments`` periodograms (a noise-only PSD gives the true density)."""
    live = psd[live_bins(psd)]
    dof = 2 * max(segments, 1)
    correction = 2.0 * special.gammaincinv(dof / 2.0, percentile / 100.0) / dof  # chi2 quantile / dof
    return float(np.percentile(live if live.size else psd, percentile) / correction)


def power_snr(iq: NDArray, sample_rate_hz: float, signal_bandwidth_hz: float | None = None) -> PowerEstimate:
    """Power and SNR of complex baseband samples.

    The noise density is the median of the PSD outside ``+-signal_bandwidth_hz / 2`` around 0 Hz
    (the tuned frequency) when a bandwidth is given, else the 20th percentile of the whole PSD; both
    assume white noise. SNR compares the noise-free power with the noise inside the signal bandwidth
    (the live part of the sampled band when none is given: bins more than 30 dB under the median
    PSD are a receiver's stop band, not noise).
    """
    samples = check_iq(iq)
    if sample_rate_hz <= 0:
        raise InvalidInput("sample_rate_hz must be positive", field="sample_rate_hz")
    freqs, psd, segments = welch_psd(samples, sample_rate_hz)
    live = live_bins(psd)
    bandwidth_hz = float(sample_rate_hz * np.count_nonzero(live) / live.size)
    density = noise_density(psd, segments, 20.0)
    if signal_bandwidth_hz is not None:
        if not 0 < signal_bandwidth_hz < sample_rate_hz:
            raise InvalidInput("signal_bandwidth_hz must lie between 0 and the sample rate", field="signal_bandwidth_hz")
        outside = np.abs(freqs) > signal_bandwidth_hz / 2
        if np.count_nonzero(outside) >= 8:
            density = noise_density(psd[outside], segments, 50.0)
        bandwidth_hz = float(signal_bandwidth_hz)
    total = float(np.mean(np.abs(samples) ** 2))
    noise_in_band = density * bandwidth_hz
    signal_power = max(total - density * float(sample_rate_hz * np.count_nonzero(live) / live.size), _TINY)
    return PowerEstimate(
        power_dbfs=_db(total), signal_dbfs=_db(signal_power), noise_dbfs=_db(noise_in_band),
        snr_db=_db(signal_power) - _db(noise_in_band), noise_density_dbfs_hz=_db(density), bandwidth_hz=bandwidth_hz,
    )


def _db(power: float) -> float:
    return float(10.0 * np.log10(max(power, _TINY)))
