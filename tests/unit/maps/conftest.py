"""Tile archives made by the tests: PMTiles through the reference writer (the ``pmtiles`` package),
MBTiles through SQLite, so the readers are checked against files they did not write themselves."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write


def png(colour: tuple[int, int, int], size: int = 256) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def tile_payload(z: int, x: int, y: int) -> bytes:
    """Distinct bytes per tile, so a tile read from the wrong place is noticed."""
    return f"tile {z}/{x}/{y}".encode()


def write_pmtiles(path: Path, tiles: dict[tuple[int, int, int], bytes], *, tile_type: TileType = TileType.PNG,
                  tile_compression: Compression = Compression.NONE, metadata: dict | None = None) -> Path:
    zooms = [z for z, _, _ in tiles]
    with write(path) as writer:
        for (z, x, y), data in sorted(tiles.items(), key=lambda item: zxy_to_tileid(*item[0])):
            writer.write_tile(zxy_to_tileid(z, x, y), data)
        writer.finalize({
            "tile_type": tile_type, "tile_compression": tile_compression,
            "min_zoom": min(zooms), "max_zoom": max(zooms),
            "min_lon_e7": int(6.5e7), "min_lat_e7": int(44.5e7), "max_lon_e7": int(8.5e7), "max_lat_e7": int(45.9e7),
            "center_zoom": 7, "center_lon_e7": int(7.5e7), "center_lat_e7": int(45.2e7),
        }, metadata or {"name": "Test region", "attribution": "test tiles"})
    return path


def write_mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes], metadata: dict[str, str]) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    connection.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    connection.executemany("INSERT INTO metadata VALUES (?, ?)", list(metadata.items()))
    connection.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                           [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()])
    connection.commit()
    connection.close()
    return path


@pytest.fixture
def tiles_dir(tmp_path) -> Path:
    directory = tmp_path / "tiles"
    directory.mkdir()
    return directory


@pytest.fixture
def pyramid() -> Callable[[int], dict[tuple[int, int, int], bytes]]:
    """Every tile of zooms 0..max_zoom, each with its own payload."""
    def build(max_zoom: int) -> dict[tuple[int, int, int], bytes]:
        return {(z, x, y): tile_payload(z, x, y) for z in range(max_zoom + 1)
                for x in range(1 << z) for y in range(1 << z)}
    return build


@pytest.fixture
def make_pmtiles():
    return write_pmtiles


@pytest.fixture
def make_mbtiles():
    return write_mbtiles


@pytest.fixture
def solid_png():
    return png
