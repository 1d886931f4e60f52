"""Cross spectra of receiver pairs, the GCC weightings, and the first-order error of a correlation peak.

A pair's spectra may be one record's or sums over independent segments (``segments`` per row): the
cross spectrum ``sum_s conj(A_s) B_s`` and both power spectra. Two models of a bin's noise:

- ``"coherence"``: straight from the data, with no assumption on the noise. Smoothed over
  neighbouring bins, ``Pa Pb - |G_ab|^2 = S_a N_b + S_b N_a + N_a N_b`` for a common signal plus
  independent noise (``G_ab``: the cross spectrum with the measured delay removed, so that it adds
  up coherently; de-biased for the finite number of averaged bins). Right for any noise shape: a
  receiver's stop band, interference, a carrier with its spread-spectrum sidebands, a signal that
  decorrelates between the receivers.
- ``"floor"``: white noise under a smooth signal: the noise floor is a low percentile of the
  smoothed power. Cheaper (no de-rotation) and what the simulator's white-noise captures are; it
  mistakes a receiver's filter skirts for the floor (a Kiwi's ±3 kHz passband at 12 kHz: floors
  ~700x low, sigmas ~25x small on 1 s of DCF77).

Both feed the same first-order variance of the |R| peak: ``var = oversampling * sum W^2 (w - w_c)^2 V /
curvature^2``, V the variance of a cross-spectrum bin across the signal's phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import uniform_filter1d

from heimdall.rf.measure.power import noise_densities
from heimdall.rf.phasor import unit_phasor

ErrorModel = Literal["coherence", "floor"]
_NOISE_PERCENTILE = 20.0


@dataclass(frozen=True)
class CrossSpectra:
    """What a delay needs from a pair: sums over ``segments`` independent segments of each segment's
    cross spectrum ``conj(A) B`` and power spectra (one record: segments = 1)."""

    cross: NDArray[np.complex128]  # (P, K)
    power_a: NDArray[np.float64]  # (1 or P, K): a reference shared by all pairs is computed once
    power_b: NDArray[np.float64]  # (P, K)
    omega: NDArray[np.float64]  # (K,) rad/sample
    independent_bins: int  # samples per segment; the FFT zero-pads them to K
    segments: NDArray[np.float64]  # (P,) segments summed in each row
    extension: int = 0  # samples b's segments reach beyond a's on each side (0: one record each)

    @classmethod
    def of_spectra(cls, a: NDArray[np.complex128], b: NDArray[np.complex128], omega: NDArray[np.float64],
                   samples: int) -> CrossSpectra:
        """One record per row: ``a`` (1 or P, K) against ``b`` (P, K)."""
        return cls(np.conj(a) * b, a.real**2 + a.imag**2, b.real**2 + b.imag**2, omega, samples,
                   np.ones(b.shape[0]))

    @property
    def oversampling(self) -> float:
        return self.omega.size / self.independent_bins

    @property
    def smoothing_width(self) -> int:
        return int(max(16, self.oversampling * 8, self.omega.size // 1024))

    @property
    def averaged_bins(self) -> float:
        """Independent bins in one smoothing window (of one segment)."""
        return max(1.0, self.smoothing_width / self.oversampling)


@dataclass(frozen=True)
class SignalNoise:
    coherent: NDArray[np.float64]  # (P, K) |common signal| cross power per bin
    perpendicular: NDArray[np.float64]  # (P, K) noise variance of a (summed) cross bin across the signal phase


def floor_model(spectra: CrossSpectra) -> tuple[SignalNoise, NDArray[np.float64], NDArray[np.float64]]:
    """Common signal plus independent white noise: per-bin signal power from the smoothed spectra
    minus a noise floor. Also returns the smoothed power spectra."""
    power_a, noise_a = _smoothed_power(spectra.power_a, spectra)
    power_b, noise_b = _smoothed_power(spectra.power_b, spectra)
    signal_a = np.clip(power_a - noise_a, 0.0, None)
    signal_b = np.clip(power_b - noise_b, 0.0, None)
    # a sum over s segments has s times one segment's bin variance, and s^2 times its powers
    perpendicular = 0.5 * (signal_a * noise_b + signal_b * noise_a + noise_a * noise_b) / spectra.segments[:, None]
    return SignalNoise(np.sqrt(signal_a * signal_b), perpendicular), power_a, power_b


def coherence_model(spectra: CrossSpectra, delay_samples: NDArray[np.float64], power_a: NDArray[np.float64],
                    power_b: NDArray[np.float64], *, strict: bool = True) -> SignalNoise:
    """Signal and noise per bin from the smoothed spectra and the smoothed cross spectrum with the
    measured delay removed (``power_*``: the smoothed power spectra). ``strict``: coherent power only
    where it stands out of the noise of the whole spectrum's windows (about one false window); else
    of one window's (3 sigma: for sums confined to a band already found, where the strict test would
    drop the band's weaker edges)."""
    cycles = np.outer(delay_samples, spectra.omega / (2.0 * np.pi))  # wrapped before single precision
    derotated = spectra.cross * unit_phasor((2.0 * np.pi * (cycles - np.round(cycles))).astype(np.float32))
    width = spectra.smoothing_width
    cross = (uniform_filter1d(derotated.real, width, axis=-1, mode="wrap")
             + 1j * uniform_filter1d(derotated.imag, width, axis=-1, mode="wrap"))
    # m independent cross products averaged per bin: E[Pa Pb] = Pa Pb + |G|^2 / m and
    # E|G|^2 = |G|^2 + Pa Pb / m, so (Pa Pb - |G|^2) / (1 - 1/m) is unbiased (and exactly 0 for a
    # noiseless pair); per bin it may come out negative, only the sums it enters must not
    m = np.maximum(spectra.averaged_bins * spectra.segments[:, None], 2.0)
    product = power_a * power_b
    # at lag D only samples - |D| of a segment's samples meet their echo (or, b extended on both
    # sides, b has 2 x extension samples a does not): the common signal's cross power is that much
    # less than the overlap holds, a known loss and not noise
    if spectra.extension > 0:
        length = spectra.independent_bins
        overlap = np.full((delay_samples.size, 1), np.sqrt(length / (length + 2.0 * spectra.extension)))
    else:
        overlap = np.maximum(1.0 - np.abs(delay_samples) / spectra.independent_bins, 0.5)[:, None]
    matched = (cross.real**2 + cross.imag**2) / overlap**2
    incoherent = (product - matched) / (1.0 - 1.0 / m)
    # |G|^2 estimated without bias, kept where it stands out of its own noise: for a noise-only bin
    # m |G|^2 / (Pa Pb) is ~exponential, so over the spectrum's K / width independent windows a
    # threshold of 1 + ln(K / width) leaves about one window falsely coherent (the square root of noise
    # would add up to a large false coherent power across a band the signal does not fill)
    coherent_power = matched - incoherent / (m - 1.0)
    detection = 1.0 + np.log(max(spectra.omega.size / spectra.smoothing_width, 2.0)) if strict else 3.0
    coherent = np.where(coherent_power > detection * product / m, np.sqrt(np.maximum(coherent_power, 0.0)), 0.0)
    return SignalNoise(coherent, 0.5 * incoherent / spectra.segments[:, None])


