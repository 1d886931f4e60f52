"""The reference network G7 and the benchmark scenarios of RF_NOTES section 3, as seeded generators.

Pure functions of an explicit ``numpy.random.Generator``: the simulator and the neural localizer
reuse them to produce exactly the measurement sets the classical estimator is judged on.

    rng = np.random.default_rng(7)
    doc, truth_lat, truth_lon = draw_trial("tdoa-pairs", rng)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from geographiclib.geodesic import Geodesic

from heimdall.geo import SPEED_OF_LIGHT_M_S, bearing_deg, geodetic_to_ecef, slant_distance_m

CENTRE_LAT_DEG = 45.0
CENTRE_LON_DEG = 7.5
RING_RADIUS_M = 50_000.0
RECEIVER_ALT_M = 300.0
FREQUENCY_HZ = 145.5e6
TRUTH_RADIUS_M = 40_000.0
TX_ALT_M = 0.0

TOA_SIGMA_S = 145e-9
TDOA_SIGMA_S = 205e-9
RSS_SIGMA_DB = 8.0
RSS_EXPONENT = 3.0
RSS_REFERENCE_M = 1000.0
EIRP_RANGE_DBM = (30.0, 50.0)
AOA_SIGMA_DEG = 3.0
OUTLIER_RECEIVER = "rx3"
OUTLIER_OFFSET_S = 5e-6


def g7_receivers() -> list[dict[str, Any]]:
    """rx0 at the centre, rx1..rx6 on a 50 km (geodesic) circle at bearings 0, 60, ..., 300; all at 300 m."""
    receivers = [{"id": "rx0", "lat": CENTRE_LAT_DEG, "lon": CENTRE_LON_DEG, "alt_m": RECEIVER_ALT_M}]
    for k in range(6):
        point = Geodesic.WGS84.Direct(CENTRE_LAT_DEG, CENTRE_LON_DEG, 60.0 * k, RING_RADIUS_M)
        receivers.append({"id": f"rx{k + 1}", "lat": point["lat2"], "lon": point["lon2"], "alt_m": RECEIVER_ALT_M})
    return receivers


def draw_truth(rng: np.random.Generator, radius_m: float = TRUTH_RADIUS_M) -> tuple[float, float]:
    """A transmitter uniform (by area) in the disc of ``radius_m`` around the network centre."""
    distance = radius_m * math.sqrt(rng.uniform())
    azimuth = rng.uniform(0.0, 360.0)
    point = Geodesic.WGS84.Direct(CENTRE_LAT_DEG, CENTRE_LON_DEG, azimuth, distance)
    return point["lat2"], point["lon2"]


def _distances_m(receivers: list[dict[str, Any]], ids: list[str], lat: float, lon: float) -> np.ndarray:
    by_id = {r["id"]: r for r in receivers}
    rx = geodetic_to_ecef([by_id[i]["lat"] for i in ids], [by_id[i]["lon"] for i in ids],
                          [by_id[i]["alt_m"] for i in ids])
    return slant_distance_m(rx, geodetic_to_ecef(lat, lon, TX_ALT_M))


def _ids(receivers: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in receivers]


def toa_entries(receivers: list[dict[str, Any]], ids: list[str], lat: float, lon: float, rng: np.random.Generator,
                sigma_s: float = TOA_SIGMA_S) -> list[dict[str, Any]]:
    emission_s = rng.uniform(0.0, 1.0e-3)
    arrival = emission_s + _distances_m(receivers, ids, lat, lon) / SPEED_OF_LIGHT_M_S
    arrival = arrival + rng.normal(0.0, sigma_s, len(ids))
    return [{"receiver": i, "toa_s": float(t), "sigma_s": sigma_s} for i, t in zip(ids, arrival, strict=False)]


def tdoa_entries(receivers: list[dict[str, Any]], reference: str, ids: list[str], lat: float, lon: float,
                 rng: np.random.Generator, sigma_s: float = TDOA_SIGMA_S) -> list[dict[str, Any]]:
    d = _distances_m(receivers, [reference, *ids], lat, lon)
    tdoa = (d[1:] - d[0]) / SPEED_OF_LIGHT_M_S + rng.normal(0.0, sigma_s, len(ids))
    return [{"receiver": i, "reference": reference, "tdoa_s": float(t), "sigma_s": sigma_s} for i, t in zip(ids, tdoa, strict=False)]


def rss_entries(receivers: list[dict[str, Any]], ids: list[str], lat: float, lon: float, rng: np.random.Generator,
                sigma_db: float = RSS_SIGMA_DB) -> list[dict[str, Any]]:
    eirp_dbm = rng.uniform(*EIRP_RANGE_DBM)
    fspl_d0 = 20.0 * math.log10(4.0 * math.pi * RSS_REFERENCE_M * FREQUENCY_HZ / SPEED_OF_LIGHT_M_S)
    d = _distances_m(receivers, ids, lat, lon)
    power = eirp_dbm - fspl_d0 - 10.0 * RSS_EXPONENT * np.log10(d / RSS_REFERENCE_M)
    power = power + rng.normal(0.0, sigma_db, len(ids))
    return [{"receiver": i, "power_dbm": float(p), "sigma_db": sigma_db} for i, p in zip(ids, power, strict=False)]


def aoa_entries(receivers: list[dict[str, Any]], ids: list[str], lat: float, lon: float, rng: np.random.Generator,
                sigma_deg: float = AOA_SIGMA_DEG) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in receivers}
    true = np.array([float(bearing_deg(by_id[i]["lat"], by_id[i]["lon"], by_id[i]["alt_m"], lat, lon, TX_ALT_M))
                     for i in ids])
    measured = np.mod(true + rng.normal(0.0, sigma_deg, len(ids)), 360.0)
    return [{"receiver": i, "bearing_deg": float(b), "sigma_deg": sigma_deg} for i, b in zip(ids, measured, strict=False)]


def network_search_area(receivers: list[dict[str, Any]]) -> dict[str, float]:
    """The area the network covers: its receivers' bounding box (holds the 40 km truth disc of G7).

    The benchmark states it as the prior support, as an operator would; without it the estimator
    falls back to a generously padded box, which costs RSS accuracy (docs/benchmarks.md).
    """
    lat = [r["lat"] for r in receivers]
    lon = [r["lon"] for r in receivers]
    return {"lat_min": min(lat), "lat_max": max(lat), "lon_min": min(lon), "lon_max": max(lon)}


def _base(receivers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"frequency_hz": FREQUENCY_HZ, "receivers": receivers, "transmitter_alt_m": TX_ALT_M,
            "search_area": network_search_area(receivers)}


def _propagation() -> dict[str, Any]:
    return {"model": "log_distance", "path_loss_exponent": RSS_EXPONENT, "reference_distance_m": RSS_REFERENCE_M}


def toa_voice_20db(rx: list[dict[str, Any]], lat: float, lon: float, rng: np.random.Generator) -> dict[str, Any]:
    return {**_base(rx), "toa": toa_entries(rx, _ids(rx), lat, lon, rng)}


def tdoa_pairs(rx: list[dict[str, Any]], lat: float, lon: float, rng: np.random.Generator) -> dict[str, Any]:
    return {**_base(rx), "tdoa": tdoa_entries(rx, "rx0", _ids(rx)[1:], lat, lon, rng)}


def rss_8db(rx: list[dict[str, Any]], lat: float, lon: float, rng: np.random.Generator) -> dict[str, Any]:
    return {**_base(rx), "rss": rss_entries(rx, _ids(rx), lat, lon, rng), "propagation": _propagation()}


def aoa_3deg(rx: list[dict[str, Any]], lat: float, lon: float, rng: np.random.Generator) -> dict[str, Any]:
    return {**_base(rx), "aoa": aoa_entries(rx, _ids(rx), lat, lon, rng)}


def fused(rx: list[dict[str, Any]], lat: float, lon: float, rng: np.random.Generator) -> dict[str, Any]:
    return {**_base(rx), "toa": toa_entries(rx, ["rx0", "rx2", "rx4"], lat, lon, rng),
            "rss": rss_entries(rx, _ids(rx), lat, lon, rng), "propagation": _propagation(),
            "aoa": aoa_entries(rx, ["rx1", "rx5"], lat, lon, rng)}


def outlier(rx: list[dict[str, Any]], lat: float, lon: float, rng: np.random.Generator) -> dict[str, Any]:
    doc = toa_voice_20db(rx, lat, lon, rng)
    for entry in doc["toa"]:
        if entry["receiver"] == OUTLIER_RECEIVER:
            entry["toa_s"] += OUTLIER_OFFSET_S  # a bad GNSS fix
    return doc


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    generate: Callable[[list[dict[str, Any]], float, float, np.random.Generator], dict[str, Any]]
    min_trials: int = 500


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("toa-voice-20db", "TOA at all 7, sigma 145 ns", toa_voice_20db),
    Scenario("tdoa-pairs", "TDoA rx1..rx6 against rx0, independent, sigma 205 ns", tdoa_pairs),
    Scenario("rss-8db", "RSS at all 7, n = 3 known, 8 dB shadowing, EIRP unknown (30-50 dBm)", rss_8db, 600),
    Scenario("aoa-3deg", "bearings at all 7, sigma 3 deg", aoa_3deg),
    Scenario("fused", "TOA at rx0, rx2, rx4 + RSS at all 7 + AoA at rx1, rx5", fused),
    Scenario("outlier", "toa-voice-20db with rx3's arrival time +5 us", outlier),
)}


def draw_trial(name: str, rng: np.random.Generator) -> tuple[dict[str, Any], float, float]:
    """One trial of a scenario: (measurement-set document, truth_lat, truth_lon)."""
    scenario = SCENARIOS[name]
    lat, lon = draw_truth(rng)
    return scenario.generate(g7_receivers(), lat, lon, rng), lat, lon
