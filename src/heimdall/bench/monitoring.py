"""Monitoring benchmark: the detector's counts and timing, the tracker's calibration, CoT's cost.

    python -m heimdall.bench.monitoring [--seeds 50] [--json]

- detector: synthetic S-meter streams at 10 readings/s (1 dB noise, 2 dB fading), 25 overs each at
  SNRs drawn from a band; the share of streams whose detections match the overs one for one, the
  p95 start error, and the CPU time per reading.
- tracker: emitters on random routes (``heimdall.tracking.simulate``), fixes drawn from their own
  covariances; coverage of the truth by each update's 68 % / 95 % regions, mean NIS, the share of
  routes kept as one track, median track and fix errors, CPU per update.
- cot: a track update encoded to XML and parsed back, CPU per event.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import numpy as np

from heimdall.cot.mapping import track_event
from heimdall.cot.parse import parse_event
from heimdall.geo import geodetic_to_enu
from heimdall.rf.detect import DetectorConfig, detect_series
from heimdall.tracking.simulate import RouteConfig, simulate_fixes
from heimdall.tracking.tracks import Tracker, tracks_from_fixes

ORIGIN = (45.0, 7.5)
RATE_HZ = 10.0
ROUTES = {
    "car-15mps-60s": RouteConfig(),
    "car-30mps-20s": RouteConfig(speed_m_s=30.0, mean_interval_s=20.0),
    "walker-1.5mps-small-errors": RouteConfig(speed_m_s=1.5, legs=4, leg_m=(300.0, 1000.0), fix_sigma_m=(30.0, 100.0)),
    "stationary-1h": RouteConfig(speed_m_s=0.0, duration_s=3600.0),
    "car-rss-scale-errors": RouteConfig(fix_sigma_m=(2_000.0, 15_000.0), leg_m=(10_000.0, 30_000.0), speed_m_s=25.0),
}


def power_stream(rng: np.random.Generator, overs: list[tuple[float, float, float]], duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    times = np.arange(0.0, duration_s, 1.0 / RATE_HZ)
    linear = 10 ** ((-120.0 + rng.normal(0.0, 1.0, times.size)) / 10)
    for start, end, snr_db in overs:
        on = (times >= start) & (times < end)
        linear[on] += 10 ** ((-120.0 + snr_db + rng.normal(0.0, 2.0, on.sum())) / 10)
    return times, 10 * np.log10(linear)


def bench_detector(seeds: int, snr_band: tuple[float, float]) -> dict[str, Any]:
    exact, start_errors, readings, cpu_s = 0, [], 0, 0.0
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        overs, t = [], 30.0
        for _ in range(25):
            start = t + rng.uniform(3.0, 30.0)
            end = start + rng.uniform(1.0, 20.0)
            overs.append((start, end, rng.uniform(*snr_band)))
            t = end
        times, power = power_stream(rng, overs, t + 20.0)
        began = time.process_time()
        detections, _ = detect_series(times, power, DetectorConfig())
        cpu_s += time.process_time() - began
        readings += times.size
        if len(detections) == len(overs):
            exact += 1
            start_errors += [d.start_s - o[0] for d, o in zip(detections, overs, strict=True)]
    return {"snr_db": list(snr_band), "streams": seeds, "exact_count_share": exact / seeds,
            "start_error_p95_s": float(np.percentile(start_errors, 95)) if start_errors else None,
            "cpu_us_per_reading": 1e6 * cpu_s / readings}


def bench_tracker(name: str, route: RouteConfig, seeds: int) -> dict[str, Any]:
    inside_68 = inside_95 = updates = one_track = 0
    nis, track_err, fix_err, cpu_s = [], [], [], 0.0
    for seed in range(seeds):
        sim = simulate_fixes(np.random.default_rng(seed), route, *ORIGIN)
        tracker = Tracker()
        for fix, lat, lon in zip(sim.fixes, sim.truth_lat, sim.truth_lon, strict=True):
            began = time.process_time()
            point = tracker.update(fix)
            cpu_s += time.process_time() - began
            inside_68 += point.contains(lat, lon, 0.68)
            inside_95 += point.contains(lat, lon, 0.95)
            updates += 1
            nis += [] if point.nis is None else [point.nis]
            track_err.append(_distance_m(lat, lon, point.lat, point.lon))
            fix_err.append(_distance_m(lat, lon, fix.lat, fix.lon))
        one_track += len(tracker.tracks) == 1
    return {"scenario": name, "routes": seeds, "updates": updates, "coverage_68": inside_68 / updates,
            "coverage_95": inside_95 / updates, "mean_nis": float(np.mean(nis)), "one_track_share": one_track / seeds,
            "median_track_error_m": float(np.median(track_err)), "median_fix_error_m": float(np.median(fix_err)),
            "cpu_ms_per_update": 1e3 * cpu_s / updates}


def bench_cot(events: int) -> dict[str, Any]:
    sim = simulate_fixes(np.random.default_rng(0), RouteConfig(legs=2), *ORIGIN)
    [track] = tracks_from_fixes(sim.fixes).tracks.values()
    now_s = track.points[-1].time_s
    began = time.process_time()
    size = 0
    for _ in range(events):
        data = track_event(track, now_s=now_s).to_xml()
        parse_event(data)
        size = len(data)
    return {"events": events, "bytes_per_event": size, "cpu_us_per_encode_and_parse": 1e6 * (time.process_time() - began) / events}


def _distance_m(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    return float(math.hypot(*geodetic_to_enu(lat_a, lon_a, 0.0, lat_b, lon_b, 0.0)[:2]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = {
        "detector": [bench_detector(args.seeds, band) for band in ((8.0, 10.0), (10.0, 14.0), (14.0, 30.0))],
        "tracker": [bench_tracker(name, route, args.seeds) for name, route in ROUTES.items()],
        "cot": bench_cot(2000),
        "load_average_1min": _load(),
    }
    print(json.dumps(report, indent=None if args.json else 2))


def _load() -> float | None:
    try:
        import os

        return os.getloadavg()[0]
    except OSError:
        return None


if __name__ == "__main__":
    main()
