"""Putting recordings from different receivers on one GNSS time grid.

Each receiver samples at its own true rate from its own first-sample instant; cross-correlating them
sample by sample would smear a delay by the clock difference (~10 ppm is ~4 samples over 30 s at
12 kHz). Every recording is resampled (Kaiser-windowed sinc, band-limited) onto a common grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import fft as sfft

from heimdall.errors import InvalidInput

_HALF_TAPS = 16
_KAISER_BETA = 8.0
_MAX_BLOCK_DRIFT = 0.02  # samples the shift may move within one block
_MIN_BLOCK, _MAX_BLOCK = 64, 8192


@dataclass(frozen=True)
class TimedIQ:
    """IQ with the time of its first sample (UTC ns since 1970) and its true sample rate."""

    receiver_id: str
    iq: NDArray[np.complex64]
    start_utc_ns: int
    sample_rate_hz: float
    frequency_hz: float

    @property
    def duration_s(self) -> float:
        return self.iq.size / self.sample_rate_hz


@dataclass(frozen=True)
class CommonGrid:
    start_utc_ns: int
    sample_rate_hz: float
    num_samples: int

    @property
    def duration_s(self) -> float:
        return self.num_samples / self.sample_rate_hz


def common_grid(recordings: list[TimedIQ], *, margin_s: float = 0.01) -> CommonGrid:
    """The time span every recording covers (less a small margin for the interpolator), sampled at
    the mean true rate. ``InvalidInput`` when the recordings do not overlap in time."""
    starts = [r.start_utc_ns for r in recordings]
    ends = [r.start_utc_ns + round(r.duration_s * 1e9) for r in recordings]
    start_ns = max(starts) + round(margin_s * 1e9)
    end_ns = min(ends) - round(margin_s * 1e9)
    rate_hz = float(np.mean([r.sample_rate_hz for r in recordings]))
    num_samples = int((end_ns - start_ns) * 1e-9 * rate_hz)
    if num_samples < 4 * _HALF_TAPS:
        raise InvalidInput("recordings do not overlap in time")
    return CommonGrid(start_ns, rate_hz, num_samples)


def resample_onto(recording: TimedIQ, grid: CommonGrid) -> NDArray[np.complex64]:
    """The recording's signal at the grid's instants: Kaiser-windowed sinc interpolation.

    The clocks differ by parts per million, so the shift between the grid and the recording moves by
    under a sample over a whole record. Per block of output samples (a few hundred) the shift at the
    block's centre is one FFT convolution with its own exactly computed kernel, and the shift's drift
    within the block (at most ``_MAX_BLOCK_DRIFT`` samples) is added to first order with the
    kernel's derivative: the error is second order in it (~1e-4 of full scale), where a table of
    1/4096-sample fractions gathered per output sample cost four to eight times as much."""
    offset = (grid.start_utc_ns - recording.start_utc_ns) * 1e-9 * recording.sample_rate_hz
    slope = recording.sample_rate_hz / grid.sample_rate_hz - 1.0
    block = int(np.clip(2 ** np.floor(np.log2(_MAX_BLOCK_DRIFT / max(abs(slope), 1e-15))), _MIN_BLOCK, _MAX_BLOCK))
    count = -(-grid.num_samples // block)
    centres = np.arange(count) * block + (block - 1) / 2.0
    shift = offset + centres * slope  # recording position minus grid index, at each block's centre
    whole = np.floor(shift).astype(np.int64)
    taps = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)
    span = block + 2 * _HALF_TAPS - 1
    pad = _HALF_TAPS + int(np.max(np.abs(whole))) + block
    padded = np.zeros(recording.iq.size + 2 * pad, dtype=np.complex64)
    padded[pad:pad + recording.iq.size] = recording.iq
    first = np.arange(count) * block + whole + taps[0] + pad
    windows = sfft.fft(padded[np.clip(first[:, None] + np.arange(span), 0, padded.size - 1)], sfft.next_fast_len(span),
                       axis=1)
    distance = (shift - whole)[:, None] - taps[None, :]
    value = _convolve(windows, _kernel(distance), span, block)
    derivative = _convolve(windows, (_kernel(distance + 1e-4) - _kernel(distance - 1e-4)) / 2e-4, span, block)
    drift = (np.arange(block) - (block - 1) / 2.0) * slope  # position beyond the block's centre shift
    out: NDArray[np.complex64] = (value + drift[None, :] * derivative).astype(np.complex64).reshape(-1)
    return out[: grid.num_samples]


def _convolve(windows: NDArray[np.complex64], kernels: NDArray[np.float64], span: int,
              block: int) -> NDArray[np.complex128]:
    """sum_t window[i + t] kernel[t] for each block's ``block`` outputs (FFT of the windows given)."""
    spectrum = sfft.fft(kernels[:, ::-1].astype(np.float32), windows.shape[1], axis=1)
    out: NDArray[np.complex128] = sfft.ifft(windows * spectrum, axis=1)[:, span - block: span]
    return out


def _kernel(distance: NDArray[np.float64]) -> NDArray[np.float64]:
    """Kaiser-windowed sinc at ``distance`` samples from the interpolated instant."""
    inside = np.clip(distance / _HALF_TAPS, -1.0, 1.0)
    return np.sinc(distance) * np.i0(_KAISER_BETA * np.sqrt(1.0 - inside**2)) / np.i0(_KAISER_BETA)
