"""``/api/v1/references``: reference transmitters, known emitters for calibration (docs/calibration.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from heimdall.api.deps import References
from heimdall.api.pagination import Page, page_params
from heimdall.api.routes.receivers import Timestamp

router = APIRouter(prefix="/references", tags=["references"])

ReferenceKind = Literal["time_signal", "broadcast", "beacon", "test", "other"]


class ReferenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    kind: ReferenceKind = "other"
    lat: float
    lon: float
    alt_m: float = 0.0
    frequencies_hz: list[float]
    eirp_dbm: float | None = None
    eirp_sigma_db: float | None = None
    position_sigma_m: float = 0.0
    source: str = ""
    notes: str = ""
    enabled: bool = True


class ReferenceUpdate(BaseModel):
    """A partial update: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    kind: ReferenceKind | None = None
    lat: float | None = None
    lon: float | None = None
    alt_m: float | None = None
    frequencies_hz: list[float] | None = None
    eirp_dbm: float | None = None
    eirp_sigma_db: float | None = None
    position_sigma_m: float | None = None
    source: str | None = None
    notes: str | None = None
    enabled: bool | None = None


class Reference(BaseModel):
    id: str
    name: str
    kind: ReferenceKind
    lat: float
    lon: float
    alt_m: float
    frequencies_hz: list[float]
    eirp_dbm: float | None
    eirp_sigma_db: float | None
    position_sigma_m: float
    source: str
    notes: str
    builtin: bool
    enabled: bool
    created_at: Timestamp
    updated_at: Timestamp


class ReferencePage(BaseModel):
    items: list[Reference]
    total: int


@router.get("", response_model=ReferencePage)
def list_references(
    service: References, page: Annotated[Page, Depends(page_params)],
    frequency_hz: Annotated[float | None, Query(gt=0, description="Only references sending near this")] = None,
    tolerance_hz: Annotated[float, Query(ge=0, le=1e6, description="How near, in Hz")] = 1000.0,
) -> dict[str, Any]:
    return service.list(offset=page.offset, limit=page.limit, frequency_hz=frequency_hz, tolerance_hz=tolerance_hz)


@router.post("", response_model=Reference, status_code=201)
def create_reference(body: ReferenceCreate, service: References) -> dict[str, Any]:
    return service.create(body.model_dump())


@router.get("/{reference_id}", response_model=Reference)
def get_reference(reference_id: str, service: References) -> dict[str, Any]:
    return service.get(reference_id)


@router.patch("/{reference_id}", response_model=Reference)
def update_reference(reference_id: str, body: ReferenceUpdate, service: References) -> dict[str, Any]:
    return service.update(reference_id, body.model_dump(exclude_unset=True))


@router.delete("/{reference_id}", status_code=204)
def delete_reference(reference_id: str, service: References) -> None:
    service.delete(reference_id)
