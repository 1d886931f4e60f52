"""``GET /api/v1/audit`` (admins only): every write and failed sign-in, newest first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from heimdall.api.deps import Audit
from heimdall.api.pagination import Page, page_params
from heimdall.api.routes.receivers import Timestamp

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditEntry(BaseModel):
    id: int
    at: Timestamp
    actor: str
    via: str
    action: str
    target: str
    status: int
    client: str
    details: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    total: int


@router.get("", response_model=AuditPage)
def list_audit(audit: Audit, page: Annotated[Page, Depends(page_params)],
               actor: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
    return audit.list(offset=page.offset, limit=page.limit, actor=actor)
