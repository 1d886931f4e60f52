"""Which recordings of a capture can be trusted for a fix, and the measurement set from those.

A receiver is excluded, with a one-line reason, when
    - the position its ``/status`` reports disagrees with the stored one by more than
      ``position_tolerance_m`` (a moved antenna, a wrong entry: every delay it gives would mislead);
    - its recording shows no correlation peak against the reference: no delay, a peak under
      ``MIN_PEAK_RATIO`` times its sidelobes, or segments whose delays scatter more than
      ``MAX_SCATTER_RATIO`` times their own noise (each segment found a different, random peak):
      it did not hear the signal, or its time is wrong.
Receivers without GNSS time (none, stale, lost) never reach this point: the recorder fails them.
What remains is analysed by the recordings pipeline and turned into a measurement set the same
two-pass way as ``heimdall locate`` (sigmas evaluated again at a first fix).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from heimdall.capture.recordings import RecordingAnalysis, analyse_recordings
from heimdall.geo import geodetic_to_enu
from heimdall.locate import locate, parse_measurement_set
from heimdall.rf.measure.delay_batch import MIN_PEAK_RATIO

MIN_RECEIVERS = 3
POSITION_TOLERANCE_M = 2_000.0
# The segments of a pair that heard the signal agree within their noise (DCF77 fixture: 0.4-0.7); a
# receiver that heard only noise gives each segment its own random peak (14 on the same fixture).
MAX_SCATTER_RATIO = 5.0


@dataclass
class TrustedSet:
    used: list[str]
    excluded: dict[str, str] = field(default_factory=dict)  # receiver id -> reason
    measurement_set: dict[str, Any] | None = None  # None: fewer than MIN_RECEIVERS could be trusted
    diagnostics: dict[str, Any] | None = None
    reason: str | None = None  # why there is no measurement set


def position_disagreements(stored: Mapping[str, tuple[float, float]],
                           reported: Mapping[str, tuple[float, float] | None],
                           tolerance_m: float = POSITION_TOLERANCE_M) -> dict[str, str]:
    """Receiver id -> reason, for each receiver whose reported position is off its stored one."""
    out: dict[str, str] = {}
    for receiver_id, (lat, lon) in stored.items():
        seen = reported.get(receiver_id)
        if seen is None:
            continue
        east, north, _ = geodetic_to_enu(seen[0], seen[1], 0.0, lat, lon, 0.0)
        distance_m = float(np.hypot(east, north))
        if distance_m > tolerance_m:
            out[receiver_id] = (f"it reports a position {distance_m / 1e3:.1f} km from the stored one "
                                f"({seen[0]:.4f}, {seen[1]:.4f}); tolerance {tolerance_m / 1e3:g} km")
    return out


def weak_pairs(analysis: RecordingAnalysis) -> dict[str, str]:
    """Receiver id -> reason, for each recording without a clear correlation peak against the reference."""
    reference = analysis.reference_id
    out: dict[str, str] = {}
    ids = [rec.timed.receiver_id for rec in analysis.recordings]
    for receiver_id, delay in zip(ids[1:], analysis.delays[1:], strict=True):
        if delay is None:
            out[receiver_id] = f"no correlation peak against {reference}"
        elif np.isnan(delay.peak_ratio) or delay.peak_ratio < MIN_PEAK_RATIO:  # inf: no sidelobe at all
            out[receiver_id] = (f"no clear correlation peak against {reference} (peak {delay.peak_ratio:.1f}x "
                                f"its sidelobes, under {MIN_PEAK_RATIO:g}x)")
        elif np.isfinite(delay.scatter_ratio) and delay.scatter_ratio > MAX_SCATTER_RATIO:
            out[receiver_id] = (f"no common correlation peak against {reference}: its segments' delays scatter "
                                f"{delay.scatter_ratio:.1f}x beyond their noise (over {MAX_SCATTER_RATIO:g}x)")
    if len(out) == len(ids) - 1 and len(ids) > MIN_RECEIVERS:
        return {reference: "no correlation peak with any other receiver"}
    return out


def trusted_measurement_set(paths: Mapping[str, Path], excluded: Mapping[str, str]) -> TrustedSet:
    """Analyse the recordings not yet excluded, drop those without a peak, and build the measurement set."""
    result = TrustedSet(used=[rid for rid in paths if rid not in excluded], excluded=dict(excluded))
    for _attempt in range(len(paths)):
        if len(result.used) < MIN_RECEIVERS:
            result.reason = (f"only {len(result.used)} receiver(s) can be trusted; a TDoA fix needs "
                             f"{MIN_RECEIVERS}")
            return result
        analysis = analyse_recordings([paths[rid] for rid in result.used])
        weak = weak_pairs(analysis)
        if not weak:
            result.measurement_set, result.diagnostics = _two_pass(analysis)
            return result
        result.excluded.update(weak)
        result.used = [rid for rid in result.used if rid not in weak]
    result.reason = "no set of receivers correlates"
    return result


def _two_pass(analysis: RecordingAnalysis) -> tuple[dict[str, Any], dict[str, Any]]:
    first = locate(parse_measurement_set(analysis.measurement_set()), with_posterior=False)
    transmitter = (first.lat, first.lon)
    return analysis.measurement_set(transmitter), analysis.diagnostics(transmitter)
