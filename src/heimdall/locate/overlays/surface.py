"""Points on the transmitter's surface seen from a receiver: the geometry every overlay is drawn with.

A point is reached from a receiver by going ``horizontal_m`` along an azimuth in the receiver's own
horizontal plane and then straight down (along the receiver's vertical) to the ellipsoid raised by
``tx_alt_m``. That is exactly the set of points whose bearing, as the estimator models it (the chord
projected on the receiver's horizontal plane, ``heimdall.geo.bearing_deg``), equals the azimuth: a
bearing line drawn this way passes through the position a perfect bearing came from, at any range.

Curves defined by a distance (a TDoA hyperbola, a power or arrival-time range ring) are traced by
casting rays from a receiver and solving for the distance along each ray by bisection on the exact
(ECEF, straight-line) model, so their points satisfy the measurement, not an approximation of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from heimdall.geo import ecef_to_geodetic, enu_rotation, geodetic_to_ecef
from heimdall.geo.wgs84 import WGS84_A_M, WGS84_B_M

_BISECTION_STEPS = 36  # 5,000 km / 2^36 ~ 0.1 mm


class Station:
    """A receiver's position and its local frame, for casting points from it."""

    def __init__(self, lat_deg: float, lon_deg: float, alt_m: float) -> None:
        self.lat_deg, self.lon_deg, self.alt_m = float(lat_deg), float(lon_deg), float(alt_m)
        self.ecef_m = geodetic_to_ecef(lat_deg, lon_deg, alt_m)
        self.rotation = enu_rotation(lat_deg, lon_deg)  # rows: east, north, up

    def points(self, azimuth_deg: NDArray[np.float64] | float, horizontal_m: NDArray[np.float64] | float,
               tx_alt_m: float) -> NDArray[np.float64]:
        """ECEF (..., 3) of the surface points along ``azimuth_deg`` at ``horizontal_m`` (broadcast)."""
        azimuth = np.radians(np.asarray(azimuth_deg, dtype=float))
        distance = np.asarray(horizontal_m, dtype=float)
        east, north, up = self.rotation
        base = self.ecef_m + (distance * np.sin(azimuth))[..., None] * east \
            + (distance * np.cos(azimuth))[..., None] * north
        drop = _drop_to_ellipsoid(base, up, tx_alt_m)
        if tx_alt_m != 0.0:
            # The raised ellipsoid (a + h, b + h) differs from "h above the ellipsoid" by millimetres
            # per metre of h: one step along the vertical with the true altitude removes it. At h = 0
            # the quadratic is exact (and this is the hot loop of every curve).
            _, _, alt = ecef_to_geodetic(base + drop[..., None] * up)
            drop = drop - (alt - tx_alt_m)
        points: NDArray[np.float64] = base + drop[..., None] * up
        return points

    def lat_lon(self, azimuth_deg: NDArray[np.float64] | float, horizontal_m: NDArray[np.float64] | float,
                tx_alt_m: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lat, lon, _ = ecef_to_geodetic(self.points(azimuth_deg, horizontal_m, tx_alt_m))
        return lat, lon


def _drop_to_ellipsoid(base: NDArray[np.float64], up: NDArray[np.float64], tx_alt_m: float) -> NDArray[np.float64]:
    """The ``z`` with ``base + z up`` on the ellipsoid of semi-axes (a + h, b + h): the near root of a quadratic."""
    scale = np.array([1.0 / (WGS84_A_M + tx_alt_m) ** 2] * 2 + [1.0 / (WGS84_B_M + tx_alt_m) ** 2])
    qa = up**2 @ scale
    qb = (base * up) @ scale
    qc = base**2 @ scale - 1.0
    discriminant = qb**2 - qa * qc
    with np.errstate(invalid="ignore"):
        return np.where(discriminant >= 0, (-qb + np.sqrt(np.maximum(discriminant, 0.0))) / qa, np.nan)


class RayFan:
    """The same azimuths cast from several stations at once (one per curve): points are (K, N, 3) for
    K stations and N azimuths, so every curve of a result is solved in one vectorised bisection."""

    def __init__(self, stations: Sequence[Station], azimuth_deg: NDArray[np.float64], tx_alt_m: float) -> None:
        azimuth = np.radians(np.asarray(azimuth_deg, dtype=float))
        rotation = np.stack([s.rotation for s in stations])  # (K, 3, 3): rows east, north, up
        self.origin = np.stack([s.ecef_m for s in stations])[:, None, :]
        self.direction = np.sin(azimuth)[None, :, None] * rotation[:, None, 0, :] \
            + np.cos(azimuth)[None, :, None] * rotation[:, None, 1, :]
        self.up = rotation[:, None, 2, :]
        self.tx_alt_m = tx_alt_m

    def points(self, horizontal_m: NDArray[np.float64]) -> NDArray[np.float64]:
        base = self.origin + horizontal_m[..., None] * self.direction
        drop = _drop_to_ellipsoid(base, self.up, self.tx_alt_m)
        if self.tx_alt_m != 0.0:
            _, _, alt = ecef_to_geodetic(base + drop[..., None] * self.up)
            drop = drop - (alt - self.tx_alt_m)
        points: NDArray[np.float64] = base + drop[..., None] * self.up
        return points


def solve_fan(fan: RayFan, max_m: NDArray[np.float64],
              excess: Callable[[NDArray[np.float64]], NDArray[np.float64]]) -> NDArray[np.float64]:
    """Per station and azimuth, the horizontal distance in (0, max_m[k]] where ``excess(points)`` (K, N)
    crosses zero; ``excess`` must be monotonic along each ray; NaN where a ray does not cross."""
    shape = fan.direction.shape[:2]
    low = np.zeros(shape)
    high = np.broadcast_to(np.asarray(max_m, dtype=float)[:, None], shape).copy()
    f_low = excess(fan.points(low))
    crosses = np.sign(f_low) != np.sign(excess(fan.points(high)))
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        f_middle = excess(fan.points(middle))
        same_as_low = np.sign(f_middle) == np.sign(f_low)
        low = np.where(same_as_low, middle, low)
        f_low = np.where(same_as_low, f_middle, f_low)
        high = np.where(same_as_low, high, middle)
    return np.where(crosses, 0.5 * (low + high), np.nan)


def runs(valid: NDArray[np.bool_], circular: bool) -> list[NDArray[np.intp]]:
    """Index runs of consecutive True values; on a circle a run may wrap past the end."""
    n = valid.size
    if valid.all():
        return [np.arange(n)]
    if not valid.any():
        return []
    start = int(np.argmin(valid)) if circular else 0  # begin at a gap so no run is cut in two
    order = (np.arange(n) + start) % n if circular else np.arange(n)
    found: list[NDArray[np.intp]] = []
    current: list[int] = []
    for index in order:
        if valid[index]:
            current.append(int(index))
        elif current:
            found.append(np.array(current))
            current = []
    if current:
        found.append(np.array(current))
    return [run for run in found if run.size >= 2]
