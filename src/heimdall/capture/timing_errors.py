"""Errors of an arrival time that cross-correlation noise does not show: receiver timing and delay,
and the propagation path. Each is per receiver and independent between receivers; see
docs/recordings.md for where the numbers come from and what they leave out.

- GNSS timing: a GNSS-disciplined time stamp is good to ~100 ns (RF_NOTES section 2); a recording whose
  own stamps scatter more about their line fit gets that scatter instead.
- Receiver delay: antenna, preamplifier, filters and firmware of a public receiver are unknown to us and
  differ between receivers; a few hundred ns to a few us at LF-HF. We take 1 us.
- Propagation below 30 MHz: (a) the ground wave travels slower than c by an amount that depends on
  ground conductivity along the path (Loran-C's "additional secondary factor"), a few us over hundreds
  of km: 5 ns per km; (b) a one-hop sky wave reflected at height h arrives later by
  ``(2 sqrt((d/2)^2 + h^2) - d) / c``, and with a narrow-band signal (bandwidth << 1 / that delay) it
  cannot be resolved: the correlation peak moves towards it by ``rho / (1 + rho)`` of the excess,
  ``rho`` the unknown sky/ground amplitude ratio. Taking ``rho`` uniform in [0, 1] gives an RMS shift of
  0.34 of the excess delay. h = 70 km (daytime D layer) below 3 MHz, 300 km (F layer) for HF.
- Propagation at 30 MHz and above (line of sight): tropospheric refractivity adds ~300 ppm of the path,
  known to ~10 %: 3e-5 of the path delay. Urban multipath is not modelled.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.geo import SPEED_OF_LIGHT_M_S

GNSS_TIMING_SIGMA_S = 100e-9
RECEIVER_DELAY_SIGMA_S = 1e-6
GROUND_WAVE_SIGMA_S_PER_M = 5e-12  # 5 ns per km
SKY_WAVE_SHIFT_RMS = 0.34  # RMS of rho / (1 + rho) for rho uniform in [0, 1]
LOW_SKY_HEIGHT_M = 70e3
HIGH_SKY_HEIGHT_M = 300e3
SKY_WAVE_MAX_FREQUENCY_HZ = 30e6
TROPOSPHERE_FRACTION = 3e-5


def sky_wave_excess_delay_s(distance_m: ArrayLike, height_m: float) -> NDArray[np.float64]:
    """Extra travel time of a one-hop sky wave over the ground wave (flat-earth geometry)."""
    d = np.asarray(distance_m, dtype=float)
    return (2.0 * np.sqrt((d / 2.0) ** 2 + height_m**2) - d) / SPEED_OF_LIGHT_M_S


def propagation_sigma_s(frequency_hz: float, distance_m: ArrayLike) -> NDArray[np.float64]:
    """1-sigma error of a propagation delay taken as straight-line distance / c."""
    d = np.asarray(distance_m, dtype=float)
    if frequency_hz >= SKY_WAVE_MAX_FREQUENCY_HZ:
        return TROPOSPHERE_FRACTION * d / SPEED_OF_LIGHT_M_S
    height = LOW_SKY_HEIGHT_M if frequency_hz < 3e6 else HIGH_SKY_HEIGHT_M
    ground = GROUND_WAVE_SIGMA_S_PER_M * d
    sky = SKY_WAVE_SHIFT_RMS * sky_wave_excess_delay_s(d, height)
    return np.sqrt(ground**2 + sky**2)


def receiver_sigma_s(timing_residual_rms_s: float | None) -> float:
    """Timing plus unknown receiver delay of one GNSS-timed receiver."""
    timing = max(GNSS_TIMING_SIGMA_S, timing_residual_rms_s or 0.0)
    return float(np.hypot(timing, RECEIVER_DELAY_SIGMA_S))


def pairwise_sigmas_s(per_receiver_sigma_s: ArrayLike) -> NDArray[np.float64]:
    """Sigmas for TDoAs of ALL pairs (i, j) that, treated as independent, carry exactly the
    information of per-receiver arrival-time errors sigma_i with an unknown common emission time:
    ``sigma_ij^2 = sigma_i^2 sigma_j^2 sum_k 1 / sigma_k^2`` (the precision matrix of the
    arrival-time differences is the Laplacian of the complete graph with these weights)."""
    sigma = np.asarray(per_receiver_sigma_s, dtype=float)
    total_weight = np.sum(1.0 / sigma**2)
    return np.sqrt(np.outer(sigma**2, sigma**2) * total_weight)
