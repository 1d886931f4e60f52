"""``/api/v1/auth``: sign in (session cookie + CSRF token), sign out, who am I, one-time login links."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from heimdall.api.auth import CSRF_COOKIE, SESSION_COOKIE, client_address, cookie
from heimdall.api.deps import AppSettings, Audit, CurrentPrincipal, IdentityServices
from heimdall.errors import Conflict, TooManyRequests, Unauthorized
from heimdall.services.audit import AuditService
from heimdall.services.users import Identity, Principal
from heimdall.services.users.throttle import LoginThrottle
from heimdall.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])
WRONG_CREDENTIALS = "wrong user name or password"


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    name: str
    role: str
    via: str = Field(description="session, token, or local (authentication turned off)")
    auth_enabled: bool


class LoginResult(BaseModel):
    user: Me
    csrf_token: str = Field(description="Echo it in X-CSRF-Token on every write (also in the heimdall_csrf cookie)")


@router.post("/login", response_model=LoginResult)
async def login(body: Login, request: Request, response: Response, identity: IdentityServices, audit: Audit,
                settings: AppSettings) -> dict[str, Any]:
    if not settings.auth_enabled:
        raise Conflict("authentication is turned off on this server")
    throttle: LoginThrottle = request.app.state.login_throttle
    keys = (f"client:{client_address(request.scope)}", f"user:{body.name.lower()}")
    wait_s = throttle.retry_after_s(*keys)
    if wait_s > 0:
        raise TooManyRequests(f"too many failed sign-ins: try again in {int(wait_s) + 1} s",
                              details={"retry_after_s": int(wait_s) + 1})
    principal = await asyncio.to_thread(identity.users.authenticate, body.name, body.password)
    if principal is None:
        throttle.failed(*keys)
        await asyncio.to_thread(_record_failure, audit, body.name, request)
        raise Unauthorized(WRONG_CREDENTIALS)
    throttle.succeeded(*keys)
    await asyncio.to_thread(audit.record, actor=principal.name, via="password", action="auth.login",
                            target=request.url.path, status=200, client=client_address(request.scope))
    return await open_session(principal, identity, settings, response)


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, identity: IdentityServices) -> None:
    value = cookie(request.scope, SESSION_COOKIE)
    principal = await asyncio.to_thread(identity.sessions.verify, value) if value else None
    if principal is not None and principal.session_id is not None:
        await asyncio.to_thread(identity.sessions.close, principal.session_id)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="strict")


class SignInOptions(BaseModel):
    auth_enabled: bool
    oidc_login_url: str | None = Field(description="Where single sign-on starts; null when not configured")


@router.get("/options", response_model=SignInOptions)
def sign_in_options(settings: AppSettings) -> dict[str, Any]:
    """How this server lets people sign in (public: the login page asks before anyone has signed in)."""
    oidc = settings.auth_enabled and bool(settings.oidc_issuer)
    return {"auth_enabled": settings.auth_enabled, "oidc_login_url": "/api/v1/auth/oidc/login" if oidc else None}


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str | None = Field(default=None, max_length=1024, description="Required once you have one")
    new_password: str = Field(min_length=10, max_length=1024)


@router.put("/password", status_code=204)
async def change_password(body: PasswordChange, request: Request, principal: CurrentPrincipal,
                          identity: IdentityServices, audit: Audit) -> None:
    """Set your own password (e.g. after signing in through the first start's one-time link)."""
    if principal.user_id is None:
        raise Conflict("authentication is turned off on this server")
    await asyncio.to_thread(identity.users.change_own_password, principal.user_id, body.current_password,
                            body.new_password)
    await asyncio.to_thread(audit.record, actor=principal.name, via=principal.via, action="auth.password",
                            target=request.url.path, status=204, client=client_address(request.scope))


@router.get("/me", response_model=Me)
def me(principal: CurrentPrincipal, settings: AppSettings) -> dict[str, Any]:
    return _me(principal, settings)


@router.get("/link", response_class=RedirectResponse, status_code=303,
            responses={401: {"description": "unknown, used or expired link"}})
async def use_login_link(identity: IdentityServices, settings: AppSettings,
                         token: str = Query(min_length=1, max_length=200)) -> Response:
    """A one-time login link (printed by the first ``heimdall serve``): a session, then the web app."""
    principal = await asyncio.to_thread(identity.sessions.consume_link, token)
    if principal is None:
        raise Unauthorized("this login link is unknown, used or expired")
    redirect = RedirectResponse("/", status_code=303)
    await open_session(principal, identity, settings, redirect)
    return redirect


async def open_session(principal: Principal, identity: Identity, settings: Settings,
                        response: Response) -> dict[str, Any]:
    assert principal.user_id is not None
    session_value, csrf = await asyncio.to_thread(identity.sessions.open, principal.user_id)
    max_age = int(settings.session_ttl_s)
    response.set_cookie(SESSION_COOKIE, session_value, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=settings.cookie_secure)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, path="/", httponly=False, samesite="strict",
                        secure=settings.cookie_secure)
    return {"user": _me(principal, settings), "csrf_token": csrf}


def _me(principal: Principal, settings: Settings) -> dict[str, Any]:
    return {"name": principal.name, "role": principal.role, "via": principal.via,
            "auth_enabled": settings.auth_enabled}


def _record_failure(audit: AuditService, name: str, request: Request) -> None:
    audit.record(actor=name[:64], via="password", action="auth.login_failed", target=request.url.path,
                 status=401, client=client_address(request.scope))
