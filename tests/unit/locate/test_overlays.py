"""The drawable geometry of a result: lines, hyperbolas and rings that mean what they say."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.geo import SPEED_OF_LIGHT_M_S, bearing_deg, geodetic_to_ecef, geodetic_to_enu
from heimdall.locate import locate, parse_measurement_set
from heimdall.locate.overlays import result_overlays

from_truth = (45.12, 7.41)


def kinds(collection: dict, kind: str) -> list[dict]:
    return [f for f in collection["features"] if f["properties"]["kind"] == kind]


def vertices(geometry: dict) -> np.ndarray:
    """Every [lon, lat] of a LineString, MultiLineString, Polygon or MultiPolygon."""
    coords = geometry["coordinates"]
    flat = {"LineString": lambda c: c, "MultiLineString": lambda c: [p for line in c for p in line],
            "Polygon": lambda c: [p for ring in c for p in ring],
            "MultiPolygon": lambda c: [p for poly in c for ring in poly for p in ring]}[geometry["type"]](coords)
    return np.array(flat)[:, :2]


def distance_to_polyline_m(coords: np.ndarray, lat: float, lon: float) -> float:
    """Shortest distance from a point to a polyline, in the point's local east/north plane."""
    enu = geodetic_to_enu(coords[:, 1], coords[:, 0], 0.0, lat, lon, 0.0)[:, :2]
    a, b = enu[:-1], enu[1:]
    ab = b - a
    t = np.clip(-(a * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12), 0.0, 1.0)
    closest = a + t[:, None] * ab
    return float(np.min(np.hypot(closest[:, 0], closest[:, 1])))


def test_the_bearing_lines_of_a_bearing_only_fix_cross_at_the_fix(make_noiseless):
    doc = make_noiseless(("aoa",), from_truth)
    result = locate(parse_measurement_set(doc)).to_dict(include_posterior=False)
    overlays = result_overlays(doc, result)
    lines = kinds(overlays, "bearing")
    assert sorted(f["properties"]["receiver"] for f in lines) == sorted(r["id"] for r in doc["receivers"])
    for line in lines:
        coords = vertices(line["geometry"])
        station = next(r for r in doc["receivers"] if r["id"] == line["properties"]["receiver"])
        assert coords[0] == pytest.approx([station["lon"], station["lat"]], abs=1e-6)  # drawn from the station
        assert distance_to_polyline_m(coords, *from_truth) < 1.0  # exactly through the true position
        assert distance_to_polyline_m(coords, result["lat"], result["lon"]) < 0.2 * result["ellipses"][0]["semi_minor_m"] + 5
        assert abs(line["properties"]["residual_sigma"]) < 0.5 and line["properties"]["outlier"] is False
    assert len(kinds(overlays, "bearing_wedge")) == len(lines)


def test_every_point_of_a_bearing_line_has_the_measured_bearing(make_noiseless):
    doc = make_noiseless(("aoa",), from_truth)
    result = locate(parse_measurement_set(doc)).to_dict(include_posterior=False)
    for line in kinds(result_overlays(doc, result), "bearing"):
        station = next(r for r in doc["receivers"] if r["id"] == line["properties"]["receiver"])
        coords = vertices(line["geometry"])[8:]  # beyond ~1 km, where 1e-7° rounding is below 1e-4°
        seen = bearing_deg(station["lat"], station["lon"], station["alt_m"], coords[:, 1], coords[:, 0], 0.0)
        assert np.abs((seen - line["properties"]["bearing_deg"] + 180) % 360 - 180).max() < 1e-4


def tdoa_of(points_lonlat: np.ndarray, receiver: dict, reference: dict, alt_m: float = 0.0) -> np.ndarray:
    p = geodetic_to_ecef(points_lonlat[:, 1], points_lonlat[:, 0], alt_m)
    a = geodetic_to_ecef(receiver["lat"], receiver["lon"], receiver["alt_m"])
    r = geodetic_to_ecef(reference["lat"], reference["lon"], reference["alt_m"])
    return (np.linalg.norm(p - a, axis=1) - np.linalg.norm(p - r, axis=1)) / SPEED_OF_LIGHT_M_S


def test_a_hyperbolas_points_satisfy_its_tdoa_and_its_band_the_sigmas(make_noiseless):
    doc = make_noiseless(("tdoa",), from_truth)
    result = locate(parse_measurement_set(doc)).to_dict(include_posterior=False)
    overlays = result_overlays(doc, result)
    receivers = {r["id"]: r for r in doc["receivers"]}
    curves = kinds(overlays, "tdoa")
    assert len(curves) == len(doc["tdoa"])
    for curve in curves:
        p = curve["properties"]
        coords = vertices(curve["geometry"])
        assert len(coords) > 100
        # 1e-7 degree rounding of the coordinates is ~1 cm: 3e-11 s
        assert np.abs(tdoa_of(coords, receivers[p["receiver"]], receivers[p["reference"]]) - p["tdoa_s"]).max() < 2e-10
        assert distance_to_polyline_m(coords, *from_truth) < 1.0
    for band in kinds(overlays, "tdoa_band"):
        p = band["properties"]
        values = tdoa_of(vertices(band["geometry"]), receivers[p["receiver"]], receivers[p["reference"]])
        edges = np.minimum(np.abs(values - (p["tdoa_s"] - p["sigma_s"])), np.abs(values - (p["tdoa_s"] + p["sigma_s"])))
        assert edges.max() < 2e-10


