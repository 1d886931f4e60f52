"""Cramer-Rao bounds, GDOP and expected-error maps (RF_NOTES section 2).

The Fisher information of each modality is built from analytic gradients in local east/north at
the transmitter; nuisance parameters (emission time for TOA, transmit power and, if unknown, the
path-loss exponent for RSS) are removed by the Schur complement, i.e. projected out.
Everything is vectorised over transmitter positions (leading axes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.geo import SPEED_OF_LIGHT_M_S, enu_rotations, geodetic_to_ecef
from heimdall.locate.measurement_set import MeasurementSet, parse_measurement_set

LN10 = math.log(10.0)


def _geometry(ms: MeasurementSet, lat_deg: ArrayLike, lon_deg: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distances (..., R) and gradients of distance in local east/north at the transmitter (..., R, 2)."""
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    tx = geodetic_to_ecef(lat, lon, ms.tx_alt_m)
    rx = geodetic_to_ecef(ms.receivers.lat_deg, ms.receivers.lon_deg, ms.receivers.alt_m)
    delta = tx[..., None, :] - rx
    dist = np.linalg.norm(delta, axis=-1)
    _, _, basis = _basis(lat, lon)
    grad = np.einsum("...rk,...ik->...ri", delta / dist[..., None], basis)
    return dist, grad


def _schur(rows: NDArray[np.float64], nuisance: NDArray[np.float64] | None) -> NDArray[np.float64]:
    """Position information sum(h h^T) with the nuisance columns projected out. rows (..., M, 2)."""
    info = np.einsum("...mi,...mj->...ij", rows, rows)
    if nuisance is None or nuisance.shape[-1] == 0:
        return info
    cross = np.einsum("...mi,...mk->...ik", rows, nuisance)
    gram = np.einsum("...mk,...ml->...kl", nuisance, nuisance)
    return info - cross @ np.linalg.pinv(gram) @ np.swapaxes(cross, -1, -2)


def fisher_enu(ms: MeasurementSet, lat_deg: ArrayLike, lon_deg: ArrayLike, unit_range: bool = False) -> NDArray[np.float64]:
    """Fisher information (..., 2, 2) in 1/m^2 for a transmitter at (lat, lon).

    ``unit_range``: every measurement's sigma replaced by the one that is worth 1 m of range (or
    cross-range), which turns the bound into the dimensionless geometry factor (GDOP).
    """
    dist, grad = _geometry(ms, lat_deg, lon_deg)
    info = np.zeros(dist.shape[:-1] + (2, 2))
    info = info + _toa_info(ms, grad, unit_range) + _tdoa_info(ms, grad, unit_range)
    info = info + _rss_info(ms, dist, grad, unit_range) + _aoa_info(ms, lat_deg, lon_deg, unit_range)
    return info


def _toa_info(ms: MeasurementSet, grad: NDArray[np.float64], unit_range: bool) -> NDArray[np.float64] | float:
    toa = ms.toa
    if not toa.receiver.size:
        return 0.0
    sigma_m = np.ones_like(toa.sigma_s) if unit_range else SPEED_OF_LIGHT_M_S * toa.sigma_s
    rows = grad[..., toa.receiver, :] / sigma_m[:, None]
    clock = np.broadcast_to((1.0 / sigma_m)[:, None], rows.shape[:-1] + (1,))
    return _schur(rows, clock)


def _tdoa_info(ms: MeasurementSet, grad: NDArray[np.float64], unit_range: bool) -> NDArray[np.float64] | float:
    tdoa = ms.tdoa
    if not tdoa.receiver.size:
        return 0.0
    sigma_m = np.ones_like(tdoa.sigma_s) if unit_range else SPEED_OF_LIGHT_M_S * tdoa.sigma_s
    rows = (grad[..., tdoa.receiver, :] - grad[..., tdoa.reference, :]) / sigma_m[:, None]
    return _schur(rows, None)


def _rss_info(ms: MeasurementSet, dist: NDArray[np.float64], grad: NDArray[np.float64], unit_range: bool) -> NDArray[np.float64] | float:
    rss = ms.rss
    if not rss.receiver.size:
        return 0.0
    exponent = ms.propagation.path_loss_exponent or 3.0
    d = dist[..., rss.receiver]
    slope = 10.0 * exponent / LN10  # dB per neper of distance
    sigma_db = slope / d if unit_range else np.broadcast_to(rss.sigma_db, d.shape)
    rows = -slope * grad[..., rss.receiver, :] / (d * sigma_db)[..., None]
    columns = []
    if ms.eirp_dbm is None:
        columns.append(1.0 / sigma_db)
    if ms.propagation.path_loss_exponent is None:
        columns.append(-10.0 * np.log10(d / ms.propagation.reference_distance_m) / sigma_db)
    nuisance = np.stack(columns, axis=-1) if columns else None
    return _schur(rows, nuisance)


