"""``/api/v1/receivers/{id}/password``: set, clear, or ask whether a receiver has a password (never read it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.deps import Secrets
from heimdall.api.routes.receivers import Timestamp

router = APIRouter(prefix="/receivers", tags=["receivers"])


class PasswordSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=256, description="Stored encrypted; never returned")


class PasswordStatus(BaseModel):
    has_password: bool
    updated_at: Timestamp | None


@router.get("/{receiver_id}/password", response_model=PasswordStatus)
def password_status(receiver_id: str, secrets: Secrets) -> dict[str, Any]:
    return secrets.status(receiver_id)


@router.put("/{receiver_id}/password", response_model=PasswordStatus)
def set_password(receiver_id: str, body: PasswordSet, secrets: Secrets) -> dict[str, Any]:
    return secrets.set_password(receiver_id, body.password)


@router.delete("/{receiver_id}/password", status_code=204)
def clear_password(receiver_id: str, secrets: Secrets) -> None:
    secrets.clear_password(receiver_id)
