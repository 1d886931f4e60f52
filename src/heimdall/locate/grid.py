"""Grids over candidate positions: the coarse global posterior and the local one around an estimate."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import maximum_filter

from heimdall.geo import geodetic_to_ecef
from heimdall.locate.frame import LocalFrame
from heimdall.locate.likelihood import ResidualModel
from heimdall.locate.measurement_set import MeasurementSet, SearchArea

METRES_PER_DEG = 111_195.0
# Without a search area the prior is the receivers' bounding box padded by this fraction of its
# span on every side (at least MIN_PAD_M): transmitters outside a network are poorly located but
# not impossible, and RSS and AoA posteriors need room for their tails.
PAD_FRACTION = 0.5
MIN_PAD_M = 20_000.0


@dataclass(frozen=True, eq=False)
class GlobalGrid:
    lat_deg: NDArray[np.float64]  # axis, (n_lat,)
    lon_deg: NDArray[np.float64]  # axis, (n_lon,)
    ecef_m: NDArray[np.float64]  # (n_lat, n_lon, 3)
    cell_m: float
    cell_area_m2: NDArray[np.float64]  # (n_lat, 1)


def default_search_area(ms: MeasurementSet) -> SearchArea:
    used = ms.used_receivers()
    lat = ms.receivers.lat_deg[used]
    lon = ms.receivers.lon_deg[used]
    cos_lat = max(math.cos(math.radians(float(lat.mean()))), 0.05)
    span_m = max(np.ptp(lat) * METRES_PER_DEG, np.ptp(lon) * METRES_PER_DEG * cos_lat)
    pad_m = max(PAD_FRACTION * span_m, MIN_PAD_M)
    pad_lat = pad_m / METRES_PER_DEG
    pad_lon = pad_m / (METRES_PER_DEG * cos_lat)
    return SearchArea(
        lat_min=max(float(lat.min()) - pad_lat, -89.9), lat_max=min(float(lat.max()) + pad_lat, 89.9),
        lon_min=max(float(lon.min()) - pad_lon, -180.0), lon_max=min(float(lon.max()) + pad_lon, 180.0),
    )


def global_grid(area: SearchArea, tx_alt_m: float, cells: int = 4096) -> GlobalGrid:
    lat_c = 0.5 * (area.lat_min + area.lat_max)
    width_m = (area.lon_max - area.lon_min) * METRES_PER_DEG * max(math.cos(math.radians(lat_c)), 0.05)
    height_m = (area.lat_max - area.lat_min) * METRES_PER_DEG
    cell_m = math.sqrt(width_m * height_m / cells)
    n_lon = int(np.clip(round(width_m / cell_m), 8, 160))
    n_lat = int(np.clip(round(height_m / cell_m), 8, 160))
    dlat = (area.lat_max - area.lat_min) / n_lat
    dlon = (area.lon_max - area.lon_min) / n_lon
    lat = area.lat_min + (np.arange(n_lat, dtype=np.float64) + 0.5) * dlat
    lon = area.lon_min + (np.arange(n_lon, dtype=np.float64) + 0.5) * dlon
    ecef = geodetic_to_ecef(lat[:, None], lon[None, :], tx_alt_m)
    area_m2 = (dlat * METRES_PER_DEG) * (dlon * METRES_PER_DEG * np.cos(np.radians(lat)))[:, None]
    return GlobalGrid(lat, lon, ecef, max(width_m / n_lon, height_m / n_lat), area_m2)


def grid_modes(log_density: NDArray[np.float64], max_modes: int, depth: float) -> list[tuple[int, int]]:
    """Indices of the best local maxima of a 2-D log density, within ``depth`` of the best one."""
    peaks = (maximum_filter(log_density, size=3, mode="nearest") == log_density)
    peaks &= log_density >= log_density.max() - depth
    flat = np.flatnonzero(peaks)
    order = flat[np.argsort(log_density.ravel()[flat])[::-1]]
    cells = [np.unravel_index(k, log_density.shape) for k in order[:max_modes]]
    return [(int(row), int(col)) for row, col in cells]


def in_area(lat_deg: NDArray[np.float64], lon_deg: NDArray[np.float64], area: SearchArea) -> NDArray[np.bool_]:
    return (lat_deg >= area.lat_min) & (lat_deg <= area.lat_max) & (lon_deg >= area.lon_min) & (lon_deg <= area.lon_max)


def local_posterior(model: ResidualModel, frame: LocalFrame, cov_m2: NDArray[np.float64], area: SearchArea,
                    points: int = 31, max_rounds: int = 6) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """Posterior on a grid along ``cov_m2``'s axes: points (n, 2) in the frame, their weights (n,)
    and the finest grid spacing (m).

    The grid starts at +-5 sigma of ``cov_m2`` and each axis grows until the posterior has no mass
    on its edges, so a Fisher information that understates the spread (banana shapes, RSS far
    away) is corrected by what the likelihood itself says. No axis outgrows the search area.
    """
    eigval, eigvec = np.linalg.eigh(cov_m2)
    corners = frame.from_geodetic(np.array([area.lat_min, area.lat_max]), np.array([area.lon_min, area.lon_max]))
    widest = float(np.linalg.norm(corners[1] - corners[0]))
    half = np.minimum(5.0 * np.sqrt(np.maximum(eigval, 1.0)), widest)
    u = np.linspace(-1.0, 1.0, points)
    for _ in range(max_rounds):
        a, b = np.meshgrid(u * half[0], u * half[1], indexing="ij")
        en = a[..., None] * eigvec[:, 0] + b[..., None] * eigvec[:, 1]
        lat, lon = frame.to_geodetic(en)
        log_p = model.log_likelihood(geodetic_to_ecef(lat, lon, frame.tx_alt_m))
        log_p = np.where(in_area(lat, lon, area), log_p, -np.inf)
        p = np.exp(log_p - log_p.max())
        edge_a = max(p[0].max(), p[-1].max())
        edge_b = max(p[:, 0].max(), p[:, -1].max())
        grow = np.array([edge_a > 1e-3, edge_b > 1e-3])
        if not grow.any():
            break
        grow &= half < widest
        if not grow.any():
            break
        half = np.where(grow, np.minimum(half * 2.0, widest), half)
    # the frame's area element varies as cos(lat) (uniform prior by area)
    p = p * np.cos(np.radians(lat))
    return en.reshape(-1, 2), (p / p.sum()).ravel(), float(2.0 * half.min() / (points - 1))
