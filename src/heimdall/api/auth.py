"""Who a request or socket acts as: an API token (``Authorization: Bearer``) or the session cookie.

The session cookie (``heimdall_session``) is HttpOnly, SameSite=Strict; its partner ``heimdall_csrf``
is readable by the web app, which echoes it in ``X-CSRF-Token`` on every write (CSRF defence; the
server compares it with the digest stored on the session). Tokens never travel in URLs.
"""

from __future__ import annotations

import asyncio
from http.cookies import CookieError, SimpleCookie

from starlette.types import Scope

from heimdall.platform.root import Platform
from heimdall.services.users import Principal
from heimdall.services.users.digests import same_digest

SESSION_COOKIE = "heimdall_session"
CSRF_COOKIE = "heimdall_csrf"
CSRF_HEADER = "x-csrf-token"
MAX_HEADER_CHARS = 4096


def header(scope: Scope, name: str) -> str | None:
    raw = dict(scope.get("headers") or []).get(name.encode())
    return raw.decode("latin-1")[:MAX_HEADER_CHARS] if raw is not None else None


def cookie(scope: Scope, name: str) -> str | None:
    text = header(scope, "cookie")
    if not text:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(text)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def bearer_token(scope: Scope) -> str | None:
    value = header(scope, "authorization")
    if value is None:
        return None
    kind, _, token = value.partition(" ")
    return token.strip() if kind.lower() == "bearer" and token.strip() else ""


def presented_credentials(scope: Scope) -> bool:
    return bearer_token(scope) is not None or cookie(scope, SESSION_COOKIE) is not None


async def authenticate(scope: Scope, platform: Platform | None) -> Principal | None:
    """The principal the request's credentials prove (a token wins over a cookie); None otherwise."""
    if platform is None:
        return None
    token = bearer_token(scope)
    if token is not None:
        return await asyncio.to_thread(platform.identity.tokens.verify, token) if token else None
    session = cookie(scope, SESSION_COOKIE)
    if session is not None:
        return await asyncio.to_thread(platform.identity.sessions.verify, session)
    return None


def csrf_ok(scope: Scope, principal: Principal) -> bool:
    """Whether a cookie-authenticated write carries its session's CSRF token (others need none)."""
    if principal.via != "session" or principal.csrf_hash is None:
        return True
    presented = header(scope, CSRF_HEADER)
    return bool(presented) and same_digest(presented or "", principal.csrf_hash)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""
