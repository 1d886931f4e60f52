"""The Kalman tracker on simulated emitters whose fixes are drawn from their own covariances (seeded)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from heimdall.errors import InvalidInput, NotFound
from heimdall.geo import geodetic_to_enu
from heimdall.tracking.fixes import Fix
from heimdall.tracking.simulate import RouteConfig, simulate_fixes
from heimdall.tracking.tracks import Tracker, TrackerConfig, run_filter, tracks_from_fixes

ORIGIN = (45.0, 7.5)


def distance_m(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    return float(np.hypot(*geodetic_to_enu(lat_a, lon_a, 0.0, lat_b, lon_b, 0.0)[:2]))


def fix_at(fix_id: str, time_s: float, east_m: float, north_m: float, sigma_m: float = 200.0,
           channel: str = "") -> Fix:
    from heimdall.geo import enu_to_geodetic

    lat, lon, _ = enu_to_geodetic(np.array([east_m, north_m, 0.0]), *ORIGIN, 0.0)
    return Fix(fix_id, time_s, float(lat), float(lon), np.diag([sigma_m**2, sigma_m**2]), channel)


def test_the_track_is_calibrated_along_moving_routes() -> None:
    inside_95 = inside_68 = updates = single_track = 0
    track_errors, fix_errors, nis = [], [], []
    for seed in range(10):
        sim = simulate_fixes(np.random.default_rng(seed), RouteConfig(), *ORIGIN)
        tracker = Tracker(TrackerConfig())
        for fix, lat, lon in zip(sim.fixes, sim.truth_lat, sim.truth_lon, strict=True):
            point = tracker.update(fix)
            inside_95 += point.contains(lat, lon, 0.95)
            inside_68 += point.contains(lat, lon, 0.68)
            updates += 1
            track_errors.append(distance_m(lat, lon, point.lat, point.lon))
            fix_errors.append(distance_m(lat, lon, fix.lat, fix.lon))
            nis += [] if point.nis is None else [point.nis]
        single_track += len(tracker.tracks) == 1
    assert updates > 400
    # the truth inside the track's own 95 % region: calibrated, neither overconfident nor loose
    assert 0.90 <= inside_95 / updates <= 0.99
    assert 0.62 <= inside_68 / updates <= 0.80
    assert 1.0 <= np.mean(nis) <= 2.4  # chi-square with 2 dof has mean 2; a little under is conservative
    assert single_track == 10  # no route broke into pieces
    assert np.median(track_errors) < 0.85 * np.median(fix_errors)  # the filter adds information


def test_a_stationary_emitter_is_averaged_down() -> None:
    sim = simulate_fixes(np.random.default_rng(3), RouteConfig(speed_m_s=0.0, duration_s=3600.0), *ORIGIN)
    tracker = tracks_from_fixes(sim.fixes)
    [track] = tracker.tracks.values()
    last = track.points[-1]
    assert track.status == "confirmed" and len(track.points) == len(sim.fixes) > 40
    velocity = np.array(last.velocity_enu_m_s)  # zero, within its own uncertainty
    assert velocity @ np.linalg.solve(last.velocity_covariance_m2_s2, velocity) < 13.8
    fix_95_major_m = [ellipse_95_major(f) for f in sim.fixes]
    assert last.ellipses[1].semi_major_m < 0.5 * np.median(fix_95_major_m)
    assert last.contains(float(sim.truth_lat[-1]), float(sim.truth_lon[-1]), 0.95)


def ellipse_95_major(fix: Fix) -> float:
    return float(np.sqrt(5.991 * np.linalg.eigvalsh(fix.covariance_enu_m2)[1]))


def test_a_fix_outside_the_gate_starts_a_new_track() -> None:
    tracker = Tracker()
    first = [tracker.update(fix_at(f"a{i}", 60.0 * i, 10.0 * i, 0.0)) for i in range(5)]
    far = tracker.update(fix_at("far", 300.0, 30_000.0, 0.0))  # 30 km away a minute later
    back = tracker.update(fix_at("a5", 330.0, 55.0, 0.0))
    assert len({p.track_id for p in first}) == 1
    assert far.track_id != first[0].track_id and far.nis is None
    assert back.track_id == first[0].track_id
    statuses = {t.track_id: t.status for t in tracker.tracks.values()}
    assert statuses == {first[0].track_id: "confirmed", far.track_id: "tentative"}


def test_two_emitters_at_once_stay_separate() -> None:
    config = RouteConfig(mean_interval_s=45.0)
    a = simulate_fixes(np.random.default_rng(21), config, *ORIGIN, id_prefix="a")
    b = simulate_fixes(np.random.default_rng(22), config, *ORIGIN, id_prefix="b", start_m=(0.0, 15_000.0))
    tracker = tracks_from_fixes(a.fixes + b.fixes)
    owners = {fix_id: track.track_id for track in tracker.tracks.values() for fix_id in track.fixes}
    assert len(tracker.tracks) == 2
    assert len({owners[f.fix_id] for f in a.fixes}) == 1 and len({owners[f.fix_id] for f in b.fixes}) == 1
    assert owners[a.fixes[0].fix_id] != owners[b.fixes[0].fix_id]


def test_channels_never_share_a_track() -> None:
    tracker = Tracker()
    one = tracker.update(fix_at("x", 0.0, 0.0, 0.0, channel="145.500"))
    two = tracker.update(fix_at("y", 10.0, 0.0, 0.0, channel="433.500"))
    assert one.track_id != two.track_id


def test_excluding_a_fix_recomputes_and_including_it_restores() -> None:
    sim = simulate_fixes(np.random.default_rng(5), RouteConfig(), *ORIGIN)
    tracker = tracks_from_fixes(sim.fixes)
    [track] = tracker.tracks.values()
    before = [p.to_dict() for p in track.points]
    # the live points are exactly what a recomputation from the fixes gives
    _, replayed = run_filter(sim.fixes, tracker.config, track.track_id)
    assert [p.to_dict() for p in replayed] == before

    dropped = sim.fixes[10].fix_id
    tracker.exclude_fix(track.track_id, dropped, "  multipath off the ridge  ")
    assert track.exclusions == {dropped: "multipath off the ridge"}
    assert len(track.points) == len(before) - 1 and dropped not in {p.fix_id for p in track.points}
    assert [p.to_dict() for p in track.points[:10]] == before[:10]
    assert track.points[10].to_dict() != before[11]
    _, expected = run_filter([f for f in sim.fixes if f.fix_id != dropped], tracker.config, track.track_id)
    assert [p.to_dict() for p in track.points] == [p.to_dict() for p in expected]
    excluded = next(f for f in track.to_dict()["fixes"] if f["fix_id"] == dropped)  # type: ignore[union-attr]
    assert excluded["excluded"] is True and excluded["note"] == "multipath off the ridge"

    tracker.include_fix(track.track_id, dropped)
    assert [p.to_dict() for p in track.points] == before


def test_exclusions_need_a_note_and_existing_ids() -> None:
    tracker = Tracker()
    point = tracker.update(fix_at("a", 0.0, 0.0, 0.0))
    with pytest.raises(InvalidInput) as caught:
        tracker.exclude_fix(point.track_id, "a", "   ")
    assert caught.value.field == "note"
    with pytest.raises(NotFound):
        tracker.exclude_fix(point.track_id, "nope", "why")
    with pytest.raises(NotFound):
        tracker.exclude_fix("no-such-track", "a", "why")
    tracker.exclude_fix(point.track_id, "a", "bad bearing")
    assert tracker.tracks[point.track_id].points == [] and tracker.tracks[point.track_id].latest is None


def test_a_relocated_fix_moves_the_track() -> None:
    tracker = Tracker()
    for i in range(4):
        tracker.update(fix_at(f"f{i}", 60.0 * i, 0.0, 0.0))
    track = next(iter(tracker.tracks.values()))
    moved = fix_at("f3", 180.0, 400.0, 0.0)  # located again without a bad bearing
    tracker.replace_fix(moved)
    assert track.fixes["f3"] is moved
    east, _ = geodetic_to_enu(track.points[-1].lat, track.points[-1].lon, 0.0, *ORIGIN, 0.0)[:2]
    assert 50.0 < east < 400.0
    with pytest.raises(NotFound):
        tracker.replace_fix(fix_at("unknown", 0.0, 0.0, 0.0))


def test_a_late_fix_gives_the_same_track_as_in_order() -> None:
    sim = simulate_fixes(np.random.default_rng(8), RouteConfig(), *ORIGIN)
    ordered = tracks_from_fixes(sim.fixes)
    late = Tracker()
    shuffled = list(sim.fixes)
    shuffled[20], shuffled[21] = shuffled[21], shuffled[20]
    for fix in shuffled:
        late.update(fix)
    assert late.stats.out_of_order == 1
    [a], [b] = ordered.tracks.values(), late.tracks.values()
    assert [p.to_dict() for p in a.points] == [p.to_dict() for p in b.points]


def test_duplicates_termination_and_determinism() -> None:
    tracker = Tracker(TrackerConfig(max_coast_s=600.0))
    first = tracker.update(fix_at("a", 0.0, 0.0, 0.0))
    assert tracker.update(fix_at("a", 0.0, 0.0, 0.0)) is first and tracker.stats.duplicates == 1
    after_silence = tracker.update(fix_at("b", 601.0, 0.0, 0.0))
    assert after_silence.track_id != first.track_id
    assert tracker.tracks[first.track_id].status == "terminated" and tracker.stats.terminated == 1
    again = Tracker(TrackerConfig(max_coast_s=600.0))
    assert again.update(fix_at("a", 0.0, 0.0, 0.0)).track_id == first.track_id


def test_track_point_geometry() -> None:
    tracker = Tracker()
    for i in range(6):
        point = tracker.update(fix_at(f"m{i}", 60.0 * i, 600.0 * i, 600.0 * i, sigma_m=50.0))  # NE at 14 m/s
    assert point.course_deg == pytest.approx(45.0, abs=3.0)
    assert point.speed_m_s == pytest.approx(14.14, rel=0.1)
    ellipse_68, ellipse_95 = point.ellipses
    assert ellipse_95.semi_major_m / ellipse_68.semi_major_m == pytest.approx(np.sqrt(5.991 / 2.279), rel=1e-3)
    doc = point.to_dict()
    assert doc["time"] == "1970-01-01T00:05:00.000Z" and len(doc["ellipses"]) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "field"), [
    ({"lat": 91.0}, "lat"), ({"lon": float("nan")}, "lon"), ({"time_s": "now"}, "time_s"), ({"fix_id": ""}, "fix_id"),
    ({"covariance_enu_m2": [[1.0, 0.0], [0.0, -1.0]]}, "covariance_enu_m2"),
    ({"covariance_enu_m2": [[1.0, 0.5], [0.0, 1.0]]}, "covariance_enu_m2"),
    ({"covariance_enu_m2": [1.0, 2.0]}, "covariance_enu_m2"),
    ({"covariance_enu_m2": [["a", 0], [0, 1]]}, "covariance_enu_m2"),
])
def test_bad_fixes_are_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    good = {"fix_id": "f", "time_s": 0.0, "lat": 45.0, "lon": 7.0, "covariance_enu_m2": [[1e4, 0.0], [0.0, 1e4]]}
    with pytest.raises(InvalidInput) as caught:
        Fix(**{**good, **changes})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_fix_from_a_localization_result() -> None:
    result = {"lat": 45.01, "lon": 7.53, "alt_m": None, "covariance_enu_m2": [[1.2e6, 3.0e4], [3.0e4, 9.0e5]]}
    fix = Fix.from_result(result, "loc-1", 1.8e9, channel="145.500")
    assert (fix.lat, fix.lon, fix.channel) == (45.01, 7.53, "145.500")
    with pytest.raises(InvalidInput) as caught:
        Fix.from_result({"lat": 45.0, "lon": 7.0}, "loc-2", 0.0)
    assert caught.value.field == "covariance_enu_m2"


@pytest.mark.parametrize(("settings", "field"), [
    ({"acceleration_sigma_m_s2": 0.0}, "acceleration_sigma_m_s2"), ({"gate_probability": 1.0}, "gate_probability"),
    ({"confirm_hits": 0}, "confirm_hits"), ({"max_coast_s": -1.0}, "max_coast_s"),
    ({"initial_speed_sigma_m_s": "fast"}, "initial_speed_sigma_m_s"), ({"gate": 0.9}, "gate"),
])
def test_bad_tracker_settings(settings: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        TrackerConfig.from_mapping(settings)
    assert caught.value.field == field


def test_fixes_are_immutable_values() -> None:
    fix = fix_at("a", 0.0, 0.0, 0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fix.lat = 1.0  # type: ignore[misc]


def test_terminated_tracks_can_be_forgotten() -> None:
    tracker = Tracker(TrackerConfig(max_coast_s=60.0))
    first = tracker.update(fix_at("a", 0.0, 0.0, 0.0))
    second = tracker.update(fix_at("b", 600.0, 0.0, 0.0))  # after the coast: the first track terminated
    assert first.track_id != second.track_id and tracker.get(first.track_id).status == "terminated"
    assert tracker.forget_terminated() == [first.track_id]
    assert list(tracker.tracks) == [second.track_id] and tracker.forget_terminated() == []
    with pytest.raises(NotFound):
        tracker.get(first.track_id)
    assert tracker.update(fix_at("b", 600.0, 0.0, 0.0)).fix_id == "b"  # the live track still answers its fixes
