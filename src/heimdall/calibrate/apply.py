"""``apply_calibration``: a measurement set with each receiver's offset removed and the offset's
uncertainty added to the measurement's sigma. The localizers never know calibrations exist.

How the uncertainty enters (docs/calibration.md, "Applying"): the correction error ``delta`` of
the offsets has covariance C (in the calibration's gauge).

- TDoA ``(i, j)``: corrected by ``tau_i - tau_j``; its error ``delta_i - delta_j`` has variance
  ``C_ii + C_jj - 2 C_ij``, which is gauge-free and carries the correlation the gauge and the joint fit
  put between the two receivers. (Pairs that share a receiver also share its error; the contract's
  TDoA entries are independent, so that cross-pair term cannot be stated: see the docs.)
- TOA, and RSS with the transmit power unknown: a common error of all entries is absorbed by the
  emission time / transmit power, so only C up to a common mode matters. It is represented by
  independent per-receiver variances ``D`` with ``diag(D) = C + 1 a^T + a 1^T`` (least squares over
  the off-diagonal terms): exact whenever C is diagonal up to a common mode, as it is for offsets
  fitted from references each heard by the same receivers.
- Bearings, and RSS with a known EIRP: absolute, variance ``C_ii``. A relative gain calibration cannot
  serve a set with a known EIRP (its common offset is unknown): refused.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from heimdall.calibrate.design import BEARING, GAIN, TIMING
from heimdall.calibrate.model import Calibration, OffsetCalibration
from heimdall.errors import InvalidInput
from heimdall.geo import geodetic_to_ecef
from heimdall.locate.measurement_set import (
    AoaMeasurements,
    MeasurementSet,
    RssMeasurements,
    TdoaMeasurements,
    ToaMeasurements,
)

MOVED_M = 100.0  # a receiver this far from where it was calibrated is another installation


def apply_calibration(ms: MeasurementSet, calibration: Calibration) -> MeasurementSet:
    """The set corrected by ``calibration``; InvalidInput when a calibrated modality has a measurement
    of a receiver the calibration does not know (or knows elsewhere). Quantities the calibration does
    not hold leave their modality unchanged."""
    _check_sites(ms, calibration)
    timing, gain, bearing = (calibration.get(q) for q in (TIMING, GAIN, BEARING))
    return replace(
        ms,
        toa=_toa(ms, timing) if timing is not None else ms.toa,
        tdoa=_tdoa(ms, timing) if timing is not None else ms.tdoa,
        rss=_rss(ms, gain) if gain is not None else ms.rss,
        aoa=_aoa(ms, bearing) if bearing is not None else ms.aoa,
    )


def _columns(ms: MeasurementSet, cal: OffsetCalibration, receivers: NDArray[np.intp], modality: str,
             key: str = "receiver") -> NDArray[np.intp]:
    ids = ms.receivers.ids
    columns = []
    for k, i in enumerate(receivers):
        column = cal.index(ids[i])
        if column is None:
            raise InvalidInput(f"{modality}[{k}]: {ids[i]!r} has no {cal.quantity} in this calibration",
                               field=f"{modality}[{k}].{key}", details={"reason": "uncalibrated_receiver"})
        columns.append(column)
    return np.asarray(columns, dtype=np.intp)


def _toa(ms: MeasurementSet, cal: OffsetCalibration) -> ToaMeasurements:
    toa = ms.toa
    if not toa.receiver.size:
        return toa
    cols = _columns(ms, cal, toa.receiver, "toa")
    extra = _common_mode_free_variances(cal.covariance, cols)
    return ToaMeasurements(toa.receiver, toa.toa_s - cal.offset[cols], np.sqrt(toa.sigma_s**2 + extra))


def _tdoa(ms: MeasurementSet, cal: OffsetCalibration) -> TdoaMeasurements:
    tdoa = ms.tdoa
    if not tdoa.receiver.size:
        return tdoa
    i = _columns(ms, cal, tdoa.receiver, "tdoa")
    j = _columns(ms, cal, tdoa.reference, "tdoa", key="reference")
    c = cal.covariance
    extra = np.maximum(c[i, i] + c[j, j] - 2.0 * c[i, j], 0.0)
    corrected = tdoa.tdoa_s - (cal.offset[i] - cal.offset[j])
    return TdoaMeasurements(tdoa.receiver, tdoa.reference, corrected, np.sqrt(tdoa.sigma_s**2 + extra))


def _rss(ms: MeasurementSet, cal: OffsetCalibration) -> RssMeasurements:
    rss = ms.rss
    if not rss.receiver.size:
        return rss
    cols = _columns(ms, cal, rss.receiver, "rss")
    if ms.eirp_dbm is None:
        extra = _common_mode_free_variances(cal.covariance, cols)
    elif cal.relative:
        raise InvalidInput("this calibration's gain offsets are relative (its references' EIRP was unknown); a "
                           "measurement set with a known eirp_dbm needs absolute ones", field="eirp_dbm",
                           details={"reason": "relative_gain"})
    else:
        extra = cal.covariance[cols, cols]
    return RssMeasurements(rss.receiver, rss.power_dbm - cal.offset[cols], np.sqrt(rss.sigma_db**2 + extra))


def _aoa(ms: MeasurementSet, cal: OffsetCalibration) -> AoaMeasurements:
    aoa = ms.aoa
    if not aoa.receiver.size:
        return aoa
    cols = _columns(ms, cal, aoa.receiver, "aoa")
    corrected = np.mod(aoa.bearing_deg - cal.offset[cols], 360.0)
    return AoaMeasurements(aoa.receiver, corrected, np.sqrt(aoa.sigma_deg**2 + cal.covariance[cols, cols]))


def _common_mode_free_variances(cov: NDArray[np.float64], columns: NDArray[np.intp]) -> NDArray[np.float64]:
    """Per-entry variances for entries whose common error is absorbed by a nuisance (see module doc)."""
    unique, inverse = np.unique(columns, return_inverse=True)
    return independent_variances(cov[np.ix_(unique, unique)])[inverse]


def independent_variances(cov: NDArray[np.float64]) -> NDArray[np.float64]:
    """Variances D of independent errors equal to ``cov`` up to a common mode (exact when one exists).

    Solves ``a_i + a_j = -cov_ij`` over i < j by least squares; ``D = diag(cov) + 2 a``, never negative.
    Two entries: only their difference is seen, so its variance is split evenly.
    """
    n = cov.shape[0]
    if n < 2:
        return np.diag(cov).astype(float)
    if n == 2:  # only the difference is seen: any split of its variance is exact
        return np.full(2, max(float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]), 0.0) / 2.0)
    i, j = np.triu_indices(n, k=1)
    pairs = np.zeros((i.size, n))
    pairs[np.arange(i.size), i] = 1.0
    pairs[np.arange(i.size), j] = 1.0
    a = np.linalg.lstsq(pairs, -cov[i, j], rcond=None)[0]
    return np.asarray(np.maximum(np.diag(cov) + 2.0 * a, 0.0), dtype=float)


def _check_sites(ms: MeasurementSet, calibration: Calibration) -> None:
    rx = ms.receivers
    for i in ms.used_receivers():
        site = calibration.receivers.get(rx.ids[i])
        if site is None:
            continue
        here = geodetic_to_ecef(rx.lat_deg[i], rx.lon_deg[i], rx.alt_m[i])
        gap = float(np.linalg.norm(here - geodetic_to_ecef(site.lat_deg, site.lon_deg, site.alt_m)))
        if gap > MOVED_M:
            raise InvalidInput(f"receiver {site.id!r} is {gap:.0f} m from where it was calibrated; recalibrate it",
                               field=f"receivers[{i}]", details={"reason": "moved_receiver"})
