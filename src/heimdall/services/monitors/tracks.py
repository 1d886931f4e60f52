"""A monitor's tracks, recomputed from its stored fixes and the analyst's exclusions.

Each stored fix names the track the live tracker put it in; a track here is that track's fixes
filtered again (``Track.recompute``, i.e. ``tracking.run_filter``) with the excluded fixes left
out and each fix re-located without an excluded receiver in its place, so what the API shows is
a pure function of the rows (docs/monitoring.md, "Monitors: tracks and exclusions").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from heimdall.locate.result import ellipse
from heimdall.store.tables.monitors import MonitorFixRow
from heimdall.tracking.fixes import Fix, iso_utc
from heimdall.tracking.tracks import Track, TrackerConfig, TrackPoint


def fix_of(row: MonitorFixRow, relocated: dict[str, Any] | None = None) -> Fix:
    """The stored fix, or its re-located version (a receiver excluded) when there is one."""
    source: dict[str, Any] = relocated if relocated is not None else {
        "lat": row.lat, "lon": row.lon, "covariance_enu_m2": row.covariance_enu_m2}
    return Fix(row.localization_id, row.time_s, source["lat"], source["lon"],
               np.asarray(source["covariance_enu_m2"], dtype=float), channel=f"{row.frequency_hz:.0f}")


def build_tracks(rows: Sequence[MonitorFixRow], exclusions: Iterable[dict[str, Any]],
                 config: TrackerConfig) -> dict[str, Track]:
    """track id -> Track over its fixes, exclusions applied (the latest receiver exclusion wins)."""
    excluded, relocated = _exclusions(exclusions)
    grouped: dict[str, list[MonitorFixRow]] = defaultdict(list)
    for row in rows:
        grouped[row.track_id].append(row)
    tracks = {}
    for track_id, members in grouped.items():
        track = Track(track_id, f"{members[0].frequency_hz:.0f}", config)
        for row in members:
            track.fixes[row.localization_id] = fix_of(row, relocated.get(row.localization_id))
            if row.localization_id in excluded:
                track.exclusions[row.localization_id] = excluded[row.localization_id]
        track.recompute()
        tracks[track_id] = track
    return tracks


def _exclusions(exclusions: Iterable[dict[str, Any]]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    excluded: dict[str, str] = {}
    relocated: dict[str, dict[str, Any]] = {}
    for exclusion in exclusions:
        if exclusion["receiver_id"] is None:
            excluded[exclusion["localization_id"]] = exclusion["note"]
        elif exclusion["relocated"] is not None:
            relocated[exclusion["localization_id"]] = exclusion["relocated"]
    return excluded, relocated


def exclusions_by_fix(exclusions: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """localization id -> its exclusions as a point lists them (id, receiver_id, note), oldest first."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for exclusion in exclusions:
        grouped[exclusion["localization_id"]].append(
            {"id": exclusion["id"], "receiver_id": exclusion["receiver_id"], "note": exclusion["note"]})
    return dict(grouped)


def track_to_dict(track: Track, monitor_id: str, exclusions: dict[str, list[dict[str, Any]]], *,
                  last_only: bool = False) -> dict[str, Any]:
    """The API's Track: every fix as a point (its own 95 % ellipse, the filter's state after it, and
    the exclusions on it, with their ids to undo them: an extension of the shape)."""
    fixes = sorted(track.fixes.values(), key=lambda f: (f.time_s, f.fix_id))
    filtered = {point.fix_id: point for point in track.points}
    points = [_point(fix, filtered.get(fix.fix_id), track.exclusions.get(fix.fix_id), exclusions.get(fix.fix_id, []))
              for fix in fixes]
    return {"id": track.track_id, "monitor_id": monitor_id, "frequency_hz": float(track.channel),
            "status": track.status, "started_at": iso_utc(fixes[0].time_s), "updated_at": iso_utc(fixes[-1].time_s),
            "points": points[-1:] if last_only else points}


def _point(fix: Fix, state: TrackPoint | None, excluded_note: str | None,
           exclusions: list[dict[str, Any]]) -> dict[str, Any]:
    """``note``: why the fix is excluded, else the latest note on one of its receivers."""
    region = ellipse(fix.covariance_enu_m2, 0.95)
    note = excluded_note if excluded_note is not None else (exclusions[-1]["note"] if exclusions else None)
    filtered = None if state is None else {
        "lat": state.lat, "lon": state.lon, "speed_m_s": state.speed_m_s, "heading_deg": state.course_deg,
        "ellipse_95": _axes(state.ellipses[-1].to_dict())}
    return {"localization_id": fix.fix_id, "time": iso_utc(fix.time_s), "lat": fix.lat, "lon": fix.lon,
            "ellipse_95": _axes(region.to_dict()), "filtered": filtered, "excluded": excluded_note is not None,
            "note": note, "exclusions": exclusions}


def _axes(region: dict[str, float]) -> dict[str, float]:
    return {key: region[key] for key in ("semi_major_m", "semi_minor_m", "orientation_deg")}
