"""``/api/v1/calibrations``: receivers' systematic offsets fitted from captures of known transmitters."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict

from heimdall.api.deps import Calibrations
from heimdall.api.pagination import Page, page_params
from heimdall.api.routes.receivers import Timestamp

router = APIRouter(prefix="/calibrations", tags=["calibrations"])


class Calibration(BaseModel):
    id: str
    status: Literal["active", "rejected"]
    state: Literal["active", "stale", "rejected"]
    receiver_ids: list[str]
    quantities: list[str]
    calibration: dict[str, Any]
    evidence: list[dict[str, Any]]
    note: str
    rejected_reason: str | None
    rejected_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class CalibrationPage(BaseModel):
    items: list[Calibration]
    total: int


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str


CREATE_EXAMPLE = {"references": [{"reference_id": "<id of a reference transmitter>",
                                  "measurement_set": {"receivers": ["..."], "tdoa": ["..."]}}],
                  "quantities": ["timing_offset_s"], "note": "five DCF77 captures"}


@router.get("", response_model=CalibrationPage)
def list_calibrations(service: Calibrations, page: Annotated[Page, Depends(page_params)],
                      receiver_id: str | None = None) -> dict[str, Any]:
    return service.list(offset=page.offset, limit=page.limit, receiver_id=receiver_id)


@router.post("", response_model=Calibration, status_code=201)
def create_calibration(service: Calibrations,
                       body: Annotated[dict[str, Any], Body(examples=[CREATE_EXAMPLE])]) -> dict[str, Any]:
    return service.create(body)


@router.get("/{calibration_id}", response_model=Calibration)
def get_calibration(calibration_id: str, service: Calibrations) -> dict[str, Any]:
    return service.get(calibration_id)


@router.post("/{calibration_id}/reject", response_model=Calibration)
def reject_calibration(calibration_id: str, body: Rejection, service: Calibrations) -> dict[str, Any]:
    return service.reject(calibration_id, body.reason)


@router.delete("/{calibration_id}", status_code=204)
def delete_calibration(calibration_id: str, service: Calibrations) -> None:
    service.delete(calibration_id)
