"""The one interface every elevation source implements, and a grid interpolator they share."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray


@runtime_checkable
class ElevationProvider(Protocol):
    def elevation_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        """Terrain height above mean sea level in metres; NaN where the source has no data."""
        ...


class FlatTerrain:
    """Constant elevation everywhere (sea level by default)."""

    def __init__(self, elevation_m: float = 0.0) -> None:
        self._elevation_m = float(elevation_m)

    def elevation_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        lat, _ = np.broadcast_arrays(np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float))
        return np.full(lat.shape, self._elevation_m)


def bilinear(grid: NDArray[np.float64], row: NDArray[np.float64], col: NDArray[np.float64]) -> NDArray[np.float64]:
    """Bilinear interpolation at fractional (row, col); NaN outside the grid or next to a void."""
    n_rows, n_cols = grid.shape
    inside = (row >= 0) & (row <= n_rows - 1) & (col >= 0) & (col <= n_cols - 1)
    r = np.clip(row, 0, n_rows - 1)
    c = np.clip(col, 0, n_cols - 1)
    r0 = np.minimum(np.floor(r).astype(int), max(n_rows - 2, 0))
    c0 = np.minimum(np.floor(c).astype(int), max(n_cols - 2, 0))
    r1 = np.minimum(r0 + 1, n_rows - 1)
    c1 = np.minimum(c0 + 1, n_cols - 1)
    fr = r - r0
    fc = c - c0
    top = grid[r0, c0] * (1 - fc) + grid[r0, c1] * fc
    bottom = grid[r1, c0] * (1 - fc) + grid[r1, c1] * fc
    return np.where(inside, top * (1 - fr) + bottom * fr, np.nan)
