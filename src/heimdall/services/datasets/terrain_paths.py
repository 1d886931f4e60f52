"""Terrain files named by a dataset config are confined to the terrain folder (<data_dir>/terrain).

Checked when the dataset is created, before any job starts: a relative path is taken inside the
folder, an absolute one (or one whose symlinks lead elsewhere) must resolve inside it; the file
must be a regular file. A path outside the folder gets one answer whether or not it exists, so
nothing is revealed about the rest of the file system; errors never quote file contents. The
stored config holds the resolved absolute paths, which the job's readers open again (regular files
only: terrain/files.py).
"""

from __future__ import annotations

from pathlib import Path

from heimdall.errors import InvalidInput
from heimdall.synth import DatasetConfig
from heimdall.terrain.files import check_terrain_file

FIELD = "propagation.terrain.paths"


def confine_terrain_paths(config: DatasetConfig, terrain_dir: Path | None) -> DatasetConfig:
    """``config`` with its terrain paths resolved inside ``terrain_dir``; InvalidInput (422) otherwise
    (always, for a file terrain, when there is no terrain folder)."""
    spec = config.propagation.terrain
    if spec is None or spec.kind == "procedural" or not spec.paths:
        return config
    if terrain_dir is None:
        raise InvalidInput(f"{FIELD}: terrain files are not available here (no terrain folder)", field=FIELD)
    root = terrain_dir.resolve()
    paths = [str(_confined(raw, index, root)) for index, raw in enumerate(spec.paths)]
    terrain = spec.model_copy(update={"paths": paths})
    return config.model_copy(update={"propagation": config.propagation.model_copy(update={"terrain": terrain})})


def _confined(raw: str, index: int, root: Path) -> Path:
    field = f"{FIELD}.{index}"
    outside = InvalidInput(f"{field}: terrain files must be inside the terrain folder (<data_dir>/terrain); "
                           "upload them there or name them relative to it", field=field)
    if not isinstance(raw, str) or not raw or "\x00" in raw or len(raw) > 4096:
        raise outside
    candidate = Path(raw) if Path(raw).is_absolute() else root / raw
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError) as exc:
        raise outside from exc
    if not real.is_relative_to(root) or real == root:
        raise outside
    try:
        return check_terrain_file(real)
    except InvalidInput as exc:
        raise InvalidInput(f"{field}: {exc.message}", field=field) from exc
