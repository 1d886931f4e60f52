"""GeoJSON features of each modality: bearing lines with their ±1σ wedges, TDoA hyperbolas with
their ±1σ bands, and range rings (received power: the most likely distance; arrival time: the
distance implied by the emission time at the fix) with their ±1σ bands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from heimdall.geo import SPEED_OF_LIGHT_M_S
from heimdall.locate.overlays.residuals import MICRO, Fix, RssModel, bearing_residual_deg, range_m, reason
from heimdall.locate.overlays.surface import RayFan, Station, runs, solve_fan

Feature = dict[str, Any]
LINE_POINTS = 161
RAYS = 720
RING_POINTS = 361
RING_AZIMUTHS = np.linspace(0.0, 360.0, RING_POINTS)
RAY_AZIMUTHS = np.linspace(0.0, 360.0, RAYS, endpoint=False)
WEDGE_ARC_POINTS = 17


@dataclass(frozen=True)
class Scene:
    stations: dict[str, Station]
    receivers: dict[str, dict[str, Any]]
    fix: Fix
    outliers: frozenset[str]
    extent_m: float  # how far from a station curves are drawn


def feature(kind: str, geometry: dict[str, Any], **properties: Any) -> Feature:
    return {"type": "Feature", "geometry": geometry, "properties": {"kind": kind, **properties}}


def _coords(lat: np.ndarray, lon: np.ndarray) -> list[list[float]]:
    coords: list[list[float]] = np.round(np.column_stack([lon, lat]), 7).tolist()  # 1e-7 degree: ~1 cm
    return coords


def _distance(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    delta = points - centres
    distance: np.ndarray = np.sqrt(np.einsum("...i,...i->...", delta, delta))
    return distance


def _line(lat: np.ndarray, lon: np.ndarray) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": _coords(lat, lon)}


def _ring(lat: np.ndarray, lon: np.ndarray) -> list[list[float]]:
    ring = _coords(lat, lon)
    return ring if ring[0] == ring[-1] else [*ring, ring[0]]


def bearing_features(scene: Scene, m: dict[str, Any]) -> list[Feature]:
    rid = m["receiver"]
    station = scene.stations[rid]
    outlier = rid in scene.outliers
    predicted, residual = bearing_residual_deg(scene.receivers[rid], scene.fix, m["bearing_deg"])
    sigma = float(m["sigma_deg"])
    length = max(1.5 * range_m(station.ecef_m, scene.fix), scene.extent_m / 3.0, 10_000.0)
    distances = np.linspace(0.0, length, LINE_POINTS)
    props = {"receiver": rid, "bearing_deg": m["bearing_deg"], "sigma_deg": sigma, "length_m": length,
             "residual_deg": residual, "residual_sigma": residual / sigma, "outlier": outlier,
             "reason": reason(outlier, f"{m['bearing_deg']:.1f}° ± {sigma:.1f}°", f"{predicted:.1f}°",
                              residual / sigma),
             "label": f"{rid}: bearing {m['bearing_deg']:.1f}° ± {sigma:.1f}°"}
    line = feature("bearing", _line(*station.lat_lon(m["bearing_deg"], distances, scene.fix.tx_alt_m)), **props)
    wedge_azimuths = np.concatenate([np.full(LINE_POINTS, m["bearing_deg"] - sigma),
                                     np.linspace(m["bearing_deg"] - sigma, m["bearing_deg"] + sigma, WEDGE_ARC_POINTS),
                                     np.full(LINE_POINTS, m["bearing_deg"] + sigma)])
    wedge_distances = np.concatenate([distances, np.full(WEDGE_ARC_POINTS, length), distances[::-1]])
    wedge = station.lat_lon(wedge_azimuths, wedge_distances, scene.fix.tx_alt_m)
    return [line, feature("bearing_wedge", {"type": "Polygon", "coordinates": [_ring(*wedge)]}, **props)]


def hyperbolas(scene: Scene, tdoa: list[dict[str, Any]], azimuths: np.ndarray) -> np.ndarray:
    """Distances (M, 3, N) along rays from each entry's reference where the path difference equals
    c (tdoa - sigma), c tdoa, c (tdoa + sigma): it falls as a ray leaves the reference."""
    stations = [scene.stations[m["reference"]] for m in tdoa for _ in range(3)]
    receivers = np.array([scene.stations[m["receiver"]].ecef_m for m in tdoa for _ in range(3)])[:, None, :]
    references = np.array([s.ecef_m for s in stations])[:, None, :]
    targets = np.array([(m["tdoa_s"] + k * m["sigma_s"]) * SPEED_OF_LIGHT_M_S for m in tdoa for k in (-1, 0, 1)])

    def excess(points: np.ndarray) -> np.ndarray:
        excess_m: np.ndarray = _distance(points, receivers) - _distance(points, references) - targets[:, None]
        return excess_m

    fan = RayFan(stations, azimuths, scene.fix.tx_alt_m)
    return solve_fan(fan, np.full(len(stations), scene.extent_m), excess).reshape(len(tdoa), 3, -1)


def tdoa_features(scene: Scene, m: dict[str, Any], curves: np.ndarray, azimuths: np.ndarray) -> list[Feature]:
    """The hyperbola branch ``|P - receiver| - |P - reference| = c tdoa`` and the band at tdoa ± sigma."""
    rid, ref = m["receiver"], m["reference"]
    outlier = bool({rid, ref} & scene.outliers)
    expected = (range_m(scene.stations[rid].ecef_m, scene.fix) - range_m(scene.stations[ref].ecef_m, scene.fix)) \
        / SPEED_OF_LIGHT_M_S
    residual, sigma = m["tdoa_s"] - expected, float(m["sigma_s"])
    props = {"receiver": rid, "reference": ref, "tdoa_s": m["tdoa_s"], "sigma_s": sigma, "outlier": outlier,
             "residual_s": residual, "residual_sigma": residual / sigma,
             "reason": reason(outlier, f"{m['tdoa_s'] * MICRO:.3f} µs ± {sigma * MICRO:.3f} µs",
                              f"{expected * MICRO:.3f} µs", residual / sigma),
             "label": f"{rid} − {ref}: {m['tdoa_s'] * MICRO:.3f} µs ± {sigma * MICRO:.3f} µs"}
    station = scene.stations[ref]
    low, centre, high = curves
    lines = [_coords(*station.lat_lon(azimuths[run], centre[run], scene.fix.tx_alt_m))
             for run in runs(np.isfinite(centre), circular=True)]
    features = [feature("tdoa", {"type": "MultiLineString", "coordinates": lines}, **props)] if lines else []
    polygons = []
    for run in runs(np.isfinite(low) & np.isfinite(high), circular=True):
        a = station.lat_lon(azimuths[run], low[run], scene.fix.tx_alt_m)
        b = station.lat_lon(azimuths[run][::-1], high[run][::-1], scene.fix.tx_alt_m)
        polygons.append([_ring(np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]))])
    if polygons:
        features.append(feature("tdoa_band", {"type": "MultiPolygon", "coordinates": polygons}, **props))
    return features


def range_rings(scene: Scene, rings: list[tuple[str, float]], azimuths: np.ndarray) -> list[np.ndarray | None]:
    """Horizontal distances (N,) along rays from each station where the slant distance is the given one;
    None where it cannot be drawn (not positive, or within the station's own height)."""
    drawable = [i for i, (_, d) in enumerate(rings) if np.isfinite(d) and d > 0]
    out: list[np.ndarray | None] = [None] * len(rings)
    if not drawable:
        return out
    stations = [scene.stations[rings[i][0]] for i in drawable]
    centres = np.array([s.ecef_m for s in stations])[:, None, :]
    distances = np.array([rings[i][1] for i in drawable])

    def excess(points: np.ndarray) -> np.ndarray:
        excess_m: np.ndarray = _distance(points, centres) - distances[:, None]
        return excess_m

    solved = solve_fan(RayFan(stations, azimuths, scene.fix.tx_alt_m), 2.0 * distances, excess)
    for row, i in enumerate(drawable):
        out[i] = solved[row] if np.isfinite(solved[row]).all() else None
    return out


def ring_features(scene: Scene, kind: str, rid: str, horizontal: list[np.ndarray | None], azimuths: np.ndarray,
                  props: dict[str, Any]) -> list[Feature]:
    """A ring at the middle distance and the band between the other two (``horizontal``: low, middle, high)."""
    station = scene.stations[rid]
    rings = [None if h is None else station.lat_lon(azimuths, h, scene.fix.tx_alt_m) for h in horizontal]
    features = []
    if rings[1] is not None:
        features.append(feature(f"{kind}_circle", _line(*rings[1]), **props))
    if rings[0] is not None and rings[2] is not None:
        inner, outer = rings[0], rings[2]
        band = {"type": "Polygon", "coordinates": [_ring(*outer), _ring(inner[0][::-1], inner[1][::-1])]}
        features.append(feature(f"{kind}_band", band, **props))
    elif rings[2] is not None:  # the inner edge is closer than the station's own height: a disc
        features.append(feature(f"{kind}_band", {"type": "Polygon", "coordinates": [_ring(*rings[2])]}, **props))
    return features


def rss_properties(scene: Scene, m: dict[str, Any], model: RssModel) -> dict[str, Any]:
    rid, sigma = m["receiver"], float(m["sigma_db"])
    outlier = rid in scene.outliers
    expected = model.power_dbm(range_m(scene.stations[rid].ecef_m, scene.fix))
    residual = m["power_dbm"] - expected
    likely = model.distance_m(m["power_dbm"])
    props = {"receiver": rid, "power_dbm": m["power_dbm"], "sigma_db": sigma, "distance_m": likely,
             "distance_low_m": model.distance_m(m["power_dbm"] + sigma),
             "distance_high_m": model.distance_m(m["power_dbm"] - sigma),
             "path_loss_exponent": model.exponent, "residual_db": residual, "residual_sigma": residual / sigma,
             "outlier": outlier, "label": f"{rid}: {m['power_dbm']:.1f} dBm ± {sigma:.1f} dB",
             "reason": reason(outlier, f"{m['power_dbm']:.1f} dBm ± {sigma:.1f} dB", f"{expected:.1f} dBm",
                              residual / sigma)}
    return props


def toa_properties(scene: Scene, m: dict[str, Any], emission_s: float) -> dict[str, Any]:
    rid, sigma = m["receiver"], float(m["sigma_s"])
    outlier = rid in scene.outliers
    distance = (m["toa_s"] - emission_s) * SPEED_OF_LIGHT_M_S
    expected = range_m(scene.stations[rid].ecef_m, scene.fix)
    residual = (distance - expected) / SPEED_OF_LIGHT_M_S
    props = {"receiver": rid, "toa_s": m["toa_s"], "sigma_s": sigma, "distance_m": distance,
             "emission_s": emission_s, "residual_s": residual, "residual_sigma": residual / sigma,
             "outlier": outlier, "label": f"{rid}: arrival {m['toa_s']:.9f} s ± {sigma * MICRO:.3f} µs",
             "reason": reason(outlier, f"range {distance / 1000:.3f} km", f"{expected / 1000:.3f} km", residual / sigma)}
    return props
