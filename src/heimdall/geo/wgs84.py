"""WGS84 ellipsoid conversions (vectorised).

ECEF -> geodetic uses Bowring's method refined by fixed-point iterations; it is accurate to well
below a millimetre for any point on or near the Earth's surface.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

SPEED_OF_LIGHT_M_S = 299_792_458.0
WGS84_A_M = 6_378_137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
_EP2 = WGS84_E2 / (1.0 - WGS84_E2)


def geodetic_to_ecef(lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Geodetic (deg, deg, m) -> ECEF metres, shape (..., 3)."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    alt = np.asarray(alt_m, dtype=float)
    sin_lat = np.sin(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    x = (n + alt) * np.cos(lat) * np.cos(lon)
    y = (n + alt) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + alt) * sin_lat
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def ecef_to_geodetic(ecef_m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """ECEF metres (..., 3) -> (lat_deg, lon_deg, alt_m)."""
    xyz = np.asarray(ecef_m, dtype=float)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    theta = np.arctan2(z * WGS84_A_M, p * WGS84_B_M)
    lat = np.arctan2(z + _EP2 * WGS84_B_M * np.sin(theta) ** 3, p - WGS84_E2 * WGS84_A_M * np.cos(theta) ** 3)
    for _ in range(2):
        n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
        alt = _altitude(p, z, lat, n)
        lat = np.arctan2(z, p * (1.0 - WGS84_E2 * n / (n + alt)))
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    alt = _altitude(p, z, lat, n)
    return np.degrees(lat), np.degrees(lon), alt


def _altitude(p: NDArray[np.float64], z: NDArray[np.float64], lat: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.float64]:
    cos_lat = np.cos(lat)
    sin_lat = np.sin(lat)
    # Away from the poles p / cos(lat) is well conditioned; near them use z / sin(lat).
    near_pole = np.abs(cos_lat) < 1e-6
    safe_cos = np.where(near_pole, 1.0, cos_lat)
    safe_sin = np.where(near_pole, sin_lat, np.where(sin_lat == 0, 1.0, sin_lat))
    alt_equatorial = p / safe_cos - n
    alt_polar = z / safe_sin - n * (1.0 - WGS84_E2)
    return np.where(near_pole, alt_polar, alt_equatorial)


def enu_rotation(lat0_deg: float, lon0_deg: float) -> NDArray[np.float64]:
    """3x3 matrix whose rows are the east, north, up unit vectors (in ECEF) at the origin."""
    lat = np.radians(lat0_deg)
    lon = np.radians(lon0_deg)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    return np.array(
        [
            [-so, co, 0.0],
            [-sl * co, -sl * so, cl],
            [cl * co, cl * so, sl],
        ]
    )


def enu_rotations(lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
    """``enu_rotation`` vectorised: (..., 3, 3), one matrix per (lat, lon)."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    east = np.stack([-so, co, np.zeros_like(so)], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return np.stack([east, north, up], axis=-2)


def ecef_to_enu(ecef_m: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float = 0.0) -> NDArray[np.float64]:
    """ECEF metres (..., 3) -> local east/north/up metres (..., 3) about the origin."""
    origin = geodetic_to_ecef(lat0_deg, lon0_deg, alt0_m)
    return (np.asarray(ecef_m, dtype=float) - origin) @ enu_rotation(lat0_deg, lon0_deg).T


def enu_to_ecef(enu_m: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float = 0.0) -> NDArray[np.float64]:
    origin = geodetic_to_ecef(lat0_deg, lon0_deg, alt0_m)
    return np.asarray(enu_m, dtype=float) @ enu_rotation(lat0_deg, lon0_deg) + origin


def geodetic_to_enu(
    lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float = 0.0
) -> NDArray[np.float64]:
    return ecef_to_enu(geodetic_to_ecef(lat_deg, lon_deg, alt_m), lat0_deg, lon0_deg, alt0_m)


def enu_to_geodetic(
    enu_m: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float = 0.0
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    return ecef_to_geodetic(enu_to_ecef(enu_m, lat0_deg, lon0_deg, alt0_m))


def slant_distance_m(a_ecef_m: ArrayLike, b_ecef_m: ArrayLike) -> NDArray[np.float64]:
    """Straight-line (ECEF) distance between antenna positions, broadcasting over leading axes."""
    return np.linalg.norm(np.asarray(a_ecef_m, dtype=float) - np.asarray(b_ecef_m, dtype=float), axis=-1)


def bearing_deg(
    from_lat_deg: ArrayLike, from_lon_deg: ArrayLike, from_alt_m: ArrayLike,
    to_lat_deg: ArrayLike, to_lon_deg: ArrayLike, to_alt_m: ArrayLike,
) -> NDArray[np.float64]:
    """Azimuth of the straight line from one point to another, at the first point.

    Clockwise from true north in [0, 360): the direction of the chord projected on the local
    horizontal plane, which is what a direction-finding array measures (RF_NOTES section 3).
    """
    from_lat = np.asarray(from_lat_deg, dtype=float)
    from_lon = np.asarray(from_lon_deg, dtype=float)
    delta = geodetic_to_ecef(to_lat_deg, to_lon_deg, to_alt_m) - geodetic_to_ecef(from_lat, from_lon, from_alt_m)
    lat = np.radians(from_lat)
    lon = np.radians(from_lon)
    east = -np.sin(lon) * delta[..., 0] + np.cos(lon) * delta[..., 1]
    north = (
        -np.sin(lat) * np.cos(lon) * delta[..., 0]
        - np.sin(lat) * np.sin(lon) * delta[..., 1]
        + np.cos(lat) * delta[..., 2]
    )
    return np.mod(np.degrees(np.arctan2(east, north)), 360.0)
