"""The local frame the estimators work in.

A candidate transmitter position is two numbers ``(east_m, north_m)`` in the tangent plane at the
frame's origin; it stands for the point at altitude ``tx_alt_m`` above the WGS84 ellipsoid on the
normal through that tangent-plane point. The map is exact (distances are computed between true
ECEF positions, Earth curvature included) and, at the origin, its Jacobian is the identity, so a
covariance computed in a frame centred at the estimate is the covariance in local east/north.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.geo import ecef_to_geodetic, enu_rotation, geodetic_to_ecef


@dataclass(frozen=True, eq=False)
class LocalFrame:
    lat0_deg: float
    lon0_deg: float
    tx_alt_m: float = 0.0
    origin_ecef_m: NDArray[np.float64] = field(init=False)
    rotation: NDArray[np.float64] = field(init=False)  # rows: east, north, up (ECEF)

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin_ecef_m", geodetic_to_ecef(self.lat0_deg, self.lon0_deg, 0.0))
        object.__setattr__(self, "rotation", enu_rotation(self.lat0_deg, self.lon0_deg))

    def to_geodetic(self, en_m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Tangent-plane (..., 2) -> (lat_deg, lon_deg) of the foot of the ellipsoid normal."""
        en = np.asarray(en_m, dtype=float)
        tangent = self.origin_ecef_m + en[..., :1] * self.rotation[0] + en[..., 1:2] * self.rotation[1]
        lat, lon, _ = ecef_to_geodetic(tangent)
        return lat, lon

    def to_ecef(self, en_m: ArrayLike) -> NDArray[np.float64]:
        """Tangent-plane (..., 2) -> ECEF (..., 3) of the transmitter at ``tx_alt_m``."""
        lat, lon = self.to_geodetic(en_m)
        return geodetic_to_ecef(lat, lon, self.tx_alt_m)

    def from_geodetic(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        """Inverse of ``to_geodetic``: where the normal at (lat, lon) pierces the tangent plane."""
        surface = geodetic_to_ecef(lat_deg, lon_deg, 0.0)
        normal = geodetic_to_ecef(lat_deg, lon_deg, 1.0) - surface
        up0 = self.rotation[2]
        offset = surface - self.origin_ecef_m
        s = -(offset @ up0) / (normal @ up0)
        point = offset + s[..., None] * normal if np.ndim(s) else offset + s * normal
        return np.stack([point @ self.rotation[0], point @ self.rotation[1]], axis=-1)


def network_centre(lat_deg: NDArray[np.float64], lon_deg: NDArray[np.float64]) -> tuple[float, float]:
    """Centre of a set of points: the normalised mean of their unit vectors (safe across +-180)."""
    vectors = geodetic_to_ecef(lat_deg, lon_deg, 0.0)
    mean = vectors.mean(axis=0)
    lat, lon, _ = ecef_to_geodetic(mean / np.linalg.norm(mean) * 6.371e6)
    return float(lat), float(lon)
