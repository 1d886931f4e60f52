"""Per-sample geometry quality: horizontal GDOP and the Cramér-Rao bound of the sample's own
measurements (RF_NOTES section 2), vectorised over a batch.

``heimdall.locate.bounds`` did not exist when this was written, so the simulator carries its own
small implementation; the state is (east, north, emission time, transmit power) and the two
nuisances are projected out with a Schur complement.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from heimdall.geo import SPEED_OF_LIGHT_M_S


def _weights(sigma: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(sigma) & (sigma > 0), 1.0 / np.where(np.isfinite(sigma), sigma, 1.0) ** 2, 0.0)


def _accumulate(rows: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """sum_r w_r a_r a_r^T for rows (n, R, k) -> (n, k, k)."""
    return np.einsum("nr,nri,nrj->nij", weights, rows, rows)


def geometry(tx_enu_m: NDArray[np.float64], rx_enu_m: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Gradient of range w.r.t. transmitter (east, north): (n, R, 2), slant range (n, R), diff (n, R, 3)."""
    diff = tx_enu_m[:, None, :] - rx_enu_m[None, :, :]
    distance = np.linalg.norm(diff, axis=-1)
    return diff[..., :2] / distance[..., None], distance, diff


def horizontal_gdop(tx_enu_m: NDArray[np.float64], rx_enu_m: NDArray[np.float64], used: NDArray[np.bool_]) -> NDArray[np.float64]:
    """sqrt(trace) of the position block of (H^T H)^-1, H rows = [d range / d(e, n), 1]; NaN if < 3 used."""
    gradient, _, _ = geometry(tx_enu_m, rx_enu_m)
    rows = np.concatenate([gradient, np.ones(gradient.shape[:2] + (1,))], axis=-1)
    return _position_rms(_accumulate(rows, used.astype(float)), invalid=used.sum(axis=1) < 3)


def _position_rms(information: NDArray[np.float64], invalid: NDArray[np.float64]) -> NDArray[np.float64]:
    j_pp = information[:, :2, :2]
    j_pn = information[:, :2, 2:]
    # The nuisances never share a measurement, so their block is diagonal and inverts elementwise
    # (a generic pinv would drop the power's information next to the emission time's, ~1e16 apart).
    j_nn = np.diagonal(information[:, 2:, 2:], axis1=1, axis2=2)
    with np.errstate(divide="ignore"):
        inverse = np.where(j_nn > 0, 1.0 / np.where(j_nn > 0, j_nn, 1.0), 0.0)
    j_pp = j_pp - np.einsum("nik,nk,njk->nij", j_pn, inverse, j_pn)
    det = j_pp[:, 0, 0] * j_pp[:, 1, 1] - j_pp[:, 0, 1] * j_pp[:, 1, 0]
    scale = np.maximum(j_pp[:, 0, 0] + j_pp[:, 1, 1], 1e-300)
    singular = invalid | (det <= 1e-12 * scale**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        trace_inverse = (j_pp[:, 0, 0] + j_pp[:, 1, 1]) / det
    return np.where(singular, np.inf, np.sqrt(np.abs(trace_inverse)))


def crlb_rms_m(
    tx_enu_m: NDArray[np.float64],
    rx_enu_m: NDArray[np.float64],
    *,
    toa_sigma_s: NDArray[np.float64],
    tdoa_sigma_s: NDArray[np.float64],
    tdoa_reference: NDArray[np.float64],
    rss_sigma_db: NDArray[np.float64],
    aoa_sigma_deg: NDArray[np.float64],
    path_loss_exponent: float,
) -> NDArray[np.float64]:
    """2-D RMS error bound sqrt(trace(CRLB)) for each sample; inf where the position is unobservable.

    Matrices are (n, R) with NaN where a measurement is absent. Transmit power and emission time are
    unknown nuisances.
    """
    gradient, distance, diff = geometry(tx_enu_m, rx_enu_m)
    n, n_rx = distance.shape
    zeros = np.zeros((n, n_rx, 1))
    ones = np.ones((n, n_rx, 1))
    info = _accumulate(np.concatenate([gradient / SPEED_OF_LIGHT_M_S, ones, zeros], -1), _weights(toa_sigma_s))
    reference = np.clip(tdoa_reference, 0, n_rx - 1)
    delta = (gradient - gradient[np.arange(n), reference][:, None, :]) / SPEED_OF_LIGHT_M_S
    info += _accumulate(np.concatenate([delta, zeros, zeros], -1), _weights(tdoa_sigma_s))
    slope = -(10.0 * path_loss_exponent / np.log(10.0)) * gradient / distance[..., None]
    info += _accumulate(np.concatenate([slope, zeros, ones], -1), _weights(rss_sigma_db))
    horizontal = np.maximum(np.hypot(diff[..., 0], diff[..., 1]), 1e-9) ** 2
    bearing = np.stack([diff[..., 1] / horizontal, -diff[..., 0] / horizontal], axis=-1)
    info += _accumulate(np.concatenate([bearing, zeros, zeros], -1), _weights(np.radians(aoa_sigma_deg)))
    return _position_rms(info, invalid=np.zeros(n, dtype=bool))
