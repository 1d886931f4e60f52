"""``/api/v1/receivers``: CRUD over receivers (CONTRACT section 2). Validation is the service's."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.deps import ReceiverHealth, Receivers
from heimdall.api.pagination import Page, page_params

router = APIRouter(prefix="/receivers", tags=["receivers"])

ReceiverKind = Literal["kiwisdr", "openwebrx", "websdr", "sdr", "kraken", "simulated"]
Capability = Literal["rss", "tdoa", "aoa"]
Timing = Literal["gnss", "none"]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Antenna(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gain_dbi: float = 0.0
    type: str = "omni"


class ReceiverCreate(BaseModel):
    """A new receiver; ``capabilities`` and ``timing`` default to what its kind can deliver. A
    ``kiwisdr`` or ``openwebrx`` receiver given by its ``url`` alone gets its name, position and
    capabilities from its own status page; fields sent win over fetched ones."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    kind: ReceiverKind
    url: str | None = None
    lat: float | None = None
    lon: float | None = None
    alt_m: float = 0.0
    capabilities: list[Capability] | None = None
    timing: Timing | None = None
    noise_figure_db: float | None = None
    antenna: Antenna | None = None
    enabled: bool = True


class ReceiverUpdate(BaseModel):
    """A partial update: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    kind: ReceiverKind | None = None
    url: str | None = None
    lat: float | None = None
    lon: float | None = None
    alt_m: float | None = None
    capabilities: list[Capability] | None = None
    timing: Timing | None = None
    noise_figure_db: float | None = None
    antenna: Antenna | None = None
    enabled: bool | None = None


class Receiver(BaseModel):
    id: str
    name: str
    kind: ReceiverKind
    url: str | None
    lat: float
    lon: float
    alt_m: float
    capabilities: list[Capability]
    timing: Timing
    noise_figure_db: float | None
    antenna: Antenna | None
    enabled: bool
    health: dict[str, Any] | None
    created_at: Timestamp
    updated_at: Timestamp


class ReceiverPage(BaseModel):
    items: list[Receiver]
    total: int



@router.get("", response_model=ReceiverPage)
def list_receivers(
    service: Receivers,
    page: Annotated[Page, Depends(page_params)],
    enabled: Annotated[bool | None, Query()] = None,
) -> dict[str, Any]:
    return service.list(offset=page.offset, limit=page.limit, enabled=enabled)


@router.post("", response_model=Receiver, status_code=201)
async def create_receiver(body: ReceiverCreate, service: ReceiverHealth) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    # Unsent or null capabilities/timing mean "the kind's defaults" (or what the receiver says of itself).
    for name in ("capabilities", "timing"):
        if fields.get(name) is None:
            fields.pop(name, None)
    return await service.create(fields)


@router.post("/{receiver_id}/health/check", response_model=Receiver)
async def check_receiver_health(receiver_id: str, service: ReceiverHealth) -> dict[str, Any]:
    """Poll the receiver's status page now; the receiver with its new ``health``."""
    return await service.check(receiver_id)


@router.get("/{receiver_id}", response_model=Receiver)
def get_receiver(receiver_id: str, service: Receivers) -> dict[str, Any]:
    return service.get(receiver_id)


@router.patch("/{receiver_id}", response_model=Receiver)
def update_receiver(receiver_id: str, body: ReceiverUpdate, service: Receivers) -> dict[str, Any]:
    return service.update(receiver_id, body.model_dump(exclude_unset=True))


@router.delete("/{receiver_id}", status_code=204)
def delete_receiver(receiver_id: str, service: Receivers) -> None:
    service.delete(receiver_id)
