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
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.nn.features import CHANNEL_KIND, FEATURE_CHANNELS, channel_gate_index

_MIN_STD = 1e-6


@dataclass(frozen=True)
class FeatureNormalization:
    length_scale_m: float
    offset: tuple[float, ...]
    scale: tuple[float, ...]
    channels: tuple[str, ...] = FEATURE_CHANNELS

    def apply(self, raw: NDArray) -> NDArray[np.float32]:
        """The numpy twin of what the network does first (for tests and inspection)."""
        raw = np.asarray(raw, dtype=np.float32)
        gate = raw[..., list(channel_gate_index())]
        offset = np.asarray(self.offset, dtype=np.float32)
        scale = np.asarray(self.scale, dtype=np.float32)
        return ((raw - offset) / scale * gate).astype(np.float32)

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


def fit_normalization(raw: NDArray, targets_en_m: NDArray) -> FeatureNormalization:
    """Statistics of the training split only: per-channel mean/std over present values, RMS length."""
    raw = np.asarray(raw, dtype=np.float64)
    targets = np.asarray(targets_en_m, dtype=np.float64)
    length_scale_m = max(float(np.sqrt(np.mean(targets**2))) if targets.size else 1.0, 1.0)
    gates = channel_gate_index()
    offset, scale = [], []
    for c, name in enumerate(FEATURE_CHANNELS):
        kind = CHANNEL_KIND[name]
        values = raw[..., c][raw[..., gates[c]] > 0.5] if kind == "standard" else np.zeros(0)
        std = float(values.std()) if values.size else 1.0
        offset.append(float(values.mean()) if values.size else 0.0)
        if kind == "length":
            scale.append(length_scale_m)
        else:
            scale.append(std if std > _MIN_STD else 1.0)
    return FeatureNormalization(length_scale_m=length_scale_m, offset=tuple(offset), scale=tuple(scale))
