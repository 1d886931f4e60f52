"""Recordings -> the measurement set to locate with, the way ``heimdall locate`` and the upload route do it.

The propagation part of each TDoA sigma depends on the distance to the transmitter, which is what is
being sought: a first fix uses each receiver's distance to the network's centroid, then the sigmas
are evaluated again at that fix. The caller locates the returned set (the final fix).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from heimdall.capture.recordings import analyse_recordings
from heimdall.locate import locate, parse_measurement_set


def recordings_measurement_set(paths: Sequence[str | Path], receivers: dict[str, dict[str, Any]] | None
                               ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(measurement set with sigmas at the first fix, the pipeline's diagnostics there)."""
    analysis = analyse_recordings(paths, receivers)
    first = locate(parse_measurement_set(analysis.measurement_set()), with_posterior=False)
    transmitter = (first.lat, first.lon)
    return analysis.measurement_set(transmitter), analysis.diagnostics(transmitter)
