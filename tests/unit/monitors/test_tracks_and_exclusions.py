"""Tracks recomputed from stored fixes: the API's Track shape, exclusions of a fix or of one
receiver's bearing (the fix located again without it), undoing them, and the exports."""

from __future__ import annotations

from typing import Any

import pytest

from heimdall.errors import InvalidInput, NotFound
from heimdall.geo import bearing_deg
from heimdall.platform.root import Platform
from heimdall.services.monitors.store import MonitorStore
from heimdall.tracking.fixes import Fix
from heimdall.tracking.tracks import Tracker

STATIONS = {"n": (45.10, 7.50), "sw": (44.92, 7.40), "se": (44.93, 7.62)}
T0 = 1.8e9


def truth(index: int) -> tuple[float, float]:
    return 45.0, 7.45 + 0.002 * index  # ~160 m east per fix


@pytest.fixture
def watched(platform: Platform) -> tuple[Platform, str, list[str]]:
    ids = {name: platform.receivers.create({"name": name, "kind": "kraken", "url": f"http://{name}.local/",
                                            "lat": lat, "lon": lon})["id"] for name, (lat, lon) in STATIONS.items()}
    network = platform.networks.create({"name": "df", "receiver_ids": list(ids.values())})
    config = {"channels": [{"frequency_hz": 145.5e6, "passband_hz": 12_500.0, "threshold_db": 10.0}],
              "min_receivers": 2, "cot": [], "options": {}}
    store = MonitorStore(platform.session_factory)
    monitor = store.insert("watch", network["id"], config, [])
    tracker = Tracker(namespace=monitor["id"])
    fix_ids = []
    for index in range(6):
        doc = measurement_set(ids, truth(index))
        result = platform.localizations.predict(doc)
        fix_id = f"00000000-0000-4000-8000-{index:012d}"
        point = tracker.update(Fix.from_result(result, fix_id, T0 + 30 * index, "145500000"))
        store.add_fix(monitor["id"], {"localization_id": fix_id, "transmission_id": fix_id, "track_id": point.track_id,
                                      "frequency_hz": 145.5e6, "time_s": T0 + 30 * index, "lat": result["lat"],
                                      "lon": result["lon"], "covariance_enu_m2": result["covariance_enu_m2"],
                                      "request": doc})
        fix_ids.append(fix_id)
    return platform, monitor["id"], fix_ids


def measurement_set(ids: dict[str, str], position: tuple[float, float]) -> dict[str, Any]:
    return {"frequency_hz": 145.5e6,
            "receivers": [{"id": ids[name], "lat": lat, "lon": lon, "alt_m": 0.0} for name, (lat, lon) in STATIONS.items()],
            "aoa": [{"receiver": ids[name], "bearing_deg": float(bearing_deg(lat, lon, 0.0, *position, 0.0)),
                     "sigma_deg": 2.0} for name, (lat, lon) in STATIONS.items()]}


def test_tracks_follow_the_fixes(watched: tuple[Platform, str, list[str]]) -> None:
    platform, monitor_id, fix_ids = watched
    tracks = platform.monitors.tracks(monitor_id)
    assert tracks["total"] == 1
    [track] = tracks["items"]
    assert [p["localization_id"] for p in track["points"]] == fix_ids
    last = track["points"][-1]
    assert last["filtered"]["speed_m_s"] > 1.0 and 45 < last["filtered"]["heading_deg"] < 135  # eastwards
    assert set(last["ellipse_95"]) == {"semi_major_m", "semi_minor_m", "orientation_deg"}
    assert not any(p["excluded"] for p in track["points"])


def test_excluding_a_fix_then_undoing_it(watched: tuple[Platform, str, list[str]]) -> None:
    platform, monitor_id, fix_ids = watched
    before = platform.monitors.tracks(monitor_id)["items"][0]
    track = platform.monitors.exclude(monitor_id, {"localization_id": fix_ids[2], "note": "a reflection"})
    point = track["points"][2]
    assert point["excluded"] and point["note"] == "a reflection" and point["filtered"] is None
    assert track["points"][3]["filtered"] != before["points"][3]["filtered"]
    [exclusion] = point["exclusions"]
    assert exclusion["receiver_id"] is None and exclusion["note"] == "a reflection"
    restored = platform.monitors.include(monitor_id, exclusion["id"])
    assert restored["points"] == before["points"]


def test_excluding_a_bearing_relocates_the_fix(watched: tuple[Platform, str, list[str]]) -> None:
    platform, monitor_id, fix_ids = watched
    store = MonitorStore(platform.session_factory)
    receiver_id = store.fix(monitor_id, fix_ids[1]).request["aoa"][0]["receiver"]
    before = platform.monitors.tracks(monitor_id)["items"][0]["points"][1]
    track = platform.monitors.exclude(monitor_id, {"localization_id": fix_ids[1], "receiver_id": receiver_id,
                                                   "note": "station n was misaligned"})
    point = track["points"][1]
    assert not point["excluded"] and point["note"] == "station n was misaligned"
    assert [e["receiver_id"] for e in point["exclusions"]] == [receiver_id]
    assert point["ellipse_95"]["semi_major_m"] > before["ellipse_95"]["semi_major_m"]  # two bearings, not three
    assert store.exclusions(monitor_id)[0]["relocated"]["method"]


def test_bad_exclusions_are_refused(watched: tuple[Platform, str, list[str]]) -> None:
    platform, monitor_id, fix_ids = watched
    with pytest.raises(InvalidInput, match="note"):
        platform.monitors.exclude(monitor_id, {"localization_id": fix_ids[0], "note": " "})
    with pytest.raises(InvalidInput, match="has no fix"):
        platform.monitors.exclude(monitor_id, {"localization_id": "nope", "note": "x"})
    with pytest.raises(InvalidInput, match="measured nothing"):
        platform.monitors.exclude(monitor_id, {"localization_id": fix_ids[0], "receiver_id": "r", "note": "x"})
    with pytest.raises(NotFound):
        platform.monitors.include(monitor_id, "nope")


def test_exports(watched: tuple[Platform, str, list[str]]) -> None:
    platform, monitor_id, fix_ids = watched
    track_id = platform.monitors.tracks(monitor_id)["items"][0]["id"]
    geojson, media_type, name = platform.monitors.export_track(monitor_id, track_id, "geojson")
    assert geojson["type"] == "FeatureCollection" and media_type == "application/geo+json" and name.endswith(".geojson")
    csv, _, _ = platform.monitors.export_track(monitor_id, track_id, "csv")
    assert len(csv.strip().splitlines()) == len(fix_ids) + 1
    with pytest.raises(InvalidInput):
        platform.monitors.export_track(monitor_id, track_id, "pdf")
    with pytest.raises(NotFound):
        platform.monitors.export_track(monitor_id, "nope", "kml")
