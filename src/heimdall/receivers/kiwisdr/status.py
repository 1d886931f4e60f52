"""A KiwiSDR's ``/status`` page: fetch it, parse it, and derive the receiver's description and health.

The page is plain text, one ``key=value`` per line (``status``, ``offline``, ``name``, ``sdr_hw``,
``op_email``, ``bands=<low Hz>-<high Hz>``, ``freq_offset`` (kHz), ``users``, ``users_max``,
``preempt``, ``avatar_ctime``, ``gps=(<lat>, <lon>)``, ``gps_good`` (satellites in the solution),
``fixes``, ``fixes_min``, ``fixes_hour``, ``tdoa_id``, ``tdoa_ch`` (-1: GNSS timestamps switched off),
``asl`` (m), ``loc``, ``sw_version``, ``antenna``, ``snr=<all>,<HF>``, ``adc_ov``, ``uptime`` (s), ...).
Unknown keys are kept in ``extra``; missing ones are None. A page with almost none of these keys is
not a KiwiSDR (``NOT_THIS_KIND``). A position of (-69, 90) is the firmware's placeholder for "not set".
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import httpx

from heimdall.receivers.http_status import get_capped
from heimdall.receivers.kiwisdr.endpoints import parse_address
from heimdall.receivers.states import ReceiverRefused, RefusalReason

MAX_STATUS_BYTES = 64 * 1024
MIN_KIWI_KEYS = 4  # of _KIWI_KEYS, for a page to count as a KiwiSDR's
MIN_SATELLITES = 4
_KIWI_KEYS = frozenset({"status", "offline", "name", "sdr_hw", "users", "users_max", "gps", "gps_good", "fixes",
                        "sw_version", "antenna", "bands", "uptime", "tdoa_ch", "asl", "loc"})
_PLACEHOLDER_POSITION = (-69.0, 90.0)
_PAIR = re.compile(r"^\(?\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)?$")


@dataclass(frozen=True)
class KiwiStatus:
    status: str | None = None  # "active", "offline" or "private"
    offline: bool = False
    password_required: bool = False  # "auth=password": no channel is open without one
    name: str | None = None
    sdr_hw: str | None = None
    operator_email: str | None = None
    bands_hz: tuple[float, float] | None = None
    freq_offset_khz: float = 0.0
    users: int | None = None
    users_max: int | None = None
    preempt: int | None = None
    lat: float | None = None
    lon: float | None = None
    gps_good: int | None = None  # satellites used in the GNSS solution
    fixes: int | None = None
    fixes_min: int | None = None
    fixes_hour: int | None = None
    tdoa_id: str | None = None
    tdoa_ch: int | None = None  # channels offered for TDoA; -1: GNSS timestamps switched off
    asl_m: float | None = None
    location: str | None = None
    sw_version: str | None = None
    antenna: str | None = None
    snr_db: tuple[int, int] | None = None  # (all bands, HF)
    adc_overflows: int | None = None
    uptime_s: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KiwiHealth:
    reachable: bool
    offline: bool
    users: int | None
    users_max: int | None
    free_slots: int | None
    gnss_ok_for_tdoa: bool
    gps_good: int | None
    fixes: int | None
    fixes_min: int | None
    uptime_s: int | None


@dataclass(frozen=True)
class KiwiReceiverInfo:
    """What a receiver created from just its URL gets (CONTRACT ``/receivers`` fields)."""

    name: str
    url: str
    lat: float | None
    lon: float | None
    alt_m: float | None
    capabilities: tuple[str, ...]
    timing: str  # "gnss" or "none"
    frequency_min_hz: float | None
    frequency_max_hz: float | None
    antenna: str | None
    location: str | None
    sw_version: str | None

    def receiver_fields(self) -> dict[str, object]:
        return {"name": self.name, "kind": "kiwisdr", "url": self.url, "lat": self.lat, "lon": self.lon,
                "alt_m": self.alt_m, "capabilities": list(self.capabilities), "timing": self.timing}


def parse_status(text: str, *, source: str = "the status page") -> KiwiStatus:
    """``key=value`` lines -> KiwiStatus; ``NOT_THIS_KIND`` when it is not a KiwiSDR's page."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and key.strip() not in values:
            values[key.strip()] = value.strip()
    if len(_KIWI_KEYS & values.keys()) < MIN_KIWI_KEYS:
        raise ReceiverRefused(RefusalReason.NOT_THIS_KIND, f"{source} is not a KiwiSDR status page")
    lat_lon = _pair(values.get("gps"))
    known = _KIWI_KEYS | {"auth", "op_email", "freq_offset", "preempt", "fixes_min", "fixes_hour", "tdoa_id",
                          "snr", "adc_ov"}
    return KiwiStatus(
        status=values.get("status"), offline=values.get("offline", "no") == "yes",
        password_required=values.get("auth") == "password", name=_text(values.get("name")),
        sdr_hw=_text(values.get("sdr_hw")), operator_email=_text(values.get("op_email")),
        bands_hz=_bands(values.get("bands")), freq_offset_khz=_float(values.get("freq_offset")) or 0.0,
        users=_int(values.get("users")), users_max=_int(values.get("users_max")), preempt=_int(values.get("preempt")),
        lat=lat_lon[0] if lat_lon else None, lon=lat_lon[1] if lat_lon else None,
        gps_good=_int(values.get("gps_good")), fixes=_int(values.get("fixes")), fixes_min=_int(values.get("fixes_min")),
        fixes_hour=_int(values.get("fixes_hour")), tdoa_id=_text(values.get("tdoa_id")),
        tdoa_ch=_int(values.get("tdoa_ch")), asl_m=_float(values.get("asl")), location=_text(values.get("loc")),
        sw_version=_text(values.get("sw_version")), antenna=_text(values.get("antenna")),
        snr_db=_int_pair(values.get("snr")), adc_overflows=_int(values.get("adc_ov")),
        uptime_s=_int(values.get("uptime")), extra={k: v for k, v in values.items() if k not in known},
    )


