"""A receiver's health and self-description from its own status page (KiwiSDR ``/status``, OpenWebRX
``/status.json``), as plain dictionaries a service stores on the receiver.

    probe = await probe_receiver("kiwisdr", url, timeout_s=5, max_bytes=64 * 1024, user_agent=...)
    probe.info      # receiver fields: name, kind, url, lat, lon, alt_m, capabilities, timing
    probe.health    # HEALTH_KEYS: ok, status, reason, gnss, users, free_slots, tdoa_ready, ...
    failed_health(refusal)   # the health of a receiver that does not answer as its kind

Pure: no clock (the caller stamps ``checked_at``), no database, no settings. What counts as GNSS good
enough for TDoA and as room for one more user is decided here (docs/receivers.md, "Health").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from heimdall.errors import InvalidInput
from heimdall.receivers.http_status import get_capped
from heimdall.receivers.kiwisdr.endpoints import parse_address
from heimdall.receivers.kiwisdr.status import MIN_SATELLITES, KiwiStatus, parse_status, receiver_info
from heimdall.receivers.openwebrx import status as owrx
from heimdall.receivers.states import ReceiverRefused, RefusalReason

PROBED_KINDS = ("kiwisdr", "openwebrx")
HEALTH_KEYS = ("ok", "status", "reason", "refusal", "gnss", "gps_fix", "gps_satellites", "gps_fixes",
               "gps_fixes_per_min", "users", "users_max", "free_slots", "can_take_user", "uptime_s", "antenna",
               "location", "version", "password_required", "tdoa_ready", "tdoa_reason")
# Stored with every check, but drifting from one minute to the next: not a change of health.
VOLATILE_KEYS = frozenset({"checked_at", "last_ok_at", "uptime_s", "gps_fixes", "gps_fixes_per_min",
                           "gps_satellites"})
TDOA_READY_REASON = "GNSS fix from at least 4 satellites in the last minute, sample timestamps on"


@dataclass(frozen=True)
class ReceiverProbe:
    info: dict[str, Any]  # receiver fields the status fills in (lat/lon absent when it publishes none)
    health: dict[str, Any]  # HEALTH_KEYS


async def probe_receiver(kind: str, url: str, *, timeout_s: float, max_bytes: int, user_agent: str,
                         client: httpx.AsyncClient | None = None) -> ReceiverProbe:
    """Fetch and read the status page of a ``kind`` receiver at ``url``; ``InvalidInput`` for a URL that
    is not one, ``ReceiverRefused`` when it does not answer as that kind."""
    if kind not in PROBED_KINDS:
        raise InvalidInput(f"only {' and '.join(PROBED_KINDS)} receivers publish a status page", field="kind")
    own = client is None
    http = client or httpx.AsyncClient(timeout=timeout_s, follow_redirects=True, max_redirects=3)
    try:
        if kind == "kiwisdr":
            return await _probe_kiwi(http, url, timeout_s, max_bytes, user_agent)
        return await _probe_openwebrx(http, url, timeout_s, max_bytes, user_agent)
    finally:
        if own:
            await http.aclose()


async def _probe_kiwi(http: httpx.AsyncClient, url: str, timeout_s: float, max_bytes: int,
                      user_agent: str) -> ReceiverProbe:
    status_url = parse_address(url).status_url
    body = await get_capped(http, status_url, max_bytes, user_agent, timeout_s)
    status = parse_status(body.decode("utf-8", errors="replace"), source=status_url)
    info = {key: value for key, value in receiver_info(status, url).receiver_fields().items() if value is not None}
    return ReceiverProbe(info, kiwi_health(status))


async def _probe_openwebrx(http: httpx.AsyncClient, url: str, timeout_s: float, max_bytes: int,
                           user_agent: str) -> ReceiverProbe:
    base_url = _http_url(url)
    status_url = owrx.status_url(base_url)
    body = await get_capped(http, status_url, max_bytes, user_agent, timeout_s)
    try:
        status = owrx.parse_status(json.loads(body))
    except (ValueError, RecursionError, InvalidInput) as exc:
        reason = exc.message if isinstance(exc, InvalidInput) else "not JSON"
        raise ReceiverRefused(RefusalReason.NOT_THIS_KIND, f"{status_url} is not an OpenWebRX status ({reason})") from exc
    return ReceiverProbe({**status.receiver_info(), "url": base_url}, openwebrx_health(status))


def kiwi_health(status: KiwiStatus) -> dict[str, Any]:
    """Health of a KiwiSDR that answered; ``status`` is ``ok``, ``degraded`` (GNSS not good enough for
    TDoA, or no room for one more user) or ``down`` (it says it is offline)."""
    fix = (status.fixes_min or 0) > 0 if status.fixes_min is not None else (status.gps_good or 0) >= MIN_SATELLITES
    gnss = _gnss_class(fix, status.gps_good)
    free, room = _slots(status.users, status.users_max)
    offline = status.offline or status.status == "offline"
    tdoa_reason = _kiwi_tdoa_blocker(status, gnss, offline)
    health = {**blank_health(), "ok": not offline, "gnss": gnss, "gps_fix": fix, "gps_satellites": status.gps_good,
              "gps_fixes": status.fixes, "gps_fixes_per_min": status.fixes_min, "users": status.users,
              "users_max": status.users_max, "free_slots": free, "can_take_user": room, "uptime_s": status.uptime_s,
              "antenna": status.antenna, "location": status.location, "version": status.sw_version,
              "password_required": status.password_required, "tdoa_ready": tdoa_reason is None, "tdoa_reason": tdoa_reason or TDOA_READY_REASON}
    return _with_status(health, "the receiver reports itself offline" if offline else tdoa_reason)


def openwebrx_health(status: owrx.OpenWebRxStatus) -> dict[str, Any]:
    """Health of an OpenWebRX that answered: it has no GNSS time, so it is never TDoA-ready (RSS only)."""
    free, room = _slots(status.users, status.max_users)
    health = {**blank_health(), "ok": True, "gnss": "none", "gps_fix": False, "users": status.users,
              "users_max": status.max_users, "free_slots": free, "can_take_user": room, "location": status.location,
              "version": status.version, "tdoa_ready": False,
              "tdoa_reason": "OpenWebRX sends no GNSS sample timestamps (RSS only)"}
    return _with_status(health, None)


def failed_health(refused: ReceiverRefused) -> dict[str, Any]:
    """Health of a receiver that did not answer as its kind: ``ok`` false, the refusal as the reason."""
    reason = refused.details.get("reason") if isinstance(refused.details, dict) else None
    return {**blank_health(), "ok": False, "status": "down", "reason": refused.message, "refusal": reason,
            "gnss": "none", "gps_fix": False, "tdoa_ready": False,
            "tdoa_reason": f"it does not answer: {refused.message}"}


def blank_health() -> dict[str, Any]:
    return dict.fromkeys(HEALTH_KEYS)


def health_changed(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether ``new`` says something ``old`` did not, drifting numbers (``VOLATILE_KEYS``) aside."""
    if not isinstance(old, dict):
        return True
    keys = (set(old) | set(new)) - VOLATILE_KEYS
    return any(old.get(key) != new.get(key) for key in keys)


