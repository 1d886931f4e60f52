"""A calibration: per receiver and quantity an offset, its standard uncertainty and covariance, what
is identifiable (absolute or relative, with the gauge), and the fit's own consistency figures.

``Calibration.to_dict()`` is the stored form; ``calibration_from_dict`` reads it back, validated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import chi2 as chi2_dist

from heimdall.calibrate.design import QUANTITIES
from heimdall.calibrate.references import ReceiverSite
from heimdall.errors import InvalidInput

SCHEMA_VERSION = 1
ZERO_MEAN = "zero_mean"
CONSISTENCY_ALPHA = 1.0e-3  # a fit whose chi-square is less likely than this is flagged inconsistent


@dataclass(frozen=True, eq=False)
class OffsetCalibration:
    """One quantity (``timing_offset_s``, ``gain_offset_db`` or ``bearing_offset_deg``) over its receivers.

    ``gauge`` is None for absolute offsets; for relative ones, ``"zero_mean"`` (the offsets sum to zero
    over ``receivers``) or the id of the receiver pinned at zero. ``covariance`` already includes
    ``scale**2``, the inflation for scatter beyond the stated sigmas (Birge ratio, never below 1).
    """

    quantity: str
    receivers: tuple[str, ...]
    offset: NDArray[np.float64]
    covariance: NDArray[np.float64]
    gauge: str | None
    chi2: float
    dof: int
    scale: float
    residual_rms: NDArray[np.float64]  # whitened residual RMS of each receiver's measurements
    measurements: NDArray[np.int64]
    references: NDArray[np.int64]  # in how many references each receiver was heard

    @property
    def relative(self) -> bool:
        return self.gauge is not None

    @property
    def sigma(self) -> NDArray[np.float64]:
        return np.sqrt(np.maximum(np.diag(self.covariance), 0.0))

    @property
    def p_value(self) -> float:
        return float(chi2_dist.sf(self.chi2, self.dof))

    @property
    def consistent(self) -> bool:
        return self.p_value > CONSISTENCY_ALPHA

    def index(self, receiver: str) -> int | None:
        return self.receivers.index(receiver) if receiver in self.receivers else None

    def in_gauge(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Offsets known by other means (e.g. a simulation's truth), over ``receivers`` and moved into this
        calibration's gauge, so that they compare with ``offset`` directly."""
        true = np.array([float(values[rid]) for rid in self.receivers])
        if self.gauge is None:
            return true
        common = true.mean() if self.gauge == ZERO_MEAN else true[self.receivers.index(self.gauge)]
        return np.asarray(true - common, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {
            "relative": self.relative, "gauge": self.gauge, "gauge_description": gauge_description(self),
            "chi2": self.chi2, "dof": self.dof, "p_value": self.p_value, "consistent": self.consistent,
            "scale": self.scale,
            "offsets": [
                {"receiver": rid, "offset": float(self.offset[i]), "sigma": float(self.sigma[i]),
                 "residual_rms": float(self.residual_rms[i]), "measurements": int(self.measurements[i]),
                 "references": int(self.references[i])}
                for i, rid in enumerate(self.receivers)
            ],
            "covariance": self.covariance.tolist(),
        }


def gauge_description(calibration: OffsetCalibration) -> str:
    if calibration.gauge is None:
        return "absolute"
    if calibration.gauge == ZERO_MEAN:
        return "relative: a common offset is unobservable; reported offsets sum to zero over these receivers"
    return f"relative: a common offset is unobservable; reported offsets are relative to {calibration.gauge}"


@dataclass(frozen=True, eq=False)
class Calibration:
    """Per-receiver systematic offsets from known-source captures (absent quantity: not calibrated)."""

    offsets: dict[str, OffsetCalibration]  # by quantity
    receivers: dict[str, ReceiverSite]  # where each receiver was when calibrated
    reference_count: int

    def get(self, quantity: str) -> OffsetCalibration | None:
        return self.offsets.get(quantity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "references": self.reference_count,
            "receivers": [{"id": s.id, "lat": s.lat_deg, "lon": s.lon_deg, "alt_m": s.alt_m}
                          for s in self.receivers.values()],
            **{q: (self.offsets[q].to_dict() if q in self.offsets else None) for q in QUANTITIES},
        }


def calibration_from_dict(doc: Any) -> Calibration:
    """Read a stored calibration back; InvalidInput naming the field when it is not one."""
    if not isinstance(doc, Mapping):
        raise InvalidInput("a calibration must be an object", field="calibration")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise InvalidInput(f"unsupported calibration schema_version {doc.get('schema_version')!r}",
                           field="schema_version")
    receivers = _receivers(doc.get("receivers"))
    offsets = {q: _offsets(doc[q], q, set(receivers)) for q in QUANTITIES if doc.get(q) is not None}
    references = doc.get("references")
    if not isinstance(references, int) or references < 1:
        raise InvalidInput("references must be a positive integer", field="references")
    return Calibration(offsets=offsets, receivers=receivers, reference_count=references)


def _receivers(raw: Any) -> dict[str, ReceiverSite]:
    if not isinstance(raw, list):
        raise InvalidInput("receivers must be a list", field="receivers")
    sites = {}
    for k, entry in enumerate(raw):
        try:
            site = ReceiverSite(str(entry["id"]), float(entry["lat"]), float(entry["lon"]), float(entry["alt_m"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"receivers[{k}] needs id, lat, lon, alt_m", field=f"receivers[{k}]") from exc
        sites[site.id] = site
    return sites


def _offsets(raw: Any, quantity: str, known: set[str]) -> OffsetCalibration:
    try:
        entries = raw["offsets"]
        ids = tuple(str(e["receiver"]) for e in entries)
        cov = np.asarray(raw["covariance"], dtype=float)
        values = {key: np.array([float(e[key]) for e in entries])
                  for key in ("offset", "residual_rms", "measurements", "references")}
        gauge = raw["gauge"]
        fit = (float(raw["chi2"]), int(raw["dof"]), float(raw["scale"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"{quantity} is not a stored offset calibration ({exc})", field=quantity) from exc
    _check_offsets(quantity, ids, cov, values["offset"], gauge, known)
    return OffsetCalibration(
        quantity=quantity, receivers=ids, offset=values["offset"], covariance=cov, gauge=gauge,
        chi2=fit[0], dof=fit[1], scale=fit[2], residual_rms=values["residual_rms"],
        measurements=values["measurements"].astype(np.int64), references=values["references"].astype(np.int64),
    )


def _check_offsets(quantity: str, ids: tuple[str, ...], cov: NDArray[np.float64], offset: NDArray[np.float64], gauge: Any,
                   known: set[str]) -> None:
    n = len(ids)
    if n == 0 or len(set(ids)) != n or not set(ids) <= known:
        raise InvalidInput(f"{quantity}.offsets must name distinct, listed receivers", field=f"{quantity}.offsets")
    if cov.shape != (n, n) or not np.all(np.isfinite(cov)) or not np.all(np.isfinite(offset)):
        raise InvalidInput(f"{quantity}.covariance must be a finite {n}x{n} matrix", field=f"{quantity}.covariance")
    if not np.allclose(cov, cov.T, rtol=1e-9, atol=0.0) or np.min(np.linalg.eigvalsh(cov)) < -1e-9 * _scale(cov):
        raise InvalidInput(f"{quantity}.covariance must be symmetric positive semi-definite",
                           field=f"{quantity}.covariance")
    if gauge is not None and gauge != ZERO_MEAN and gauge not in ids:
        raise InvalidInput(f"{quantity}.gauge must be null, {ZERO_MEAN!r} or one of its receivers",
                           field=f"{quantity}.gauge")


def _scale(cov: NDArray[np.float64]) -> float:
    return max(float(np.max(np.abs(np.diag(cov)))), math.ulp(1.0))
