"""The one table of who may do what, applied to every HTTP route before routing (docs/security.md).

A rule is (path prefix, role needed to read, role needed to write); the first matching prefix wins.
Reads are GET/HEAD/OPTIONS, everything else is a write. Routes added later are covered by their
prefix without any per-route code: anything under ``/api/v1`` needs at least a viewer to read and
an operator to write. ``PUBLIC`` lists the only exceptions; the web app's static files (outside
``/api``, ``/ws``, ``/metrics``) are public, ``/ws`` checks its own credentials (api/ws.py).

``AccessControl`` (plain ASGI) authenticates, answers 401/403 in the one error shape, checks the
Origin of every write and the CSRF token of cookie-authenticated ones, puts the principal in
``request.state.principal``, and records every write in the audit trail once the response is sent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heimdall.api.auth import authenticate, client_address, csrf_ok, header, presented_credentials
from heimdall.api.errors import error_body
from heimdall.api.hardening import origin_allowed
from heimdall.api.middleware import reply_json
from heimdall.errors import HeimdallError
from heimdall.platform.root import Platform
from heimdall.services.users import Principal
from heimdall.services.users.principal import LOCAL
from heimdall.settings import Settings

log = logging.getLogger(__name__)

API = "/api/v1"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC: frozenset[tuple[str, str]] = frozenset({
    ("GET", f"{API}/health"), ("HEAD", f"{API}/health"),
    ("POST", f"{API}/auth/login"), ("POST", f"{API}/auth/logout"), ("GET", f"{API}/auth/link"),
    ("GET", f"{API}/auth/oidc/login"), ("GET", f"{API}/auth/oidc/callback"), ("GET", f"{API}/auth/options"),
})


@dataclass(frozen=True)
class Rule:
    prefix: str
    read: str
    write: str


RULES: tuple[Rule, ...] = (
    Rule(f"{API}/users", "admin", "admin"),
    Rule(f"{API}/tokens", "admin", "admin"),
    Rule(f"{API}/audit", "admin", "admin"),
    Rule(f"{API}/auth", "viewer", "viewer"),
    Rule(API, "viewer", "operator"),
    Rule("/metrics", "viewer", "viewer"),
)
ADMIN_TOPICS = frozenset({"audit"})


def normalized(path: str) -> str:
    return "/" + "/".join(part for part in path.split("/") if part)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def needed_role(method: str, path: str) -> str | None:
    """The least role that may send ``method`` to ``path``; None for a public one."""
    path = normalized(path)
    if (method, path) in PUBLIC:
        return None
    for rule in RULES:
        if _under(path, rule.prefix):
            return rule.read if method in READ_METHODS else rule.write
    if _under(path, "/api") or _under(path, "/ws"):
        return "viewer"  # unknown API paths: still not public
    return None


def may_read_topic(principal: Principal, topic: str) -> bool:
    return principal.may("admin") if topic in ADMIN_TOPICS else principal.may("viewer")


class AccessControl:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        write = method not in READ_METHODS
        if write and not self._origin_ok(scope):
            await self._deny(scope, send, 403, "forbidden_origin", "cross-site request refused (Origin)", None)
            return
        role = needed_role(method, path)
        principal, problem = await self._resolve(scope, role, write)
        if problem is not None:
            await self._deny(scope, send, *problem, principal)
            return
        scope.setdefault("state", {})["principal"] = principal
        status = {"code": 0}

        async def send_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, send_recording)
        if write and _under(normalized(path), API) and not _under(normalized(path), f"{API}/auth"):
            await self._audit(scope, principal, status["code"])

    async def _resolve(self, scope: Scope, role: str | None,
                       write: bool) -> tuple[Principal | None, tuple[int, str, str] | None]:
        if not self.settings.auth_enabled:
            return LOCAL, None
        platform: Platform | None = scope["app"].state.platform
        try:
            principal = await authenticate(scope, platform) if presented_credentials(scope) else None
        except (HeimdallError, SQLAlchemyError) as exc:
            log.warning("authentication failed: %s", exc)
            return None, (503, "storage_error", "credentials cannot be checked right now: try again")
        if role is None:
            return principal, None
        if principal is None:
            return None, (401, "unauthorized", "sign in or send a valid API token")
        if not principal.may(role):
            return principal, (403, "forbidden", f"this needs the {role} role; you are {principal.role}")
        if write and not csrf_ok(scope, principal):
            return principal, (403, "csrf_failed", "missing or wrong X-CSRF-Token header for this session")
        return principal, None

    def _origin_ok(self, scope: Scope) -> bool:
        origin = header(scope, "origin")
        if origin is None:
            return True  # not a browser's cross-site request (browsers send Origin on every write)
        return origin_allowed(origin, header(scope, "host") or "", self.settings.allowed_origins)

    async def _deny(self, scope: Scope, send: Send, status: int, code: str, message: str,
                    principal: Principal | None) -> None:
        extra = [(b"www-authenticate", b'Bearer realm="heimdall"')] if status == 401 else []
        await reply_json(send, status, error_body(code, message), extra)
        if scope["method"] not in READ_METHODS or status == 401 and presented_credentials(scope):
            await self._audit(scope, principal, status, code)

    async def _audit(self, scope: Scope, principal: Principal | None, status: int, code: str | None = None) -> None:
        platform: Platform | None = scope["app"].state.platform
        if platform is None or not self.settings.auth_enabled:
            return  # with authentication off nobody is identified: there is no "who" to record
        try:
            await asyncio.to_thread(
                platform.audit.record, actor=principal.name if principal else "-",
                via=principal.via if principal else "none", action=scope["method"], target=normalized(scope["path"]),
                status=status, client=client_address(scope), details={"code": code} if code else None)
        except (HeimdallError, SQLAlchemyError) as exc:
            log.warning("audit record failed: %s", exc)
