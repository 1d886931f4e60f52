"""The drawable geometry of a localization: what each measurement says, on the map.

    result_overlays(measurement_set_doc, result_dict)  # a GeoJSON FeatureCollection (RFC 7946)

Every feature has ``properties.kind``: ``bearing`` (a line from the station along the measured
bearing) and ``bearing_wedge`` (±1σ), ``tdoa`` (the hyperbola branch of the measured time
difference) and ``tdoa_band`` (between the branches at ±1σ), ``rss_circle`` (the most likely
distance given the power and the propagation model fitted at the fix) and ``rss_band`` (±1σ in dB),
``toa_circle``/``toa_band`` (the distance implied by the emission time at the fix), and ``receiver``
(a point). Each carries the receiver(s), the measured value and sigma, its residual at the fix in
its unit and in sigmas, ``outlier``, and for outliers a ``reason`` in words.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from heimdall.errors import InvalidInput
from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.locate.measurement_set import measurement_set_to_dict, parse_measurement_set
from heimdall.locate.overlays.features import (
    RAY_AZIMUTHS,
    RING_AZIMUTHS,
    Feature,
    Scene,
    bearing_features,
    feature,
    hyperbolas,
    range_rings,
    ring_features,
    rss_properties,
    tdoa_features,
    toa_properties,
)
from heimdall.locate.overlays.residuals import Fix, emission_time_s, range_m, rss_model
from heimdall.locate.overlays.surface import Station

MIN_EXTENT_M = 30_000.0
MAX_EXTENT_M = 5_000_000.0

__all__ = ["result_overlays"]


def result_overlays(doc: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Validate the measurement set, then draw every measurement against the result's estimate."""
    normal = measurement_set_to_dict(parse_measurement_set(doc))
    lat, lon = result.get("lat"), result.get("lon")
    if not (isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and math.isfinite(lat + lon)):
        raise InvalidInput("the result has no position to draw against", field="lat")
    scene = _scene(normal, result, float(lat), float(lon))
    return {"type": "FeatureCollection", "features": _features(normal, scene)}


def _scene(doc: dict[str, Any], result: dict[str, Any], lat: float, lon: float) -> Scene:
    receivers = {r["id"]: r for r in doc["receivers"]}
    stations = {rid: Station(r["lat"], r["lon"], r["alt_m"]) for rid, r in receivers.items()}
    tx_alt = float(doc.get("transmitter_alt_m") or 0.0)
    fix = Fix(lat, lon, tx_alt, geodetic_to_ecef(lat, lon, tx_alt))
    positions = np.array([s.ecef_m for s in stations.values()])
    baseline = float(np.max(np.linalg.norm(positions[:, None] - positions[None], axis=-1), initial=0.0))
    farthest_fix = max(range_m(s.ecef_m, fix) for s in stations.values())
    extent = min(max(3.0 * baseline, 2.0 * farthest_fix, MIN_EXTENT_M), MAX_EXTENT_M)
    return Scene(stations, receivers, fix, frozenset(result.get("outliers") or ()), extent)


def _features(doc: dict[str, Any], scene: Scene) -> list[Feature]:
    kept = set(scene.receivers) - scene.outliers
    distances = {rid: range_m(s.ecef_m, scene.fix) for rid, s in scene.stations.items()}
    out: list[Feature] = []
    for m in doc.get("aoa", []):
        out += bearing_features(scene, m)
    if doc.get("tdoa"):
        curves = hyperbolas(scene, doc["tdoa"], RAY_AZIMUTHS)
        for m, curve in zip(doc["tdoa"], curves, strict=True):
            out += tdoa_features(scene, m, curve, RAY_AZIMUTHS)
    out += _rings(doc, scene, distances, kept)
    return out + [_receiver_feature(scene, rid, out) for rid in scene.receivers]


def _rings(doc: dict[str, Any], scene: Scene, distances: dict[str, float], kept: set[str]) -> list[Feature]:
    """Power and arrival-time rings, every one of them solved together."""
    entries: list[tuple[str, str, dict[str, Any], tuple[float, float, float]]] = []
    if doc.get("rss"):
        model = rss_model(doc, distances, kept)
        for m in doc["rss"]:
            props = rss_properties(scene, m, model)
            entries.append(("rss", m["receiver"], props,
                            (props["distance_low_m"], props["distance_m"], props["distance_high_m"])))
    if doc.get("toa"):
        emission = emission_time_s(doc["toa"], distances, kept)
        for m in doc["toa"]:
            props = toa_properties(scene, m, emission)
            spread = props["sigma_s"] * SPEED_OF_LIGHT_M_S
            d = props["distance_m"]
            entries.append(("toa", m["receiver"], props, (d - spread, d, d + spread)))
    flat = [(rid, d) for _, rid, _, ds in entries for d in ds]
    solved = range_rings(scene, flat, RING_AZIMUTHS)
    out: list[Feature] = []
    for index, (kind, rid, props, _) in enumerate(entries):
        out += ring_features(scene, kind, rid, solved[3 * index: 3 * index + 3], RING_AZIMUTHS, props)
    return out


def _receiver_feature(scene: Scene, rid: str, drawn: list[Feature]) -> Feature:
    r = scene.receivers[rid]
    reasons = [f["properties"]["reason"] for f in drawn
               if f["properties"]["kind"] in ("bearing", "tdoa", "rss_circle", "toa_circle")
               and f["properties"]["reason"] and rid in (f["properties"]["receiver"], f["properties"].get("reference"))]
    outlier = rid in scene.outliers
    return feature("receiver", {"type": "Point", "coordinates": [r["lon"], r["lat"], r["alt_m"]]},
                   receiver=rid, outlier=outlier, label=rid,
                   reason="; ".join(dict.fromkeys(reasons)) if outlier else None)
