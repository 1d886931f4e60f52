"""Cursor-on-Target events: the ``event`` XML that TAK servers and clients exchange, and how a fix or
a track update becomes one (the mapping is explained in docs/monitoring.md).

    <event version="2.0" uid="heimdall.track.<id>" type="a-u-G" how="m-f" time=".." start=".." stale="..">
      <point lat=".." lon=".." hae="9999999.0" ce="<95 % circular error, m>" le="9999999.0"/>
      <detail>
        <contact callsign="Heimdall 145.500 7f3c"/>
        <shape><ellipse major="<95 % semi-major, m>" minor="<semi-minor, m>" angle="<major axis, deg from north>"/></shape>
        <track course="<deg from north>" speed="<m/s>"/>
        <remarks>...</remarks>
        <__heimdall monitor_id=".." track_id=".." fix_id=".." status=".." confidence="0.95" .../>
      </detail>
    </event>
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.config_fields import check_field_types, config_from_mapping, require
from heimdall.tracking.fixes import check_covariance

COT_VERSION = "2.0"
UNKNOWN = 9_999_999.0  # CoT's "not known" for hae, ce and le
HEIMDALL_DETAIL = "__heimdall"  # TAK keeps unknown detail children; the leading underscores mark a private one
TYPE_PATTERN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9._]+)*")  # a-u-G, b-m-p-s-p-i, u-d-c-e
HOW_PATTERN = re.compile(r"[a-z](?:-[a-z0-9]+)*")  # m-f, h-e, h-g-i-g-o
UID_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True, eq=False)
class CotEvent:
    uid: str
    type: str
    how: str
    time: datetime
    start: datetime
    stale: datetime
    lat: float
    lon: float
    hae: float = UNKNOWN
    ce: float = UNKNOWN
    le: float = UNKNOWN
    detail: ET.Element | None = field(default=None, repr=False)
    version: str = COT_VERSION

    def to_xml(self) -> bytes:
        root = ET.Element("event", {
            "version": self.version, "uid": self.uid, "type": self.type, "how": self.how,
            "time": format_time(self.time), "start": format_time(self.start), "stale": format_time(self.stale)})
        ET.SubElement(root, "point", {name: repr(float(getattr(self, name))) for name in ("lat", "lon", "hae", "ce", "le")})
        if self.detail is not None:
            root.append(self.detail)
        body = ET.tostring(root, encoding="utf-8", xml_declaration=False)
        return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + bytes(body)

    @property
    def remarks(self) -> str | None:
        node = None if self.detail is None else self.detail.find("remarks")
        return None if node is None else (node.text or "")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for ``heimdall cot listen --json``): attributes, point, and the detail's children
        (a child's attributes, its children's attributes by tag, its text; a repeated tag becomes a list)."""
        detail: dict[str, Any] = {}
        for child in [] if self.detail is None else list(self.detail):
            entry: dict[str, Any] = dict(child.attrib)
            entry.update({grand.tag: dict(grand.attrib) for grand in child})
            if child.text and child.text.strip():
                entry["text"] = child.text
            if child.tag in detail:
                earlier = detail[child.tag]
                detail[child.tag] = [*(earlier if isinstance(earlier, list) else [earlier]), entry]
            else:
                detail[child.tag] = entry
        return {"version": self.version, "uid": self.uid, "type": self.type, "how": self.how,
                "time": format_time(self.time), "start": format_time(self.start), "stale": format_time(self.stale),
                "point": {"lat": self.lat, "lon": self.lon, "hae": self.hae, "ce": self.ce, "le": self.le},
                "detail": detail}


def format_time(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z, as TAK writes it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc(time_s: float) -> datetime:
    """Unix seconds -> an aware UTC datetime, to the millisecond (what the XML carries)."""
    return datetime.fromtimestamp(round(time_s, 3), UTC)


def circular_error_m(covariance_enu_m2: NDArray[np.float64] | list[list[float]], confidence: float) -> float:
    """Radius of the circle about the estimate that holds ``confidence`` of a Gaussian position error.

    With the covariance's eigenvalues l1 >= l2, P(|x| <= r) = mean over phi of
    1 - exp(-r^2 / (2 (l1 cos^2 phi + l2 sin^2 phi))) (a chi-square radius in whitened polar coordinates);
    it is solved (Brent) between the circles inside and around the ``confidence`` ellipse.
    """
    from scipy.optimize import brentq  # here: the CoT listener never computes a circular error

    eigenvalues = np.linalg.eigvalsh(check_covariance(covariance_enu_m2))
    k2 = -2.0 * math.log(1.0 - confidence)
    low, high = math.sqrt(k2 * eigenvalues[0]), math.sqrt(k2 * eigenvalues[1])
    if high - low <= 1e-9 * high:
        return high  # circular: the Rayleigh quantile
    phi = (np.arange(256) + 0.5) * (0.5 * math.pi / 256)  # a quarter turn is enough by symmetry
    spread = eigenvalues[1] * np.cos(phi) ** 2 + eigenvalues[0] * np.sin(phi) ** 2

    def excess(radius: float) -> float:
        return float(np.mean(1.0 - np.exp(-(radius**2) / (2.0 * spread)))) - confidence

    return float(brentq(excess, low, high, xtol=1e-9 * high, rtol=1e-12))


@dataclass(frozen=True)
class CotSettings:
    """How Heimdall's fixes and tracks appear on a TAK map (per monitor)."""

    type: str = "a-u-G"  # an atom of unknown affiliation on the ground: TAK's yellow "unknown" marker
    how: str = "m-f"  # machine-made, fused from several sensors (not "m-g": no GPS saw the emitter)
    stale_s: float = 900.0  # how long TAK shows a fix or track without news (the tracker's max_coast_s)
    ce_confidence: float = 0.95  # which circular error ce carries (the CoT schema's own convention is 1 sigma)
    uid_prefix: str = "heimdall"
    callsign_prefix: str = "Heimdall"

    def __post_init__(self) -> None:
        check_field_types(self)
        require(bool(TYPE_PATTERN.fullmatch(self.type)), "type", "must be a CoT type such as a-u-G")
        require(bool(HOW_PATTERN.fullmatch(self.how)), "how", "must be a CoT how such as m-f")
        require(1.0 <= self.stale_s <= 7 * 86400, "stale_s", "must lie between 1 s and a week")
        require(0.0 < self.ce_confidence < 1.0, "ce_confidence", "must lie strictly between 0 and 1")
        require(bool(UID_PREFIX_PATTERN.fullmatch(self.uid_prefix)), "uid_prefix", "must be letters, digits, . _ -")

    @classmethod
    def from_mapping(cls, data: object) -> CotSettings:
        return config_from_mapping(cls, data, "cot")

