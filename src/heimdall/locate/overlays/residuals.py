"""What each measurement says about the fix: its residual at the estimate, in its unit and in sigmas.

The nuisance parameters are profiled at the estimate the way the estimator profiles them
(``heimdall.locate.likelihood``), over the receivers it kept: the emission time for arrival times,
the transmit power (and, when unknown, the path-loss exponent) for received powers. An outlier's
residual against that model is the reason it was rejected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from heimdall.geo import SPEED_OF_LIGHT_M_S, bearing_deg
from heimdall.locate.likelihood import EXPONENT_RANGE, fspl_db

MICRO = 1e6


@dataclass(frozen=True)
class Fix:
    lat_deg: float
    lon_deg: float
    tx_alt_m: float
    ecef_m: np.ndarray


@dataclass(frozen=True)
class RssModel:
    """``power_dbm = offset_db - exponent * 10 log10(d / reference_m)`` at the fix."""

    offset_db: float
    exponent: float
    reference_m: float

    def distance_m(self, power_dbm: float) -> float:
        return float(self.reference_m * 10.0 ** ((self.offset_db - power_dbm) / (10.0 * self.exponent)))

    def power_dbm(self, distance_m: float) -> float:
        return self.offset_db - self.exponent * 10.0 * math.log10(distance_m / self.reference_m)


def bearing_residual_deg(station: dict[str, Any], fix: Fix, measured_deg: float) -> tuple[float, float]:
    """(bearing from the station to the fix, measured minus that, wrapped to [-180, 180))."""
    predicted = float(bearing_deg(station["lat"], station["lon"], station["alt_m"], fix.lat_deg, fix.lon_deg,
                                  fix.tx_alt_m))
    return predicted, (measured_deg - predicted + 180.0) % 360.0 - 180.0


def range_m(station_ecef: np.ndarray, fix: Fix) -> float:
    return float(np.linalg.norm(fix.ecef_m - station_ecef))


def emission_time_s(toa: list[dict[str, Any]], distances_m: dict[str, float], kept: set[str]) -> float:
    """Weighted mean emission time of the kept receivers' arrival times, at the fix."""
    rows = [m for m in toa if m["receiver"] in kept] or toa
    weights = np.array([m["sigma_s"] ** -2 for m in rows])
    emitted = np.array([m["toa_s"] - distances_m[m["receiver"]] / SPEED_OF_LIGHT_M_S for m in rows])
    return float(weights @ emitted / weights.sum())


def rss_model(doc: dict[str, Any], distances_m: dict[str, float], kept: set[str]) -> RssModel:
    rows = [m for m in doc["rss"] if m["receiver"] in kept] or doc["rss"]
    propagation = doc.get("propagation") or {}
    reference_m = float(propagation.get("reference_distance_m") or 1000.0)
    weights = np.array([m["sigma_db"] ** -2 for m in rows])
    power = np.array([m["power_dbm"] for m in rows])
    log_d = np.array([10.0 * math.log10(distances_m[m["receiver"]] / reference_m) for m in rows])
    exponent = propagation.get("path_loss_exponent")
    if exponent is None:
        exponent = _profiled_exponent(power, log_d, weights)
    if doc.get("eirp_dbm") is not None and doc.get("frequency_hz"):
        offset = float(doc["eirp_dbm"]) - fspl_db(reference_m, float(doc["frequency_hz"]))
    else:
        offset = float(weights @ (power + exponent * log_d) / weights.sum())
    return RssModel(offset, float(exponent), reference_m)


def _profiled_exponent(power: np.ndarray, log_d: np.ndarray, weights: np.ndarray) -> float:
    if power.size < 2:
        return 3.0
    mean_l = weights @ log_d / weights.sum()
    mean_p = weights @ power / weights.sum()
    var_l = weights @ (log_d - mean_l) ** 2
    exponent = -(weights @ ((log_d - mean_l) * (power - mean_p))) / max(var_l, 1e-12)
    return float(np.clip(exponent, *EXPONENT_RANGE))


def reason(outlier: bool, measured: str, expected: str, sigmas: float) -> str | None:
    """Why a measurement was rejected, in words; None for a kept one."""
    if not outlier:
        return None
    return f"rejected by the consistency test: measured {measured}, the fix implies {expected} ({abs(sigmas):.1f} σ off)"
