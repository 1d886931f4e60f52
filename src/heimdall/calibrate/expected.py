"""Expected accuracy with systematic receiver offsets: what an uncalibrated network costs.

A receiver's offset is the same in every measurement it makes, so offsets are *correlated* errors
(one timing offset enters every TDoA pair of that receiver, with opposite signs as reference).
Linearised at a transmitter position, with ``H`` the measurement Jacobian, ``W`` the stated
inverse variances, ``N`` the nuisance columns (emission time, transmit power, exponent) and
``Sigma`` the covariance the offsets induce over the measurements:

- ``bound``: the Cramer-Rao bound without offsets, ``J^-1`` (``J = H' P H``, ``P`` the nuisance-
  projected ``W``): a perfectly calibrated network (equals ``locate.bounds.crlb_enu_m2``).
- ``naive``: the classical estimator as it is, trusting the stated sigmas, on offset data:
  ``J^-1 + K Sigma K'`` with ``K = J^-1 H' P`` (the sandwich). What an uncalibrated network gives.
- ``aware``: the bound of an estimator that models the offsets as correlated noise
  (``W`` replaced by the inverse of ``diag(sigma^2) + Sigma``): the best an uncalibrated network
  could give with honest error models, and what a calibration with residual covariance C allows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.calibrate.design import BEARING, GAIN, TIMING
from heimdall.calibrate.model import Calibration
from heimdall.errors import InvalidInput
from heimdall.geo import SPEED_OF_LIGHT_M_S, enu_rotation, geodetic_to_ecef
from heimdall.locate.bounds import nominal_measurement_set
from heimdall.locate.measurement_set import MeasurementSet

LN10 = math.log(10.0)
Sigmas = float | Mapping[str, float]


@dataclass(frozen=True, eq=False)
class SystematicCovariance:
    """Covariance of the per-receiver offsets, over ``ms.receivers`` in their order."""

    timing_s2: NDArray[np.float64]
    gain_db2: NDArray[np.float64]
    bearing_deg2: NDArray[np.float64]


def systematic_from_sigmas(ms: MeasurementSet, timing_sigma_s: Sigmas = 0.0, gain_sigma_db: Sigmas = 0.0,
                           bearing_sigma_deg: Sigmas = 0.0) -> SystematicCovariance:
    """Independent offsets per receiver, of one sigma for all or a sigma per receiver id (others 0)."""
    def diagonal(sigma: Sigmas) -> NDArray[np.float64]:
        if isinstance(sigma, Mapping):
            values = np.array([float(sigma.get(rid, 0.0)) for rid in ms.receivers.ids])
        else:
            values = np.full(len(ms.receivers), float(sigma))
        if np.any(~np.isfinite(values)) or np.any(values < 0):
            raise InvalidInput("offset sigmas must be finite and >= 0", field="offsets")
        return np.diag(values**2)

    return SystematicCovariance(diagonal(timing_sigma_s), diagonal(gain_sigma_db), diagonal(bearing_sigma_deg))


def systematic_from_calibration(ms: MeasurementSet, calibration: Calibration) -> SystematicCovariance:
    """What remains after calibration: each quantity's offset covariance, over the set's receivers.
    Receivers the calibration does not cover keep no offset error (state theirs with the sigmas form)."""
    n = len(ms.receivers)
    out = []
    for quantity in (TIMING, GAIN, BEARING):
        cov = np.zeros((n, n))
        cal = calibration.get(quantity)
        if cal is not None:
            rows = [(i, cal.index(rid)) for i, rid in enumerate(ms.receivers.ids) if cal.index(rid) is not None]
            if rows:
                mine, theirs = (np.array(c, dtype=np.intp) for c in zip(*rows, strict=True))
                cov[np.ix_(mine, mine)] = cal.covariance[np.ix_(theirs, theirs)]
        out.append(cov)
    return SystematicCovariance(*out)


@dataclass(frozen=True, eq=False)
class ExpectedError:
    """Covariances (..., 2, 2), m^2, east/north at the transmitter (module docstring)."""

    bound_m2: NDArray[np.float64]
    naive_m2: NDArray[np.float64]
    aware_m2: NDArray[np.float64]


def expected_error_enu_m2(ms: MeasurementSet, lat_deg: ArrayLike, lon_deg: ArrayLike,
                          systematic: SystematicCovariance) -> ExpectedError:
    """The three covariances at transmitter positions (any shape); only geometry and sigmas matter."""
    h, nuisance, sigma = jacobian(ms, lat_deg, lon_deg)
    offsets = measurement_covariance(ms, systematic)
    weight = np.diag(sigma**-2.0)
    info, gain = _projected(h, nuisance, weight)
    bound = _inverse(info)
    spread = np.einsum("...im,mn,...jn->...ij", gain, offsets, gain)
    naive = bound + np.einsum("...ik,...kl,...jl->...ij", bound, spread, bound)
    # (diag(sigma^2) + Sigma)^-1 through the whitened form I + Sigma / sigma sigma', which is never
    # singular and keeps a 100 ns TOA next to an 8 dB power at full precision
    whitened = np.eye(sigma.size) + offsets / np.outer(sigma, sigma)
    aware_weight = np.linalg.inv(whitened) / np.outer(sigma, sigma)
    aware_info, _ = _projected(h, nuisance, aware_weight)
    return ExpectedError(bound, naive, _inverse(aware_info))


def _projected(h: NDArray[np.float64], nuisance: NDArray[np.float64], weight: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Position information with the nuisances projected out, and ``H' P`` (..., 2, M)."""
    hw = np.einsum("...mi,mn->...in", h, weight)
    if nuisance.shape[-1] == 0:
        return hw @ h, hw
    nw = np.einsum("...mk,mn->...kn", nuisance, weight)
    gram = nw @ nuisance
    # columns of very different weights (a clock in 1/s^2, a power in 1/dB^2): equilibrate first
    scale = np.sqrt(np.maximum(np.einsum("...kk->...k", gram), 1e-300))
    gram_inv = np.linalg.pinv(gram / (scale[..., :, None] * scale[..., None, :])) / (
        scale[..., :, None] * scale[..., None, :])
    cross = hw @ nuisance
    projected = hw - cross @ gram_inv @ nw
    return projected @ h, projected


