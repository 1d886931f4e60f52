"""``/api/v1/networks``: named, ordered groups of receivers (CONTRACT section 2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.deps import Networks
from heimdall.api.pagination import Page, page_params
from heimdall.api.routes.receivers import Receiver, Timestamp
from heimdall.config_fields import NumbersNotBooleans

router = APIRouter(prefix="/networks", tags=["networks"])


class NetworkCreate(NumbersNotBooleans):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    receiver_ids: list[str] = Field(default_factory=list)


class NetworkUpdate(NumbersNotBooleans):
    """A partial update; ``receiver_ids``, when sent, replaces the membership in that order."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    description: str | None = None
    receiver_ids: list[str] | None = None


class Network(BaseModel):
    id: str
    name: str
    description: str
    receiver_ids: list[str]
    receivers: list[Receiver]
    created_at: Timestamp
    updated_at: Timestamp


class NetworkPage(BaseModel):
    items: list[Network]
    total: int



@router.get("", response_model=NetworkPage)
def list_networks(service: Networks, page: Annotated[Page, Depends(page_params)]) -> dict[str, Any]:
    return service.list(offset=page.offset, limit=page.limit)


@router.post("", response_model=Network, status_code=201)
def create_network(body: NetworkCreate, service: Networks) -> dict[str, Any]:
    return service.create(body.model_dump())


@router.get("/{network_id}", response_model=Network)
def get_network(network_id: str, service: Networks) -> dict[str, Any]:
    return service.get(network_id)


@router.patch("/{network_id}", response_model=Network)
def update_network(network_id: str, body: NetworkUpdate, service: Networks) -> dict[str, Any]:
    return service.update(network_id, body.model_dump(exclude_unset=True))


@router.delete("/{network_id}", status_code=204)
def delete_network(network_id: str, service: Networks) -> None:
    service.delete(network_id)
