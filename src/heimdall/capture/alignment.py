"""Putting recordings from different receivers on one GNSS time grid.

Each receiver samples at its own true rate from its own first-sample instant; cross-correlating them
sample by sample would smear a delay by the clock difference (~10 ppm is ~4 samples over 30 s at
12 kHz). Every recording is resampled (Kaiser-windowed sinc, band-limited) onto a common grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput

_HALF_TAPS = 16
_KAISER_BETA = 8.0
_CHUNK = 32_768
_PHASES = 4096


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
    """The recording's signal at the grid's instants: Kaiser-windowed sinc interpolation with the
    fractional position quantised to 1/4096 sample (about 20 ns at 12 kHz)."""
    offset_s = (grid.start_utc_ns - recording.start_utc_ns) * 1e-9
    ratio = recording.sample_rate_hz / grid.sample_rate_hz
    out = np.empty(grid.num_samples, dtype=np.complex64)
    padded = np.concatenate([np.zeros(_HALF_TAPS, np.complex64), recording.iq.astype(np.complex64),
                             np.zeros(_HALF_TAPS + 1, np.complex64)])
    taps = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)
    table = _kernel_table()
    for first in range(0, grid.num_samples, _CHUNK):
        index = np.arange(first, min(first + _CHUNK, grid.num_samples))
        position = offset_s * recording.sample_rate_hz + index * ratio
        whole = np.floor(position).astype(np.int64)
        phase = np.round((position - whole) * _PHASES).astype(np.int64)
        whole += phase // _PHASES  # a fraction rounded up to 1 is the next sample
        gathered = padded[whole[:, None] + taps[None, :] + _HALF_TAPS]
        out[index] = np.einsum("ij,ij->i", gathered, table[phase % _PHASES])
    return out


@cache
def _kernel_table() -> NDArray[np.float32]:
    """Kernel weights for each quantised fraction: row p applies to a fraction p / _PHASES."""
    taps = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)
    distance = (np.arange(_PHASES) / _PHASES)[:, None] - taps[None, :]
    inside = np.clip(distance / _HALF_TAPS, -1.0, 1.0)
    kernel = np.sinc(distance) * np.i0(_KAISER_BETA * np.sqrt(1.0 - inside**2)) / np.i0(_KAISER_BETA)
    return kernel.astype(np.float32)