def _inverse(info: NDArray[np.float64]) -> NDArray[np.float64]:
    """2x2 inverse; a direction without information gets an infinite variance."""
    det = info[..., 0, 0] * info[..., 1, 1] - info[..., 0, 1] * info[..., 1, 0]
    scale = np.maximum(np.abs(info[..., 0, 0]) + np.abs(info[..., 1, 1]), 1e-300)
    singular = det <= 1e-12 * scale**2
    safe = np.where(singular, 1.0, det)
    inv = np.stack([np.stack([info[..., 1, 1], -info[..., 0, 1]], -1),
                    np.stack([-info[..., 1, 0], info[..., 0, 0]], -1)], -2) / safe[..., None, None]
    return np.where(singular[..., None, None], np.inf, inv)


def measurement_covariance(ms: MeasurementSet, systematic: SystematicCovariance) -> NDArray[np.float64]:
    """Covariance the offsets induce over the measurements (order toa, tdoa, rss, aoa; bearings in rad)."""
    n = len(ms.receivers)
    blocks = []
    for receiver, minus, cov, unit in (
        (ms.toa.receiver, None, systematic.timing_s2, 1.0),
        (ms.tdoa.receiver, ms.tdoa.reference, systematic.timing_s2, 1.0),
        (ms.rss.receiver, None, systematic.gain_db2, 1.0),
        (ms.aoa.receiver, None, systematic.bearing_deg2, math.radians(1.0)),
    ):
        select = np.eye(n)[receiver] * unit
        if minus is not None:
            select = select - np.eye(n)[minus] * unit
        blocks.append((select, cov))
    size = sum(select.shape[0] for select, _ in blocks)
    out = np.zeros((size, size))
    start = 0
    for select, cov in blocks:
        stop = start + select.shape[0]
        out[start:stop, start:stop] = select @ cov @ select.T
        start = stop
    return out