def _smoothed_power(power: NDArray[np.float64], spectra: CrossSpectra) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Power averaged over neighbouring bins and its noise floor per row (low percentile of the
    smoothed power, chi-square de-biased for the independent bins and segments averaged)."""
    width = spectra.smoothing_width
    smoothed = uniform_filter1d(power, width, axis=-1, mode="wrap")
    # neighbours a quarter of the smoothing width apart are 75 % the same average: every fourth bin
    # gives the same percentile at a quarter of the partition cost
    sampled = smoothed[:, :: max(1, width // 4)]
    segments = spectra.segments if power.shape[0] == spectra.segments.size else spectra.segments[:1]
    if np.all(segments == segments[0]):  # the usual case: one call for all rows
        floors = noise_densities(sampled, round(spectra.averaged_bins * segments[0]), _NOISE_PERCENTILE)
    else:
        floors = np.concatenate([noise_densities(row[None], round(spectra.averaged_bins * s), _NOISE_PERCENTILE)
                                 for row, s in zip(sampled, segments, strict=True)])
    return smoothed, floors[:, None]


def weights(mode: str, cross: NDArray[np.complex128], model: SignalNoise) -> NDArray[np.float64]:
    if mode == "plain":
        return np.ones(cross.shape)
    if mode == "phat":
        magnitude = np.abs(cross)
        whitening: NDArray[np.float64] = 1.0 / np.maximum(magnitude, 1e-12 * magnitude.max(axis=-1, keepdims=True) + 1e-300)
        return whitening
    # Hannan-Thomson / Eckart: gamma^2 / ((1 - gamma^2) |G_ab|) with the model's smooth spectra
    return model.coherent / np.maximum(2.0 * model.perpendicular, 1e-300)


def delay_variance(spectra: CrossSpectra, weight: NDArray[np.float64], model: SignalNoise,
                   derivatives: tuple[NDArray[np.complex128], NDArray[np.complex128], NDArray[np.complex128]], *, phat: bool,
                   fallback: NDArray[np.float64], expected_curvature: bool = False) -> NDArray[np.float64]:
    """First-order variance of the |R| peak: noise of the slope over the peak's curvature, measured on
    the peak itself. That curvature carries the noise's too: at a few dB of SNR per segment single
    sigmas scatter by a factor of ~2-5 about their truth (their mean stays right), and a narrow
    signal's flat peak can come out sharp by chance. With ``expected_curvature`` the variance is
    at least the one with the signal's own curvature, sum W |G| (w - w_c)^2 from the model's
    coherent cross power (the CRLB-style value, steady from record to record)."""
    r0, r1, r2 = derivatives
    magnitude = np.abs(r0)
    safe = np.where(magnitude == 0, 1.0, magnitude)
    curvature = (np.abs(r1) ** 2 + np.real(np.conj(r0) * r2)) / safe
    # a noisy, flat-topped peak: take the curvature of the sampled correlation
    curvature = np.where(curvature >= 0, fallback, curvature)
    # a common phase rotation is no delay: frequencies count about the correlation's own centroid
    centroid = np.imag(r1 / np.where(magnitude == 0, 1.0, r0))
    if phat:
        # each whitened bin is a unit phasor: its spread across the signal phase is at most 1/2
        spread = np.minimum(0.5, model.perpendicular / np.maximum(model.coherent**2, 1e-300))
    else:
        spread = weight**2 * model.perpendicular
    numerator = np.sum((spectra.omega[None, :] - centroid[:, None]) ** 2 * spread, axis=-1)
    # the coherence model's per-bin variances are unbiased but may be negative; their sum may not be
    # (a noiseless pair still has the rounding of its own arithmetic)
    numerator = np.maximum(numerator, 1e-12 * np.sum(spectra.omega[None, :] ** 2 * np.abs(spread), axis=-1))
    # zero-padded bins are not independent: the sums count each independent bin `oversampling` times
    total = spectra.oversampling * numerator + _edge_variance(spectra, weight, model)
    if expected_curvature:
        signal = np.sum(weight * model.coherent * (spectra.omega[None, :] - centroid[:, None]) ** 2, axis=-1)
        curvature = np.where(signal > 0, np.maximum(curvature, -signal), curvature)
    bad = (magnitude == 0) | (curvature >= 0)
    return np.where(bad, np.inf, total / np.where(bad, -1.0, curvature) ** 2)


def _edge_variance(spectra: CrossSpectra, weight: NDArray[np.float64], model: SignalNoise) -> NDArray[np.float64]:
    """Variance of the slope of |R| at its peak from a finite record's edges: the products that
    enter or leave the sum as the lag moves. For a Gaussian signal, R'(0) = (|s(T)|^2 - |s(0)|^2) / 2
    per segment, variance (Pa Pb + |G|^2) / 4 in per-sample powers: a peak std of
    1 / (sqrt(2) L kappa) samples (kappa = -|R|''/|R|), as large as the noise term for a 50 Hz wide
    signal at 20 dB over 1 s, negligible for kHz-wide ones. Powers weighted like the correlation."""
    power_a = np.sum(weight * spectra.power_a, axis=-1)
    power_b = np.sum(weight * spectra.power_b, axis=-1)
    coherent = np.sum(weight * model.coherent, axis=-1)
    edge: NDArray[np.float64] = (power_a * power_b + coherent**2) / (4.0 * spectra.segments * spectra.independent_bins**2)
    return edge