def test_continental_baselines_keep_the_geometry_exact():
    """DCF77-like geometry: receivers hundreds of km apart, the transmitter far from all of them."""
    receivers = [{"id": "a", "lat": 53.665, "lon": 7.283, "alt_m": 0.0}, {"id": "b", "lat": 45.779, "lon": 0.615, "alt_m": 0.0},
                 {"id": "c", "lat": 47.172, "lon": 8.427, "alt_m": 0.0}]
    truth = geodetic_to_ecef(50.0156, 9.0108, 0.0)
    arrival = {r["id"]: np.linalg.norm(truth - geodetic_to_ecef(r["lat"], r["lon"], 0.0)) / SPEED_OF_LIGHT_M_S for r in receivers}
    doc = {"frequency_hz": 77_500, "receivers": receivers,
           "tdoa": [{"receiver": i, "reference": "a", "tdoa_s": arrival[i] - arrival["a"], "sigma_s": 2e-5} for i in "bc"],
           "aoa": [{"receiver": "c", "bearing_deg": float(bearing_deg(47.172, 8.427, 0.0, 50.0156, 9.0108, 0.0)), "sigma_deg": 2.0}]}
    result = {"lat": 50.0156, "lon": 9.0108, "outliers": []}
    overlays = result_overlays(doc, result)
    for curve in kinds(overlays, "tdoa"):
        p = curve["properties"]
        values = tdoa_of(vertices(curve["geometry"]), next(r for r in receivers if r["id"] == p["receiver"]), receivers[0])
        assert np.abs(values - p["tdoa_s"]).max() < 2e-10
        assert distance_to_polyline_m(vertices(curve["geometry"]), 50.0156, 9.0108) < 10.0
    (line,) = kinds(overlays, "bearing")
    assert distance_to_polyline_m(vertices(line["geometry"]), 50.0156, 9.0108) < 1.0


def test_power_rings_sit_at_the_most_likely_distance(make_noiseless):
    doc = make_noiseless(("rss",), from_truth)
    result = locate(parse_measurement_set(doc)).to_dict(include_posterior=False)
    overlays = result_overlays(doc, result)
    receivers = {r["id"]: r for r in doc["receivers"]}
    rings = kinds(overlays, "rss_circle")
    assert len(rings) == len(doc["rss"])
    truth = geodetic_to_ecef(*from_truth, 0.0)
    for ring in rings:
        p = ring["properties"]
        r = receivers[p["receiver"]]
        station = geodetic_to_ecef(r["lat"], r["lon"], r["alt_m"])
        coords = vertices(ring["geometry"])
        slant = np.linalg.norm(geodetic_to_ecef(coords[:, 1], coords[:, 0], 0.0) - station, axis=1)
        assert np.abs(slant / p["distance_m"] - 1).max() < 1e-6
        assert p["distance_low_m"] < p["distance_m"] < p["distance_high_m"]
        # noise-free powers: the most likely distance is the true one, up to how far the fix is from the truth
        offset_m = np.linalg.norm(geodetic_to_ecef(result["lat"], result["lon"], 0.0) - truth)
        assert abs(p["distance_m"] - np.linalg.norm(truth - station)) < 3 * offset_m + 50
    assert len(kinds(overlays, "rss_band")) == len(rings)


def test_arrival_time_rings_pass_through_the_fix(make_noiseless):
    doc = make_noiseless(("toa",), from_truth)
    result = locate(parse_measurement_set(doc)).to_dict(include_posterior=False)
    for ring in kinds(result_overlays(doc, result), "toa_circle"):
        assert distance_to_polyline_m(vertices(ring["geometry"]), result["lat"], result["lon"]) < 5.0


def test_an_outlier_is_marked_with_its_reason(make_noiseless):
    doc = make_noiseless(("aoa",), from_truth)
    doc["aoa"][3]["bearing_deg"] = (doc["aoa"][3]["bearing_deg"] + 40.0) % 360.0
    result = locate(parse_measurement_set(doc)).to_dict(include_posterior=False)
    bad = doc["aoa"][3]["receiver"]
    assert result["outliers"] == [bad]
    overlays = result_overlays(doc, result)
    (line,) = [f for f in kinds(overlays, "bearing") if f["properties"]["receiver"] == bad]
    assert line["properties"]["outlier"] is True
    assert "rejected by the consistency test" in line["properties"]["reason"]
    assert abs(line["properties"]["residual_deg"]) == pytest.approx(40.0, abs=1.0)
    (point,) = [f for f in kinds(overlays, "receiver") if f["properties"]["receiver"] == bad]
    assert point["properties"]["outlier"] and "σ off" in point["properties"]["reason"]
    kept = [f for f in kinds(overlays, "bearing") if f["properties"]["receiver"] != bad]
    assert all(not f["properties"]["outlier"] and f["properties"]["reason"] is None for f in kept)


def test_bad_input_is_refused(make_noiseless):
    doc = make_noiseless(("aoa",), from_truth)
    with pytest.raises(InvalidInput, match="no position"):
        result_overlays(doc, {"lat": None, "lon": 7.0})
    with pytest.raises(InvalidInput):
        result_overlays({"receivers": []}, {"lat": 45.0, "lon": 7.0})
    assert math.isfinite(result_overlays(doc, {"lat": 45.0, "lon": 7.0})["features"][0]["properties"]["residual_deg"])
