"""Per-receiver arrival-time errors that cross-correlation noise does not show, each from the
capture's own parameters (docs/recordings.md, "Errors the correlation cannot see"):

- GNSS timing: the accuracy of a GNSS time solution (``GNSS_FIX_SIGMA_S``), plus what the file's own
  block stamps say: their scatter about the fitted line over the number of independent fixes it
  averages, and the drift of the receiver's clock since its last fix.
- Sample-rate estimate: the fitted rate's own uncertainty times how far the correlated span's
  centre lies from the stamps' centre (the line is exact there, its slope error grows away from it).
- Receiver delay: antenna, cable and front end of an unknown public receiver (``RECEIVER_DELAY_SIGMA_S``).
- Propagation: ``heimdall.capture.propagation`` (refraction, ground wave, one-hop sky waves).

Each is independent between receivers; ``pairwise_sigmas_s`` turns them into TDoA sigmas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.capture.propagation import (
    REFRACTIVITY_SPREAD,
    ground_wave_sigma_s,
    sky_wave_hops,
    sky_wave_sigma_s,
    solar_elevation_deg,
)
from heimdall.formats.kiwi import SAMPLE_RATE_ERROR, KiwiStamps
from heimdall.geo import SPEED_OF_LIGHT_M_S

# A GNSS receiver's time solution: ~100 ns 1-sigma for a single-frequency receiver with a good fix
# (RF_NOTES section 2; timing receivers reach 20-50 ns, a KiwiSDR's software GPS is no better than this).
GNSS_FIX_SIGMA_S = 100e-9
# Frequency stability of a receiver's free-running sample clock between GNSS fixes (a plain crystal
# oscillator over seconds to minutes: 1e-9..1e-8; the upper value).
CLOCK_STABILITY = 1e-8
# Antenna, feed line (5 ns/m), preamplifier and front-end filters of public receivers: unknown and
# different per receiver; a few hundred ns to a few us. Model assumption: 1 us.
RECEIVER_DELAY_SIGMA_S = 1e-6


@dataclass(frozen=True)
class StampQuality:
    """What a file's GNSS block stamps say about its timing (all zero: no stamps, e.g. SigMF)."""

    residual_rms_s: float = 0.0  # scatter of the stamps about their fitted line
    fixes: int = 1  # independent GNSS solutions the stamps span
    max_solution_age_s: float = 0.0  # longest time since a fix among the used stamps
    stamp_span_s: float = 0.0  # time from the first to the last used stamp
    stamp_centre_s: float = 0.0  # mean time of the used stamps, from sample 0

    @classmethod
    def of_kiwi(cls, stamps: KiwiStamps, sample_rate_hz: float, residual_rms_s: float | None) -> StampQuality:
        usable = stamps.block_gps_solution < SAMPLE_RATE_ERROR
        usable[0] = False  # the first block's stamp is stale (formats.kiwi)
        if np.count_nonzero(usable) < 3:
            return cls(residual_rms_s or 0.0)
        age = stamps.block_gps_solution[usable].astype(float)
        # a fresh solution: the age falls back (to 0, or to less than it was)
        fixes = 1 + int(np.count_nonzero(np.diff(age) < 0))
        times = stamps.block_start_index[usable] / sample_rate_hz
        return cls(residual_rms_s or 0.0, fixes, float(age.max()), float(times[-1] - times[0]), float(times.mean()))


def gnss_sigma_s(quality: StampQuality) -> float:
    """GNSS time of a recording's samples: fix accuracy, the stamps' scatter averaged over their
    independent fixes, and clock drift since the last fix."""
    scatter = quality.residual_rms_s / np.sqrt(max(quality.fixes, 1))
    drift = CLOCK_STABILITY * quality.max_solution_age_s
    return float(np.sqrt(GNSS_FIX_SIGMA_S**2 + scatter**2 + drift**2))


def sample_rate_sigma_s(quality: StampQuality, span_centre_s: float) -> float:
    """Error at the correlated span's centre (``span_centre_s`` from sample 0) of a line whose slope
    comes from ``fixes`` independent points spread over the stamps' span: sigma_slope =
    rms sqrt(12 / fixes) / span, times the distance from the stamps' centre."""
    if quality.stamp_span_s <= 0 or quality.residual_rms_s <= 0:
        return 0.0
    slope = quality.residual_rms_s * np.sqrt(12.0 / max(quality.fixes, 2)) / quality.stamp_span_s
    return float(slope * abs(span_centre_s - quality.stamp_centre_s))


@dataclass(frozen=True)
class PathContext:
    """What the propagation terms need about the capture: frequency, time, and the timing spectrum
    of the receiver's correlation (frequencies about the tuned one, in Hz, and their weights)."""

    frequency_hz: float
    when_utc: datetime
    timing_frequency_hz: NDArray[np.float64]
    timing_weight: NDArray[np.float64]


@dataclass(frozen=True)
class PropagationTerms:
    troposphere_s: float
    ground_wave_s: float
    sky_wave_s: float
    sky_layers: tuple[str, ...]

    @property
    def total_s(self) -> float:
        return float(np.sqrt(self.troposphere_s**2 + self.ground_wave_s**2 + self.sky_wave_s**2))


def propagation_terms(context: PathContext, distance_m: float, midpoint: tuple[float, float]) -> PropagationTerms:
    """Propagation errors of one path of ``distance_m`` whose middle lies at ``midpoint`` (lat, lon)."""
    daytime = solar_elevation_deg(context.when_utc, *midpoint) > 0.0
    hops = sky_wave_hops(context.frequency_hz, distance_m, daytime)
    sky = sky_wave_sigma_s([h.excess_delay_s for h in hops], context.timing_frequency_hz, context.timing_weight)
    return PropagationTerms(
        troposphere_s=REFRACTIVITY_SPREAD * distance_m / SPEED_OF_LIGHT_M_S,
        ground_wave_s=float(ground_wave_sigma_s(context.frequency_hz, distance_m)[0]),
        sky_wave_s=sky,
        sky_layers=tuple(h.layer for h in hops),
    )


def pairwise_sigmas_s(per_receiver_sigma_s: ArrayLike) -> NDArray[np.float64]:
    """Sigmas for TDoAs of ALL pairs (i, j) that, treated as independent, carry exactly the
    information of per-receiver arrival-time errors sigma_i with an unknown common emission time:
    ``sigma_ij^2 = sigma_i^2 sigma_j^2 sum_k 1 / sigma_k^2`` (the precision matrix of the
    arrival-time differences is the Laplacian of the complete graph with these weights)."""
    sigma = np.asarray(per_receiver_sigma_s, dtype=float)
    total_weight = np.sum(1.0 / sigma**2)
    return np.sqrt(np.outer(sigma**2, sigma**2) * total_weight)
