"""PMTiles v3 archives (read only): the header, the metadata and tiles by z/x/y.

An archive is one file: a 127-byte header, a root directory, JSON metadata, leaf directories, tile
data. Directories map Hilbert tile ids to byte ranges; an entry with run length 0 points at a leaf
directory, one with run length n covers n consecutive tile ids holding the same bytes. Directories
and metadata are compressed with ``internal_compression``; tiles are returned as stored, with their
``tile_compression`` named so that a server can pass it on as ``Content-Encoding``.

    archive = PmtilesArchive(path)
    archive.header.tile_type, archive.metadata, archive.tile(z, x, y)  # bytes or None
"""

from __future__ import annotations

import gzip
import json
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heimdall.errors import InvalidInput

HEADER_BYTES = 127
MAGIC = b"PMTiles"
COMPRESSIONS = {0: "unknown", 1: "none", 2: "gzip", 3: "br", 4: "zstd"}
TILE_TYPES = {0: "unknown", 1: "mvt", 2: "png", 3: "jpeg", 4: "webp", 5: "avif"}
MAX_ZOOM = 31
_MAX_DIRECTORY_DEPTH = 4  # the root plus up to three levels of leaves (the spec's writers use one)
_LEAF_CACHE = 64


@dataclass(frozen=True)
class PmtilesHeader:
    root_offset: int
    root_length: int
    metadata_offset: int
    metadata_length: int
    leaf_offset: int
    leaf_length: int
    tile_data_offset: int
    tile_data_length: int
    internal_compression: str
    tile_compression: str
    tile_type: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]  # west, south, east, north (degrees)
    center: tuple[float, float, int]  # lon, lat, zoom


@dataclass(frozen=True)
class Entry:
    tile_id: int
    offset: int
    length: int
    run_length: int


def parse_header(raw: bytes) -> PmtilesHeader:
    if len(raw) < HEADER_BYTES or raw[:7] != MAGIC:
        raise InvalidInput("not a PMTiles archive (no PMTiles magic)")
    if raw[7] != 3:
        raise InvalidInput(f"PMTiles version {raw[7]} is not supported (only version 3)")
    u64 = struct.unpack_from("<11Q", raw, 8)
    flags = raw[96:102]
    w, s, e, n = (v / 1e7 for v in struct.unpack_from("<4i", raw, 102))
    center_zoom = raw[118]
    center_lon, center_lat = (v / 1e7 for v in struct.unpack_from("<2i", raw, 119))
    return PmtilesHeader(
        root_offset=u64[0], root_length=u64[1], metadata_offset=u64[2], metadata_length=u64[3],
        leaf_offset=u64[4], leaf_length=u64[5], tile_data_offset=u64[6], tile_data_length=u64[7],
        internal_compression=COMPRESSIONS.get(flags[1], "unknown"),
        tile_compression=COMPRESSIONS.get(flags[2], "unknown"),
        tile_type=TILE_TYPES.get(flags[3], "unknown"),
        min_zoom=flags[4], max_zoom=flags[5], bounds=(w, s, e, n), center=(center_lon, center_lat, center_zoom),
    )


