"""Live monitoring, pure parts: transmissions from many receivers' detections, and tracks of fixes.

    from heimdall.tracking import TransmissionGrouper, Tracker, Fix
    grouper.add(detection); done = grouper.poll(now_s)       # one Transmission per key-up
    point = tracker.update(Fix.from_result(result, fix_id, time_s, channel))   # TrackPoint, with track_id
    tracker.exclude_fix(point.track_id, fix_id, "note")     # the track is recomputed
    track_geojson(track), track_kml(track), track_csv(track) # exports (heimdall.tracking.export)

Models, gates and defaults are explained in docs/monitoring.md. Names are imported on first use
(the tracker pulls in the estimators' ellipse code, which the CoT listener does not need).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heimdall.tracking.export import track_csv, track_geojson, track_kml
    from heimdall.tracking.fixes import Fix, LocalPlane
    from heimdall.tracking.tracks import (
        Track,
        Tracker,
        TrackerConfig,
        TrackPoint,
        run_filter,
        tracks_from_fixes,
    )
    from heimdall.tracking.transmissions import GroupingConfig, Transmission, TransmissionGrouper

_WHERE = {
    "track_csv": "export", "track_geojson": "export", "track_kml": "export",
    "Fix": "fixes", "LocalPlane": "fixes",
    "Track": "tracks", "TrackPoint": "tracks", "Tracker": "tracks", "TrackerConfig": "tracks",
    "run_filter": "tracks", "tracks_from_fixes": "tracks",
    "GroupingConfig": "transmissions", "Transmission": "transmissions", "TransmissionGrouper": "transmissions",
}
__all__ = [
    "Fix", "GroupingConfig", "LocalPlane", "Track", "TrackPoint", "Tracker", "TrackerConfig",
    "Transmission", "TransmissionGrouper", "run_filter", "track_csv", "track_geojson", "track_kml",
    "tracks_from_fixes",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'heimdall.tracking' has no attribute {name!r}")
    return getattr(importlib.import_module(f"heimdall.tracking.{module}"), name)
