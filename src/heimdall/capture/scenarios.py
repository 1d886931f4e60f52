"""Synthetic recording scenarios across bands, bandwidths and geometries, and one trial of the whole
recordings-to-fix pipeline on them (error, bound, ellipse coverage)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from heimdall.capture.fix import locate_analysis
from heimdall.capture.recordings import analyse_recordings
from heimdall.capture.synthetic import Scenario, synthesise
from heimdall.geo import enu_to_geodetic, geodetic_to_enu
from heimdall.locate import parse_measurement_set
from heimdall.locate.bounds import bound_median_m, crlb_enu_m2

SUMMER_NOON = datetime(2024, 6, 15, 11, 0, 0, tzinfo=UTC)
DCF77 = (50.0156, 9.0108)
DCF77_RECEIVERS = (("DF0KL", 53.665337, 7.282766), ("F1JEK", 45.779290, 0.614638), ("HB9RYZ", 47.1721, 8.42683))


def _around(centre: tuple[float, float], bearings_deg: list[float], distances_km: list[float],
            prefix: str, first: int = 0) -> tuple[tuple[str, float, float], ...]:
    out = []
    for index, (bearing, distance) in enumerate(zip(bearings_deg, distances_km, strict=True), start=first):
        east = 1e3 * distance * np.sin(np.radians(bearing))
        north = 1e3 * distance * np.cos(np.radians(bearing))
        lat, lon, _ = enu_to_geodetic([east, north, 0.0], centre[0], centre[1])
        out.append((f"{prefix}{index}", float(lat), float(lon)))
    return tuple(out)


# six KiwiSDRs 60-180 km around a transmitter (the 29.6 MHz case); the transmitter moves
# within 20 km of the centre, so the distances stay within ~40-200 km
SIX_KIWIS = _around((47.0, 8.0), [10, 75, 130, 190, 250, 310], [60, 180, 110, 150, 80, 130], "KIWI")
# RF_NOTES section 2's reference network: rx0 and six on a 50 km ring
G7 = (("rx0", 45.0, 7.5),) + _around((45.0, 7.5), [0, 60, 120, 180, 240, 300], [50] * 6, "rx", first=1)

SCENARIOS = {
    s.name: s for s in (
        Scenario("hf29.6-5k-six-kiwis", 29.6e6, 5000.0, SIX_KIWIS, (47.0, 8.0), 20e3, SUMMER_NOON),
        Scenario("hf29.6-50-six-kiwis", 29.6e6, 50.0, SIX_KIWIS, (47.0, 8.0), 20e3, SUMMER_NOON, snr_db=20.0),
        Scenario("hf14-500-six-kiwis", 14e6, 500.0, SIX_KIWIS, (47.0, 8.0), 20e3, SUMMER_NOON),
        Scenario("hf7-5k-six-kiwis", 7e6, 5000.0, SIX_KIWIS, (47.0, 8.0), 20e3, SUMMER_NOON),
        Scenario("lf77.5k-500-dcf77-like", 77.5e3, 500.0, DCF77_RECEIVERS, DCF77, 30e3,
                 datetime(2017, 11, 27, 10, 42, 0, tzinfo=UTC), snr_db=30.0),
        Scenario("vhf145-5k-g7", 145.5e6, 5000.0, G7, (45.0, 7.5), 40e3, SUMMER_NOON),
        Scenario("vhf145-50-g7", 145.5e6, 50.0, G7, (45.0, 7.5), 40e3, SUMMER_NOON, snr_db=20.0),
    )
}


@dataclass(frozen=True)
class Trial:
    scenario: str
    seed: int
    error_m: float
    bound_median_m: float
    inside_68: bool
    inside_95: bool
    mahalanobis: float
    analysis_s: float  # recordings to measurement set (load, align, correlate)
    locate_s: float  # both locate passes


def run_trial(scenario: Scenario, seed: int, duration_s: float | None = None) -> Trial:
    """Synthesise ``scenario`` with ``seed``, run the pipeline on the written files and score it."""
    if duration_s is not None:
        scenario = replace(scenario, duration_s=duration_s)
    with tempfile.TemporaryDirectory(prefix="heimdall-synthetic-") as folder:
        capture = synthesise(scenario, seed, Path(folder))
        start = time.perf_counter()
        analysis = analyse_recordings(capture.paths, capture.receivers)
        analysed = time.perf_counter()
        fix = locate_analysis(analysis)
        located = time.perf_counter()
    truth = capture.truth.transmitter
    result = fix.result
    east, north, _ = geodetic_to_enu(truth[0], truth[1], 0.0, result.lat, result.lon, 0.0)
    offset = np.array([float(east), float(north)])
    covariance = np.asarray(result.covariance_enu_m2, dtype=float)
    mahalanobis = float(np.sqrt(offset @ np.linalg.solve(covariance, offset)))
    bound = crlb_enu_m2(parse_measurement_set(analysis.measurement_set(truth)), truth[0], truth[1])
    return Trial(scenario.name, seed, float(np.hypot(*offset)), float(bound_median_m(bound)),
                 bool(result.ellipses[0].contains(*offset)), bool(result.ellipses[1].contains(*offset)), mahalanobis,
                 analysed - start, located - analysed)
