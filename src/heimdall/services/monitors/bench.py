"""Monitor benchmark: a long simulated watch through the monitor's own pipeline, in one process.

    python -m heimdall.services.monitors.bench [--quick] [--json]

Seven receivers (four OpenWebRX S-meters at 4 readings/s, three KrakenSDR stations at 2 bearings/s
while keyed) hear a transmitter that keys for 2–8 s every ~30 s while it drives a random route;
readings go through ``Watch`` (detectors, bursts, grouper), each completed transmission through
``measurement_set``, the fused estimator (``LocalizationService.predict``'s engine) and the tracker,
on a simulated clock (no sockets, no database: what the job adds to each fix is its writes).

Reported: fixes against the simulator's transmissions (lost ones counted), the latency from the end
of a transmission to its fix split into the configured hold (detector hang ``min_off_s`` plus the
grouper's ``settle_s``, simulated time) and the processing (wall time from the transmission's
completion to the tracked fix), traced Python memory over the watch (flat = no growth), CPU per
reading per receiver, the 95 % coverage of the truth by the track, and each modality alone (bearings,
powers) against the fused fix on the same transmissions: errors and 68 % / 95 % coverage. A station's
bearing error holds over an over (multipath, calibration) with 1° of jitter on top.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import tracemalloc
from typing import Any

import numpy as np

from heimdall.errors import HeimdallError
from heimdall.geo import bearing_deg, geodetic_to_enu
from heimdall.locate.estimator import locate
from heimdall.locate.measurement_set import parse_measurement_set
from heimdall.locate.result import Ellipse
from heimdall.receivers.kraken import BearingReading
from heimdall.receivers.kraken.formats import KrakenFormat
from heimdall.services.monitors.watch import Watch, WatchedReceiver
from heimdall.tracking.fixes import Fix
from heimdall.tracking.simulate import RouteConfig, positions_along, random_route
from heimdall.tracking.tracks import Tracker

ORIGIN = (45.0, 7.5)
CHANNEL = "145500000"
OWRX = {"owrx-1": (45.08, 7.40), "owrx-2": (44.93, 7.62), "owrx-3": (45.05, 7.65), "owrx-4": (44.95, 7.38)}
KRAKEN = {"kraken-1": (45.10, 7.52), "kraken-2": (44.90, 7.45), "kraken-3": (45.00, 7.70)}
SMETER_S, BEARING_S = 0.25, 0.5
BEARING_SIGMA_DEG = 3.0
BEARING_JITTER_DEG = 1.0
CONFIG = {"channels": [{"frequency_hz": 145.5e6, "passband_hz": 12_500.0, "threshold_db": 10.0}],
          "min_receivers": 3, "cot": [], "options": {}}


def receivers() -> list[WatchedReceiver]:
    return ([WatchedReceiver(n, n, "openwebrx", None, lat, lon, 10.0) for n, (lat, lon) in OWRX.items()]
            + [WatchedReceiver(n, n, "kraken", None, lat, lon, 10.0) for n, (lat, lon) in KRAKEN.items()])


def overs(rng: np.random.Generator, duration_s: float) -> list[tuple[float, float]]:
    starts = np.cumsum(rng.uniform(20.0, 40.0, size=int(duration_s / 20) + 2)) + 70.0  # 70 s to learn the floor
    return [(float(s), float(s + rng.uniform(2.0, 8.0))) for s in starts if s + 10 < duration_s]


def enu_to_latlon(east_m: float, north_m: float) -> tuple[float, float]:
    return (ORIGIN[0] + north_m / 111_132.0,
            ORIGIN[1] + east_m / (111_320.0 * math.cos(math.radians(ORIGIN[0]))))


class Simulation:
    def __init__(self, seed: int, duration_s: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.duration_s = duration_s
        self.overs = overs(self.rng, duration_s)
        self.route = random_route(self.rng, RouteConfig(speed_m_s=15.0))
        self.watch = Watch("bench", CONFIG, receivers())
        self.tracker = Tracker(namespace="bench")
        self.report: dict[str, Any] = {"processing_ms": [], "track_in_95": [], "memory_kib": []}
        self.bias_deg: dict[tuple[int | None, str], float] = {}
        self.readings = 0
        self.reading_cpu_s = 0.0
        self.modalities: dict[str, list[tuple[float, bool, bool]]] = {}

    def truth(self, time_s: float) -> tuple[float, float]:
        east, north = positions_along(self.route, 15.0, np.array([time_s]))[0]
        return enu_to_latlon(float(east), float(north))

    def over_index(self, time_s: float) -> int | None:
        return next((i for i, (start, end) in enumerate(self.overs) if start - 2.0 <= time_s <= end), None)

    def bearing_error_deg(self, time_s: float, station: str) -> float:
        """A station's error holds over one over (multipath, array calibration: BEARING_SIGMA_DEG) with a
        little frame-to-frame jitter on top, so averaging an over's bearings does not beat the bias."""
        key = (self.over_index(time_s), station)
        if key not in self.bias_deg:
            self.bias_deg[key] = float(self.rng.normal(0.0, BEARING_SIGMA_DEG))
        return self.bias_deg[key] + float(self.rng.normal(0.0, BEARING_JITTER_DEG))

    def keyed(self, time_s: float) -> bool:
        return any(start <= time_s < end for start, end in self.overs)

    def step(self, time_s: float) -> None:
        started = time.process_time()
        position = self.truth(time_s) if self.keyed(time_s) else None
        for name, (lat, lon) in OWRX.items():
            power = -110.0 + self.rng.normal(0.0, 1.0)
            if position is not None:
                distance = math.hypot(*geodetic_to_enu(lat, lon, 0.0, *position, 0.0)[:2])
                power = 10 * math.log10(10 ** (power / 10) + 10 ** ((40.0 - 30 * math.log10(distance)) / 10))
            self.watch.power(name, CHANNEL, time_s, power)
            self.readings += 1
        if position is not None and round(time_s / SMETER_S) % round(BEARING_S / SMETER_S) == 0:
            for name, (lat, lon) in KRAKEN.items():
                value = float(bearing_deg(lat, lon, 0.0, *position, 0.0)) + self.bearing_error_deg(time_s, name)
                self.watch.bearing(BearingReading(name, None, time_s, time_s, 145.5e6, value % 360, BEARING_SIGMA_DEG,
                                                  None, None, 10.0, -40.0, lat, lon, None, KrakenFormat.KRAKEN_APP,
                                                  frozenset()))
                self.readings += 1
        self.reading_cpu_s += time.process_time() - started

    def fix(self, transmission: Any) -> None:
        started = time.perf_counter()
        doc, _used, reason = self.watch.measurement_set(transmission)
        if doc is None:
            self.report.setdefault("no_fix", []).append(reason)
            return
        result = locate(parse_measurement_set(doc)).to_dict()
        point = self.tracker.update(Fix.from_result(result, transmission.transmission_id, transmission.start_s,
                                                    CHANNEL))
        self.report["processing_ms"].append(1000 * (time.perf_counter() - started))
        self.report.setdefault("over_of_fix", []).append(self.over_index(transmission.start_s))
        truth = self.truth(transmission.start_s)
        self.report["track_in_95"].append(point.contains(*truth, 0.95))
        for name, only in (("fused", None), ("aoa", "aoa"), ("rss", "rss")):
            single = result if only is None else _single(doc, only)
            if single is not None:
                self.modalities.setdefault(name, []).append(_score(single, truth))

    def run(self) -> dict[str, Any]:
        tracemalloc.start()
        steps = int(self.duration_s / SMETER_S)
        for index in range(steps):
            time_s = index * SMETER_S
            self.step(time_s)
            for transmission in self.watch.poll(time_s):
                self.fix(transmission)
            if index % (steps // 10) == 0 or index == steps - 1:
                self.report["memory_kib"].append(round(tracemalloc.get_traced_memory()[0] / 1024))
        tracemalloc.stop()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        report = self.report
        processing = np.array(report["processing_ms"])
        detector = self.watch.bank.channel_configs[CHANNEL]
        grouping = self.watch.grouper.config
        return {
            "simulated_s": self.duration_s, "receivers": len(OWRX) + len(KRAKEN), "transmissions": len(self.overs),
            "fixes": len(processing), "lost": len(set(range(len(self.overs))) - set(report.get("over_of_fix", []))),
            "duplicates": len(processing) - len(set(report.get("over_of_fix", []))),
            "no_fix_reasons": report.get("no_fix", []),
            "hold_s": detector.min_off_s + grouping.settle_s,
            "processing_ms_p50": round(float(np.percentile(processing, 50)), 1),
            "processing_ms_p95": round(float(np.percentile(processing, 95)), 1),
            "processing_ms_max": round(float(processing.max()), 1),
            "traced_memory_kib": report["memory_kib"],
            "cpu_us_per_reading": round(1e6 * self.reading_cpu_s / max(self.readings, 1), 1),
            "cpu_percent_per_receiver": round(100 * self.reading_cpu_s / self.duration_s / 7, 4),
            "track_coverage_95": round(float(np.mean(report["track_in_95"])), 3),
            "modalities": {name: _modality(scores) for name, scores in self.modalities.items()},
        }


def _single(doc: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The same transmission located from one modality alone (None when it has too little)."""
    if kind not in doc:
        return None
    try:
        return locate(parse_measurement_set({**{k: v for k, v in doc.items() if k not in ("rss", "aoa")},
                                             kind: doc[kind]})).to_dict()
    except HeimdallError:
        return None


def _score(result: dict[str, Any], truth: tuple[float, float]) -> tuple[float, bool, bool]:
    east, north, _ = geodetic_to_enu(truth[0], truth[1], 0.0, result["lat"], result["lon"], 0.0)
    inside = [_inside(result["lat"], result["lon"], e, truth) for e in result["ellipses"]]
    return float(math.hypot(east, north)), inside[0], inside[-1]


def _modality(scores: list[tuple[float, bool, bool]]) -> dict[str, Any]:
    errors = np.array([s[0] for s in scores])
    return {"fixes": len(scores), "median_error_m": round(float(np.median(errors))),
            "p95_error_m": round(float(np.percentile(errors, 95))),
            "coverage_68": round(float(np.mean([s[1] for s in scores])), 3),
            "coverage_95": round(float(np.mean([s[2] for s in scores])), 3)}


def _inside(lat: float, lon: float, region: dict[str, float], truth: tuple[float, float]) -> bool:
    east, north, _ = geodetic_to_enu(truth[0], truth[1], 0.0, lat, lon, 0.0)
    return Ellipse(region["confidence"], region["semi_major_m"], region["semi_minor_m"], region["orientation_deg"]).contains(
        float(east), float(north))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 simulated minutes instead of an hour")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = Simulation(args.seed, 600.0 if args.quick else 3600.0).run()
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
