"""``/api/v1/captures``: capture from real receivers (CONTRACT section 2; docs/captures.md).

``POST /captures`` answers 202 with the capture and its job (kind ``capture``; cancel through
``/jobs/{id}/cancel``, pause answers 409). Validation and the per-host budget are the service's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.deps import Captures
from heimdall.api.pagination import Page, page_params
from heimdall.rf.spectrogram import MAX_NFFT, MIN_NFFT

router = APIRouter(prefix="/captures", tags=["captures"])

ReceiverState = Literal["pending", "connecting", "waiting_gnss", "recording", "done", "failed", "excluded"]


class CaptureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receiver_ids: list[str] | None = Field(default=None, description="KiwiSDR receivers (or network_id)")
    network_id: str | None = None
    frequency_hz: float = Field(description="0 < f <= 30 MHz")
    duration_s: float = Field(description="0 < d <= the server's limit (default 60 s)")
    passband_hz: float | None = Field(default=None, description="IQ passband (default 10000)")
    start_at: str | None = Field(default=None, description="ISO-8601 UTC, in the future and within 1 h")
    locate: bool = True


class CapturePlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receiver_ids: list[str] | None = None
    network_id: str | None = None
    frequency_hz: float


class CaptureLocate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    options: dict[str, Any] | None = Field(default=None, description="method, propagation, search_area, "
                                                                     "transmitter_alt_m (as POST /localize)")


class CaptureReceiver(BaseModel):
    model_config = ConfigDict(extra="allow")
    receiver_id: str
    name: str
    state: ReceiverState
    reason: str | None
    gnss_ok: bool
    seconds_recorded: float
    snr_db: float | None
    sample_rate_hz: float | None
    has_recording: bool


class Capture(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    created_at: str
    network_id: str | None
    receiver_ids: list[str]
    frequency_hz: float
    passband_hz: float
    duration_s: float
    start_at: str | None
    job_id: str | None
    status: str
    receivers: list[CaptureReceiver]
    used_receiver_ids: list[str]
    excluded: list[dict[str, str]]
    localization_id: str | None
    localization: dict[str, Any] | None
    error: str | None


class CapturePage(BaseModel):
    items: list[Capture]
    total: int


class CaptureWithJob(BaseModel):
    capture: Capture
    job: dict[str, Any]


class RankedReceiver(BaseModel):
    receiver_id: str
    name: str
    score: float
    gnss_ok: bool
    free_slots: int | None
    reasons: list[str]


class CapturePlan(BaseModel):
    receivers: list[RankedReceiver]
    expected_error_m: float | None
    warnings: list[str]


class CaptureSpectrogram(BaseModel):
    capture_id: str
    receiver: str
    nfft: int
    hop: int
    sample_rate_hz: float
    start_time_s: float
    full_scale_dbm: float | None
    time_s: list[float]
    frequency_hz: list[float]
    power_db: list[list[float]]


@router.post("", response_model=CaptureWithJob, status_code=202)
def create_capture(body: CaptureCreate, service: Captures) -> dict[str, Any]:
    return service.create(body.model_dump(exclude_none=True))


@router.post("/plan", response_model=CapturePlan)
def plan_capture(body: CapturePlanRequest, service: Captures) -> dict[str, Any]:
    """Rank the receivers before a capture: GNSS, free slots, the geometry's expected error."""
    return service.plan(body.model_dump(exclude_none=True))


@router.get("", response_model=CapturePage)
def list_captures(service: Captures, page: Annotated[Page, Depends(page_params)]) -> dict[str, Any]:
    return service.list(offset=page.offset, limit=page.limit)


@router.get("/{capture_id}", response_model=Capture)
def get_capture(capture_id: str, service: Captures) -> dict[str, Any]:
    return service.get(capture_id)


@router.delete("/{capture_id}", status_code=204)
def delete_capture(capture_id: str, service: Captures) -> None:
    service.delete(capture_id)


@router.get("/{capture_id}/recordings.zip", response_class=Response,
            responses={200: {"content": {"application/zip": {}}}})
def capture_recordings(capture_id: str, service: Captures) -> Response:
    return Response(service.recordings_zip(capture_id), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="capture-{capture_id}.zip"'})


@router.get("/{capture_id}/receivers/{receiver_id}/spectrogram", response_model=CaptureSpectrogram)
def capture_spectrogram(
    capture_id: str, receiver_id: str, service: Captures,
    nfft: Annotated[int, Query(ge=MIN_NFFT, le=MAX_NFFT, description="FFT size, a power of two")] = 256,
) -> dict[str, Any]:
    return service.spectrogram(capture_id, receiver_id, nfft)


@router.post("/{capture_id}/locate")
def locate_capture(capture_id: str, service: Captures, body: CaptureLocate | None = None) -> dict[str, Any]:
    """Locate again from the stored recordings; the capture's ``localization`` becomes this one."""
    return service.relocate(capture_id, body.options if body else None)
