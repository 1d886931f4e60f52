"""``/api/v1/users`` and ``/api/v1/tokens`` (admins only, see api/access.py): accounts and API tokens."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.deps import CurrentPrincipal, IdentityServices
from heimdall.api.pagination import Page, page_params
from heimdall.api.routes.receivers import Timestamp

router = APIRouter(tags=["users"])
Role = Literal["viewer", "operator", "admin"]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    role: Role
    password: str | None = Field(default=None, min_length=10, max_length=1024)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=1024)


class User(BaseModel):
    id: str
    name: str
    role: Role
    disabled: bool
    has_password: bool
    created_at: Timestamp
    last_login_at: Timestamp | None


class UserPage(BaseModel):
    items: list[User]
    total: int


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: Role
    user: str | None = Field(default=None, description="Whose token (default: yours)")
    expires_in_s: float | None = Field(default=90 * 24 * 3600.0, gt=0, description="null: never expires")


class Token(BaseModel):
    id: str
    name: str
    user: str
    role: Role
    prefix: str
    created_at: Timestamp
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None


class TokenCreated(BaseModel):
    token: Token
    secret: str = Field(description="The token itself: shown only in this answer")


class TokenPage(BaseModel):
    items: list[Token]
    total: int


@router.get("/users", response_model=UserPage)
def list_users(identity: IdentityServices, page: Annotated[Page, Depends(page_params)]) -> dict[str, Any]:
    return identity.users.list(offset=page.offset, limit=page.limit)


@router.post("/users", response_model=User, status_code=201)
async def create_user(body: UserCreate, identity: IdentityServices) -> dict[str, Any]:
    return await asyncio.to_thread(identity.users.create, body.name, body.role, body.password)


@router.get("/users/{name}", response_model=User)
def get_user(name: str, identity: IdentityServices) -> dict[str, Any]:
    return identity.users.get(name)


@router.patch("/users/{name}", response_model=User)
async def update_user(name: str, body: UserUpdate, identity: IdentityServices) -> dict[str, Any]:
    return await asyncio.to_thread(identity.users.update, name, role=body.role, disabled=body.disabled,
                                   password=body.password)


@router.get("/tokens", response_model=TokenPage)
def list_tokens(identity: IdentityServices, page: Annotated[Page, Depends(page_params)]) -> dict[str, Any]:
    return identity.tokens.list(offset=page.offset, limit=page.limit)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, identity: IdentityServices, principal: CurrentPrincipal) -> dict[str, Any]:
    token, secret = identity.tokens.create(body.user or principal.name, body.name, body.role, body.expires_in_s)
    return {"token": token, "secret": secret}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, identity: IdentityServices) -> None:
    identity.tokens.revoke(token_id)
