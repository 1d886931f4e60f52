"""Fixes (one located transmission) and the local plane a track is filtered on.

A fix's ``covariance_enu_m2`` is on the east/north plane at the fix (CONTRACT section 4.2). A track
works on the tangent plane at its first fix; moving a fix onto it rotates the covariance by the
meridian convergence between the two points (about 0.9 degrees per 100 km at 45 degrees latitude), and
mapping a track position back follows the ellipsoid's curvature, so positions round-trip to well under
a metre within 100 km.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.geo import enu_rotation, enu_to_geodetic, geodetic_to_enu

MEAN_EARTH_RADIUS_M = 6_371_008.8
Matrix = NDArray[np.float64]


def _finite(value: object, field: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidInput(f"{field} must be a number, not {value!r}", field=field)
    number = float(value)
    if not math.isfinite(number) or (lo is not None and number < lo) or (hi is not None and number > hi):
        raise InvalidInput(f"{field} must be finite{'' if lo is None else f' and within [{lo:g}, {hi:g}]'}",
                           field=field)
    return number


def check_covariance(value: object, field: str = "covariance_enu_m2") -> Matrix:
    """A 2x2 symmetric positive-definite covariance of finite metres^2, or InvalidInput."""
    try:
        matrix = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field} must be a 2x2 matrix of numbers", field=field) from exc
    if matrix.shape != (2, 2) or not np.all(np.isfinite(matrix)):
        raise InvalidInput(f"{field} must be a 2x2 matrix of finite numbers", field=field)
    if abs(matrix[0, 1] - matrix[1, 0]) > 1e-6 * max(abs(matrix[0, 0]), abs(matrix[1, 1]), 1e-12):
        raise InvalidInput(f"{field} must be symmetric", field=field)
    matrix = np.asarray(0.5 * (matrix + matrix.T), dtype=np.float64)
    if np.linalg.eigvalsh(matrix)[0] <= 0:
        raise InvalidInput(f"{field} must be positive definite", field=field)
    return matrix


@dataclass(frozen=True, eq=False)
class Fix:
    """One located transmission: position, its covariance on the local east/north plane, and when."""

    fix_id: str
    time_s: float  # Unix time of the transmission
    lat: float
    lon: float
    covariance_enu_m2: Matrix
    channel: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.fix_id, str) or not self.fix_id:
            raise InvalidInput("fix_id must be a non-empty string", field="fix_id")
        object.__setattr__(self, "time_s", _finite(self.time_s, "time_s"))
        object.__setattr__(self, "lat", _finite(self.lat, "lat", -90.0, 90.0))
        object.__setattr__(self, "lon", _finite(self.lon, "lon", -180.0, 180.0))
        object.__setattr__(self, "covariance_enu_m2", check_covariance(self.covariance_enu_m2))

    @classmethod
    def from_result(cls, result: Mapping[str, object], fix_id: str, time_s: float, channel: str = "") -> Fix:
        """From a localization result (CONTRACT section 4.2)."""
        if not isinstance(result, Mapping):
            raise InvalidInput("a fix needs a localization result object")
        return cls(fix_id, time_s, result.get("lat"), result.get("lon"),  # type: ignore[arg-type]
                   result.get("covariance_enu_m2"), channel)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return {"fix_id": self.fix_id, "time_s": self.time_s, "time": iso_utc(self.time_s), "lat": self.lat,
                "lon": self.lon, "covariance_enu_m2": self.covariance_enu_m2.tolist(), "channel": self.channel}


def iso_utc(time_s: float) -> str:
    """Unix seconds as ISO 8601 UTC with milliseconds and a Z."""
    return datetime.fromtimestamp(time_s, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def horizontal_rotation(from_lat: float, from_lon: float, to_lat: float, to_lon: float) -> Matrix:
    """Maps east/north components at one point onto the east/north plane at another."""
    return (enu_rotation(to_lat, to_lon) @ enu_rotation(from_lat, from_lon).T)[:2, :2]


@dataclass(frozen=True)
class LocalPlane:
    """The tangent plane at (lat0, lon0), on the ellipsoid (altitude 0)."""

    lat0: float
    lon0: float

    def to_plane(self, lat: float, lon: float, covariance_enu_m2: Matrix) -> tuple[NDArray[np.float64], Matrix]:
        enu = geodetic_to_enu(lat, lon, 0.0, self.lat0, self.lon0, 0.0)
        rotation = horizontal_rotation(lat, lon, self.lat0, self.lon0)
        return np.asarray(enu[:2], dtype=float), rotation @ covariance_enu_m2 @ rotation.T

    def to_geodetic(self, position_m: NDArray[np.float64]) -> tuple[float, float]:
        east, north = float(position_m[0]), float(position_m[1])
        drop_m = -(east**2 + north**2) / (2.0 * MEAN_EARTH_RADIUS_M)  # the surface falls away from the plane
        lat, lon, _ = enu_to_geodetic(np.array([east, north, drop_m]), self.lat0, self.lon0, 0.0)
        return float(lat), float(lon)

    def rotation_to(self, lat: float, lon: float) -> Matrix:
        """Maps vectors on this plane onto the east/north plane at (lat, lon)."""
        return horizontal_rotation(self.lat0, self.lon0, lat, lon)
