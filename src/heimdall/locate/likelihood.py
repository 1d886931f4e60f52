"""Whitened residuals of every modality, vectorised over candidate transmitter positions.

``-2 log L = sum(r**2)`` (up to a constant) with nuisance parameters profiled out analytically:
the emission time for TOA and the transmit power (and, when unknown, the path-loss exponent) for
RSS. Profiling a parameter that enters linearly is the variable-projection trick: the Jacobian of
the profiled residuals gives the Fisher information with the nuisance already removed.

``floor_m`` tempers the likelihood for coarse grids: each sigma is widened by what a position
error of ``floor_m`` would do to that measurement, so a grid cell whose centre is a few cells'
widths from the truth is not ruled out by a razor-sharp likelihood it cannot resolve.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from heimdall.geo import SPEED_OF_LIGHT_M_S, enu_rotations, geodetic_to_ecef
from heimdall.locate.budget import Budget
from heimdall.locate.measurement_set import MODALITIES, MeasurementSet

LN10 = math.log(10.0)
# A profiled path-loss exponent is kept physical: free space (2) down to dense clutter.
EXPONENT_RANGE = (1.5, 6.0)
# Positions x (measurements + receivers) per vectorised evaluation: ~16 MB per temporary array, so a
# grid over thousands of measurements never allocates gigabytes, and the budget is checked per chunk.
CHUNK_ELEMENTS = 1 << 21
FloatArray = NDArray[np.float64]


def fspl_db(distance_m: float, frequency_hz: float) -> float:
    return 20.0 * math.log10(4.0 * math.pi * distance_m * frequency_hz / SPEED_OF_LIGHT_M_S)


class ResidualModel:
    """Holds one measurement set's data in arrays; evaluates residuals at ECEF positions (..., 3)."""

    def __init__(self, ms: MeasurementSet, budget: Budget | None = None) -> None:
        rx = ms.receivers
        self.ms = ms
        self.budget = budget if budget is not None else Budget()
        self.rx_ecef_m = geodetic_to_ecef(rx.lat_deg, rx.lon_deg, rx.alt_m)
        self.size = sum(ms.counts().values())
        self.aoa_rotation = enu_rotations(rx.lat_deg[ms.aoa.receiver], rx.lon_deg[ms.aoa.receiver])
        self.aoa_sigma_rad = np.radians(ms.aoa.sigma_deg)
        self.aoa_sin, self.aoa_cos = np.sin(np.radians(ms.aoa.bearing_deg)), np.cos(np.radians(ms.aoa.bearing_deg))
        # unit vectors (3, M) of east and north at each bearing's receiver, and their offsets
        self.aoa_east = np.ascontiguousarray(self.aoa_rotation[:, 0, :].T)
        self.aoa_north = np.ascontiguousarray(self.aoa_rotation[:, 1, :].T)
        aoa_rx_m = self.rx_ecef_m[ms.aoa.receiver]
        self.aoa_east_offset = np.einsum("mk,km->m", aoa_rx_m, self.aoa_east)
        self.aoa_north_offset = np.einsum("mk,km->m", aoa_rx_m, self.aoa_north)
        self.exponent = ms.propagation.path_loss_exponent
        self.reference_distance_m = ms.propagation.reference_distance_m
        self.rss_offset_db: float | None = None
        if ms.eirp_dbm is not None and ms.frequency_hz is not None:
            # Known EIRP: the model's constant is fixed, nothing to profile.
            self.rss_offset_db = ms.eirp_dbm - fspl_db(self.reference_distance_m, ms.frequency_hz)

    def distances_m(self, tx_ecef_m: NDArray[np.float64]) -> NDArray[np.float64]:
        delta = tx_ecef_m[..., None, :] - self.rx_ecef_m
        distance_m: FloatArray = np.sqrt(np.einsum("...k,...k->...", delta, delta))
        return distance_m

    def residuals(self, tx_ecef_m: NDArray[np.float64], floor_m: float = 0.0) -> NDArray[np.float64]:
        """Whitened residuals (..., M): order toa, tdoa, rss, aoa."""
        return self.evaluate(tx_ecef_m, floor_m)[0]

    def log_likelihood(self, tx_ecef_m: NDArray[np.float64], floor_m: float = 0.0) -> NDArray[np.float64]:
        """Log-likelihood (...) at positions (..., 3), in chunks that bound the temporary arrays."""
        tx = np.asarray(tx_ecef_m, dtype=float)
        flat = tx.reshape(-1, 3)
        step = max(1, CHUNK_ELEMENTS // max(self.size + len(self.ms.receivers), 1))
        out = np.empty(flat.shape[0])
        for start in range(0, flat.shape[0], step):
            parts, log_sigma = self._parts(flat[start:start + step], floor_m)
            cost = sum((np.einsum("pm,pm->p", r, r) for r in parts), np.zeros(len(log_sigma)))
            out[start:start + step] = -0.5 * cost - log_sigma
        return out.reshape(tx.shape[:-1])

    def evaluate(self, tx_ecef_m: NDArray[np.float64], floor_m: float = 0.0
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Residuals and the sum of log-sigmas that vary with position (only when tempered)."""
        tx = np.asarray(tx_ecef_m, dtype=float)
        parts, log_sigma = self._parts(tx, floor_m)
        return np.concatenate(parts, axis=-1), log_sigma

    def _parts(self, tx: NDArray[np.float64], floor_m: float
               ) -> tuple[list[NDArray[np.float64]], NDArray[np.float64]]:
        # every evaluation is a budget check: this is where a localization spends its time
        self.budget.spend("evaluations", int(np.prod(tx.shape[:-1], dtype=np.int64)) * self.size)
        d = self.distances_m(tx)
        parts, log_sigma = [], np.zeros(tx.shape[:-1])
        for fn in (self._toa, self._tdoa, self._rss, self._aoa):
            r, ls = fn(tx, d, floor_m)
            parts.append(r)
            log_sigma = log_sigma + ls
        return parts, log_sigma

    def incidence(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """(row, receiver) pairs: residual ``row`` involves receiver index ``receiver``; a TDoA row
        appears twice (its receiver and its reference)."""
        ms = self.ms
        owners = np.concatenate([ms.toa.receiver, ms.tdoa.receiver, ms.rss.receiver, ms.aoa.receiver,
                                 ms.tdoa.reference]).astype(np.intp)
        tdoa_rows = ms.toa.receiver.size + np.arange(ms.tdoa.receiver.size)
        return np.concatenate([np.arange(self.size), tdoa_rows]).astype(np.intp), owners

    def row_modalities(self) -> NDArray[np.intp]:
        """Index into MODALITIES (toa, tdoa, rss, aoa) of every residual row."""
        counts = self.ms.counts()
        return np.repeat(np.arange(len(MODALITIES)), [counts[name] for name in MODALITIES]).astype(np.intp)

    def nuisance_columns(self, tx_ecef_m: NDArray[np.float64]) -> NDArray[np.float64]:
        """Whitened derivatives (M, k) of the unprofiled residuals at one position by each profiled
        nuisance (emission time; transmit power and path-loss exponent when unknown). With the
        position Jacobian they span the linearised model (``heimdall.locate.outliers``)."""
        ms, rows = self.ms, self.row_modalities()

        def column(modality: str, values: NDArray[np.float64]) -> NDArray[np.float64]:
            out = np.zeros(self.size)
            out[rows == MODALITIES.index(modality)] = values
            return out

        columns = []
        if ms.toa.receiver.size:
            columns.append(column("toa", 1.0 / ms.toa.sigma_s))
        if ms.rss.receiver.size and self.rss_offset_db is None:
            columns.append(column("rss", 1.0 / ms.rss.sigma_db))
        if ms.rss.receiver.size and self.exponent is None:
            distance_m = self.distances_m(np.asarray(tx_ecef_m, dtype=float))[ms.rss.receiver]
            columns.append(column("rss", 10.0 * np.log10(distance_m / self.reference_distance_m) / ms.rss.sigma_db))
        return np.stack(columns, axis=1) if columns else np.zeros((self.size, 0))

    def _toa(self, tx: FloatArray, d: FloatArray, floor_m: float) -> tuple[FloatArray, FloatArray | float]:
        toa = self.ms.toa
        if not toa.receiver.size:
            return np.zeros(d.shape[:-1] + (0,)), 0.0
        sigma_m = np.hypot(toa.sigma_s * SPEED_OF_LIGHT_M_S, floor_m)
        emission_m = np.take(d, toa.receiver, axis=-1)
        np.subtract(toa.toa_s * SPEED_OF_LIGHT_M_S, emission_m, out=emission_m)
        weight = sigma_m**-2
        emission_m -= (emission_m @ weight)[..., None] / weight.sum()
        emission_m /= sigma_m
        return emission_m, 0.0

    def _tdoa(self, tx: FloatArray, d: FloatArray, floor_m: float) -> tuple[FloatArray, FloatArray | float]:
        tdoa = self.ms.tdoa
        if not tdoa.receiver.size:
            return np.zeros(d.shape[:-1] + (0,)), 0.0
        # in metres and in place: the one modality whose count grows with receivers squared
        sigma_m = np.hypot(tdoa.sigma_s * SPEED_OF_LIGHT_M_S, floor_m)
        r = np.take(d, tdoa.reference, axis=-1)
        r -= np.take(d, tdoa.receiver, axis=-1)
        r += tdoa.tdoa_s * SPEED_OF_LIGHT_M_S
        r /= sigma_m
        return r, 0.0

    def _rss(self, tx: FloatArray, d: FloatArray, floor_m: float) -> tuple[FloatArray, FloatArray | float]:
        rss = self.ms.rss
        if not rss.receiver.size:
            return np.zeros(d.shape[:-1] + (0,)), 0.0
        # logarithms per receiver, then gathered: receivers are fewer than measurements
        log_d = np.take(10.0 * np.log10(d / self.reference_distance_m), rss.receiver, axis=-1)
        log_sigma: FloatArray | float = 0.0
        if floor_m:
            slope = 10.0 * (self.exponent if self.exponent is not None else 3.0) / LN10
            variance = np.take((slope * floor_m / d) ** 2, rss.receiver, axis=-1) + rss.sigma_db**2
            weight = 1.0 / variance
            log_sigma = 0.5 * np.log(variance / rss.sigma_db**2).sum(axis=-1)
        else:
            weight = rss.sigma_db**-2
        exponent = self.exponent if self.exponent is not None else _profile_exponent(rss.power_dbm, log_d, weight)
        corrected = log_d * exponent
        corrected += rss.power_dbm
        if self.rss_offset_db is None:
            corrected -= _weighted_mean(corrected, weight)
        else:
            corrected -= self.rss_offset_db
        corrected *= np.sqrt(weight)
        return corrected, log_sigma

    def _aoa(self, tx: FloatArray, d: FloatArray, floor_m: float) -> tuple[FloatArray, FloatArray | float]:
        aoa = self.ms.aoa
        if not aoa.receiver.size:
            return np.zeros(d.shape[:-1] + (0,)), 0.0
        # east/north of the transmitter at each receiver; einsum, not BLAS: an inner dimension of 3
        east = np.einsum("...k,km->...m", tx, self.aoa_east) - self.aoa_east_offset
        north = np.einsum("...k,km->...m", tx, self.aoa_north) - self.aoa_north_offset
        # measured minus predicted bearing, wrapped, as one atan2: sin and cos of the difference
        residual = np.arctan2(self.aoa_sin * north - self.aoa_cos * east, self.aoa_cos * north + self.aoa_sin * east)
        if not floor_m:
            return residual / self.aoa_sigma_rad, 0.0
        variance = self.aoa_sigma_rad**2 + floor_m**2 / np.maximum(east * east + north * north, 1.0)
        log_sigma = 0.5 * np.log(variance / self.aoa_sigma_rad**2).sum(axis=-1)
        return residual / np.sqrt(variance), log_sigma


def _weighted_mean(values: FloatArray, weight: FloatArray) -> FloatArray:
    """Mean over the last axis, keeping it; ``weight`` (M,) or like ``values``."""
    mean: FloatArray
    if weight.ndim == 1:
        mean = (values @ weight)[..., None] / weight.sum()
    else:
        mean = (values * weight).sum(axis=-1, keepdims=True) / weight.sum(axis=-1, keepdims=True)
    return mean


def _profile_exponent(power_dbm: FloatArray, log_d: FloatArray, weight: FloatArray) -> FloatArray:
    """Weighted least-squares path-loss exponent of power = a - n * log_d, per candidate, clipped."""
    centred_l = log_d - _weighted_mean(log_d, weight)
    centred_p = power_dbm - _weighted_mean(np.broadcast_to(power_dbm, log_d.shape), weight)
    cov_lp = _weighted_mean(centred_l * centred_p, weight)
    var_l = _weighted_mean(centred_l * centred_l, weight)
    exponent: FloatArray = np.clip(-cov_lp / np.maximum(var_l, 1e-12), *EXPONENT_RANGE)
    return exponent
