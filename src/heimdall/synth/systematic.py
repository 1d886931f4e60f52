"""Per-receiver systematic offsets of a dataset (config ``impairments.systematic``): drawn once from
the dataset's seed, so every shard, resumed or expanded run sees the same receivers, and recorded in
the dataset metadata (``systematic_offsets``) so that calibration can be checked against them.

Each quantity has its own random stream, ``SeedSequence(seed, spawn_key=(3, k))``, k = 0 timing,
1 gain, 2 bearing: adding one quantity to a config leaves the others' draws, and every other
stream of the dataset, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.rf.impairments import draw_receiver_offsets
from heimdall.synth.config import (
    DatasetConfig,
    FixedOffsets,
    NormalOffsets,
    OffsetDistribution,
    UniformOffsets,
)

STREAM_SYSTEMATIC = 3
QUANTITY_STREAMS = {"timing_offset_s": 0, "gain_offset_db": 1, "bearing_offset_deg": 2}
SPREAD_SIGMAS = 6.0  # a search window holds differences of normal offsets up to this many sigmas


@dataclass(frozen=True, eq=False)
class SystematicOffsets:
    """Offsets over the dataset's receivers (zeros where not configured)."""

    timing_s: NDArray[np.float64]
    gain_db: NDArray[np.float64]
    bearing_deg: NDArray[np.float64]
    timing_spread_s: float  # the largest timing difference between two receivers the config allows

    @classmethod
    def none(cls, n_rx: int) -> SystematicOffsets:
        return cls(np.zeros(n_rx), np.zeros(n_rx), np.zeros(n_rx), 0.0)


def draw_systematic_offsets(config: DatasetConfig, receiver_ids: list[str]) -> SystematicOffsets:
    spec = config.impairments.systematic
    n_rx = len(receiver_ids)
    if spec is None:
        return SystematicOffsets.none(n_rx)
    drawn = {name: _draw(config.seed, name, dist, receiver_ids) for name, dist in spec.configured().items()}
    zeros = np.zeros(n_rx)
    timing = spec.timing_offset_s
    return SystematicOffsets(
        timing_s=drawn.get("timing_offset_s", zeros), gain_db=drawn.get("gain_offset_db", zeros),
        bearing_deg=drawn.get("bearing_offset_deg", zeros),
        timing_spread_s=0.0 if timing is None else _spread(timing, drawn["timing_offset_s"]),
    )


def _draw(seed: int, name: str, dist: OffsetDistribution, receiver_ids: list[str]) -> NDArray[np.float64]:
    if isinstance(dist, FixedOffsets):
        return np.array([dist.values.get(rid, 0.0) for rid in receiver_ids], dtype=float)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM_SYSTEMATIC, QUANTITY_STREAMS[name])))
    if isinstance(dist, NormalOffsets):
        drawn = draw_receiver_offsets(rng, len(receiver_ids), "normal", mean=dist.mean, sigma=dist.sigma)
    else:
        drawn = draw_receiver_offsets(rng, len(receiver_ids), "uniform", low=dist.low, high=dist.high)
    return np.asarray(drawn, dtype=float)


def _spread(dist: OffsetDistribution, drawn: NDArray[np.float64]) -> float:
    """What a receiver operator would allow for from the stated distribution (not the drawn truth)."""
    if isinstance(dist, NormalOffsets):
        return SPREAD_SIGMAS * float(np.sqrt(2.0)) * dist.sigma
    if isinstance(dist, UniformOffsets):
        return dist.high - dist.low
    return float(np.ptp(drawn)) if drawn.size else 0.0


def offsets_meta(config: DatasetConfig, offsets: SystematicOffsets, receiver_ids: list[str]) -> dict[str, Any]:
    """The truth of the configured quantities, by receiver id, for the dataset metadata."""
    spec = config.impairments.systematic
    if spec is None:
        return {}
    arrays = {"timing_offset_s": offsets.timing_s, "gain_offset_db": offsets.gain_db,
              "bearing_offset_deg": offsets.bearing_deg}
    return {name: {rid: float(v) for rid, v in zip(receiver_ids, arrays[name], strict=True)}
            for name in spec.configured()}
