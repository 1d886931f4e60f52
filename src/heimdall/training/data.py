"""Samples as training sees them: the seeded train/val split and the per-sample fields it reads.

A sample is ``{"sample_id": str, "truth": {"lat", "lon", "alt_m"}, "measurement_set": {...}}``
(CONTRACT section 4.1), optionally with ``gdop`` and ``snr_db`` (top level or under ``meta``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from heimdall.errors import InsufficientData, InvalidInput


def split_by_id(samples: Sequence[Mapping[str, Any]], val_fraction: float, seed: int) -> tuple[list, list]:
    """Train/val split by a seeded hash of each sample id: a sample keeps its side as the dataset grows."""
    ids = [s.get("sample_id") if isinstance(s, Mapping) else None for s in samples]
    if any(not isinstance(i, str) for i in ids):
        raise InvalidInput("every sample needs a string 'sample_id'", field="sample_id")
    if len(set(ids)) != len(ids):
        raise InvalidInput("sample ids must be unique", field="sample_id")
    to_val = [_unit_hash(seed, i) < val_fraction for i in ids]
    train = [s for s, v in zip(samples, to_val, strict=True) if not v]
    val = [s for s, v in zip(samples, to_val, strict=True) if v]
    if not train or not val:
        raise InsufficientData(f"{len(samples)} samples leave an empty train or validation split")
    return train, val


def _unit_hash(seed: int, sample_id: str) -> float:
    digest = hashlib.blake2b(f"{seed}:{sample_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def measurement_sets_of(samples: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    try:
        return [s["measurement_set"] for s in samples]
    except (KeyError, TypeError) as exc:
        raise InvalidInput("every sample needs a 'measurement_set'", field="measurement_set") from exc


def band_values(samples: Sequence[Mapping[str, Any]]) -> dict[str, list[float | None]]:
    out = {}
    for key in ("gdop", "snr_db"):
        values = [s.get(key, (s.get("meta") or {}).get(key)) for s in samples]
        if any(v is not None for v in values):
            out[key] = values
    return out