def gnss_ok_for_tdoa(status: KiwiStatus) -> bool:
    """GNSS timestamps on (``tdoa_ch`` not -1), a solution from >= 4 satellites, and fixes recently."""
    recent = status.fixes_min if status.fixes_min is not None else status.fixes
    return (status.tdoa_ch is None or status.tdoa_ch >= 0) and (status.gps_good or 0) >= MIN_SATELLITES \
        and (recent or 0) > 0


def receiver_info(status: KiwiStatus, url: str) -> KiwiReceiverInfo:
    address = parse_address(url)
    gnss = gnss_ok_for_tdoa(status)
    low, high = status.bands_hz if status.bands_hz else (None, None)
    return KiwiReceiverInfo(
        name=status.name or address.host, url=address.base_url, lat=status.lat, lon=status.lon, alt_m=status.asl_m,
        capabilities=("rss", "tdoa") if gnss else ("rss",), timing="gnss" if gnss else "none",
        frequency_min_hz=low, frequency_max_hz=high, antenna=status.antenna, location=status.location,
        sw_version=status.sw_version,
    )


def health(status: KiwiStatus) -> KiwiHealth:
    free = None
    if status.users is not None and status.users_max is not None:
        free = max(status.users_max - status.users, 0)
    return KiwiHealth(reachable=True, offline=status.offline or status.status == "offline", users=status.users,
                      users_max=status.users_max, free_slots=free, gnss_ok_for_tdoa=gnss_ok_for_tdoa(status),
                      gps_good=status.gps_good, fixes=status.fixes, fixes_min=status.fixes_min,
                      uptime_s=status.uptime_s)


async def fetch_status(url: str, *, timeout_s: float = 5.0, max_bytes: int = MAX_STATUS_BYTES,
                       user_agent: str = "Heimdall", client: httpx.AsyncClient | None = None) -> KiwiStatus:
    """GET ``/status`` with a timeout and a size cap; ``ReceiverRefused`` (UNREACHABLE, NOT_THIS_KIND,
    PROTOCOL_ERROR) for anything but a KiwiSDR's page."""
    status_url = parse_address(url).status_url
    own = client is None
    http = client or httpx.AsyncClient(timeout=timeout_s, follow_redirects=True, max_redirects=3)
    try:
        body = await get_capped(http, status_url, max_bytes, user_agent, timeout_s)
    finally:
        if own:
            await http.aclose()
    return parse_status(body.decode("utf-8", errors="replace"), source=status_url)


async def poll_statuses(urls: Sequence[str], *, interval_s: float, rounds: int | None = None,
                        timeout_s: float = 5.0, concurrency: int = 8,
                        user_agent: str = "Heimdall") -> AsyncIterator[tuple[str, KiwiStatus | ReceiverRefused]]:
    """Every ``interval_s``, each receiver's status (or why it has none), as each answers."""
    limit = asyncio.Semaphore(concurrency)

    async def one(http: httpx.AsyncClient, url: str) -> tuple[str, KiwiStatus | ReceiverRefused]:
        async with limit:
            try:
                return url, await fetch_status(url, timeout_s=timeout_s, user_agent=user_agent, client=http)
            except ReceiverRefused as refused:
                return url, refused

    done = 0
    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=True, max_redirects=3) as http:
        while rounds is None or done < rounds:
            started = asyncio.get_running_loop().time()
            for finished in asyncio.as_completed([one(http, url) for url in urls]):
                yield await finished
            done += 1
            if rounds is None or done < rounds:
                await asyncio.sleep(max(0.0, interval_s - (asyncio.get_running_loop().time() - started)))


def _text(value: str | None) -> str | None:
    return value or None


def _float(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and abs(number) < 1e15 else None


def _int(value: str | None) -> int | None:
    number = _float(value)
    return int(number) if number is not None and number == int(number) else None


def _pair(value: str | None) -> tuple[float, float] | None:
    match = _PAIR.match(value or "")
    if not match:
        return None
    lat, lon = _float(match.group(1)), _float(match.group(2))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return None if (lat, lon) == _PLACEHOLDER_POSITION else (lat, lon)


def _int_pair(value: str | None) -> tuple[int, int] | None:
    first, sep, second = (value or "").partition(",")
    a, b = _int(first), _int(second)
    return (a, b) if sep and a is not None and b is not None else None


def _bands(value: str | None) -> tuple[float, float] | None:
    low, sep, high = (value or "").partition("-")
    lo, hi = _float(low), _float(high)
    return (lo, hi) if sep and lo is not None and hi is not None and 0 <= lo < hi else None
