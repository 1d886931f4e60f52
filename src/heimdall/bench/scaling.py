"""How localization cost grows with the number of receivers (``heimdall bench localization-scaling``).

Networks of N receivers scattered uniformly over a 50 km disc around the G7 centre, the transmitter
uniform over the 40 km disc as in the accuracy benchmark, and the same error models (RF_NOTES §3):

- ``tdoa``: every receiver against the first; ``toa``, ``rss``, ``aoa``: at every receiver;
- ``fused``: TOA at every third receiver, RSS at all, AoA at every third (offset by one);
- ``tdoa-random``: TDoAs of random values against the first receiver, so that every receiver is
  inconsistent: the worst case for outlier rejection (issue 9's reproduction).

Per (scenario, N): p50/p95 wall latency and p95 CPU time of ``parse_measurement_set`` + ``locate``
(no heat map), and per scenario the growth exponent k of p95 ~ N^k, fitted on log-log scale over
all sizes and between consecutive sizes.
Pure functions of a seeded generator, like ``heimdall.bench.scenarios``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from geographiclib.geodesic import Geodesic

from heimdall.bench.scenarios import (
    CENTRE_LAT_DEG,
    CENTRE_LON_DEG,
    FREQUENCY_HZ,
    RECEIVER_ALT_M,
    RING_RADIUS_M,
    aoa_entries,
    draw_truth,
    network_search_area,
    rss_entries,
    tdoa_entries,
    toa_entries,
)
from heimdall.errors import InvalidInput
from heimdall.locate import locate, parse_measurement_set

RECEIVER_COUNTS = (7, 30, 100, 300)
DEFAULT_TRIALS = 40
PROPAGATION = {"model": "log_distance", "path_loss_exponent": 3.0, "reference_distance_m": 1000.0}


def scattered_receivers(count: int, rng: np.random.Generator, radius_m: float = RING_RADIUS_M) -> list[dict[str, Any]]:
    """``count`` receivers uniform (by area) over a disc around the G7 centre, ids rx0, rx1, ..."""
    receivers = []
    for k in range(count):
        point = Geodesic.WGS84.Direct(CENTRE_LAT_DEG, CENTRE_LON_DEG, rng.uniform(0.0, 360.0),
                                      radius_m * math.sqrt(rng.uniform()))
        receivers.append({"id": f"rx{k}", "lat": point["lat2"], "lon": point["lon2"], "alt_m": RECEIVER_ALT_M})
    return receivers


def _ids(receivers: list[dict[str, Any]], start: int = 0, step: int = 1) -> list[str]:
    return [r["id"] for r in receivers[start::step]]


def _tdoa(rx: list[dict[str, Any]], lat: float, lon: float, rng: np.random.Generator) -> dict[str, Any]:
    return {"tdoa": tdoa_entries(rx, "rx0", _ids(rx, 1), lat, lon, rng)}


def _tdoa_random(rx: list[dict[str, Any]], lat: float, lon: float, rng: np.random.Generator) -> dict[str, Any]:
    entries = _tdoa(rx, lat, lon, rng)["tdoa"]
    for entry in entries:
        entry["tdoa_s"] = float(rng.uniform(-3e-4, 3e-4))
    return {"tdoa": entries}


def _fused(rx: list[dict[str, Any]], lat: float, lon: float, rng: np.random.Generator) -> dict[str, Any]:
    return {"toa": toa_entries(rx, _ids(rx, 0, 3), lat, lon, rng),
            "rss": rss_entries(rx, _ids(rx), lat, lon, rng), "propagation": PROPAGATION,
            "aoa": aoa_entries(rx, _ids(rx, 1, 3), lat, lon, rng)}


SCALING_SCENARIOS: dict[str, Callable[[list[dict[str, Any]], float, float, np.random.Generator], dict[str, Any]]] = {
    "tdoa": _tdoa,
    "toa": lambda rx, lat, lon, rng: {"toa": toa_entries(rx, _ids(rx), lat, lon, rng)},
    "rss": lambda rx, lat, lon, rng: {"rss": rss_entries(rx, _ids(rx), lat, lon, rng), "propagation": PROPAGATION},
    "aoa": lambda rx, lat, lon, rng: {"aoa": aoa_entries(rx, _ids(rx), lat, lon, rng)},
    "fused": _fused,
    "tdoa-random": _tdoa_random,
}


def scaling_trial(name: str, receivers: int, rng: np.random.Generator) -> dict[str, Any]:
    """One measurement-set document of scenario ``name`` on a fresh network of ``receivers``."""
    rx = scattered_receivers(receivers, rng)
    lat, lon = draw_truth(rng)
    return {"frequency_hz": FREQUENCY_HZ, "receivers": rx, "transmitter_alt_m": 0.0,
            "search_area": network_search_area(rx), **SCALING_SCENARIOS[name](rx, lat, lon, rng)}


def random_document(receivers: int, rng: np.random.Generator, *, tdoa: int = 0, toa: int = 0, rss: int = 0,
                    aoa: int = 0) -> dict[str, Any]:
    """Measurements of random values (TDoA pairs, receivers drawn at random) on ``receivers``
    scattered receivers: nothing is consistent, every receiver looks like an outlier. With the
    counts at ``heimdall.locate.limits`` this is the most expensive set the API accepts."""
    rx = scattered_receivers(receivers, rng)
    ids = [r["id"] for r in rx]

    def pick(count: int) -> list[str]:
        return [ids[i] for i in rng.integers(0, receivers, count)]

    doc: dict[str, Any] = {"frequency_hz": FREQUENCY_HZ, "receivers": rx}
    if tdoa:
        pairs = [rng.choice(receivers, 2, replace=False) for _ in range(tdoa)]
        doc["tdoa"] = [{"receiver": ids[i], "reference": ids[j], "tdoa_s": float(rng.uniform(-3e-4, 3e-4)),
                        "sigma_s": 2e-7} for i, j in pairs]
    if toa:
        doc["toa"] = [{"receiver": r, "toa_s": float(rng.uniform(0.0, 1e-3)), "sigma_s": 1.45e-7} for r in pick(toa)]
    if rss:
        doc["rss"] = [{"receiver": r, "power_dbm": float(rng.uniform(-130.0, -60.0)), "sigma_db": 8.0}
                      for r in pick(rss)]
        doc["propagation"] = {**PROPAGATION, "path_loss_exponent": None}
    if aoa:
        doc["aoa"] = [{"receiver": r, "bearing_deg": float(rng.uniform(0.0, 360.0)), "sigma_deg": 3.0}
                      for r in pick(aoa)]
    return doc


def largest_document(rng: np.random.Generator) -> dict[str, Any]:
    """The worst case within the limits: every list at its maximum, random values."""
    from heimdall.locate.limits import MAX_MEASUREMENTS, MAX_RECEIVERS

    return random_document(MAX_RECEIVERS, rng, **MAX_MEASUREMENTS)


def growth_exponent(receivers: Sequence[int], values: Sequence[float]) -> float:
    """k of values ~ receivers^k, least squares on log-log scale."""
    slope, _ = np.polyfit(np.log(receivers), np.log(values), 1)
    return float(slope)


def step_exponents(receivers: Sequence[int], values: Sequence[float]) -> list[float]:
    """The local k between consecutive sizes: a fit over all sizes can hide a steep last step."""
    pairs = zip(zip(receivers, values, strict=False), zip(receivers[1:], values[1:], strict=False), strict=False)
    return [float(math.log(b / a) / math.log(m / n)) for (n, a), (m, b) in pairs]


def _growth(name: str, receivers: Sequence[int], rows: list[dict[str, Any]]) -> dict[str, Any]:
    latency = [r["latency_ms_p95"] for r in rows]
    cpu = [r["cpu_ms_p95"] for r in rows]
    return {"name": name, "latency_p95_exponent": growth_exponent(receivers, latency),
            "cpu_p95_exponent": growth_exponent(receivers, cpu),
            "latency_p95_step_exponents": step_exponents(receivers, latency),
            "cpu_p95_step_exponents": step_exponents(receivers, cpu)}


def _time_trials(docs: list[dict[str, Any]]) -> dict[str, float]:
    wall, cpu = [], []
    for doc in docs:
        start, cpu_start = time.perf_counter(), time.process_time()
        locate(parse_measurement_set(doc), with_posterior=False)
        wall.append(1000.0 * (time.perf_counter() - start))
        cpu.append(1000.0 * (time.process_time() - cpu_start))
    return {"latency_ms_p50": float(np.percentile(wall, 50)), "latency_ms_p95": float(np.percentile(wall, 95)),
            "cpu_ms_p95": float(np.percentile(cpu, 95))}


def run_scaling_benchmark(trials: int = DEFAULT_TRIALS, seed: int = 0,
                          receiver_counts: Sequence[int] = RECEIVER_COUNTS,
                          scenarios: Sequence[str] | None = None,
                          progress: Callable[[int], object] | None = None) -> dict[str, Any]:
    """Rows per (scenario, receivers) and, per scenario, the growth exponents of p95 latency and CPU."""
    names = list(scenarios or SCALING_SCENARIOS)
    unknown = [n for n in names if n not in SCALING_SCENARIOS]
    if unknown:
        raise InvalidInput(f"unknown scenario(s) {unknown}; known: {list(SCALING_SCENARIOS)}", field="scenarios")
    if len(receiver_counts) < 2 or min(receiver_counts) < 4:
        raise InvalidInput("give at least two receiver counts, each >= 4", field="receivers")
    # the first localization of a process pays for lazy imports and caches: not a cost of its size
    locate(parse_measurement_set(scaling_trial(names[0], min(receiver_counts), np.random.default_rng(seed))))
    rows, growth = [], []
    for index, name in enumerate(names):
        per_count: list[dict[str, Any]] = []
        for count in receiver_counts:
            rng = np.random.default_rng([seed, index, count])
            row: dict[str, Any] = {"name": name, "receivers": count, "trials": trials,
                   **_time_trials([scaling_trial(name, count, rng) for _ in range(trials)])}
            rows.append(row)
            per_count.append(row)
            if progress is not None:
                progress(trials)
        growth.append(_growth(name, receiver_counts, per_count))
    return {"rows": rows, "growth": growth, "seed": seed, "trials": trials, "receiver_counts": list(receiver_counts)}
