"""``/api/v1/monitors``: live watches of a network's channels (docs/monitoring.md, "Monitors").

``POST /monitors`` answers 202 with the monitor and its job (kind ``monitor``); stop, pause and
resume go through ``/jobs/{id}/cancel|pause|resume``. Tracks are recomputed from the stored fixes
and the analyst's exclusions on every read. Validation is the service's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.deps import Monitors
from heimdall.api.pagination import Page, page_params

router = APIRouter(prefix="/monitors", tags=["monitors"])
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {
    "application/geo+json": {}, "application/vnd.google-earth.kml+xml": {}, "text/csv": {}}}}


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    frequency_hz: float
    passband_hz: float | None = Field(default=None, description="Default 12 500 Hz")
    threshold_db: float | None = Field(default=None, description="Open threshold over the noise floor (default 10 dB)")


class CotEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(description="udp://HOST:PORT or tcp://HOST:PORT")


class MonitorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    network_id: str
    channels: list[Channel]
    min_receivers: int | None = Field(default=None, description="Default 3")
    cot: list[CotEndpoint] | None = None
    options: dict[str, Any] | None = Field(default=None, description="Tuning: detector, grouping, tracker, "
                                           "cot_settings, poll_interval_s, reconnect_s (docs/monitoring.md)")


class ExclusionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    localization_id: str
    receiver_id: str | None = None
    note: str


class Monitor(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    created_at: str
    network_id: str | None
    channels: list[dict[str, Any]]
    min_receivers: int
    cot: list[dict[str, Any]]
    job_id: str | None
    status: str
    receivers: list[dict[str, Any]]
    counts: dict[str, int]


class MonitorPage(BaseModel):
    items: list[Monitor]
    total: int


class MonitorWithJob(BaseModel):
    monitor: Monitor
    job: dict[str, Any]


def _body(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(exclude_none=True)


@router.post("", response_model=MonitorWithJob, status_code=202)
def create_monitor(body: MonitorCreate, service: Monitors) -> dict[str, Any]:
    return service.create(_body(body))


@router.get("", response_model=MonitorPage)
def list_monitors(service: Monitors, page: Annotated[Page, Depends(page_params)]) -> dict[str, Any]:
    return service.list(offset=page.offset, limit=page.limit)


@router.get("/{monitor_id}", response_model=Monitor)
def get_monitor(monitor_id: str, service: Monitors) -> dict[str, Any]:
    return service.get(monitor_id)


@router.delete("/{monitor_id}", status_code=204)
def delete_monitor(monitor_id: str, service: Monitors) -> None:
    service.delete(monitor_id)


@router.get("/{monitor_id}/transmissions")
def list_transmissions(monitor_id: str, service: Monitors, page: Annotated[Page, Depends(page_params)]) -> dict[str, Any]:
    return service.transmissions(monitor_id, offset=page.offset, limit=page.limit)


@router.get("/{monitor_id}/tracks")
def list_tracks(monitor_id: str, service: Monitors) -> dict[str, Any]:
    return service.tracks(monitor_id)


# The suffixed paths come first: "{track_id}" alone would also match "abc.kml".
@router.get("/{monitor_id}/tracks/{track_id}.geojson", responses=EXPORT_RESPONSES)
def track_geojson(monitor_id: str, track_id: str, service: Monitors) -> Response:
    return _export(service.export_track(monitor_id, track_id, "geojson"))


@router.get("/{monitor_id}/tracks/{track_id}.kml", responses=EXPORT_RESPONSES)
def track_kml(monitor_id: str, track_id: str, service: Monitors) -> Response:
    return _export(service.export_track(monitor_id, track_id, "kml"))


@router.get("/{monitor_id}/tracks/{track_id}.csv", responses=EXPORT_RESPONSES)
def track_csv(monitor_id: str, track_id: str, service: Monitors) -> Response:
    return _export(service.export_track(monitor_id, track_id, "csv"))


@router.get("/{monitor_id}/tracks/{track_id}")
def get_track(monitor_id: str, track_id: str, service: Monitors) -> dict[str, Any]:
    return service.track(monitor_id, track_id)


@router.post("/{monitor_id}/exclusions")
def create_exclusion(monitor_id: str, body: ExclusionCreate, service: Monitors) -> dict[str, Any]:
    """Exclude a fix (or one receiver's measurements of it) from its track; the recomputed Track."""
    return service.exclude(monitor_id, _body(body))


@router.delete("/{monitor_id}/exclusions/{exclusion_id}")
def delete_exclusion(monitor_id: str, exclusion_id: str, service: Monitors) -> dict[str, Any]:
    """Undo an exclusion; the recomputed Track."""
    return service.include(monitor_id, exclusion_id)


def _export(export: tuple[Any, str, str]) -> Response:
    content, media_type, filename = export
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if isinstance(content, dict):
        return JSONResponse(content, media_type=media_type, headers=headers)
    return Response(content, media_type=media_type, headers=headers)