def _gnss_class(fix: bool, satellites: int | None) -> str:
    if fix and (satellites or 0) >= MIN_SATELLITES:
        return "ok"
    return "weak" if fix or (satellites or 0) > 0 else "none"


def _slots(users: int | None, users_max: int | None) -> tuple[int | None, bool | None]:
    """Free channels, and whether one more user (us) still leaves one free for the owner's other listeners."""
    if users is None or users_max is None:
        return None, None
    free = max(users_max - users, 0)
    return free, free >= 2


def _kiwi_tdoa_blocker(status: KiwiStatus, gnss: str, offline: bool) -> str | None:
    if offline:
        return "the receiver is offline"
    if status.tdoa_ch is not None and status.tdoa_ch < 0:
        return "the operator switched GNSS sample timestamps off (tdoa_ch=-1)"
    if gnss == "none":
        return "no GNSS fix"
    if (status.gps_good or 0) < MIN_SATELLITES:
        return f"only {status.gps_good or 0} satellites in the GNSS solution (TDoA needs {MIN_SATELLITES})"
    if gnss != "ok":
        return "no GNSS fix in the last minute"
    return None


def _with_status(health: dict[str, Any], problem: str | None) -> dict[str, Any]:
    if not health["ok"]:
        return {**health, "status": "down", "reason": problem}
    if problem is None and health["can_take_user"] is False:
        problem = f"{health['free_slots']} free channel(s): taking one would leave none for others"
    return {**health, "status": "degraded" if problem else "ok", "reason": problem}


def _http_url(url: str) -> str:
    text = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise InvalidInput(f"{url!r} is not a valid URL ({exc})", field="url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r}: an OpenWebRX URL must be http(s)://host[:port][/path]", field="url")
    if parts.username or parts.password:
        raise InvalidInput(f"{url!r}: credentials in the URL are not supported", field="url")
    return text.rstrip("/")
