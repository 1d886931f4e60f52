"""Ranking receivers before a capture: can each take us (free slots), is its GNSS fit for TDoA, and what
error the geometry of the usable ones promises (the Cramer-Rao bound of the expected-accuracy map).

    plan(session, {"receiver_ids": [...], "frequency_hz": 77500})
      -> {"receivers": [{"receiver_id", "name", "score", "gnss_ok", "free_slots", "reasons"}],
          "expected_error_m": 5300.0 | None, "warnings": [...]}

Each receiver's ``/status`` is read now (all at once, a few seconds at most); a receiver that does
not answer scores 0 with the reason. ``expected_error_m`` is the median of the bound over the usable
receivers' bounding box, for nominal TDoA errors; a warning says when fewer than three are usable
or they are nearly in a line (where a TDoA fix stretches along the line).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from heimdall.errors import InvalidInput
from heimdall.geo import geodetic_to_enu
from heimdall.locate.bounds import expected_error_map
from heimdall.receivers.kiwisdr.manners import SLOTS_LEFT_FREE
from heimdall.receivers.kiwisdr.status import KiwiStatus, fetch_status, gnss_ok_for_tdoa
from heimdall.receivers.states import ReceiverRefused
from heimdall.services.captures.request import (
    MIN_TDOA_RECEIVERS,
    check_frequency,
    resolve_receivers,
    tdoa_able,
)
from heimdall.store.tables.receivers import ReceiverRow

NOMINAL_TDOA_SIGMA_S = 2.05e-7  # as the expected-accuracy map's default (RF_NOTES section 3)
STATUS_TIMEOUT_S = 5.0
COLLINEAR_RATIO = 0.1  # smallest / largest spread of the receivers' positions
MAP_RESOLUTION = 24
PAD_FRACTION = 0.25


def plan(session: Session, body: dict[str, Any], *, user_agent: str = "heimdall") -> dict[str, Any]:
    unknown = sorted(set(body) - {"receiver_ids", "network_id", "frequency_hz"})
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    check_frequency(body.get("frequency_hz"))
    _, rows = resolve_receivers(session, body)
    statuses = asyncio.run(_statuses([row.url or "" for row in rows], user_agent))
    ranked = [_rank(row, status) for row, status in zip(rows, statuses, strict=True)]
    usable = [row for row, entry in zip(rows, ranked, strict=True) if entry["score"] > 0]
    warnings = _warnings(usable)
    return {"receivers": sorted(ranked, key=lambda r: -r["score"]), "expected_error_m": expected_error_m(usable),
            "warnings": warnings}


async def _statuses(urls: list[str], user_agent: str) -> list[KiwiStatus | ReceiverRefused]:
    async def one(url: str) -> KiwiStatus | ReceiverRefused:
        try:
            return await fetch_status(url, timeout_s=STATUS_TIMEOUT_S, user_agent=user_agent)
        except ReceiverRefused as refused:
            return refused

    return list(await asyncio.gather(*(one(url) for url in urls)))


def _rank(row: ReceiverRow, status: KiwiStatus | ReceiverRefused) -> dict[str, Any]:
    entry: dict[str, Any] = {"receiver_id": row.id, "name": row.name, "score": 0.0, "gnss_ok": False,
                             "free_slots": None, "reasons": []}
    if isinstance(status, ReceiverRefused):
        entry["reasons"].append(f"status page: {status.message}")
        return entry
    reasons: list[str] = entry["reasons"]
    entry["gnss_ok"] = gnss_ok_for_tdoa(status)
    if status.users is not None and status.users_max is not None:
        entry["free_slots"] = max(status.users_max - status.users, 0)
    if status.offline or status.status == "offline":
        reasons.append("offline")
    if not entry["gnss_ok"]:
        reasons.append(f"GNSS not fit for TDoA ({status.gps_good or 0} satellites, tdoa_ch {status.tdoa_ch})")
    if entry["free_slots"] is not None and entry["free_slots"] <= SLOTS_LEFT_FREE:
        reasons.append(f"{entry['free_slots']} free slot(s): we never take the last one")
    if not tdoa_able(row):
        reasons.append("stored without GNSS timing or the tdoa capability")
    if not reasons:
        free = entry["free_slots"] if entry["free_slots"] is not None else 2
        entry["score"] = round(min(1.0, 0.5 + 0.1 * free + 0.02 * min(status.gps_good or 0, 10)), 3)
    return entry


def _warnings(usable: list[ReceiverRow]) -> list[str]:
    if len(usable) < MIN_TDOA_RECEIVERS:
        return [f"only {len(usable)} usable receiver(s): a TDoA fix needs {MIN_TDOA_RECEIVERS}"]
    if _collinearity(usable) < COLLINEAR_RATIO:
        return ["the usable receivers are nearly in a line: the fix will stretch along it"]
    return []


def _collinearity(rows: list[ReceiverRow]) -> float:
    lat0, lon0 = float(np.mean([r.lat for r in rows])), float(np.mean([r.lon for r in rows]))
    points = np.array([geodetic_to_enu(r.lat, r.lon, 0.0, lat0, lon0, 0.0)[:2] for r in rows], dtype=float)
    spread = np.linalg.svd(points - points.mean(axis=0), compute_uv=False)
    return float(spread[-1] / spread[0]) if spread[0] > 0 else 0.0


def expected_error_m(rows: list[ReceiverRow]) -> float | None:
    """Median RMS error bound over the receivers' padded bounding box; None with fewer than three."""
    if len(rows) < MIN_TDOA_RECEIVERS:
        return None
    points = [{"id": r.id, "lat": r.lat, "lon": r.lon, "alt_m": r.alt_m or 0.0} for r in rows]
    modalities = {"tdoa": {"sigma_s": NOMINAL_TDOA_SIGMA_S, "receivers": [r.id for r in rows]}}
    try:
        grid = expected_error_map(points, modalities, _area(rows), resolution=MAP_RESOLUTION)
    except InvalidInput:
        return None
    values = np.asarray(grid.rms_error_m, dtype=float)
    finite = values[np.isfinite(values)]
    return round(float(np.median(finite)), 1) if finite.size else None


def _area(rows: list[ReceiverRow]) -> dict[str, float]:
    lat = np.array([r.lat for r in rows])
    lon = np.array([r.lon for r in rows])
    pad_lat = max(PAD_FRACTION * float(np.ptp(lat)), 0.05)
    pad_lon = max(PAD_FRACTION * float(np.ptp(lon)), 0.05 / max(math.cos(math.radians(float(lat.mean()))), 0.05))
    return {"lat_min": float(lat.min()) - pad_lat, "lat_max": float(lat.max()) + pad_lat,
            "lon_min": float(lon.min()) - pad_lon, "lon_max": float(lon.max()) + pad_lon}
