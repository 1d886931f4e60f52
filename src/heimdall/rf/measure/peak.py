"""Sub-sample refinement of a correlation peak, R(tau) = sum_k Y_k exp(j w_k tau), by Newton steps on
|R|^2, and the shape measures of the sampled peak (parabolic start, curvature, peak ratio).

Which bins the Newton sums may leave out is bounded by their share of the timing information, not
by their size alone: a signal whose timing lies in a weak spread-spectrum part next to a strong
carrier (DCF77: the phase-modulated part is ~1e-6 of the carrier per bin) would otherwise lose the
very bins that carry its delay (commit e16064d moved the DCF77 delays by 23-31 us that way).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from heimdall.rf.phasor import unit_phasor

# bins left out of the Newton sums may hold at most this share of a row's timing information: coherent
# bins all point at the same delay, so leaving some out changes only how much noise gets in, by < 0.1 %
DROPPED_CURVATURE_SHARE = 1e-3
ML_MIN_RELATIVE = 1e-6
_OCTAVES = 64  # magnitude classes: octaves under a row's largest bin; the last also holds zeros


def refine_peaks(weighted: NDArray[np.complex128], omega: NDArray[np.float64], lags: NDArray[np.float64],
                 start: NDArray[np.float64], samples: int | None = None, weights_are_information: bool = False,
                 ) -> tuple[NDArray[np.float64], tuple[NDArray[np.complex128], NDArray[np.complex128], NDArray[np.complex128]]]:
    """Newton steps on |R(tau)|^2 / t(tau)^2 from each row's integer peak ``lags`` plus ``start`` (a
    parabolic pre-fit within half a sample: one or two Newton steps fewer), kept within one sample of
    the integer peak. Returns the delays in samples and (R, R', R'') there, per row.

    t(tau) = 1 - |tau| / samples: a record of ``samples`` samples has only ``samples - |tau|``
    products at lag tau, which pulls the peak of |R| towards zero lag by ~1 / ((samples - |tau|)
    kappa), kappa = -|R|''/|R| (0.1 us on 29 s of DCF77, ~100 Hz of timing bandwidth; 12x that on
    2.4 s segments); dividing it out removes that bias. None: no taper (t = 1).

    ``weights_are_information``: the weighting already scales each bin by its information (ML:
    gamma^2 / (1 - gamma^2)), so a bin under ``ML_MIN_RELATIVE`` of a row's largest holds next to
    none and is left out (commit e16064d's rule, the simulator's speed); otherwise bins go only while
    they hold under ``DROPPED_CURVATURE_SHARE`` of the curvature."""
    magnitude = np.abs(weighted)
    if weights_are_information:
        kept = magnitude > ML_MIN_RELATIVE * magnitude.max(axis=-1, keepdims=True)
    else:
        kept = _kept_bins(magnitude, omega)
    columns = np.flatnonzero(kept.any(axis=0))
    omega = omega[columns]
    cycles = np.outer(lags, omega / (2.0 * np.pi))  # wrapped before single precision: 1e-6 rad
    # each row keeps its own bins (zeros elsewhere): a pair gives the same delay alone or in a batch
    base = np.where(kept[:, columns], weighted[:, columns], 0.0) * unit_phasor(
        (2.0 * np.pi * (cycles - np.round(cycles))).astype(np.float32))
    offset = np.clip(np.asarray(start, dtype=float), -0.5, 0.5)
    values = _moments(base * unit_phasor(np.outer(offset, omega).astype(np.float32)), omega)
    active = np.ones(lags.size, dtype=bool)
    for _ in range(8):
        slope, curvature = _tapered_derivatives(values, lags + offset, samples)
        active &= curvature < 0
        step = np.clip(-slope / np.where(active, curvature, -1.0), -0.5, 0.5)
        # converged rows keep the point their values belong to (a step under 1e-7 samples is 2 ps at 50 kHz)
        active &= (np.abs(offset + step) <= 1.0) & (np.abs(step) >= 1e-7)
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        offset[rows] += step[rows]
        # |offset| <= 1 sample keeps the phase within +-pi: single precision (6e-8 rad, 10x faster)
        # moves the sums by ~1e-8 relative, far under the 1e-7-sample convergence step
        phasor = unit_phasor(np.outer(offset[rows], omega).astype(np.float32))
        values[rows] = _moments(base[rows] * phasor, omega)
    return lags + offset, (values[:, 0], values[:, 1], values[:, 2])


def _tapered_derivatives(values: NDArray[np.complex128], lag: NDArray[np.float64],
                         samples: int | None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """h and h' with h = t (|R|^2)' - 2 t' |R|^2, whose zero is the peak of |R|^2 / t^2 (t'' = 0);
    without a taper, h = (|R|^2)'."""
    r0, r1, r2 = values.T
    slope = 2.0 * np.real(np.conj(r0) * r1)
    curvature = 2.0 * (np.abs(r1) ** 2 + np.real(np.conj(r0) * r2))
    if samples is None:
        return slope, curvature
    taper = 1.0 - np.minimum(np.abs(lag), samples - 1.0) / samples
    taper_slope = -np.sign(lag) / samples
    power = np.abs(r0) ** 2
    return taper * slope - 2.0 * taper_slope * power, taper * curvature - taper_slope * slope


def _moments(terms: NDArray[np.complex128], omega: NDArray[np.float64]) -> NDArray[np.complex128]:
    """(R, R', R'') per row: sum_k Y_k (1, j w_k, -w_k^2). einsum, not matmul: BLAS would thread it
    (CPU oversubscribed next to worker processes) and its summation order follows the thread count."""
    kernel = np.stack([np.ones_like(omega), omega, omega**2], axis=1) * np.array([1.0, 1j, -1.0])
    moments: NDArray[np.complex128] = np.einsum("pk,kj->pj", terms, kernel)
    return moments


def _kept_bins(magnitude: NDArray[np.float64], omega: NDArray[np.float64]) -> NDArray[np.bool_]:
    """(P, K) mask of the bins the Newton sums need: per row, the weakest bins (by octaves under the
    row's largest |Y|) are left out only while together they hold under ``DROPPED_CURVATURE_SHARE``
    of the row's sum |Y_k| (w_k - w_c)^2, the most they could add to the peak's curvature, i.e. its
    timing information (w_c: the |Y|-weighted centroid, where a common phase rotation is no delay).
    (Ranking bins by their expected coherent power instead would leave out noise bins that the
    weighting and the error model count: another estimator, with a sigma that no longer fits it.)"""
    centroid = np.einsum("pk,k->p", magnitude, omega) / np.maximum(magnitude.sum(axis=1), 1e-300)  # no BLAS
    share = magnitude * (omega[None, :] - centroid[:, None]) ** 2
    rows = magnitude.shape[0]
    largest = np.maximum(magnitude.max(axis=1, keepdims=True), 1e-300)
    # the binary exponent of |Y| / largest (<= 1) straight from the float's bits (np.log2 and np.frexp
    # cost 20x more here): 1023 for the largest octave, 0 for zeros, which join the weakest class
    exponent = (magnitude / largest).view(np.int64) >> 52
    octave = np.minimum(1023 - exponent, _OCTAVES - 1)
    flat = np.bincount((octave + _OCTAVES * np.arange(rows)[:, None]).ravel(), weights=share.ravel(),
                       minlength=rows * _OCTAVES).reshape(rows, _OCTAVES)
    dropped = np.cumsum(flat[:, ::-1], axis=1)[:, ::-1]  # share of leaving out octave o and all weaker ones
    affordable = dropped <= DROPPED_CURVATURE_SHARE * share.sum(axis=1, keepdims=True)
    first_dropped = np.where(affordable.any(axis=1), np.argmax(affordable, axis=1), _OCTAVES)
    kept: NDArray[np.bool_] = octave < first_dropped[:, None]
    return kept


def parabolic_offsets(windows: list[NDArray[np.float64]], peaks: NDArray[np.int64],
                      curvature: NDArray[np.float64]) -> NDArray[np.float64]:
    """Vertex of the parabola through each peak and its neighbours, in samples from the peak (0 at
    a window edge or a flat top)."""
    slope = np.array([0.5 * (w[p + 1] - w[p - 1]) if 0 < p < w.size - 1 else 0.0
                      for w, p in zip(windows, peaks, strict=True)])
    return np.where(curvature < 0, -slope / np.where(curvature < 0, curvature, -1.0), 0.0)


def sampled_curvature(window: NDArray[np.float64], peak: int) -> float:
    if peak == 0 or peak == window.size - 1:
        return 0.0
    return float(window[peak - 1] - 2.0 * window[peak] + window[peak + 1])


def peak_ratio(window: NDArray[np.float64], peak: int) -> float:
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
