"""Feature normalisation fitted on the training split and applied identically at inference.

normalised = (raw - offset) / scale * gate, where gate is the channel's mask (so an absent value is
exactly 0 whatever its offset). Lengths (receiver east/north, pseudo-ranges, targets) all share one
``length_scale_m`` and no offset, so the geometry keeps its shape; the network predicts positions in
units of ``length_scale_m``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput
from heimdall.nn.features import CHANNEL_KIND, FEATURE_CHANNELS, channel_gate_index

_MIN_STD = 1e-6


@dataclass(frozen=True)
class FeatureNormalization:
    length_scale_m: float
    offset: tuple[float, ...]
    scale: tuple[float, ...]
    channels: tuple[str, ...] = FEATURE_CHANNELS

    def apply(self, raw: ArrayLike) -> NDArray[np.float32]:
        """The numpy twin of what the network does first (for tests and inspection)."""
        x = np.asarray(raw, dtype=np.float32)
        gate = x[..., list(channel_gate_index())]
        offset = np.asarray(self.offset, dtype=np.float32)
        scale = np.asarray(self.scale, dtype=np.float32)
        return np.asarray((x - offset) / scale * gate, dtype=np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {
            "length_scale_m": self.length_scale_m,
            "channels": list(self.channels),
            "offset": list(self.offset),
            "scale": list(self.scale),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureNormalization:
        try:
            norm = cls(
                length_scale_m=float(data["length_scale_m"]),
                offset=tuple(float(v) for v in data["offset"]),
                scale=tuple(float(v) for v in data["scale"]),
                channels=tuple(str(c) for c in data["channels"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"bad feature normalisation: {exc!r}") from exc
        if norm.channels != FEATURE_CHANNELS:
            raise InvalidInput("the normalisation was made for other feature channels than this version's")
        return norm


class NormalizationFit:
    """Training-split statistics accumulated batch by batch (memory: a few numbers per channel).

    Per standardised channel the count, mean and sum of squared deviations of its present values,
    merged batch to batch with Chan et al.'s pairwise update (as exact as one pass over all values, and
    stable where the mean is large next to the spread); for the length scale, the sum of squared
    target coordinates.
    """

    def __init__(self) -> None:
        self._count = np.zeros(len(FEATURE_CHANNELS))
        self._mean = np.zeros(len(FEATURE_CHANNELS))
        self._m2 = np.zeros(len(FEATURE_CHANNELS))
        self._target_sum_sq = 0.0
        self._target_count = 0

    def add(self, raw: ArrayLike, targets_en_m: ArrayLike) -> None:
        raw = np.asarray(raw, dtype=np.float64)
        targets = np.asarray(targets_en_m, dtype=np.float64)
        self._target_sum_sq += float(np.sum(targets**2))
        self._target_count += targets.size
        gates = channel_gate_index()
        for c, name in enumerate(FEATURE_CHANNELS):
            if CHANNEL_KIND[name] != "standard":
                continue
            values = raw[..., c][raw[..., gates[c]] > 0.5]
            if values.size:
                self._merge(c, values)

    def _merge(self, c: int, values: NDArray[np.float64]) -> None:
        n_a, n_b = self._count[c], float(values.size)
        mean_b = float(values.mean())
        delta = mean_b - self._mean[c]
        total = n_a + n_b
        self._m2[c] += float(np.sum((values - mean_b) ** 2)) + delta**2 * n_a * n_b / total
        self._mean[c] += delta * n_b / total
        self._count[c] = total

    def result(self) -> FeatureNormalization:
        rms_m = float(np.sqrt(self._target_sum_sq / self._target_count)) if self._target_count else 1.0
        length_scale_m = max(rms_m, 1.0)
        offset, scale = [], []
        for c, name in enumerate(FEATURE_CHANNELS):
            counted = self._count[c] > 0
            std = float(np.sqrt(self._m2[c] / self._count[c])) if counted else 1.0
            offset.append(float(self._mean[c]) if counted else 0.0)
            if CHANNEL_KIND[name] == "length":
                scale.append(length_scale_m)
            else:
                scale.append(std if std > _MIN_STD else 1.0)
        return FeatureNormalization(length_scale_m=length_scale_m, offset=tuple(offset), scale=tuple(scale))


def fit_normalization(raw: ArrayLike, targets_en_m: ArrayLike) -> FeatureNormalization:
    """Statistics of the training split only: per-channel mean/std over present values, RMS length."""
    fit = NormalizationFit()
    fit.add(raw, targets_en_m)
    return fit.result()