def jacobian(ms: MeasurementSet, lat_deg: ArrayLike, lon_deg: ArrayLike
             ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """d(measurement)/d(east, north) (..., M, 2), nuisance columns (..., M, K) and sigmas (M,),
    in the order toa, tdoa, rss, aoa (bearings in radians)."""
    lat, lon = np.broadcast_arrays(np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float))
    tx = geodetic_to_ecef(lat, lon, ms.tx_alt_m)
    rx = ms.receivers
    delta = tx[..., None, :] - geodetic_to_ecef(rx.lat_deg, rx.lon_deg, rx.alt_m)
    dist = np.linalg.norm(delta, axis=-1)
    basis = _enu_basis(lat, lon)
    grad = np.einsum("...rk,...ik->...ri", delta / dist[..., None], basis)  # d range / d(e, n)
    toa, tdoa, rss, aoa = ms.toa, ms.tdoa, ms.rss, ms.aoa
    rows = [grad[..., toa.receiver, :] / SPEED_OF_LIGHT_M_S,
            (grad[..., tdoa.receiver, :] - grad[..., tdoa.reference, :]) / SPEED_OF_LIGHT_M_S,
            _rss_rows(ms, dist, grad), _aoa_rows(ms, tx, basis)]
    h = np.concatenate(rows, axis=-2)
    sigma = np.concatenate([toa.sigma_s, tdoa.sigma_s, rss.sigma_db, np.radians(aoa.sigma_deg)])
    return h, _nuisance(ms, dist, h.shape[:-2]), sigma


def _rss_rows(ms: MeasurementSet, dist: NDArray[np.float64], grad: NDArray[np.float64]) -> NDArray[np.float64]:
    exponent = ms.propagation.path_loss_exponent or 3.0
    d = dist[..., ms.rss.receiver]
    return np.asarray(-(10.0 * exponent / LN10) * grad[..., ms.rss.receiver, :] / d[..., None])


def _aoa_rows(ms: MeasurementSet, tx: NDArray[np.float64], basis: NDArray[np.float64]) -> NDArray[np.float64]:
    aoa, rx = ms.aoa, ms.receivers
    if not aoa.receiver.size:
        return np.zeros(tx.shape[:-1] + (0, 2))
    rx_ecef = geodetic_to_ecef(rx.lat_deg[aoa.receiver], rx.lon_deg[aoa.receiver], rx.alt_m[aoa.receiver])
    rot = np.stack([enu_rotation(rx.lat_deg[i], rx.lon_deg[i]) for i in aoa.receiver])
    local = np.einsum("mij,...mj->...mi", rot, tx[..., None, :] - rx_ecef)
    horizontal2 = local[..., 0] ** 2 + local[..., 1] ** 2
    d_theta = (local[..., 1, None] * rot[:, 0, :] - local[..., 0, None] * rot[:, 1, :]) / horizontal2[..., None]
    return np.asarray(np.einsum("...mk,...ik->...mi", d_theta, basis))


