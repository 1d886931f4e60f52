"""Tracks: consecutive fixes of one emitter joined by a constant-velocity Kalman filter.

``Tracker.update(fix)`` gates the fix against every live track of its channel (the NIS of the fix
against the track's prediction to the fix's time, under the chi-square quantile of ``gate_probability``)
and joins it to the gated track it is likeliest under (smallest ``d^2/2 + ln det(S)/2``, so a vague
tentative track does not steal fixes from a sharp one); with no track in the gate it starts a new one.
A track is tentative until ``confirm_hits`` fixes, and terminated once no fix has joined it for
``max_coast_s``.

A track's points are a pure function of its fixes and exclusions: ``run_filter`` rebuilds them, and
the live path takes the very same steps, so a recomputed track equals the live one bit for bit. An
analyst's exclusion (with a note), a re-located fix, or a fix older than the track's last one all
recompute the track from its fixes in time order.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from heimdall.config_fields import check_field_types, config_from_mapping, require
from heimdall.errors import InvalidInput, NotFound
from heimdall.geo import geodetic_to_enu
from heimdall.locate.result import CONFIDENCES, Ellipse, chi2_2dof_scale, ellipse
from heimdall.tracking import kalman
from heimdall.tracking.fixes import Fix, LocalPlane, Matrix, iso_utc

_ID_NAMESPACE = uuid.UUID("0b9f6f2e-8d0e-4c1b-a7a5-51c3c2f4e0a9")
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class TrackerConfig:
    acceleration_sigma_m_s2: float = 0.5
    initial_speed_sigma_m_s: float = 30.0
    gate_probability: float = 0.999
    confirm_hits: int = 2
    max_coast_s: float = 900.0

    def __post_init__(self) -> None:
        check_field_types(self)
        require(0 < self.acceleration_sigma_m_s2 <= 100, "acceleration_sigma_m_s2", "must lie in (0, 100] m/s^2")
        require(0 < self.initial_speed_sigma_m_s <= 1000, "initial_speed_sigma_m_s", "must lie in (0, 1000] m/s")
        require(0.5 <= self.gate_probability < 1, "gate_probability", "must lie in [0.5, 1)")
        require(self.confirm_hits >= 1, "confirm_hits", "must be at least 1")
        require(self.max_coast_s > 0, "max_coast_s", "must be positive")

    @classmethod
    def from_mapping(cls, data: object) -> TrackerConfig:
        return config_from_mapping(cls, data, "tracker")


@dataclass(frozen=True, eq=False)
class TrackPoint:
    """A track's state right after one fix joined it; positions and covariances at the estimate."""

    track_id: str
    fix_id: str
    time_s: float
    lat: float
    lon: float
    velocity_enu_m_s: tuple[float, float]
    covariance_enu_m2: Matrix
    velocity_covariance_m2_s2: Matrix
    nis: float | None  # of the fix against the prediction; None for a track's first fix
    ellipses: tuple[Ellipse, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ellipses", tuple(ellipse(self.covariance_enu_m2, p) for p in CONFIDENCES))

    @property
    def speed_m_s(self) -> float:
        return math.hypot(*self.velocity_enu_m_s)

    @property
    def course_deg(self) -> float:
        """Direction of motion, clockwise from true north."""
        return math.degrees(math.atan2(*self.velocity_enu_m_s)) % 360.0

    def contains(self, lat: float, lon: float, confidence: float) -> bool:
        """Is (lat, lon) inside this point's ``confidence`` region (Gaussian, 2 dof)?"""
        offset = np.asarray(geodetic_to_enu(lat, lon, 0.0, self.lat, self.lon, 0.0))[:2]
        return bool(offset @ np.linalg.solve(self.covariance_enu_m2, offset) <= chi2_2dof_scale(confidence) ** 2)

    def to_dict(self) -> dict[str, object]:
        return {"track_id": self.track_id, "fix_id": self.fix_id, "time_s": self.time_s, "time": iso_utc(self.time_s),
                "lat": self.lat, "lon": self.lon, "velocity_enu_m_s": list(self.velocity_enu_m_s),
                "speed_m_s": self.speed_m_s, "course_deg": self.course_deg,
                "covariance_enu_m2": self.covariance_enu_m2.tolist(),
                "velocity_covariance_m2_s2": self.velocity_covariance_m2_s2.tolist(), "nis": self.nis,
                "ellipses": [e.to_dict() for e in self.ellipses]}


@dataclass(frozen=True, eq=False)
class FilterState:
    plane: LocalPlane
    state: kalman.Vector
    covariance: Matrix
    time_s: float


def step(previous: FilterState | None, fix: Fix, config: TrackerConfig, track_id: str) -> tuple[FilterState, TrackPoint]:
    """One fix into a track's filter (the first fix starts it); the live and the recomputed path share it."""
    if previous is None:
        plane = LocalPlane(fix.lat, fix.lon)
        position, covariance = plane.to_plane(fix.lat, fix.lon, fix.covariance_enu_m2)
        state, state_covariance = kalman.initial_state(position, covariance, config.initial_speed_sigma_m_s)
        nis: float | None = None
    else:
        plane = previous.plane
        position, covariance = plane.to_plane(fix.lat, fix.lon, fix.covariance_enu_m2)
        predicted, predicted_covariance = kalman.predict(previous.state, previous.covariance,
                                                         fix.time_s - previous.time_s, config.acceleration_sigma_m_s2)
        state, state_covariance, innovation = kalman.update(predicted, predicted_covariance, position, covariance)
        nis = innovation.nis
    lat, lon = plane.to_geodetic(state[:2])
    rotation = plane.rotation_to(lat, lon)
    east_m_s, north_m_s = rotation @ state[2:]
    point = TrackPoint(track_id, fix.fix_id, fix.time_s, lat, lon, (float(east_m_s), float(north_m_s)),
                       rotation @ state_covariance[:2, :2] @ rotation.T,
                       rotation @ state_covariance[2:, 2:] @ rotation.T, nis)
    return FilterState(plane, state, state_covariance, fix.time_s), point


def run_filter(fixes: Iterable[Fix], config: TrackerConfig, track_id: str) -> tuple[FilterState | None, list[TrackPoint]]:
    """Filter fixes in time order (ties by fix id): the track's final state and one point per fix."""
    state: FilterState | None = None
    points: list[TrackPoint] = []
    for fix in sorted(fixes, key=lambda f: (f.time_s, f.fix_id)):
        state, point = step(state, fix, config, track_id)
        points.append(point)
    return state, points


class Track:
    """One emitter's fixes, the analyst's exclusions, and the filter's points over the kept fixes."""

    def __init__(self, track_id: str, channel: str, config: TrackerConfig) -> None:
        self.track_id = track_id
        self.channel = channel
        self.config = config
        self.fixes: dict[str, Fix] = {}
        self.exclusions: dict[str, str] = {}  # fix id -> the analyst's note
        self.points: list[TrackPoint] = []
        self.terminated = False
        self._filter: FilterState | None = None

    @property
    def status(self) -> str:
        if self.terminated:
            return "terminated"
        return "confirmed" if len(self.points) >= self.config.confirm_hits else "tentative"

    @property
    def last_time_s(self) -> float | None:
        return None if self._filter is None else self._filter.time_s

    @property
    def latest(self) -> TrackPoint | None:
        return self.points[-1] if self.points else None

    def innovation(self, fix: Fix) -> kalman.Innovation | None:
        """The fix against the track's prediction to the fix's time (backwards for an older fix)."""
        if self._filter is None:
            return None
        position, covariance = self._filter.plane.to_plane(fix.lat, fix.lon, fix.covariance_enu_m2)
        state, state_covariance = kalman.predict(self._filter.state, self._filter.covariance,
                                                 fix.time_s - self._filter.time_s, self.config.acceleration_sigma_m_s2)
        return kalman.innovation(state, state_covariance, position, covariance)

    def add(self, fix: Fix) -> TrackPoint:
        self.fixes[fix.fix_id] = fix
        last = self.points[-1] if self.points else None
        if last is not None and (fix.time_s, fix.fix_id) < (last.time_s, last.fix_id):
            self.recompute()  # an older fix: filter everything again in run_filter's order
            return next(p for p in self.points if p.fix_id == fix.fix_id)
        self._filter, point = step(self._filter, fix, self.config, self.track_id)
        self.points.append(point)
        return point

    def recompute(self) -> None:
        kept = [fix for fix_id, fix in self.fixes.items() if fix_id not in self.exclusions]
        self._filter, self.points = run_filter(kept, self.config, self.track_id)

    def to_dict(self, include_points: bool = True) -> dict[str, object]:
        fixes = sorted(self.fixes.values(), key=lambda f: (f.time_s, f.fix_id))
        out: dict[str, object] = {
            "track_id": self.track_id, "channel": self.channel, "status": self.status, "hits": len(self.points),
            "latest": None if self.latest is None else self.latest.to_dict(),
            "fixes": [{**f.to_dict(), "excluded": f.fix_id in self.exclusions,
                       "note": self.exclusions.get(f.fix_id)} for f in fixes],
        }
        if include_points:
            out["points"] = [p.to_dict() for p in self.points]
        return out


@dataclass
class TrackerStats:
    fixes: int = 0
    tracks: int = 0
    duplicates: int = 0  # a fix id seen before: answered with its point, not applied again
    out_of_order: int = 0  # older than its track's last fix: the track was recomputed
    terminated: int = 0


class Tracker:
    """Every track of one monitor; ``update`` with each fix as it comes, in roughly time order."""

    def __init__(self, config: TrackerConfig | None = None, namespace: str = "") -> None:
        self.config = config or TrackerConfig()
        self.namespace = namespace
        self.stats = TrackerStats()
        self.tracks: dict[str, Track] = {}
        self._owner: dict[str, str] = {}  # fix id -> track id
        self._gate_nis = kalman.gate_nis(self.config.gate_probability)

    def update(self, fix: Fix) -> TrackPoint:
        """Join the fix to its track (or start one); the track's point after it."""
        owner = self._owner.get(fix.fix_id)
        if owner is not None:
            self.stats.duplicates += 1
            return next(p for p in self.tracks[owner].points if p.fix_id == fix.fix_id)
        self.stats.fixes += 1
        self.prune(fix.time_s)
        track = self._assign(fix)
        if track.last_time_s is not None and fix.time_s < track.last_time_s:
            self.stats.out_of_order += 1
        self._owner[fix.fix_id] = track.track_id
        return track.add(fix)

    def prune(self, now_s: float) -> list[Track]:
        """Terminate the tracks no fix has joined for ``max_coast_s``; returns them."""
        ended = []
        for track in self.live():
            if track.last_time_s is not None and now_s - track.last_time_s > self.config.max_coast_s:
                track.terminated = True
                ended.append(track)
        self.stats.terminated += len(ended)
        return ended

    def forget_terminated(self) -> list[str]:
        """Drop the terminated tracks (fixes, points) from memory; their ids. For a long watch that
        keeps its tracks elsewhere (a monitor's database): memory then follows the live tracks only."""
        gone = [track_id for track_id, track in self.tracks.items() if track.terminated]
        for track_id in gone:
            for fix_id in self.tracks.pop(track_id).fixes:
                self._owner.pop(fix_id, None)
        return gone

    def live(self, channel: str | None = None) -> list[Track]:
        return [t for t in self.tracks.values() if not t.terminated and (channel is None or t.channel == channel)]

    def get(self, track_id: str) -> Track:
        track = self.tracks.get(track_id)
        if track is None:
            raise NotFound(f"no track with id {track_id}")
        return track

    def exclude_fix(self, track_id: str, fix_id: str, note: str) -> Track:
        """An analyst drops a fix from a track (with a reason); the track is recomputed without it."""
        if not isinstance(note, str) or not note.strip() or len(note) > MAX_NOTE_CHARS:
            raise InvalidInput(f"an exclusion needs a note of 1 to {MAX_NOTE_CHARS} characters", field="note")
        track = self._track_with(track_id, fix_id)
        track.exclusions[fix_id] = note.strip()
        track.recompute()
        return track

    def include_fix(self, track_id: str, fix_id: str) -> Track:
        track = self._track_with(track_id, fix_id)
        track.exclusions.pop(fix_id, None)
        track.recompute()
        return track

    def replace_fix(self, fix: Fix) -> Track:
        """A fix located again (e.g. with a bearing excluded): same id, new position; its track is recomputed."""
        owner = self._owner.get(fix.fix_id)
        if owner is None:
            raise NotFound(f"no track holds fix {fix.fix_id}")
        track = self.tracks[owner]
        track.fixes[fix.fix_id] = fix
        track.recompute()
        return track

    def _assign(self, fix: Fix) -> Track:
        best: tuple[float, str] | None = None
        for track in self.live(fix.channel):
            innovation = track.innovation(fix)
            if innovation is None or innovation.nis > self._gate_nis:
                continue
            score = (innovation.negative_log_likelihood, track.track_id)
            best = score if best is None or score < best else best
        if best is not None:
            return self.tracks[best[1]]
        track_id = str(uuid.uuid5(_ID_NAMESPACE, f"{self.namespace}/{fix.fix_id}"))
        self.tracks[track_id] = track = Track(track_id, fix.channel, self.config)
        self.stats.tracks += 1
        return track

    def _track_with(self, track_id: str, fix_id: str) -> Track:
        track = self.get(track_id)
        if fix_id not in track.fixes:
            raise NotFound(f"track {track_id} has no fix {fix_id}")
        return track


def tracks_from_fixes(fixes: Sequence[Fix], config: TrackerConfig | None = None, namespace: str = "") -> Tracker:
    """Replay fixes in time order through a new tracker (deterministic: same fixes, same tracks and ids)."""
    tracker = Tracker(config, namespace)
    for fix in sorted(fixes, key=lambda f: (f.time_s, f.fix_id)):
        tracker.update(fix)
    return tracker
