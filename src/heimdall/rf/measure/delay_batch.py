"""Arrival-time differences of every row of a capture matrix against one reference row, in one pass.

The batched twin of :func:`heimdall.rf.measure.delay.gcc_delay` for simulators and multi-receiver
recordings: each receiver's spectrum is computed once (one FFT call for all rows), the weighted
cross-spectra of all pairs go through one inverse FFT, and the refinement (Newton steps on all pairs
as arrays) and error model are ``gcc_delay``'s own code, so with ``max_frequency_offset_hz=0`` each pair agrees with
``gcc_delay(iq[reference], iq[r], ...)``.

Two things ``gcc_delay`` leaves to the caller are handled here:

- **Oscillator offsets.** Receivers tuned with independent oscillators see the signal shifted by
  tens to hundreds of Hz relative to each other; over a 200 ms capture that rotates the cross
  spectrum's phase many times and the correlation peak vanishes into noise (a confident but random
  delay). With ``max_frequency_offset_hz > 0`` each row's offset against the reference is found
  from the cross-correlation of the two periodograms (their fine structure is the same signal, only
  shifted), refined between bins and removed before correlating. A pure phase rotation is no delay.
- **Ambiguity.** ``resolved`` is False when the correlation has no isolated maximum inside the
  search window: the peak lies on the window's edge or the main lobe does not fall to half height
  on both sides within it, or the peak is under ``MIN_PEAK_RATIO`` times the largest correlation
  outside its main lobe (a bare carrier, slow keying, a CTCSS tone: no timing information).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import fft as sfft

from heimdall.errors import InvalidInput
from heimdall.rf.measure.delay import check_weighting, correlate_pairs
from heimdall.rf.measure.spectral_model import CrossSpectra, ErrorModel
from heimdall.rf.phasor import unit_phasor

MIN_PEAK_RATIO = 3.0  # noise-only correlations (a DC-blocked carrier) peak at 1-1.5x their sidelobes


@dataclass(frozen=True)
class BatchDelayEstimate:
    delay_s: NDArray[np.float64]  # (R,) arrival at row r minus arrival at the reference; 0 for the reference
    sigma_s: NDArray[np.float64]  # (R,) gcc_delay's error model; 0 for the reference
    peak_ratio: NDArray[np.float64]
    resolved: NDArray[np.bool_]  # an isolated correlation maximum inside the search window
    frequency_offset_hz: NDArray[np.float64]  # (R,) row's oscillator offset relative to the reference, removed


def gcc_delays_against_reference(
    iq_matrix: NDArray[np.complexfloating], sample_rate_hz: float, *, reference: int = 0, max_delay_s: ArrayLike | None = None,
    weighting: str = "ml", max_frequency_offset_hz: float = 0.0, error_model: ErrorModel = "floor",
) -> BatchDelayEstimate:
    """Delay of every row of ``iq_matrix`` (R, N) relative to row ``reference``.

    ``max_delay_s``: a scalar or one value per row (e.g. each baseline's light time plus clock
    margins). ``max_frequency_offset_hz``: the largest relative oscillator offset to search and
    remove (0: none). ``error_model``: as ``gcc_delay``'s; ``"floor"`` by default, the white noise
    of the simulator's captures (cheaper: no de-rotated cross spectrum).
    """
    iq = _check_matrix(iq_matrix, sample_rate_hz, reference)
    check_weighting(weighting, error_model)
    n_rows, n = iq.shape
    limits = _lag_limits(n_rows, n, max_delay_s, sample_rate_hz)
    size = sfft.next_fast_len(n + int(limits.max()) + 1)
    offsets_hz = np.zeros(n_rows)
    padded = np.zeros((n_rows, size), dtype=np.complex128)  # written in place: no copy to pad
    if max_frequency_offset_hz > 0:
        # the periodograms only locate the offset: single precision at their own padded length
        coarse = sfft.fft(iq.astype(np.complex64, copy=False), size, axis=1)
        offsets_hz = _relative_offsets_hz(coarse, reference, max_frequency_offset_hz, sample_rate_hz)
        # cycles of the offset, wrapped before single precision: 1e-6 rad instead of 1e-4 at 200 cycles
        cycles = np.multiply.outer(-offsets_hz / sample_rate_hz, np.arange(n, dtype=float))
        cycles -= np.round(cycles)
        cycles *= 2.0 * np.pi
        np.multiply(iq, unit_phasor(cycles.astype(np.float32)), out=padded[:, :n])
    else:
        padded[:, :n] = iq
    spectra = sfft.fft(padded, axis=1, overwrite_x=True)
    others = np.flatnonzero(np.arange(n_rows) != reference)
    pairs = CrossSpectra.of_spectra(spectra[reference][None], spectra[others], 2.0 * np.pi * sfft.fftfreq(size), n)
    found = correlate_pairs(pairs, weighting, limits[others], error_model)
    out = {k: np.zeros(n_rows) for k in ("delay", "sigma", "ratio")}
    out["delay"][others], out["sigma"][others] = found.delay_samples / sample_rate_hz, found.sigma_samples / sample_rate_hz
    out["ratio"][others] = found.peak_ratio
    resolved = np.ones(n_rows, dtype=bool)
    resolved[others] = [_isolated(w, p) for w, p in zip(found.windows, found.peaks, strict=True)]
    resolved[others] &= found.peak_ratio >= MIN_PEAK_RATIO
    return BatchDelayEstimate(out["delay"], out["sigma"], out["ratio"], resolved, offsets_hz)


def _check_matrix(iq_matrix: NDArray[np.complexfloating], sample_rate_hz: float, reference: int) -> NDArray[np.complexfloating]:
    """The matrix as complex (single precision kept: it is cast while written into the FFT buffer)."""
    iq = np.asarray(iq_matrix)
    if iq.ndim != 2 or iq.shape[0] < 2 or iq.shape[1] < 16:
        raise InvalidInput("iq_matrix must be (rows >= 2, samples >= 16)", field="iq_matrix")
    if not np.all(np.isfinite(iq)):
        raise InvalidInput("iq_matrix contains NaN or infinite samples", field="iq_matrix")
    if sample_rate_hz <= 0:
        raise InvalidInput("sample_rate_hz must be positive", field="sample_rate_hz")
    if not 0 <= reference < iq.shape[0]:
        raise InvalidInput("reference must index a row of iq_matrix", field="reference")
    return iq if iq.dtype == np.complex64 else iq.astype(np.complex128, copy=False)


def _lag_limits(n_rows: int, n: int, max_delay_s: ArrayLike | None, sample_rate_hz: float) -> NDArray[np.int64]:
    if max_delay_s is None:
        return np.full(n_rows, max(n - 1, 1))
    delays = np.broadcast_to(np.asarray(max_delay_s, dtype=float), (n_rows,))
    if np.any(~(delays > 0)):
        raise InvalidInput("max_delay_s must be positive", field="max_delay_s")
    return np.maximum(np.minimum(n - 1, np.ceil(delays * sample_rate_hz)), 1).astype(np.int64)


def _relative_offsets_hz(spectra: NDArray[np.complexfloating], reference: int, max_offset_hz: float,
                         sample_rate_hz: float) -> NDArray[np.float64]:
    """Shift of each row's periodogram against the reference's that best aligns them (Hz)."""
    size = spectra.shape[1]
    power = spectra.real**2 + spectra.imag**2
    power -= power.mean(axis=1, keepdims=True, dtype=float).astype(power.dtype)
    transformed = sfft.rfft(power, axis=1)
    correlation = sfft.irfft(np.conj(transformed[reference]) * transformed, size, axis=1)
    span = int(min(np.ceil(max_offset_hz * size / sample_rate_hz), size // 2 - 1))
    shifts = np.arange(-span, span + 1)
    window = correlation[:, shifts % size]
    peak = np.argmax(window, axis=1)
    rows = np.arange(window.shape[0])
    left = window[rows, np.maximum(peak - 1, 0)]
    centre = window[rows, peak]
    right = window[rows, np.minimum(peak + 1, shifts.size - 1)]
    denominator = left - 2.0 * centre + right
    fraction = np.where(denominator < 0, 0.5 * (left - right) / np.where(denominator < 0, denominator, -1.0), 0.0)
    offsets: NDArray[np.float64] = (shifts[peak] + np.clip(fraction, -0.5, 0.5)) * sample_rate_hz / size
    offsets[reference] = 0.0
    return offsets


def _isolated(window: NDArray[np.float64], peak: int) -> bool:
    """An interior maximum whose main lobe drops to half height on both sides inside the window."""
    if peak == 0 or peak == window.size - 1:
        return False
    half = window[peak] / 2.0
    return bool(np.any(window[:peak] < half) and np.any(window[peak + 1:] < half))