def _nuisance(ms: MeasurementSet, dist: NDArray[np.float64], shape: tuple[int, ...]) -> NDArray[np.float64]:
    counts = [ms.toa.receiver.size, ms.tdoa.receiver.size, ms.rss.receiver.size, ms.aoa.receiver.size]
    total = sum(counts)
    columns = []
    if counts[0]:
        columns.append(np.broadcast_to(np.r_[np.ones(counts[0]), np.zeros(total - counts[0])], shape + (total,)))
    start = counts[0] + counts[1]
    if counts[2] and ms.eirp_dbm is None:
        column = np.zeros(total)
        column[start:start + counts[2]] = 1.0
        columns.append(np.broadcast_to(column, shape + (total,)))
    if counts[2] and ms.propagation.path_loss_exponent is None:
        column = np.zeros(shape + (total,))
        log_d = 10.0 * np.log10(dist[..., ms.rss.receiver] / ms.propagation.reference_distance_m)
        column[..., start:start + counts[2]] = -log_d
        columns.append(column)
    return np.stack(columns, axis=-1) if columns else np.zeros(shape + (total, 0))


def _enu_basis(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    """East and north unit vectors in ECEF at (lat, lon): (..., 2, 3)."""
    s_lat, c_lat = np.sin(np.radians(lat)), np.cos(np.radians(lat))
    s_lon, c_lon = np.sin(np.radians(lon)), np.cos(np.radians(lon))
    east = np.stack([-s_lon, c_lon, np.zeros_like(lat)], axis=-1)
    north = np.stack([-s_lat * c_lon, -s_lat * s_lon, c_lat], axis=-1)
    return np.stack([east, north], axis=-2)


@dataclass(frozen=True, eq=False)
class SystematicErrorMap:
    lat_deg: NDArray[np.float64]
    lon_deg: NDArray[np.float64]
    rms_error_m: NDArray[np.float64]  # calibrated (no offsets): the plain bound
    uncalibrated_rms_error_m: NDArray[np.float64]  # the classical estimator on offset data
    offset_aware_rms_error_m: NDArray[np.float64]  # the bound with offsets modelled as correlated noise

    def to_dict(self) -> dict[str, Any]:
        def grid(values: NDArray[np.float64]) -> list[list[float | None]]:
            return [[round(float(v), 3) if np.isfinite(v) else None for v in row] for row in values]

        return {"lat": self.lat_deg.tolist(), "lon": self.lon_deg.tolist(), "rms_error_m": grid(self.rms_error_m),
                "uncalibrated_rms_error_m": grid(self.uncalibrated_rms_error_m),
                "offset_aware_rms_error_m": grid(self.offset_aware_rms_error_m)}


def systematic_error_map(receivers: list[dict[str, Any]], modalities: dict[str, dict[str, Any]], area: dict[str, float],
                         offsets: Mapping[str, Sigmas], resolution: int = 64,
                         transmitter_alt_m: float = 0.0) -> SystematicErrorMap:
    """``locate.bounds.expected_error_map`` plus what offsets of the given sigmas cost.

    ``offsets``: ``{"timing_offset_s": 2e-6, "gain_offset_db": 6.0, "bearing_offset_deg": 5.0}``, each
    one sigma for all receivers or a mapping receiver id -> sigma. Computed one latitude row at a time.
    """
    unknown = sorted(set(offsets) - {TIMING, GAIN, BEARING})
    if unknown:
        raise InvalidInput(f"unknown offset quantity {unknown[0]!r}", field=f"offsets.{unknown[0]}")
    ms = nominal_measurement_set(receivers, modalities, area, transmitter_alt_m)
    systematic = systematic_from_sigmas(ms, offsets.get(TIMING, 0.0), offsets.get(GAIN, 0.0),
                                        offsets.get(BEARING, 0.0))
    n = int(np.clip(resolution, 2, 512))
    lat = np.linspace(area["lat_min"], area["lat_max"], n)
    lon = np.linspace(area["lon_min"], area["lon_max"], n)
    rows = [expected_error_enu_m2(ms, np.full(n, la), lon, systematic) for la in lat]
    rms = [np.stack([_rms(getattr(r, name)) for r in rows]) for name in ("bound_m2", "naive_m2", "aware_m2")]
    return SystematicErrorMap(lat, lon, *rms)


def _rms(cov: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.sqrt(cov[..., 0, 0] + cov[..., 1, 1]), dtype=float)
