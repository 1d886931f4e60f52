"""Live monitoring, pure parts: transmissions from many receivers' detections, and tracks of fixes.

    from heimdall.tracking import TransmissionGrouper, Tracker, Fix
    grouper.add(detection); done = grouper.poll(now_s)       # one Transmission per key-up
    point = tracker.update(Fix.from_result(result, fix_id, time_s, channel))   # TrackPoint, with track_id
    tracker.exclude_fix(point.track_id, fix_id, "note")     # the track is recomputed
    track_geojson(track), track_kml(track), track_csv(track) # exports (heimdall.tracking.export)

Models, gates and defaults are explained in docs/monitoring.md.
"""

from heimdall.tracking.fixes import Fix, LocalPlane
from heimdall.tracking.tracks import Track, Tracker, TrackerConfig, TrackPoint, run_filter, tracks_from_fixes
from heimdall.tracking.transmissions import GroupingConfig, Transmission, TransmissionGrouper

__all__ = ["Fix", "GroupingConfig", "LocalPlane", "Track", "TrackPoint", "Tracker", "TrackerConfig",
           "Transmission", "TransmissionGrouper", "run_filter", "tracks_from_fixes"]
