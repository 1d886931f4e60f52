"""Shared helpers of the calibration tests: G7 reference captures, noiseless or not, with offsets."""

from __future__ import annotations

import numpy as np

from heimdall.bench.scenarios import EIRP_RANGE_DBM, SCENARIOS, g7_receivers
from heimdall.calibrate import Reference
from heimdall.calibrate.scenarios import InjectedOffsets, inject
from heimdall.locate import parse_measurement_set

# Known transmitters spread over the network (lat, lon)
SITES = [(45.12, 7.41), (44.85, 7.62), (45.05, 7.80), (44.93, 7.28), (45.30, 7.55)]


class Draws:
    """A stand-in Generator: noise draws are exact zeros when ``noiseless``; the transmit power is
    ``eirp_dbm`` when given; other uniforms (emission times) come from a real generator."""

    def __init__(self, seed: int = 0, noiseless: bool = True, eirp_dbm: float | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self.noiseless = noiseless
        self.eirp_dbm = eirp_dbm

    def normal(self, loc: float, scale: float, size: int) -> np.ndarray:
        return np.full(size, loc, dtype=float) if self.noiseless else self._rng.normal(loc, scale, size)

    def uniform(self, low: float, high: float) -> float:
        if (low, high) == EIRP_RANGE_DBM and self.eirp_dbm is not None:
            return self.eirp_dbm
        return float(self._rng.uniform(low, high))


def offsets_for(ids: list[str], seed: int = 5) -> InjectedOffsets:
    rng = np.random.default_rng(seed)
    return InjectedOffsets(
        timing_s={rid: float(v) for rid, v in zip(ids, rng.normal(0, 2e-6, len(ids)), strict=True)},
        gain_db={rid: float(v) for rid, v in zip(ids, rng.normal(0, 6.0, len(ids)), strict=True)},
        bearing_deg={rid: float(v) for rid, v in zip(ids, rng.normal(0, 5.0, len(ids)), strict=True)},
    )


def references(scenario: str, offsets: InjectedOffsets, sites=SITES, draws: Draws | None = None,
               known_eirp: bool = False) -> list[Reference]:
    draws = draws or Draws()
    receivers = g7_receivers()
    out = []
    for lat, lon in sites:
        doc = inject(SCENARIOS[scenario].generate(receivers, lat, lon, draws), offsets)
        eirp = draws.eirp_dbm if known_eirp else None
        out.append(Reference(parse_measurement_set(doc, check_unknowns=False), lat, lon, eirp_dbm=eirp))
    return out


G7_IDS = [r["id"] for r in g7_receivers()]