def _aoa_info(ms: MeasurementSet, lat_deg: ArrayLike, lon_deg: ArrayLike, unit_range: bool) -> NDArray[np.float64] | float:
    aoa = ms.aoa
    if not aoa.receiver.size:
        return 0.0
    rx = ms.receivers
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    tx = geodetic_to_ecef(lat, lon, ms.tx_alt_m)
    rx_ecef = geodetic_to_ecef(rx.lat_deg[aoa.receiver], rx.lon_deg[aoa.receiver], rx.alt_m[aoa.receiver])
    rot = enu_rotations(rx.lat_deg[aoa.receiver], rx.lon_deg[aoa.receiver])  # (M, 3, 3)
    local = np.einsum("mij,...mj->...mi", rot, tx[..., None, :] - rx_ecef)
    horizontal2 = local[..., 0] ** 2 + local[..., 1] ** 2
    # d(bearing)/d(tx) in ECEF: bearing = atan2(e, n) in the receiver's frame
    d_theta = (local[..., 1, None] * rot[:, 0, :] - local[..., 0, None] * rot[:, 1, :]) / horizontal2[..., None]
    _, _, tx_basis = _basis(lat, lon)
    grad = np.einsum("...mk,...ik->...mi", d_theta, tx_basis)
    sigma_rad = 1.0 / np.sqrt(horizontal2) if unit_range else np.broadcast_to(np.radians(aoa.sigma_deg),
                                                                              horizontal2.shape)
    return _schur(grad / sigma_rad[..., None], None)


