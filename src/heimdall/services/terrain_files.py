"""The terrain folder (<data_dir>/terrain): list, upload and delete the elevation files configs name.

Uploads are written to a temporary file in the folder, checked (an SRTM tile's name and size, a
GeoTIFF that parses as one band in lat/lon), then renamed into place, so a config never sees half a
file. Names are plain file names (no folders), ending in .hgt, .tif or .tiff.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from heimdall.errors import InvalidInput, NotFound, PayloadTooLarge
from heimdall.services.common import iso_z
from heimdall.terrain.geotiff import GeoTiffTerrain
from heimdall.terrain.hgt import HGT_FILE_BYTES, tile_corner

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.(hgt|tif|tiff)$", re.IGNORECASE)
_CHUNK = 1024 * 1024


def check_terrain_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput("a terrain file name is letters, digits, . _ - ending in .hgt, .tif or .tiff",
                           field="name")
    return name


def _entry(path: Path) -> dict[str, Any]:
    info = path.stat()
    kind = "hgt" if path.suffix.lower() == ".hgt" else "geotiff"
    return {"name": path.name, "kind": kind, "size_bytes": info.st_size,
            "modified_at": iso_z(datetime.fromtimestamp(info.st_mtime, UTC))}


class TerrainFiles:
    def __init__(self, directory: Path, *, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def list(self) -> dict[str, Any]:
        if not self.directory.is_dir():
            return {"items": [], "total": 0}
        items = [_entry(path) for path in sorted(self.directory.iterdir())
                 if path.is_file() and not path.is_symlink() and _NAME.match(path.name)]
        return {"items": items, "total": len(items)}

    def save(self, name: str, source: BinaryIO) -> dict[str, Any]:
        name = check_terrain_name(name)
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".upload-", suffix=Path(name).suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                self._copy(source, out)
            self._check(Path(temporary), name)
            os.replace(temporary, self.directory / name)
        finally:
            Path(temporary).unlink(missing_ok=True)
        return _entry(self.directory / name)

    def delete(self, name: str) -> None:
        path = self.directory / check_terrain_name(name)
        if not path.is_file():
            raise NotFound(f"no terrain file named {name!r}", details={"resource": "terrain file", "id": name})
        path.unlink()

    def _copy(self, source: BinaryIO, out: BinaryIO) -> None:
        total = 0
        while chunk := source.read(_CHUNK):
            total += len(chunk)
            if total > self.max_bytes:
                raise PayloadTooLarge(f"a terrain file may have at most {self.max_bytes} bytes")
            out.write(chunk)

    def _check(self, temporary: Path, name: str) -> None:
        if name.lower().endswith(".hgt"):
            tile_corner(Path(name))
            size = temporary.stat().st_size
            if size not in HGT_FILE_BYTES:
                raise InvalidInput(f"{name}: {size} bytes is neither a 1\" nor a 3\" SRTM tile", field="file")
            return
        try:
            GeoTiffTerrain(temporary)
        except InvalidInput as exc:
            raise InvalidInput(f"{name}: {exc.message.split(': ', 1)[-1]}", field="file") from exc
