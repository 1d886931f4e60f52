"""MBTiles 1.3 archives (read only): an SQLite file with ``metadata(name, value)`` and
``tiles(zoom_level, tile_column, tile_row, tile_data)``; rows count from the south (TMS), so a
z/x/y (XYZ, from the north) tile is row ``2^z - 1 - y``.

The file is opened read-only for each call: SQLite connections are cheap, and none is shared
between the server's threads.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from heimdall.errors import InvalidInput

FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "webp": "webp", "pbf": "mvt", "mvt": "mvt"}
GZIP_MAGIC = b"\x1f\x8b"


class MbtilesArchive:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.metadata = self._read_metadata()
        self.tile_type = FORMATS.get(str(self.metadata.get("format", "")).lower(), "unknown")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            raise InvalidInput(f"{self.path.name}: not a readable MBTiles file ({exc})") from exc
        try:
            yield connection
        except sqlite3.Error as exc:
            raise InvalidInput(f"{self.path.name}: not a readable MBTiles file ({exc})") from exc
        finally:
            connection.close()

    def _read_metadata(self) -> dict[str, Any]:
        with self._connect() as connection:
            rows = connection.execute("SELECT name, value FROM metadata").fetchall()
        values: dict[str, Any] = {str(name): value for name, value in rows}
        extra = values.pop("json", None)
        if isinstance(extra, str):
            with contextlib.suppress(json.JSONDecodeError):
                parsed = json.loads(extra)
                if isinstance(parsed, dict):
                    values.update(parsed)
        return values

    @property
    def zoom_range(self) -> tuple[int, int]:
        try:
            return int(self.metadata["minzoom"]), int(self.metadata["maxzoom"])
        except (KeyError, TypeError, ValueError):
            with self._connect() as connection:
                low, high = connection.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
            return int(low or 0), int(high or 0)

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        try:
            w, s, e, n = (float(v) for v in str(self.metadata["bounds"]).split(","))
        except (KeyError, ValueError):
            return None
        return w, s, e, n

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        side = 1 << z
        if not (0 <= x < side and 0 <= y < side):
            raise InvalidInput(f"tile {z}/{x}/{y} does not exist at zoom {z}", field="x" if not 0 <= x < side else "y")
        with self._connect() as connection:
            row = connection.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, side - 1 - y),
            ).fetchone()
        return None if row is None else bytes(row[0])