def zxy_to_tile_id(z: int, x: int, y: int) -> int:
    """The tile's position on the Hilbert curve of its zoom, after every tile of lower zooms."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput(f"zoom {z} is outside 0..{MAX_ZOOM}", field="z")
    side = 1 << z
    if not (0 <= x < side and 0 <= y < side):
        raise InvalidInput(f"tile {z}/{x}/{y} does not exist at zoom {z}", field="x" if not 0 <= x < side else "y")
    tile_id = ((1 << (2 * z)) - 1) // 3  # 4^0 + ... + 4^(z-1)
    s = side >> 1
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        tile_id += s * s * ((3 * rx) ^ ry)
        x, y = _rotate(side, x, y, rx, ry)
        s >>= 1
    return tile_id


def _rotate(side: int, x: int, y: int, rx: int, ry: int) -> tuple[int, int]:
    if ry == 0:
        if rx == 1:
            x, y = side - 1 - x, side - 1 - y
        return y, x
    return x, y


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise InvalidInput("PMTiles directory is truncated")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise InvalidInput("PMTiles directory has an overlong varint")


def parse_directory(data: bytes) -> list[Entry]:
    """A decompressed directory: count, then tile id deltas, run lengths, lengths, offsets (columns)."""
    count, pos = _read_varint(data, 0)
    columns: list[list[int]] = []
    for _ in range(4):
        column = []
        for _ in range(count):
            value, pos = _read_varint(data, pos)
            column.append(value)
        columns.append(column)
    deltas, runs, lengths, raw_offsets = columns
    entries: list[Entry] = []
    tile_id = 0
    for i in range(count):
        tile_id += deltas[i]
        if raw_offsets[i] == 0 and i > 0:
            offset = entries[-1].offset + entries[-1].length  # contiguous with the previous entry
        else:
            offset = raw_offsets[i] - 1
        entries.append(Entry(tile_id, offset, lengths[i], runs[i]))
    return entries


def find_entry(entries: list[Entry], tile_id: int) -> Entry | None:
    """The tile's entry, or the leaf directory that would hold it, or None."""
    lo, hi = 0, len(entries) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if entries[mid].tile_id < tile_id:
            lo = mid + 1
        elif entries[mid].tile_id > tile_id:
            hi = mid - 1
        else:
            return entries[mid]
    if hi >= 0:
        candidate = entries[hi]
        if candidate.run_length == 0 or tile_id - candidate.tile_id < candidate.run_length:
            return candidate
    return None


def decompress(data: bytes, compression: str) -> bytes:
    if compression in ("none", "unknown"):
        return data
    if compression == "gzip":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InvalidInput(f"PMTiles: corrupt gzip data ({exc})") from exc
    raise InvalidInput(f"PMTiles internal compression {compression!r} is not supported (gzip or none)")


class PmtilesArchive:
    """One archive file; the root directory is read once, leaf directories are cached (LRU)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as file:
            self.header = parse_header(file.read(HEADER_BYTES))
        h = self.header
        self._root = parse_directory(decompress(self._read(h.root_offset, h.root_length), h.internal_compression))
        self._leaves: OrderedDict[tuple[int, int], list[Entry]] = OrderedDict()
        self._lock = threading.Lock()

    def _read(self, offset: int, length: int) -> bytes:
        with self.path.open("rb") as file:
            file.seek(offset)
            data = file.read(length)
        if len(data) != length:
            raise InvalidInput(f"{self.path.name}: truncated PMTiles archive")
        return data

    @property
    def metadata(self) -> dict[str, Any]:
        h = self.header
        if not h.metadata_length:
            return {}
        raw = decompress(self._read(h.metadata_offset, h.metadata_length), h.internal_compression)
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"{self.path.name}: PMTiles metadata is not JSON") from exc
        return doc if isinstance(doc, dict) else {}

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile's stored bytes (still ``tile_compression``-encoded), or None when the archive lacks it."""
        tile_id = zxy_to_tile_id(z, x, y)
        entries = self._root
        for _ in range(_MAX_DIRECTORY_DEPTH):
            entry = find_entry(entries, tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                return self._read(self.header.tile_data_offset + entry.offset, entry.length)
            entries = self._leaf(entry)
        return None

    def _leaf(self, entry: Entry) -> list[Entry]:
        key = (entry.offset, entry.length)
        with self._lock:
            if key in self._leaves:
                self._leaves.move_to_end(key)
                return self._leaves[key]
        raw = self._read(self.header.leaf_offset + entry.offset, entry.length)
        leaf = parse_directory(decompress(raw, self.header.internal_compression))
        with self._lock:
            self._leaves[key] = leaf
            while len(self._leaves) > _LEAF_CACHE:
                self._leaves.popitem(last=False)
        return leaf
