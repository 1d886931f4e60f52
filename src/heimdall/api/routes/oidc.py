"""``/api/v1/auth/oidc``: single sign-on through an OpenID Connect provider (docs/security.md).

``GET /login`` sends the browser to the provider; ``GET /callback`` receives it back, checks the
``state`` against the short-lived ``heimdall_oidc`` cookie (SameSite=Lax: the provider's redirect is
a cross-site navigation), verifies the ID token, signs the user in (a session cookie, as a password
sign-in) and sends the browser to the web app. 404 ``not_found`` while no provider is configured.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from heimdall.api.auth import client_address, cookie
from heimdall.api.deps import AppSettings, Audit, IdentityServices
from heimdall.api.routes.auth import open_session
from heimdall.errors import NotFound, Unauthorized
from heimdall.services.users.oidc import OidcClient, OidcConfig
from heimdall.settings import Settings

router = APIRouter(prefix="/auth/oidc", tags=["auth"])
FLOW_COOKIE = "heimdall_oidc"
FLOW_PATH = "/api/v1/auth/oidc"
FLOW_TTL_S = 600


def _client(request: Request, settings: Settings) -> OidcClient:
    if not settings.oidc_issuer or not settings.auth_enabled:
        raise NotFound("single sign-on is not configured on this server")
    client: OidcClient | None = getattr(request.app.state, "oidc_client", None)
    if client is None:
        client = OidcClient(OidcConfig(settings.oidc_issuer, settings.oidc_client_id,
                                       settings.oidc_client_secret.get_secret_value(), settings.oidc_scopes))
        request.app.state.oidc_client = client
    return client


def _redirect_url(request: Request, settings: Settings) -> str:
    return settings.oidc_redirect_url or str(request.url_for("oidc_callback"))


@router.get("/login", response_class=RedirectResponse, status_code=303,
            responses={404: {"description": "Single sign-on is not configured on this server"}})
async def oidc_login(request: Request, settings: AppSettings) -> RedirectResponse:
    client = _client(request, settings)
    start = await asyncio.to_thread(client.start, _redirect_url(request, settings))
    response = RedirectResponse(start.url, status_code=303)
    response.set_cookie(FLOW_COOKIE, f"{start.state}.{start.nonce}.{start.verifier}", max_age=FLOW_TTL_S,
                        path=FLOW_PATH, httponly=True, samesite="lax", secure=settings.cookie_secure)
    return response


@router.get("/callback", response_class=RedirectResponse, status_code=303, name="oidc_callback",
            responses={404: {"description": "Single sign-on is not configured on this server"}})
async def oidc_callback(request: Request, settings: AppSettings, identity: IdentityServices, audit: Audit,
                        code: Annotated[str | None, Query(max_length=2000)] = None,
                        state: Annotated[str | None, Query(max_length=200)] = None,
                        error: Annotated[str | None, Query(max_length=200)] = None) -> RedirectResponse:
    client = _client(request, settings)
    nonce, verifier = _flow(request, state, error)
    claims = await asyncio.to_thread(client.finish, code or "", _redirect_url(request, settings), nonce, verifier)
    principal = await asyncio.to_thread(identity.users.sign_in_oidc, f"{claims['iss']} {claims['sub']}",
                                        claims.get(settings.oidc_username_claim), _role(claims, settings),
                                        settings.oidc_default_role)
    if principal is None:
        raise Unauthorized("this account is disabled")
    await asyncio.to_thread(audit.record, actor=principal.name, via="oidc", action="auth.login", status=200,
                            target=request.url.path, client=client_address(request.scope))
    response = RedirectResponse("/", status_code=303)
    await open_session(principal, identity, settings, response)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


def _flow(request: Request, state: str | None, error: str | None) -> tuple[str, str]:
    """(nonce, verifier) of the sign-in this browser started; Unauthorized for anything else."""
    if error is not None:
        raise Unauthorized(f"the identity provider did not sign you in ({error})")
    parts = (cookie(request.scope, FLOW_COOKIE) or "").split(".")
    if len(parts) != 3 or not state or not hmac.compare_digest(parts[0], state):
        raise Unauthorized("this sign-in was not started here, or it expired: start again")
    return parts[1], parts[2]


def _role(claims: dict[str, Any], settings: Settings) -> str | None:
    if not settings.oidc_role_claim:
        return None
    value = claims.get(settings.oidc_role_claim)
    values = value if isinstance(value, list) else [value]
    ranked = [role for role in ("admin", "operator", "viewer") if role in values]
    return ranked[0] if ranked else None
