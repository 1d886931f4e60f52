"""What training reads: labelled samples as columns, from dataset shards or from sample dicts.

A ``SampleSource`` is a list of ``ShardRef``s (each shard's identity and size, known without reading
it) and a way to read one shard as ``LabelledColumns``: the measurement sets as ``MeasurementColumns``
plus the truth and the per-band values. ``ShardSource`` reads stored dataset shards through the one
verified shard reader (``heimdall.synth.ShardReader``); ``MemorySource`` serves sample dicts (tests,
benchmarks), parsed once when it is made.

The train/validation split is a seeded hash of each sample's identity, (source, sample index):
vectorised, computed from the refs alone, and stable as a dataset grows (a sample keeps its side).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.locate.measurement_columns import MeasurementColumns, stack_sets
from heimdall.locate.measurement_set import Receivers, parse_measurement_set
from heimdall.nn.layout import union_receivers
from heimdall.synth.batch import SampleBatch
from heimdall.synth.shards import ShardReader, ShardRef

_GOLDEN_64 = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, eq=False)
class LabelledColumns:
    """N samples: their measurement sets, true positions, and the values the error bands use."""

    measurements: MeasurementColumns
    truth_lat_deg: NDArray[np.float64]
    truth_lon_deg: NDArray[np.float64]
    truth_alt_m: NDArray[np.float64]
    gdop: NDArray[np.float64]  # NaN: unknown
    snr_db: NDArray[np.float64]  # NaN: unknown; a simulator sample's median over its receivers

    def __len__(self) -> int:
        return len(self.measurements)

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_] | slice) -> LabelledColumns:
        return LabelledColumns(self.measurements.take(rows), self.truth_lat_deg[rows], self.truth_lon_deg[rows],
                               self.truth_alt_m[rows], self.gdop[rows], self.snr_db[rows])

    @classmethod
    def from_sample_batch(cls, batch: SampleBatch) -> LabelledColumns:
        return cls(measurements=batch.measurement_columns(), truth_lat_deg=np.asarray(batch.truth_lat, dtype=float),
                   truth_lon_deg=np.asarray(batch.truth_lon, dtype=float),
                   truth_alt_m=np.asarray(batch.truth_alt_m, dtype=float),
                   gdop=np.where(np.isfinite(batch.gdop), batch.gdop, np.nan).astype(float),
                   snr_db=finite_median(batch.snr_db))


def finite_median(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Median of each row's finite values (NaN for a row without any), as ``np.nanmedian`` gives, but
    by one sort of the rows (nanmedian's masked path is slow)."""
    finite = np.isfinite(values)
    ordered = np.sort(np.where(finite, values, np.inf), axis=1)
    count = finite.sum(axis=1)
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, np.maximum(count // 2, 0)[:, None], axis=1)[:, 0]
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, 0.5 * (low + high), np.nan)


class SampleSource(Protocol):
    """Shards of labelled samples, read one at a time (see the module docstring)."""

    @property
    def refs(self) -> Sequence[ShardRef]: ...

    @property
    def fingerprint(self) -> str:
        """Changes whenever the samples could: a resumed run checks it."""
        ...

    def read(self, index: int) -> LabelledColumns: ...

    def receivers(self) -> Receivers:
        """Every receiver of the samples once (for the layout)."""
        ...


class ShardSource:
    """Stored dataset shards, each read (and verified) when it is needed and dropped after."""

    def __init__(self, refs: Sequence[ShardRef], fetch: Callable[[str], bytes]) -> None:
        self._refs = tuple(refs)
        self._reader = ShardReader(fetch)
        identity = sorted((r.source, r.start_index, r.count, r.sha256) for r in self._refs)
        self._fingerprint = hashlib.sha256(json.dumps(identity).encode()).hexdigest()

    @property
    def refs(self) -> Sequence[ShardRef]:
        return self._refs

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def read(self, index: int) -> LabelledColumns:
        return LabelledColumns.from_sample_batch(self._reader.read(self._refs[index]))

    def receivers(self) -> Receivers:
        """A dataset's shards share its network's receivers: the first shard of each dataset tells."""
        first: dict[str, int] = {}
        for index, ref in enumerate(self._refs):
            first.setdefault(ref.source, index)
        return union_receivers(self.read(index).measurements.receivers for index in first.values())


