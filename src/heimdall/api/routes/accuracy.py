"""``GET /api/v1/networks/{id}/expected-accuracy``: the pre-run expected-error map of a network.

The answer is exactly ``heimdall.locate.bounds.expected_error_map(...).to_dict()``: ``lat`` (n),
``lon`` (n) and ``rms_error_m`` (n x n, ``rms_error_m[i][j]`` at ``lat[i]``, ``lon[j]``), the square
root of the Cramer-Rao bound's trace for a transmitter at ground level, ``null`` where the network
cannot locate at all. It is a bound for nominal measurement errors (below), not a promise.

Which receivers measure what comes from the network's enabled receivers and their capabilities:
``rss`` and ``aoa`` where the receiver lists them, ``tdoa`` (against the network's first TDoA
receiver) and ``toa`` where it lists ``tdoa`` (a receiver lists ``tdoa`` only with GNSS timing).
Without ``modalities`` every capability present in the network is used; ``toa`` only on request,
since a network's TDoA receivers give the same position information as TOA.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel

from heimdall.api.deps import Networks
from heimdall.errors import InsufficientData, InvalidInput
from heimdall.locate.bounds import expected_error_map
from heimdall.locate.grid import METRES_PER_DEG, MIN_PAD_M, PAD_FRACTION

router = APIRouter(prefix="/networks", tags=["networks"])

# Nominal 1-sigma errors (RF_NOTES section 3): RSS with 8 dB log-normal shadowing and a known
# path-loss exponent of 3; TDoA pairs 205 ns; TOA 145 ns (NBFM voice at 20 dB over 1 s plus
# 100 ns GNSS); bearings 3 degrees.
DEFAULT_RSS_SIGMA_DB = 8.0
DEFAULT_PATH_LOSS_EXPONENT = 3.0
DEFAULT_TDOA_SIGMA_S = 2.05e-7
DEFAULT_TOA_SIGMA_S = 1.45e-7
DEFAULT_AOA_SIGMA_DEG = 3.0
DEFAULT_RESOLUTION = 64
MODALITIES = ("rss", "tdoa", "toa", "aoa")
# The capability a receiver must list to take part in each modality.
CAPABILITY = {"rss": "rss", "tdoa": "tdoa", "toa": "tdoa", "aoa": "aoa"}
MIN_RECEIVERS = {"rss": 1, "tdoa": 2, "toa": 1, "aoa": 1}


class AccuracyMap(BaseModel):
    """``rms_error_m[i][j]`` is the RMS error bound in metres at ``lat[i]``, ``lon[j]``; null: not locatable."""

    lat: list[float]
    lon: list[float]
    rms_error_m: list[list[float | None]]


@router.get("/{network_id}/expected-accuracy", response_model=AccuracyMap)
def expected_accuracy(
    network_id: str,
    networks: Networks,
    resolution: Annotated[int, Query(ge=2, le=256, description="grid points per axis")] = DEFAULT_RESOLUTION,
    modalities: Annotated[str | None, Query(description="comma-separated subset of rss,tdoa,toa,aoa; "
                                                        "default: every capability of the network")] = None,
    rss_sigma_db: Annotated[float, Query(gt=0, le=40)] = DEFAULT_RSS_SIGMA_DB,
    tdoa_sigma_s: Annotated[float, Query(gt=0, le=1e-3)] = DEFAULT_TDOA_SIGMA_S,
    toa_sigma_s: Annotated[float, Query(gt=0, le=1e-3)] = DEFAULT_TOA_SIGMA_S,
    aoa_sigma_deg: Annotated[float, Query(gt=0, le=90)] = DEFAULT_AOA_SIGMA_DEG,
) -> dict[str, Any]:
    """The network's expected RMS position error over a grid around its receivers (CRLB, nominal sigmas)."""
    network = networks.get(network_id)  # 404 for an unknown network
    receivers = [r for r in network["receivers"] if r.get("enabled", True)]
    requested = parse_modalities(modalities)
    sigmas = {"rss": {"sigma_db": rss_sigma_db, "path_loss_exponent": DEFAULT_PATH_LOSS_EXPONENT},
              "tdoa": {"sigma_s": tdoa_sigma_s}, "toa": {"sigma_s": toa_sigma_s}, "aoa": {"sigma_deg": aoa_sigma_deg}}
    specs = modality_specs(receivers, requested, sigmas)
    points = [{"id": r["id"], "lat": r["lat"], "lon": r["lon"], "alt_m": r.get("alt_m") or 0.0} for r in receivers]
    try:
        return expected_error_map(points, specs, _area(points, specs), resolution=resolution).to_dict()
    except InvalidInput as exc:
        # e.g. two member receivers at the same position: the network, not the query, is at fault.
        raise type(exc)(f"network {network['name']!r} cannot be mapped: {exc.message}",
                        field="network_id", details=exc.details) from exc


def parse_modalities(raw: str | None) -> tuple[str, ...] | None:
    """``"tdoa, rss"`` -> ("tdoa", "rss"); None (absent) means: whatever the network can do."""
    if raw is None:
        return None
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [name for name in names if name not in MODALITIES]
    if unknown or not names:
        raise InvalidInput(f"modalities must be a comma-separated subset of {', '.join(MODALITIES)}"
                           + (f"; unknown: {', '.join(unknown)}" if unknown else ""), field="modalities")
    return names


def modality_specs(receivers: list[dict[str, Any]], requested: tuple[str, ...] | None,
                   sigmas: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """The ``modalities`` argument of ``expected_error_map``: each usable modality with its receivers."""
    if not receivers:
        raise InsufficientData("the network has no enabled receivers", field="network_id")
    wanted = requested or tuple(m for m in MODALITIES if m != "toa")
    specs: dict[str, dict[str, Any]] = {}
    for name in wanted:
        ids = [r["id"] for r in receivers if CAPABILITY[name] in (r.get("capabilities") or [])]
        if len(ids) >= MIN_RECEIVERS[name]:
            specs[name] = {**sigmas[name], "receivers": ids}
        elif requested is not None:
            raise InvalidInput(f"{name} needs at least {MIN_RECEIVERS[name]} enabled receiver(s) with the "
                               f"{CAPABILITY[name]!r} capability in this network, it has {len(ids)}",
                               field="modalities")
    if not specs:
        raise InsufficientData("no receiver of the network can measure anything", field="network_id")
    return specs


def _area(points: list[dict[str, Any]], specs: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The estimator's default search area (``heimdall.locate.grid.default_search_area``) for these receivers:
    their bounding box padded by PAD_FRACTION of its span on every side, at least MIN_PAD_M."""
    used = {rid for spec in specs.values() for rid in spec["receivers"]}
    lat = np.array([p["lat"] for p in points if p["id"] in used], dtype=float)
    lon = np.array([p["lon"] for p in points if p["id"] in used], dtype=float)
    cos_lat = max(math.cos(math.radians(float(lat.mean()))), 0.05)
    span_m = max(np.ptp(lat) * METRES_PER_DEG, np.ptp(lon) * METRES_PER_DEG * cos_lat)
    pad_m = max(PAD_FRACTION * span_m, MIN_PAD_M)
    pad_lat, pad_lon = pad_m / METRES_PER_DEG, pad_m / (METRES_PER_DEG * cos_lat)
    return {"lat_min": max(float(lat.min()) - pad_lat, -89.9), "lat_max": min(float(lat.max()) + pad_lat, 89.9),
            "lon_min": max(float(lon.min()) - pad_lon, -180.0), "lon_max": min(float(lon.max()) + pad_lon, 180.0)}
