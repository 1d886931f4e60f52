"""An OpenWebRX(+) receiver's ``/status.json``: who it is, where, and what each SDR profile covers.

The document (``owrx/controllers/status.py``) is ``{"receiver": {"name", "admin", "gps": {"lat",
"lon"}, "asl", "location"}, "max_clients", "version", "sdrs": [{"name", "type", "profiles": [{"name",
"center_freq", "sample_rate"}]}]}``. Releases before 1.0 name the version ``sw_version`` and add
``clients`` (the users connected now); current ones do not, so the live user count comes from the
WebSocket's ``clients`` message instead. The status is the only place that tells a profile's centre
frequency and sample rate without switching to it: the WebSocket's ``profiles`` list has ids and
names only, and a profile there is named ``"<sdr name> <profile name>"`` (``owrx/sdr.py``), which is
how :mod:`heimdall.receivers.openwebrx.profiles` joins the two.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import httpx

from heimdall.errors import InvalidInput
from heimdall.receivers.states import ReceiverRefused, RefusalReason

STATUS_PATH = "status.json"
MAX_STATUS_BYTES = 1 << 20


@dataclass(frozen=True)
class StatusProfile:
    sdr_name: str
    sdr_type: str
    name: str
    center_frequency_hz: float
    sample_rate_hz: float

    @property
    def label(self) -> str:
        """The profile's name in the WebSocket's ``profiles`` message."""
        return f"{self.sdr_name} {self.name}"


@dataclass(frozen=True)
class OpenWebRxStatus:
    name: str
    admin: str | None
    location: str | None  # free text ("Budapest, Hungary")
    lat_deg: float | None
    lon_deg: float | None
    altitude_m: float | None  # receiver_asl
    version: str | None
    max_users: int | None
    users: int | None  # only pre-1.0 releases publish it here
    profiles: tuple[StatusProfile, ...]

    def receiver_info(self) -> dict[str, Any]:
        """The fields of a receiver record (CONTRACT ``/receivers``) this status can fill in."""
        info: dict[str, Any] = {"kind": "openwebrx", "name": self.name, "capabilities": ["rss"], "timing": "none"}
        if self.lat_deg is not None and self.lon_deg is not None:
            info.update(lat=self.lat_deg, lon=self.lon_deg)
        if self.altitude_m is not None:
            info["alt_m"] = self.altitude_m
        return info


def parse_status(doc: Any) -> OpenWebRxStatus:
    """The typed status of a parsed ``/status.json``; raises InvalidInput when it is not one."""
    if not isinstance(doc, dict) or not isinstance(doc.get("receiver"), dict) or not isinstance(doc.get("sdrs"), list):
        raise InvalidInput("not an OpenWebRX status: needs a 'receiver' object and an 'sdrs' list", field="status")
    receiver = doc["receiver"]
    lat, lon = _position(receiver.get("gps"))
    return OpenWebRxStatus(
        name=_text(receiver.get("name")) or "OpenWebRX",
        admin=_text(receiver.get("admin")),
        location=_text(receiver.get("location")),
        lat_deg=lat, lon_deg=lon,
        altitude_m=_finite(receiver.get("asl")),
        version=_text(doc.get("version", doc.get("sw_version"))),
        max_users=_count(doc.get("max_clients")),
        users=_count(doc.get("clients", doc.get("users"))),
        profiles=tuple(profile for sdr in doc["sdrs"] for profile in _sdr_profiles(sdr)),
    )


async def fetch_status(base_url: str, *, client: httpx.AsyncClient, timeout_s: float = 10.0) -> OpenWebRxStatus:
    """GET ``<base_url>/status.json``; ReceiverRefused UNREACHABLE / NOT_THIS_KIND when it cannot be had."""
    url = status_url(base_url)
    try:
        response = await client.get(url, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise ReceiverRefused(RefusalReason.UNREACHABLE, f"{url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise ReceiverRefused(RefusalReason.NOT_THIS_KIND, f"{url} answered HTTP {response.status_code}")
    if len(response.content) > MAX_STATUS_BYTES:
        raise ReceiverRefused(RefusalReason.NOT_THIS_KIND, f"{url}: a status of {len(response.content)} bytes")
    try:
        return parse_status(json.loads(response.content))
    except (ValueError, InvalidInput) as exc:
        raise ReceiverRefused(RefusalReason.NOT_THIS_KIND, f"{url} is not an OpenWebRX status: {exc}") from exc


def status_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/" + STATUS_PATH


def _sdr_profiles(sdr: Any) -> list[StatusProfile]:
    if not isinstance(sdr, dict) or not isinstance(sdr.get("profiles"), list):
        return []
    sdr_name = _text(sdr.get("name")) or ""
    sdr_type = _text(sdr.get("type")) or ""
    profiles = []
    for raw in sdr["profiles"]:
        if not isinstance(raw, dict):
            continue
        center, rate = _finite(raw.get("center_freq")), _finite(raw.get("sample_rate", raw.get("samp_rate")))
        if center is None or rate is None or center <= 0 or rate <= 0:
            continue  # a profile we cannot place on the frequency axis is of no use to us
        profiles.append(StatusProfile(sdr_name, sdr_type, _text(raw.get("name")) or "", center, rate))
    return profiles


def _position(gps: Any) -> tuple[float | None, float | None]:
    if isinstance(gps, dict):
        lat, lon = _finite(gps.get("lat")), _finite(gps.get("lon"))
    elif isinstance(gps, list | tuple) and len(gps) == 2:  # very old releases: a (lat, lon) pair
        lat, lon = _finite(gps[0]), _finite(gps[1])
    else:
        return None, None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0.0, 0.0):
        return None, None  # (0, 0) is the unset default, not a receiver in the Gulf of Guinea
    return lat, lon


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    number = _finite(value)
    return int(number) if number is not None and number >= 0 and number == int(number) else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
