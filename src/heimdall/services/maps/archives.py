"""Tile archives in one directory (``<data_dir>/tiles`` by default): list them, resolve a name to a
file safely, read tiles.

Names only: an archive is addressed by its file name (letters, digits, ``.``, ``_``, ``-``, ending in
``.pmtiles`` or ``.mbtiles``), never by a path; ``..`` is refused, and a symbolic link is followed
only when it stays inside the directory. Readers are cached per file and reopened when its size or
modification time changes, so an operator can drop in or replace an archive while Heimdall runs.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heimdall.errors import InvalidInput, NotFound
from heimdall.formats.mbtiles import GZIP_MAGIC, MbtilesArchive
from heimdall.formats.pmtiles import PmtilesArchive

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(pmtiles|mbtiles)$")
MEDIA_TYPES = {
    "png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif",
    "mvt": "application/vnd.mapbox-vector-tile",
}
RASTER_TYPES = frozenset({"png", "jpeg", "webp", "avif"})
CONTENT_ENCODINGS = {"gzip": "gzip", "br": "br", "zstd": "zstd"}


@dataclass(frozen=True)
class ArchiveInfo:
    name: str
    format: str  # pmtiles | mbtiles
    tile_type: str  # png | jpeg | webp | avif | mvt | unknown
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None  # west, south, east, north
    title: str
    attribution: str
    size_bytes: int
    version: str  # changes whenever the file does (tile URLs carry it, so caches never go stale)
    vector_layers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def raster(self) -> bool:
        return self.tile_type in RASTER_TYPES


@dataclass(frozen=True)
class Tile:
    data: bytes
    media_type: str
    content_encoding: str | None


Reader = PmtilesArchive | MbtilesArchive


class TileArchives:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._readers: dict[str, tuple[tuple[int, int], Reader]] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        """The archive's file, confined to the directory (NotFound, or InvalidInput for a bad name)."""
        if not NAME_PATTERN.fullmatch(name) or ".." in name:
            raise InvalidInput(f"not an archive name: {name!r} (a file name ending in .pmtiles or .mbtiles)",
                               field="name")
        root = self.directory.resolve()
        candidate = self.directory / name
        try:
            resolved = candidate.resolve(strict=True)
        except (FileNotFoundError, RuntimeError) as exc:
            raise NotFound(f"no tile archive named {name!r}") from exc
        if not resolved.is_relative_to(root) or not resolved.is_file():
            raise NotFound(f"no tile archive named {name!r}")
        return resolved

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if NAME_PATTERN.fullmatch(p.name))

    def list(self) -> list[ArchiveInfo]:
        """Every readable archive; a corrupt one is left out (it cannot be drawn) rather than failing the list."""
        infos = []
        for name in self.names():
            try:
                infos.append(self.info(name))
            except (InvalidInput, NotFound):
                continue
        return infos

    def info(self, name: str) -> ArchiveInfo:
        reader, stat_key = self._reader(name)
        version = hashlib.sha1(f"{name}:{stat_key}".encode()).hexdigest()[:12]
        if isinstance(reader, PmtilesArchive):
            return _pmtiles_info(name, reader, stat_key[1], version)
        return _mbtiles_info(name, reader, stat_key[1], version)

    def tile(self, name: str, z: int, x: int, y: int) -> Tile | None:
        reader, _ = self._reader(name)
        data = reader.tile(z, x, y)
        if data is None:
            return None
        if isinstance(reader, PmtilesArchive):
            tile_type, encoding = reader.header.tile_type, CONTENT_ENCODINGS.get(reader.header.tile_compression)
        else:
            tile_type = reader.tile_type
            encoding = "gzip" if tile_type == "mvt" and data[:2] == GZIP_MAGIC else None
        return Tile(data, MEDIA_TYPES.get(tile_type, "application/octet-stream"), encoding)

    def _reader(self, name: str) -> tuple[Reader, tuple[int, int]]:
        path = self.path(name)
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._readers.get(name)
        if cached is not None and cached[0] == key:
            return cached[1], key
        reader: Reader = PmtilesArchive(path) if name.endswith(".pmtiles") else MbtilesArchive(path)
        with self._lock:
            self._readers[name] = (key, reader)
        return reader, key


def _pmtiles_info(name: str, reader: PmtilesArchive, size: int, version: str) -> ArchiveInfo:
    header, meta = reader.header, reader.metadata
    return ArchiveInfo(
        name=name, format="pmtiles", tile_type=header.tile_type, min_zoom=header.min_zoom,
        max_zoom=header.max_zoom, bounds=header.bounds, title=str(meta.get("name") or name),
        attribution=str(meta.get("attribution") or ""), size_bytes=size, version=version,
        vector_layers=_vector_layers(meta),
    )


def _mbtiles_info(name: str, reader: MbtilesArchive, size: int, version: str) -> ArchiveInfo:
    low, high = reader.zoom_range
    meta = reader.metadata
    return ArchiveInfo(
        name=name, format="mbtiles", tile_type=reader.tile_type, min_zoom=low, max_zoom=high,
        bounds=reader.bounds, title=str(meta.get("name") or name), attribution=str(meta.get("attribution") or ""),
        size_bytes=size, version=version, vector_layers=_vector_layers(meta),
    )


def _vector_layers(meta: dict[str, Any]) -> list[dict[str, Any]]:
    layers = meta.get("vector_layers")
    if not isinstance(layers, list):
        return []
    return [{"id": str(layer["id"])} for layer in layers if isinstance(layer, dict) and "id" in layer]