def _basis(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    lat, lon = np.broadcast_arrays(lat, lon)
    s_lat, c_lat = np.sin(np.radians(lat)), np.cos(np.radians(lat))
    s_lon, c_lon = np.sin(np.radians(lon)), np.cos(np.radians(lon))
    east = np.stack([-s_lon, c_lon, np.zeros_like(lat)], axis=-1)
    north = np.stack([-s_lat * c_lon, -s_lat * s_lon, c_lat], axis=-1)
    return east, north, np.stack([east, north], axis=-2)


def _invert(info: NDArray[np.float64]) -> NDArray[np.float64]:
    """2x2 inverse; a direction without information gets an infinite variance."""
    det = info[..., 0, 0] * info[..., 1, 1] - info[..., 0, 1] * info[..., 1, 0]
    scale = np.maximum(np.abs(info[..., 0, 0]) + np.abs(info[..., 1, 1]), 1e-300)
    singular = det <= 1e-12 * scale**2
    safe = np.where(singular, 1.0, det)
    inv = np.stack([np.stack([info[..., 1, 1], -info[..., 0, 1]], -1),
                    np.stack([-info[..., 1, 0], info[..., 0, 0]], -1)], -2) / safe[..., None, None]
    return np.where(singular[..., None, None], np.inf, inv)


def crlb_enu_m2(ms: MeasurementSet, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
    """Cramer-Rao bound (..., 2, 2), m^2, east/north at the transmitter, for the set's receivers and sigmas.

    Only geometry and sigmas matter; the measured values in ``ms`` are ignored.
    """
    return _invert(fisher_enu(ms, lat_deg, lon_deg))


def gdop_at(ms: MeasurementSet, lat_deg: ArrayLike, lon_deg: ArrayLike) -> float | NDArray[np.float64]:
    """Geometric dilution of precision: RMS position error per metre of range-equivalent error."""
    cov = _invert(fisher_enu(ms, lat_deg, lon_deg, unit_range=True))
    value = np.sqrt(cov[..., 0, 0] + cov[..., 1, 1])
    return float(value) if np.ndim(value) == 0 else value


def rms_error_m(cov_m2: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.sqrt(cov_m2[..., 0, 0] + cov_m2[..., 1, 1])


@lru_cache(maxsize=1)
def _median_table() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Median of |x| for x ~ N(0, diag(1, rho)), tabulated over rho in [0, 1].

    P(|x| <= r) = integral over z = r sin t of phi(z) (2 Phi(r cos t / sqrt(rho)) - 1) r cos t dt,
    by 64-point Gauss-Legendre (smooth integrand), solved for 1/2 by bisection; all vectorised.
    """
    from scipy.special import ndtr

    rhos = np.linspace(0.0, 1.0, 201)
    nodes, weights = np.polynomial.legendre.leggauss(64)
    t = 0.5 * np.pi * nodes
    lo, hi = np.full(rhos.shape, 0.5), np.full(rhos.shape, 1.5)
    with np.errstate(divide="ignore"):
        inv_sqrt_rho = 1.0 / np.sqrt(rhos)
    for _ in range(50):
        r = 0.5 * (lo + hi)
        z = r[:, None] * np.sin(t)
        inner = 2.0 * ndtr(r[:, None] * np.cos(t) * inv_sqrt_rho[:, None]) - 1.0
        pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        cdf = 0.5 * np.pi * (weights * pdf * inner * r[:, None] * np.cos(t)).sum(axis=1)
        below = cdf < 0.5
        lo, hi = np.where(below, r, lo), np.where(below, hi, r)
    return rhos, 0.5 * (lo + hi)


def bound_median_m(cov_m2: ArrayLike) -> NDArray[np.float64]:
    """Median error norm of a zero-mean Gaussian with covariance ``cov_m2`` (..., 2, 2)."""
    cov = np.asarray(cov_m2, dtype=float)
    eig = np.linalg.eigvalsh(np.where(np.isfinite(cov), cov, 1e300))
    major = np.maximum(eig[..., 1], 0.0)
    ratio = np.where(major > 0, np.maximum(eig[..., 0], 0.0) / np.where(major > 0, major, 1.0), 1.0)
    rhos, medians = _median_table()
    return np.sqrt(major) * np.interp(ratio, rhos, medians)


@dataclass(frozen=True, eq=False)
class ErrorMap:
    lat_deg: NDArray[np.float64]  # (n_lat,)
    lon_deg: NDArray[np.float64]  # (n_lon,)
    rms_error_m: NDArray[np.float64]  # (n_lat, n_lon); inf where the position is not identifiable

    def to_dict(self) -> dict[str, Any]:
        finite = np.where(np.isfinite(self.rms_error_m), self.rms_error_m, np.nan)
        return {"lat": self.lat_deg.tolist(), "lon": self.lon_deg.tolist(),
                "rms_error_m": [[None if np.isnan(v) else round(float(v), 3) for v in row] for row in finite]}


def expected_error_map(receivers: list[dict[str, Any]], modalities: dict[str, dict[str, Any]], area: dict[str, Any],
                       resolution: int = 64, transmitter_alt_m: float = 0.0) -> ErrorMap:
    """RMS error bound (sqrt of the CRLB's trace) over a lat/lon grid, for the web app's pre-run map.

    ``modalities`` maps a modality to its error model, applied at every receiver unless it lists
    ``receivers``: ``{"toa": {"sigma_s": 1.45e-7}, "tdoa": {"sigma_s": 2e-7, "reference": "rx0"},
    "rss": {"sigma_db": 8.0, "path_loss_exponent": 3.0}, "aoa": {"sigma_deg": 3.0}}``.
    ``area`` is a search area (lat_min, lat_max, lon_min, lon_max); ``resolution`` points per axis.
    """
    ms = nominal_measurement_set(receivers, modalities, area, transmitter_alt_m)
    n = int(np.clip(resolution, 2, 512))
    lat = np.linspace(area["lat_min"], area["lat_max"], n)
    lon = np.linspace(area["lon_min"], area["lon_max"], n)
    cov = crlb_enu_m2(ms, lat[:, None], lon[None, :])
    return ErrorMap(lat, lon, rms_error_m(cov))


def nominal_measurement_set(receivers: list[dict[str, Any]], modalities: dict[str, dict[str, Any]], area: dict[str, Any],
                            transmitter_alt_m: float = 0.0) -> MeasurementSet:
    """The measurement set a pre-run bound is computed on (``modalities`` as in ``expected_error_map``)."""
    return parse_measurement_set(_nominal_document(receivers, modalities, area, transmitter_alt_m))


def _nominal_document(receivers: list[dict[str, Any]], modalities: dict[str, dict[str, Any]], area: dict[str, Any], alt_m: float) -> dict[str, Any]:
    """A measurement set with placeholder values: only geometry and sigmas enter a bound."""
    from heimdall.errors import InvalidInput

    ids = [r["id"] for r in receivers]
    doc: dict[str, Any] = {"receivers": receivers, "search_area": area, "transmitter_alt_m": alt_m}
    for name, spec in modalities.items():
        chosen = spec.get("receivers", ids)
        if name == "toa":
            doc["toa"] = [{"receiver": r, "toa_s": 0.0, "sigma_s": spec["sigma_s"]} for r in chosen]
        elif name == "tdoa":
            ref = spec.get("reference", chosen[0])
            doc["tdoa"] = [{"receiver": r, "reference": ref, "tdoa_s": 0.0, "sigma_s": spec["sigma_s"]}
                           for r in chosen if r != ref]
        elif name == "rss":
            doc["rss"] = [{"receiver": r, "power_dbm": -100.0, "sigma_db": spec["sigma_db"]} for r in chosen]
            doc["propagation"] = {"model": "log_distance",
                                  "path_loss_exponent": spec.get("path_loss_exponent", 3.0)}
        elif name == "aoa":
            doc["aoa"] = [{"receiver": r, "bearing_deg": 0.0, "sigma_deg": spec["sigma_deg"]} for r in chosen]
        else:
            raise InvalidInput(f"unknown modality {name!r}", field=f"modalities.{name}")
    return doc
