"""The benchmark scenarios of RF_NOTES section 3 on G7, with per-receiver systematic offsets injected:
timing (s), gain (dB) and bearing (deg), each receiver its own, drawn from a zero-mean normal.

    rng = np.random.default_rng(3)
    trial = draw_calibration_trial("tdoa-pairs", rng)   # offsets, 5 references, one unknown transmitter

References are known transmitters uniform in the same 40 km disc as the unknown ones, their EIRP
unknown (a nuisance, as in ``rss-8db``), captured by the same receivers with the same offsets.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from heimdall.bench.scenarios import SCENARIOS, draw_truth, g7_receivers
from heimdall.calibrate.references import Reference
from heimdall.locate.measurement_set import parse_measurement_set

TIMING_SIGMA_S = 2.0e-6
GAIN_SIGMA_DB = 6.0
BEARING_SIGMA_DEG = 5.0
REFERENCE_COUNT = 5
CALIBRATION_SCENARIOS = ("toa-voice-20db", "tdoa-pairs", "rss-8db", "aoa-3deg", "fused")


@dataclass(frozen=True)
class InjectedOffsets:
    timing_s: dict[str, float]
    gain_db: dict[str, float]
    bearing_deg: dict[str, float]

    def by_quantity(self) -> dict[str, dict[str, float]]:
        return {"timing_offset_s": self.timing_s, "gain_offset_db": self.gain_db,
                "bearing_offset_deg": self.bearing_deg}


def draw_offsets(rng: np.random.Generator, receiver_ids: list[str], timing_sigma_s: float = TIMING_SIGMA_S,
                 gain_sigma_db: float = GAIN_SIGMA_DB, bearing_sigma_deg: float = BEARING_SIGMA_DEG) -> InjectedOffsets:
    n = len(receiver_ids)
    draws = rng.standard_normal((3, n)) * np.array([timing_sigma_s, gain_sigma_db, bearing_sigma_deg])[:, None]
    timing, gain, bearing = ({rid: float(v) for rid, v in zip(receiver_ids, row, strict=True)} for row in draws)
    return InjectedOffsets(timing, gain, bearing)


def inject(doc: dict[str, Any], offsets: InjectedOffsets) -> dict[str, Any]:
    """A copy of a measurement-set document as receivers with these offsets would report it."""
    out = copy.deepcopy(doc)
    for entry in out.get("toa", []):
        entry["toa_s"] += offsets.timing_s[entry["receiver"]]
    for entry in out.get("tdoa", []):
        entry["tdoa_s"] += offsets.timing_s[entry["receiver"]] - offsets.timing_s[entry["reference"]]
    for entry in out.get("rss", []):
        entry["power_dbm"] += offsets.gain_db[entry["receiver"]]
    for entry in out.get("aoa", []):
        entry["bearing_deg"] = float(np.mod(entry["bearing_deg"] + offsets.bearing_deg[entry["receiver"]], 360.0))
    return out


@dataclass(frozen=True)
class CalibrationTrial:
    offsets: InjectedOffsets
    references: list[Reference]
    doc: dict[str, Any]  # an unknown transmitter, as the offset receivers report it
    truth_lat: float
    truth_lon: float


def draw_references(name: str, rng: np.random.Generator, offsets: InjectedOffsets,
                    count: int = REFERENCE_COUNT) -> list[Reference]:
    receivers = g7_receivers()
    references = []
    for _ in range(count):
        lat, lon = draw_truth(rng)
        doc = inject(SCENARIOS[name].generate(receivers, lat, lon, rng), offsets)
        references.append(Reference(parse_measurement_set(doc, check_unknowns=False), lat, lon))
    return references


def draw_calibration_trial(name: str, rng: np.random.Generator, count: int = REFERENCE_COUNT) -> CalibrationTrial:
    """Fresh offsets, ``count`` reference captures with them, and one unknown transmitter."""
    receivers = g7_receivers()
    offsets = draw_offsets(rng, [r["id"] for r in receivers])
    references = draw_references(name, rng, offsets, count)
    lat, lon = draw_truth(rng)
    doc = inject(SCENARIOS[name].generate(receivers, lat, lon, rng), offsets)
    return CalibrationTrial(offsets, references, doc, lat, lon)
