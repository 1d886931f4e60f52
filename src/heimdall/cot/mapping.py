"""A fix or a track update as a CoT event (see docs/monitoring.md, "Cursor-on-Target").

- ``uid``: ``<prefix>.fix.<fix_id>`` or ``<prefix>.track.<track_id>``, so each update of a track
  moves one marker on the map instead of adding one.
- ``time`` is when the event is made; ``start`` when its position held (the transmission); ``stale``
  ``stale_s`` after the later of the two, or at once for a terminated track (TAK then drops it).
- ``point``: ``ce`` is the radius of the circle about the estimate with the same probability as the
  95 % ellipse (``ce_confidence``), for the Gaussian whose 95 % contour that ellipse is; the ellipse
  itself goes in ``detail/shape/ellipse``. No altitude is estimated: ``le`` is unknown, and ``hae``
  is the fix's ``alt_m`` when it has one.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import numpy as np

from heimdall.cot.event import HEIMDALL_DETAIL, UNKNOWN, CotEvent, CotSettings, circular_error_m, utc
from heimdall.errors import InvalidInput
from heimdall.locate.result import Ellipse, ellipse
from heimdall.tracking.fixes import Fix
from heimdall.tracking.tracks import Track

SHAPE_CONFIDENCE = 0.95


def _k(confidence: float) -> float:
    return math.sqrt(-2.0 * math.log(1.0 - confidence))


def ce_from_ellipse(region: Ellipse, ce_confidence: float) -> float:
    """The circular error at ``ce_confidence`` of the Gaussian whose ``region.confidence`` contour is ``region``."""
    k = _k(region.confidence)
    sigma = np.diag([(region.semi_major_m / k) ** 2, max(region.semi_minor_m / k, 1e-9) ** 2])
    return circular_error_m(sigma, ce_confidence)


def _result_ellipse(result: Mapping[str, Any], fix: Fix) -> Ellipse:
    """The result's own 95 % ellipse (its radius may be calibrated, not Gaussian), else the covariance's."""
    for entry in result.get("ellipses") or []:
        if isinstance(entry, Mapping) and entry.get("confidence") == SHAPE_CONFIDENCE:
            values = [entry.get(k) for k in ("semi_major_m", "semi_minor_m", "orientation_deg")]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
                major, minor, angle = (float(v) for v in values)  # type: ignore[arg-type]
                if major > 0 and 0 <= minor <= major:
                    return Ellipse(SHAPE_CONFIDENCE, major, minor, angle % 180.0)
    return ellipse(fix.covariance_enu_m2, SHAPE_CONFIDENCE)


def _times(time_s: float, now_s: float, settings: CotSettings, ended: bool) -> dict[str, Any]:
    start_s = min(time_s, now_s)
    stale_s = now_s if ended else max(now_s, start_s) + settings.stale_s
    return {"time": utc(now_s), "start": utc(start_s), "stale": utc(stale_s)}


def _detail(callsign: str, region: Ellipse, remarks: str, private: dict[str, Any]) -> ET.Element:
    detail = ET.Element("detail")
    ET.SubElement(detail, "contact", {"callsign": callsign})
    shape = ET.SubElement(detail, "shape")
    ET.SubElement(shape, "ellipse", {"major": f"{region.semi_major_m:.1f}", "minor": f"{region.semi_minor_m:.1f}",
                                     "angle": f"{region.orientation_deg:.1f}"})
    ET.SubElement(detail, "remarks").text = remarks
    ET.SubElement(detail, HEIMDALL_DETAIL, {k: str(v) for k, v in private.items() if v is not None and v != ""})
    return detail


def _region_text(region: Ellipse) -> str:
    return (f"95 % within {region.semi_major_m:.0f} x {region.semi_minor_m:.0f} m "
            f"(major axis {region.orientation_deg:.0f} deg)")


def fix_event(result: Mapping[str, Any], *, fix_id: str, time_s: float, now_s: float,
              settings: CotSettings | None = None, monitor_id: str | None = None, track_id: str | None = None,
              channel: str = "") -> CotEvent:
    """A localization result (CONTRACT section 4.2) of one transmission as a CoT event."""
    settings = settings or CotSettings()
    fix = Fix.from_result(result, fix_id, time_s, channel)
    region = _result_ellipse(result, fix)
    alt_m = result.get("alt_m")
    hae = float(alt_m) if isinstance(alt_m, (int, float)) and not isinstance(alt_m, bool) and math.isfinite(alt_m) else UNKNOWN
    remarks = (f"Heimdall fix {fix_id}{f' on {channel}' if channel else ''}"
               f"{f', track {track_id}' if track_id else ''}{f', monitor {monitor_id}' if monitor_id else ''}: "
               f"{_region_text(region)}; method {result.get('method', 'unknown')}")
    private = {"kind": "fix", "fix_id": fix_id, "track_id": track_id, "monitor_id": monitor_id, "channel": channel,
               "method": result.get("method"), "confidence": SHAPE_CONFIDENCE}
    detail = _detail(f"{settings.callsign_prefix} {channel} {fix_id[:8]}".replace("  ", " "), region, remarks, private)
    return CotEvent(f"{settings.uid_prefix}.fix.{fix_id}", settings.type, settings.how,
                    lat=round(fix.lat, 7), lon=round(fix.lon, 7), hae=round(hae, 1),
                    ce=round(ce_from_ellipse(region, settings.ce_confidence), 1), le=UNKNOWN, detail=detail,
                    **_times(time_s, now_s, settings, ended=False))


def track_event(track: Track, *, now_s: float, settings: CotSettings | None = None,
                monitor_id: str | None = None) -> CotEvent:
    """A track's latest state as a CoT event; a terminated track's event is stale at once."""
    settings = settings or CotSettings()
    point = track.latest
    if point is None:
        raise InvalidInput(f"track {track.track_id} has no fix left to show", field="track_id")
    region = point.ellipses[-1]
    ended = track.status == "terminated"
    remarks = (f"Heimdall track {track.track_id}{f' on {track.channel}' if track.channel else ''}"
               f"{f', monitor {monitor_id}' if monitor_id else ''}: {track.status}, {len(track.points)} fixes, "
               f"{point.speed_m_s:.1f} m/s towards {point.course_deg:.0f} deg; {_region_text(region)}")
    private = {"kind": "track", "track_id": track.track_id, "fix_id": point.fix_id, "monitor_id": monitor_id,
               "channel": track.channel, "status": track.status, "hits": len(track.points),
               "confidence": SHAPE_CONFIDENCE}
    detail = _detail(f"{settings.callsign_prefix} {track.channel} {track.track_id[:8]}".replace("  ", " "),
                     region, remarks, private)
    ET.SubElement(detail, "track", {"course": f"{point.course_deg:.1f}", "speed": f"{point.speed_m_s:.2f}"})
    return CotEvent(f"{settings.uid_prefix}.track.{track.track_id}", settings.type, settings.how,
                    lat=round(point.lat, 7), lon=round(point.lon, 7), hae=UNKNOWN,
                    ce=round(ce_from_ellipse(region, settings.ce_confidence), 1), le=UNKNOWN, detail=detail,
                    **_times(point.time_s, now_s, settings, ended))
