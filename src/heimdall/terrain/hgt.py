"""SRTM ``.hgt`` tiles: 1 x 1 degree, big-endian int16, 1201 x 1201 (3") or 3601 x 3601 (1") posts.

The file name gives the south-west corner (``N45E007.hgt`` covers 45-46 N, 7-8 E); row 0 is the
northern edge. -32768 marks a void, read as NaN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput
from heimdall.terrain.files import read_terrain_file
from heimdall.terrain.provider import bilinear

VOID = -32768
_SIZES = {1201 * 1201 * 2: 1201, 3601 * 3601 * 2: 3601}
HGT_FILE_BYTES = frozenset(_SIZES)
_NAME = re.compile(r"^([NS])(\d{2})([EW])(\d{3})$", re.IGNORECASE)


@dataclass(frozen=True)
class HgtTile:
    south_deg: int
    west_deg: int
    heights_m: NDArray[np.float64]  # (n, n), row 0 = north edge, NaN for voids

    def elevation_m(self, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
        n = self.heights_m.shape[0]
        row = (self.south_deg + 1 - lat) * (n - 1)
        col = (lon - self.west_deg) * (n - 1)
        return bilinear(self.heights_m, row, col)


def tile_corner(path: Path) -> tuple[int, int]:
    match = _NAME.match(path.stem)
    if not match:
        raise InvalidInput(f"{path.name}: not an SRTM tile name like N45E007.hgt", field="path")
    lat = int(match.group(2)) * (1 if match.group(1).upper() == "N" else -1)
    lon = int(match.group(4)) * (1 if match.group(3).upper() == "E" else -1)
    return lat, lon


def read_hgt(path: str | Path) -> HgtTile:
    path = Path(path)
    south, west = tile_corner(path)
    raw = read_terrain_file(path, max(_SIZES))
    if len(raw) not in _SIZES:
        raise InvalidInput(f"{path.name}: {len(raw)} bytes is neither a 1\" nor a 3\" SRTM tile", field="path")
    n = _SIZES[len(raw)]
    heights = np.frombuffer(raw, dtype=">i2").reshape(n, n).astype(float)
    heights[heights == VOID] = np.nan
    return HgtTile(south, west, heights)


class HgtTerrain:
    """Elevation from any number of ``.hgt`` tiles; NaN outside them."""

    def __init__(self, paths: Iterable[str | Path]) -> None:
        self._tiles = {}
        for path in paths:
            tile = read_hgt(path)
            self._tiles[(tile.south_deg, tile.west_deg)] = tile
        if not self._tiles:
            raise InvalidInput("no .hgt tiles given", field="paths")

    @classmethod
    def from_directory(cls, directory: str | Path) -> HgtTerrain:
        return cls(sorted(Path(directory).glob("*.hgt")))

    def elevation_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        lat, lon = np.broadcast_arrays(np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float))
        out = np.full(lat.shape, np.nan)
        south = np.floor(lat).astype(int)
        west = np.floor(lon).astype(int)
        for (tile_south, tile_west), tile in self._tiles.items():
            # A point on a tile's north or east edge belongs to the next tile but is also this one's last post.
            mask = (
                ((south == tile_south) | (lat == tile_south + 1))
                & ((west == tile_west) | (lon == tile_west + 1))
                & np.isnan(out)
            )
            if np.any(mask):
                out[mask] = tile.elevation_m(lat[mask], lon[mask])
        return out