class MemorySource:
    """Sample dicts ``{"sample_id", "truth": {"lat", "lon", "alt_m"}, "measurement_set": {...}}`` (and
    optionally ``gdop``, ``snr_db``, top level or under ``meta``), parsed once, served as shards.

    A sample's identity is (``name``, its position in the list).
    """

    def __init__(self, samples: Sequence[Mapping[str, Any]], *, name: str = "samples", shard_size: int = 4096) -> None:
        raw_ids = [s.get("sample_id") if isinstance(s, Mapping) else None for s in samples]
        if any(not isinstance(i, str) for i in raw_ids):
            raise InvalidInput("every sample needs a string 'sample_id'", field="sample_id")
        ids = [str(i) for i in raw_ids]
        if len(set(ids)) != len(ids):
            raise InvalidInput("sample ids must be unique", field="sample_id")
        sets = [parse_measurement_set(_measurement_set(s)) for s in samples]
        self._receivers = union_receivers(ms.receivers for ms in sets)
        slot = {rid: i for i, rid in enumerate(self._receivers.ids)}
        truth = np.array([_truth(s) for s in samples], dtype=float).reshape(-1, 3)
        self._data = LabelledColumns(
            measurements=stack_sets(sets, self._receivers, [np.array([slot[r] for r in ms.receivers.ids], dtype=np.intp)
                                                            for ms in sets]),
            truth_lat_deg=truth[:, 0], truth_lon_deg=truth[:, 1], truth_alt_m=truth[:, 2],
            gdop=np.array([_band(s, "gdop") for s in samples]), snr_db=np.array([_band(s, "snr_db") for s in samples]),
        )
        self._refs = tuple(ShardRef(name, f"{name}/{start}", "", start, min(shard_size, len(samples) - start))
                           for start in range(0, len(samples), shard_size))
        self._fingerprint = hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()

    @property
    def refs(self) -> Sequence[ShardRef]:
        return self._refs

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def read(self, index: int) -> LabelledColumns:
        ref = self._refs[index]
        return self._data.take(slice(ref.start_index, ref.start_index + ref.count))

    def receivers(self) -> Receivers:
        return self._receivers


def as_source(data: SampleSource | Sequence[Mapping[str, Any]]) -> SampleSource:
    """A sample source as it is, or sample dicts wrapped (and parsed) as a ``MemorySource``."""
    if isinstance(data, ShardSource | MemorySource):
        return data
    if isinstance(data, Sequence):
        return MemorySource(data)
    return data


def split_unit(seed: int, source: str, index: NDArray[np.int64]) -> NDArray[np.float64]:
    """A uniform number in [0, 1) per sample, from a seeded hash of (source, index): splitmix64 of the
    index offset by a blake2b of ``seed:source``. Vectorised; the same sample always gets the same."""
    key = hashlib.blake2b(f"{seed}:{source}".encode(), digest_size=8).digest()
    x = np.uint64(int.from_bytes(key, "big")) + np.asarray(index, dtype=np.uint64) * _GOLDEN_64
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def validation_rows(ref: ShardRef, seed: int, val_fraction: float) -> NDArray[np.bool_]:
    """(count,) True for the shard's samples in the validation split."""
    index = np.arange(ref.start_index, ref.start_index + ref.count, dtype=np.int64)
    return split_unit(seed, ref.source, index) < val_fraction


def _measurement_set(sample: Mapping[str, Any]) -> Any:
    try:
        return sample["measurement_set"]
    except (KeyError, TypeError) as exc:
        raise InvalidInput("every sample needs a 'measurement_set'", field="measurement_set") from exc


def _truth(sample: Mapping[str, Any]) -> tuple[float, float, float]:
    try:
        truth = sample["truth"]
        return float(truth["lat"]), float(truth["lon"]), float(truth.get("alt_m") or 0.0)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"each truth needs numeric 'lat' and 'lon': {exc!r}", field="truth") from exc


def _band(sample: Mapping[str, Any], key: str) -> float:
    """A band value (``gdop``, ``snr_db``) at the top level or under ``meta``; a per-receiver map gives
    its median; NaN when unknown."""
    value = sample.get(key, (sample.get("meta") or {}).get(key))
    if isinstance(value, Mapping):
        finite = [float(v) for v in value.values() if isinstance(v, int | float) and np.isfinite(v)]
        return float(np.median(finite)) if finite else float("nan")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else float("nan")
