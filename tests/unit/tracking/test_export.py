"""A track as GeoJSON, KML and CSV."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from heimdall.tracking.export import CSV_COLUMNS, track_csv, track_geojson, track_kml
from heimdall.tracking.simulate import RouteConfig, simulate_fixes
from heimdall.tracking.tracks import Track, tracks_from_fixes

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def track() -> Track:
    sim = simulate_fixes(np.random.default_rng(2), RouteConfig(legs=3), 45.0, 7.5, channel="145.500")
    tracker = tracks_from_fixes(sim.fixes)
    [only] = tracker.tracks.values()
    tracker.exclude_fix(only.track_id, sim.fixes[3].fix_id, "=HYPERLINK(bad) reflection")
    return only


def test_geojson_has_path_updates_ellipses_and_fixes(track: Track) -> None:
    doc = track_geojson(track)
    roles = [f["properties"]["role"] for f in doc["features"]]
    assert roles.count("track") == 1 and roles.count("update") == len(track.points)
    assert roles.count("ellipse") == 2 and roles.count("fix") == len(track.fixes) == len(track.points) + 1
    path = doc["features"][0]
    assert path["geometry"]["type"] == "LineString" and len(path["geometry"]["coordinates"]) == len(track.points)
    assert path["geometry"]["coordinates"][-1] == [track.points[-1].lon, track.points[-1].lat]
    assert path["properties"]["status"] == "confirmed" and path["properties"]["channel"] == "145.500"
    ring = next(f for f in doc["features"] if f["properties"]["role"] == "ellipse")["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 73
    excluded = [f["properties"] for f in doc["features"] if f["properties"]["role"] == "fix" and f["properties"]["excluded"]]
    assert [e["note"] for e in excluded] == ["=HYPERLINK(bad) reflection"]


def test_kml_is_well_formed_with_timestamps(track: Track) -> None:
    root = ET.fromstring(track_kml(track))
    placemarks = root.iter(f"{KML}Placemark")
    names = [p.find(f"{KML}name").text for p in placemarks]  # type: ignore[union-attr]
    assert names[0] == "track" and sum("% region" in (n or "") for n in names) == 2
    whens = [w.text for w in root.iter(f"{KML}when")]
    assert len(whens) == len(track.points) + len(track.fixes) and all(w and w.endswith("Z") for w in whens)
    line = root.find(f".//{KML}LineString/{KML}coordinates")
    assert line is not None and len((line.text or "").split()) == len(track.points)
    assert "excluded: =HYPERLINK(bad) reflection" in track_kml(track)


def test_csv_has_one_row_per_fix_and_defuses_formulas(track: Track) -> None:
    rows = list(csv.DictReader(io.StringIO(track_csv(track))))
    assert tuple(rows[0].keys()) == CSV_COLUMNS and len(rows) == len(track.fixes)
    excluded = [r for r in rows if r["excluded"] == "true"]
    assert len(excluded) == 1 and excluded[0]["lat"] == "" and excluded[0]["note"] == "'=HYPERLINK(bad) reflection"
    kept = [r for r in rows if r["excluded"] == "false"]
    assert [float(r["lat"]) for r in kept] == [p.lat for p in track.points]
    assert kept[0]["nis"] == "" and float(kept[1]["nis"]) >= 0
    assert all(r["time_utc"].endswith("Z") for r in rows)


def test_an_empty_track_exports_without_error() -> None:
    from heimdall.tracking.tracks import TrackerConfig

    empty = Track("t", "", TrackerConfig())
    assert track_geojson(empty) == {"type": "FeatureCollection", "features": []}
    assert ET.fromstring(track_kml(empty)).tag == f"{KML}kml"
    assert track_csv(empty).splitlines() == [",".join(CSV_COLUMNS)]
