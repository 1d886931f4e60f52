"""``POST /api/v1/localize`` and the stored localizations, also as GeoJSON and KML.

The body of ``/localize`` is taken as a plain JSON object and validated by
``heimdall.locate.parse_measurement_set`` alone, the same gate ``heimdall locate`` uses, so the API
and the CLI accept exactly the same documents and name bad fields the same way (``rss[2].sigma_db``).
A body over ``heimdall.locate.limits.MAX_DOCUMENT_BYTES`` is refused with 413. The localization
runs in the app's ``LocalizationRunner``: a worker thread, under the configured budget, stopped
when the client disconnects.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from heimdall.api.deps import Localizations
from heimdall.api.localization_runner import LocalizationRunner, get_localization_runner
from heimdall.api.pagination import Page, page_params
from heimdall.api.routes.receivers import Timestamp
from heimdall.errors import PayloadTooLarge
from heimdall.locate.limits import MAX_DOCUMENT_BYTES
from heimdall.services.localizations import Export

router = APIRouter(tags=["localization"])

G7_TDOA_EXAMPLE: dict[str, Any] = {
    "frequency_hz": 145_500_000,
    "receivers": [
        {"id": "rx0", "lat": 45.0, "lon": 7.5, "alt_m": 300.0},
        {"id": "rx1", "lat": 45.4497, "lon": 7.5, "alt_m": 300.0},
        {"id": "rx2", "lat": 45.2236, "lon": 8.0513, "alt_m": 300.0},
    ],
    "tdoa": [
        {"receiver": "rx1", "reference": "rx0", "tdoa_s": 2.1e-5, "sigma_s": 2.05e-7},
        {"receiver": "rx2", "reference": "rx0", "tdoa_s": -1.3e-5, "sigma_s": 2.05e-7},
    ],
    "method": "auto",
}


class Ellipse(BaseModel):
    model_config = ConfigDict(extra="allow")
    confidence: float
    semi_major_m: float | None
    semi_minor_m: float | None
    orientation_deg: float | None


class LocalizationResult(BaseModel):
    """CONTRACT section 4.2, plus the stored localization's ``id``, ``created_at`` and ``network_id``."""

    model_config = ConfigDict(extra="allow")
    id: str
    created_at: Timestamp
    network_id: str | None = None
    lat: float | None
    lon: float | None
    alt_m: float | None = None
    covariance_enu_m2: list[list[float | None]] | None = None
    ellipses: list[Ellipse] = []
    method: str
    used: dict[str, int] = {}
    outliers: list[str] = []
    gdop: float | None = None
    elapsed_ms: float | None = None
    # which stored calibration corrected the set (docs/calibration.md), or why none did
    calibration: dict[str, Any] | None = None


class LocalizationDetail(LocalizationResult):
    request: dict[str, Any]


class LocalizationPage(BaseModel):
    items: list[LocalizationResult]
    total: int


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/geo+json": {}, "application/vnd.google-earth.kml+xml": {}}},
}


async def measurement_set_size(request: Request) -> None:
    """413 for a measurement set over the documented size (the body is read once and cached)."""
    size = len(await request.body())
    if size > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(f"a measurement set may be at most {MAX_DOCUMENT_BYTES} bytes; this one is {size}",
                              details={"limit_bytes": MAX_DOCUMENT_BYTES, "size_bytes": size})


Runner = Annotated[LocalizationRunner, Depends(get_localization_runner)]


@router.post("/localize", response_model=LocalizationResult, dependencies=[Depends(measurement_set_size)])
async def localize(
    request: Request,
    service: Localizations,
    runner: Runner,
    doc: Annotated[
        dict[str, Any],
        Body(description="a measurement set (CONTRACT section 4.1)", examples=[G7_TDOA_EXAMPLE]),
    ],
    network_id: str | None = None,
) -> dict[str, Any]:
    return await runner.run(request, lambda budget: service.localize(doc, network_id=network_id, budget=budget))


@router.get("/localizations", response_model=LocalizationPage)
def list_localizations(
    service: Localizations, page: Annotated[Page, Depends(page_params)], network_id: str | None = None
) -> dict[str, Any]:
    return service.list(offset=page.offset, limit=page.limit, network_id=network_id)


# The suffixed paths come first: "{localization_id}" alone would also match "abc.geojson".
@router.get("/localizations/{localization_id}.geojson", responses=EXPORT_RESPONSES)
def get_localization_geojson(localization_id: str, service: Localizations) -> Response:
    return _export_response(service.export(localization_id, "geojson"))


@router.get("/localizations/{localization_id}.kml", responses=EXPORT_RESPONSES)
def get_localization_kml(localization_id: str, service: Localizations) -> Response:
    return _export_response(service.export(localization_id, "kml"))


@router.get("/localizations/{localization_id}", response_model=LocalizationDetail, responses=EXPORT_RESPONSES)
def get_localization(localization_id: str, service: Localizations, format: str = "json") -> Response:
    """The stored localization; ``?format=geojson`` or ``?format=kml`` export it instead."""
    return _export_response(service.export(localization_id, format))


def _export_response(export: Export) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{export.filename}"'}
    if isinstance(export.content, dict):
        return JSONResponse(export.content, media_type=export.media_type, headers=headers)
    return Response(export.content, media_type=export.media_type, headers=headers)
