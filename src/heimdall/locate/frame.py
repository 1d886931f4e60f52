"""The local frame the estimators work in.

A candidate transmitter position is two numbers ``(east_m, north_m)``: scaled geodetic offsets
from the frame's origin, ``lat = lat0 + north / (M + h)`` and ``lon = lon0 + east / ((N + h) cos lat0)``
with the WGS84 radii of curvature M, N, and the transmitter at altitude ``tx_alt_m`` above the
ellipsoid. Distances are then computed between exact ECEF positions (Earth curvature included).
At the origin the map's Jacobian to local east/north is the identity, so a covariance computed in
a frame centred at an estimate is the covariance in local east/north there; away from it the map
is smooth and cheap (no iterative geodetic inversion in the fitting loop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.geo import WGS84_A_M, WGS84_E2, geodetic_to_ecef


@dataclass(frozen=True, eq=False)
class LocalFrame:
    lat0_deg: float
    lon0_deg: float
    tx_alt_m: float = 0.0
    metres_per_rad: tuple[float, float] = field(init=False)  # (east per rad of lon, north per rad of lat)

    def __post_init__(self) -> None:
        lat0 = math.radians(self.lat0_deg)
        w = math.sqrt(1.0 - WGS84_E2 * math.sin(lat0) ** 2)
        prime_vertical = WGS84_A_M / w
        meridian = WGS84_A_M * (1.0 - WGS84_E2) / w**3
        east = (prime_vertical + self.tx_alt_m) * max(math.cos(lat0), 1e-6)
        object.__setattr__(self, "metres_per_rad", (east, meridian + self.tx_alt_m))

    def to_geodetic(self, en_m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Frame coordinates (..., 2) -> (lat_deg, lon_deg)."""
        en = np.asarray(en_m, dtype=float)
        lat = self.lat0_deg + np.degrees(en[..., 1] / self.metres_per_rad[1])
        lon = self.lon0_deg + np.degrees(en[..., 0] / self.metres_per_rad[0])
        return lat, (lon + 180.0) % 360.0 - 180.0

    def to_ecef(self, en_m: ArrayLike) -> NDArray[np.float64]:
        """Frame coordinates (..., 2) -> ECEF (..., 3) of the transmitter at ``tx_alt_m``."""
        lat, lon = self.to_geodetic(en_m)
        return geodetic_to_ecef(lat, lon, self.tx_alt_m)

    def from_geodetic(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        """Inverse of ``to_geodetic``."""
        dlon = (np.asarray(lon_deg, dtype=float) - self.lon0_deg + 180.0) % 360.0 - 180.0
        dlat = np.asarray(lat_deg, dtype=float) - self.lat0_deg
        return np.stack([np.radians(dlon) * self.metres_per_rad[0], np.radians(dlat) * self.metres_per_rad[1]],
                        axis=-1)
