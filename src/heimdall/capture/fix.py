"""A position from a recording analysis: locate twice, because the propagation errors depend on the
distance to the transmitter (first at the receivers' centroid, then at the first estimate)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heimdall.capture.recordings import RecordingAnalysis
from heimdall.locate import LocationResult, locate, parse_measurement_set


@dataclass(frozen=True)
class RecordingFix:
    result: LocationResult
    transmitter: tuple[float, float]  # where the error model was evaluated: the first estimate
    measurement_set: dict[str, Any]


def locate_analysis(analysis: RecordingAnalysis) -> RecordingFix:
    first = locate(parse_measurement_set(analysis.measurement_set()))
    transmitter = (first.lat, first.lon)
    document = analysis.measurement_set(transmitter)
    return RecordingFix(locate(parse_measurement_set(document)), transmitter, document)
