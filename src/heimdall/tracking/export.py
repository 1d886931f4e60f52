"""A track as GeoJSON (RFC 7946), KML 2.2 or CSV: the filtered path, each update, the latest
uncertainty ellipses, and every fix with the analyst's exclusions and notes.

GeoJSON features carry ``properties.role``: ``track`` (the path, a LineString), ``update`` (the state
after each fix), ``ellipse`` (the latest 68 % and 95 % regions) and ``fix`` (the raw fixes, excluded
ones flagged). CSV has one row per fix in time order; an excluded fix's track columns are empty.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

from heimdall.geo import ellipse_ring
from heimdall.tracking.fixes import Fix, iso_utc
from heimdall.tracking.tracks import Track, TrackPoint

KML_NAMESPACE = "http://www.opengis.net/kml/2.2"
CSV_COLUMNS = ("time_utc", "time_s", "fix_id", "fix_lat", "fix_lon", "excluded", "note", "lat", "lon",
               "velocity_east_m_s", "velocity_north_m_s", "speed_m_s", "course_deg", "semi_major_95_m",
               "semi_minor_95_m", "orientation_95_deg", "nis")


def _fixes(track: Track) -> list[Fix]:
    return sorted(track.fixes.values(), key=lambda f: (f.time_s, f.fix_id))


def _summary(track: Track) -> dict[str, Any]:
    points = track.points
    return {"track_id": track.track_id, "channel": track.channel, "status": track.status, "hits": len(points),
            "start": iso_utc(points[0].time_s) if points else None,
            "end": iso_utc(points[-1].time_s) if points else None}


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _update_properties(point: TrackPoint) -> dict[str, Any]:
    ellipse_95 = point.ellipses[-1]
    return {"role": "update", "fix_id": point.fix_id, "time": iso_utc(point.time_s), "speed_m_s": point.speed_m_s,
            "course_deg": point.course_deg, "nis": point.nis, "semi_major_95_m": ellipse_95.semi_major_m,
            "semi_minor_95_m": ellipse_95.semi_minor_m, "orientation_95_deg": ellipse_95.orientation_deg}


def track_geojson(track: Track) -> dict[str, Any]:
    features = []
    path = [[p.lon, p.lat] for p in track.points]
    if path:
        geometry = {"type": "LineString", "coordinates": path} if len(path) > 1 else {"type": "Point",
                                                                                      "coordinates": path[0]}
        features.append(_feature(geometry, {"role": "track", **_summary(track)}))
    for point in track.points:
        features.append(_feature({"type": "Point", "coordinates": [point.lon, point.lat]}, _update_properties(point)))
    if track.latest is not None:
        for ellipse in track.latest.ellipses:
            ring = ellipse_ring(track.latest.lat, track.latest.lon, ellipse.semi_major_m, ellipse.semi_minor_m,
                                ellipse.orientation_deg)
            features.append(_feature({"type": "Polygon", "coordinates": [ring]},
                                     {"role": "ellipse", "time": iso_utc(track.latest.time_s), **ellipse.to_dict()}))
    for fix in _fixes(track):
        features.append(_feature({"type": "Point", "coordinates": [fix.lon, fix.lat]},
                                 {"role": "fix", "fix_id": fix.fix_id, "time": iso_utc(fix.time_s),
                                  "excluded": fix.fix_id in track.exclusions, "note": track.exclusions.get(fix.fix_id)}))
    return {"type": "FeatureCollection", "features": features}


def track_kml(track: Track) -> str:
    """A KML document: the path, one time-stamped placemark per update, the latest ellipses, the fixes."""
    ET.register_namespace("", KML_NAMESPACE)
    root = ET.Element(_kml("kml"))
    document = ET.SubElement(root, _kml("Document"))
    ET.SubElement(document, _kml("name")).text = f"Heimdall track {track.track_id}"
    summary = _summary(track)
    ET.SubElement(document, _kml("description")).text = (
        f"channel {summary['channel'] or '-'}, {summary['status']}, {summary['hits']} updates, "
        f"{summary['start']} to {summary['end']}")
    if len(track.points) > 1:
        line = ET.SubElement(_placemark(document, "track", "filtered path"), _kml("LineString"))
        ET.SubElement(line, _kml("coordinates")).text = " ".join(f"{p.lon},{p.lat},0" for p in track.points)
    updates = ET.SubElement(document, _kml("Folder"))
    ET.SubElement(updates, _kml("name")).text = "updates"
    for point in track.points:
        ellipse_95 = point.ellipses[-1]
        text = (f"fix {point.fix_id}; {point.speed_m_s:.1f} m/s towards {point.course_deg:.0f} deg; 95 %: "
                f"{ellipse_95.semi_major_m:.0f} x {ellipse_95.semi_minor_m:.0f} m at {ellipse_95.orientation_deg:.0f} deg")
        _point(_placemark(updates, iso_utc(point.time_s), text, point.time_s), point.lat, point.lon)
    if track.latest is not None:
        for ellipse in track.latest.ellipses:
            ring = ellipse_ring(track.latest.lat, track.latest.lon, ellipse.semi_major_m, ellipse.semi_minor_m,
                                ellipse.orientation_deg)
            name = f"{round(100 * ellipse.confidence)} % region at {iso_utc(track.latest.time_s)}"
            polygon = ET.SubElement(_placemark(document, name, "latest uncertainty"), _kml("Polygon"))
            boundary = ET.SubElement(ET.SubElement(polygon, _kml("outerBoundaryIs")), _kml("LinearRing"))
            ET.SubElement(boundary, _kml("coordinates")).text = " ".join(f"{x},{y},0" for x, y in ring)
    fixes = ET.SubElement(document, _kml("Folder"))
    ET.SubElement(fixes, _kml("name")).text = "fixes"
    for fix in _fixes(track):
        note = track.exclusions.get(fix.fix_id)
        text = f"fix {fix.fix_id}" + ("" if note is None else f" (excluded: {note})")
        _point(_placemark(fixes, fix.fix_id, text, fix.time_s), fix.lat, fix.lon)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _kml(tag: str) -> str:
    return f"{{{KML_NAMESPACE}}}{tag}"


def _placemark(parent: ET.Element, name: str, description: str, time_s: float | None = None) -> ET.Element:
    placemark = ET.SubElement(parent, _kml("Placemark"))
    ET.SubElement(placemark, _kml("name")).text = name
    ET.SubElement(placemark, _kml("description")).text = description
    if time_s is not None:
        ET.SubElement(ET.SubElement(placemark, _kml("TimeStamp")), _kml("when")).text = iso_utc(time_s)
    return placemark


def _point(placemark: ET.Element, lat: float, lon: float) -> None:
    ET.SubElement(ET.SubElement(placemark, _kml("Point")), _kml("coordinates")).text = f"{lon},{lat},0"


def track_csv(track: Track) -> str:
    """One row per fix in time order (RFC 4180, header first)."""
    points = {p.fix_id: p for p in track.points}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for fix in _fixes(track):
        note = track.exclusions.get(fix.fix_id)
        row: list[Any] = [iso_utc(fix.time_s), fix.time_s, fix.fix_id, fix.lat, fix.lon,
                          "true" if note is not None else "false", _cell(note or "")]
        point = points.get(fix.fix_id)
        if point is None:
            row += [""] * (len(CSV_COLUMNS) - len(row))
        else:
            ellipse_95 = point.ellipses[-1]
            row += [point.lat, point.lon, *point.velocity_enu_m_s, point.speed_m_s, point.course_deg,
                    ellipse_95.semi_major_m, ellipse_95.semi_minor_m, ellipse_95.orientation_deg,
                    "" if point.nis is None else point.nis]
        writer.writerow(row)
    return out.getvalue()


def _cell(text: str) -> str:
    """An analyst's note, defused for spreadsheets (a leading = + - @ would start a formula)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
