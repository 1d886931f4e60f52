"""Opening terrain files safely: regular files only (a FIFO or a device would hang or never end),
bounded in size, and errors that name the file but never quote its bytes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from heimdall.errors import InvalidInput

# A 1" SRTM tile is 26 MB; a large GeoTIFF mosaic a few GB.
MAX_TERRAIN_FILE_BYTES = 4 * 1024**3


def _open_regular(path: Path, max_bytes: int) -> int:
    """A read-only descriptor of ``path`` after checking it is a regular file of at most ``max_bytes``."""
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of hanging.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "invalid path"
        raise InvalidInput(f"cannot read terrain file {path.name}: {reason}", field="path") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InvalidInput(f"terrain file {path.name} is not a regular file", field="path")
    if info.st_size > max_bytes:
        os.close(fd)
        raise InvalidInput(f"terrain file {path.name} is larger than {max_bytes} bytes", field="path")
    return fd


def check_terrain_file(path: str | Path, max_bytes: int = MAX_TERRAIN_FILE_BYTES) -> Path:
    """``path`` if it is a readable regular file within the size limit; InvalidInput otherwise."""
    path = Path(path)
    os.close(_open_regular(path, max_bytes))
    return path


def read_terrain_file(path: str | Path, max_bytes: int = MAX_TERRAIN_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``."""
    path = Path(path)
    fd = _open_regular(path, max_bytes)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(max_bytes + 1)[:max_bytes]
