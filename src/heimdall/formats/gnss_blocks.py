"""Per-block GNSS time of a recording: which sample each stamp times, and the line fit through them.

A receiver such as a KiwiSDR stamps every block of samples with the GNSS time of its first sample.
Kept as integers (nanoseconds since the GPS epoch, 1980-01-06, in GPS time: no leap seconds), the
stamps survive storage exactly; ``fit`` turns them into the true sample rate and the UTC instant of
sample 0 with the same robust line fit as Kiwi WAV files (``formats.kiwi.fit_block_timing``: medians
first, outliers beyond max(6 robust sigmas, 1 us) rejected, least squares; the first block dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from heimdall.formats.gnss_time import NS_PER_S, gps_ns_to_utc_ns
from heimdall.formats.kiwi import SAMPLE_RATE_ERROR, TimingFit, fit_block_timing


@dataclass(frozen=True)
class BlockTiming:
    start_utc_ns: int  # UTC instant of sample 0
    sample_rate_hz: float  # the true rate
    fit: TimingFit


@dataclass(frozen=True)
class GnssBlocks:
    sample_index: NDArray[np.int64]  # first sample each stamp times
    gps_ns: NDArray[np.int64]  # its GNSS time, ns since the GPS epoch
    solution: NDArray[np.uint8]  # age of the last fix in s (KiwiSDR last_gps_solution); >= 253 = unusable

    def __post_init__(self) -> None:
        sizes = {self.sample_index.size, self.gps_ns.size, self.solution.size}
        if len(sizes) != 1:
            raise ValueError("GNSS block columns differ in length")
        if self.sample_index.size > 1 and np.any(np.diff(self.sample_index) <= 0):
            raise ValueError("GNSS block sample indices must increase")

    def fit(self, nominal_sample_rate_hz: float) -> BlockTiming | None:
        """Sample rate and start time from the usable stamps; None when fewer than three remain."""
        usable = self.solution < SAMPLE_RATE_ERROR
        if np.count_nonzero(usable) < 3:
            return None
        origin_ns = int(self.gps_ns[usable][0])
        relative_s = (self.gps_ns - origin_ns).astype(np.float64) / NS_PER_S
        fit = fit_block_timing(self.sample_index, relative_s, self.solution, nominal_sample_rate_hz)
        if fit is None:
            return None
        start_gps_ns = origin_ns + round(fit.t0_gps_s * NS_PER_S)
        return BlockTiming(gps_ns_to_utc_ns(start_gps_ns), fit.sample_rate_hz, fit)

    def to_json(self) -> dict[str, list[int]]:
        return {"sample_index": [int(v) for v in self.sample_index], "gps_ns": [int(v) for v in self.gps_ns],
                "solution": [int(v) for v in self.solution]}

    @classmethod
    def from_json(cls, doc: object) -> GnssBlocks:
        """From ``to_json``'s shape; ValueError/TypeError/KeyError when malformed."""
        if not isinstance(doc, dict):
            raise TypeError("GNSS blocks must be an object")
        columns = [doc["sample_index"], doc["gps_ns"], doc["solution"]]
        if not all(isinstance(c, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in c)
                   for c in columns):
            raise TypeError("GNSS block columns must be lists of integers")
        solution = np.array(columns[2], dtype=np.int64)
        if np.any((solution < 0) | (solution > 255)):
            raise ValueError("GNSS block solutions must lie in 0..255")
        return cls(np.array(columns[0], dtype=np.int64), np.array(columns[1], dtype=np.int64),
                   solution.astype(np.uint8))
