"""``GET /api/v1/localizations/{id}/overlays``: what each measurement of a stored localization says,
as GeoJSON (``heimdall.locate.overlays``): bearing lines and ±1σ wedges, TDoA hyperbolas and ±1σ
bands, power and arrival-time range rings, receivers with outlier reasons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from heimdall.api.deps import Localizations
from heimdall.locate.overlays import result_overlays

router = APIRouter(tags=["localization"])


class OverlayFeature(BaseModel):
    type: str
    geometry: dict[str, Any]
    properties: dict[str, Any]


class OverlayCollection(BaseModel):
    type: str
    features: list[OverlayFeature]


@router.get("/localizations/{localization_id}/overlays", response_model=OverlayCollection,
            responses={200: {"content": {"application/geo+json": {}}}})
async def get_localization_overlays(
    localization_id: str, service: Localizations
) -> JSONResponse:
    stored = await run_in_threadpool(service.get, localization_id)
    collection = await run_in_threadpool(result_overlays, stored["request"], stored)
    return JSONResponse(collection, media_type="application/geo+json")
