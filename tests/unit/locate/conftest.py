"""Shared fixtures of the locate tests: the G7 network and noiseless measurement sets on it."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from heimdall.bench.scenarios import (
    aoa_entries,
    g7_receivers,
    rss_entries,
    tdoa_entries,
    toa_entries,
)

TRUTH = (45.12, 7.41)  # about 13 km NNW of the network centre


class ZeroNoise:
    """A stand-in Generator that draws exact zeros for noise (uniforms still drawn from a real one)."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)

    def normal(self, loc: float, scale: float, size: int) -> np.ndarray:
        return np.full(size, loc, dtype=float)

    def uniform(self, *args: float) -> float:
        return float(self._rng.uniform(*args))


def noiseless(modalities: tuple[str, ...], truth: tuple[float, float] = TRUTH) -> dict:
    rx = g7_receivers()
    ids = [r["id"] for r in rx]
    lat, lon = truth
    rng = ZeroNoise()
    doc: dict = {"frequency_hz": 145.5e6, "receivers": rx, "transmitter_alt_m": 0.0}
    if "toa" in modalities:
        doc["toa"] = toa_entries(rx, ids, lat, lon, rng)
    if "tdoa" in modalities:
        doc["tdoa"] = tdoa_entries(rx, "rx0", ids[1:], lat, lon, rng)
    if "rss" in modalities:
        doc["rss"] = rss_entries(rx, ids, lat, lon, rng)
        doc["propagation"] = {"model": "log_distance", "path_loss_exponent": 3.0, "reference_distance_m": 1000.0}
    if "aoa" in modalities:
        doc["aoa"] = aoa_entries(rx, ids, lat, lon, rng)
    return doc


@pytest.fixture
def valid_doc() -> dict:
    return copy.deepcopy(noiseless(("toa", "tdoa", "rss", "aoa")))


@pytest.fixture
def make_noiseless():
    return noiseless

