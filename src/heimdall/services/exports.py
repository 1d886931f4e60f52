"""A stored localization as GeoJSON (RFC 7946) or KML 2.2: the estimate, its uncertainty ellipses as
polygons, and the receivers of the measurement set.

Ellipses are drawn on the local east/north plane at the estimate and mapped back to WGS84, which is
exact enough for the kilometre-scale ellipses this produces; a ring that crosses the antimeridian is
not split (a known limitation of this export).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np

from heimdall.geo import enu_to_geodetic

ELLIPSE_VERTICES = 72
KML_NAMESPACE = "http://www.opengis.net/kml/2.2"


def ellipse_ring(
    lat_deg: float,
    lon_deg: float,
    semi_major_m: float,
    semi_minor_m: float,
    orientation_deg: float,
    vertices: int = ELLIPSE_VERTICES,
) -> list[list[float]]:
    """A closed, counter-clockwise ring of ``[lon, lat]`` (first vertex repeated last)."""
    angle = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    theta = math.radians(orientation_deg)
    # Major axis clockwise from north; the minor axis 90 degrees counter-clockwise of it: a CCW ring.
    major = np.array([math.sin(theta), math.cos(theta)])
    minor = np.array([-math.cos(theta), math.sin(theta)])
    east_north = np.outer(semi_major_m * np.cos(angle), major) + np.outer(semi_minor_m * np.sin(angle), minor)
    enu = np.column_stack([east_north, np.zeros(vertices)])
    lat, lon, _ = enu_to_geodetic(enu, lat_deg, lon_deg, 0.0)
    ring = [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]
    return ring + [ring[0]]


def _drawable_ellipses(localization: dict[str, Any]) -> list[dict[str, Any]]:
    drawable = []
    for ellipse in localization.get("ellipses") or []:
        axes = (ellipse.get("semi_major_m"), ellipse.get("semi_minor_m"), ellipse.get("orientation_deg"))
        if all(isinstance(value, (int, float)) and math.isfinite(value) for value in axes):
            drawable.append(ellipse)
    return drawable


def _receivers(localization: dict[str, Any]) -> list[dict[str, Any]]:
    return list((localization.get("request") or {}).get("receivers") or [])


def _has_estimate(localization: dict[str, Any]) -> bool:
    return localization.get("lat") is not None and localization.get("lon") is not None


def localization_geojson(localization: dict[str, Any]) -> dict[str, Any]:
    """A FeatureCollection; each feature's ``properties.role`` is estimate, ellipse or receiver."""
    features: list[dict[str, Any]] = []
    if _has_estimate(localization):
        lat, lon = localization["lat"], localization["lon"]
        properties = {key: localization.get(key) for key in ("id", "method", "created_at", "gdop", "alt_m")}
        features.append(
            _feature({"type": "Point", "coordinates": [lon, lat]}, {"role": "estimate", **properties})
        )
        for ellipse in _drawable_ellipses(localization):
            ring = ellipse_ring(
                lat, lon, ellipse["semi_major_m"], ellipse["semi_minor_m"], ellipse["orientation_deg"]
            )
            features.append(
                _feature({"type": "Polygon", "coordinates": [ring]}, {"role": "ellipse", **ellipse})
            )
    for receiver in _receivers(localization):
        point = [receiver["lon"], receiver["lat"], receiver.get("alt_m", 0.0)]
        features.append(
            _feature({"type": "Point", "coordinates": point}, {"role": "receiver", "id": receiver["id"]})
        )
    return {"type": "FeatureCollection", "features": features}


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def localization_kml(localization: dict[str, Any]) -> str:
    """A KML 2.2 document with one placemark per estimate, ellipse and receiver."""
    ET.register_namespace("", KML_NAMESPACE)
    root = ET.Element(_kml("kml"))
    document = ET.SubElement(root, _kml("Document"))
    ET.SubElement(document, _kml("name")).text = f"Heimdall localization {localization.get('id', '')}"
    if _has_estimate(localization):
        lat, lon = localization["lat"], localization["lon"]
        placemark = _placemark(document, "estimate", f"method {localization.get('method')}")
        ET.SubElement(ET.SubElement(placemark, _kml("Point")), _kml("coordinates")).text = f"{lon},{lat},0"
        for ellipse in _drawable_ellipses(localization):
            ring = ellipse_ring(
                lat, lon, ellipse["semi_major_m"], ellipse["semi_minor_m"], ellipse["orientation_deg"]
            )
            name = f"{round(100 * ellipse.get('confidence', 0))} % ellipse"
            polygon = ET.SubElement(_placemark(document, name, _ellipse_text(ellipse)), _kml("Polygon"))
            linear_ring = ET.SubElement(ET.SubElement(polygon, _kml("outerBoundaryIs")), _kml("LinearRing"))
            ET.SubElement(linear_ring, _kml("coordinates")).text = " ".join(f"{x},{y},0" for x, y in ring)
    for receiver in _receivers(localization):
        placemark = _placemark(document, str(receiver["id"]), "receiver")
        coordinates = f"{receiver['lon']},{receiver['lat']},{receiver.get('alt_m', 0.0)}"
        ET.SubElement(ET.SubElement(placemark, _kml("Point")), _kml("coordinates")).text = coordinates
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _kml(tag: str) -> str:
    return f"{{{KML_NAMESPACE}}}{tag}"


def _placemark(parent: ET.Element, name: str, description: str) -> ET.Element:
    placemark = ET.SubElement(parent, _kml("Placemark"))
    ET.SubElement(placemark, _kml("name")).text = name
    ET.SubElement(placemark, _kml("description")).text = description
    return placemark


def _ellipse_text(ellipse: dict[str, Any]) -> str:
    return (
        f"semi-major {ellipse['semi_major_m']:.0f} m, semi-minor {ellipse['semi_minor_m']:.0f} m, "
        f"orientation {ellipse['orientation_deg']:.1f} deg"
    )
