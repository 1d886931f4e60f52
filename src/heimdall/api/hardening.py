"""Host allow-list, Origin checks and security headers (docs/security.md, "Cross-site defences").

``Hardening`` is plain ASGI around everything: a request whose ``Host`` header names no allowed host
is refused (400, or a closed socket) before any route sees it, which defeats DNS rebinding; every
HTTP response gets the security headers, the web app's strict Content-Security-Policy included.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heimdall.api.errors import error_body
from heimdall.api.middleware import reply_json
from heimdall.services.maps.layers import PUBLIC_SOURCES
from heimdall.settings import Settings

WILDCARD = "*"


def allowed_host_names(settings: Settings) -> frozenset[str]:
    """The Host names served: the setting, plus the listening address when it is a specific one."""
    names = {name.strip().lower().strip("[]") for name in settings.allowed_hosts if name.strip()}
    host = settings.host.strip().lower().strip("[]")
    if host and host not in ("0.0.0.0", "::"):
        names.add(host)
    return frozenset(names)


def host_name(host_header: str) -> str:
    """The name in a Host header, without port and brackets, lower-case."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def origin_allowed(origin: str, host_header: str, allowed_origins: Iterable[str]) -> bool:
    """Same origin as the Host the request was sent to, or listed in ``allowed_origins``."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if parts.netloc.lower() == host_header.strip().lower():
        return True
    return origin.rstrip("/").lower() in {item.rstrip("/").lower() for item in allowed_origins}


def content_security_policy(settings: Settings) -> str:
    """Strict: own scripts only, no inline script, no framing; tile origins the operator configured."""
    extra = sorted(_tile_origins(settings))
    images = " ".join(["'self'", "data:", "blob:", *extra])
    connect = " ".join(["'self'", "data:", "blob:", *extra])  # MapLibre fetches its inline images
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; connect-src {connect}; font-src 'self' data:; worker-src 'self' blob:; "
            "child-src blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


# FastAPI's interactive API docs (/api/v1/docs) load Swagger UI from a CDN with an inline script:
# that one page gets a policy that allows them, every other response the strict one.
DOCS_PATH = "/api/v1/docs"
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
               "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def _tile_origins(settings: Settings) -> set[str]:
    sources = [source for source in settings.map_tile_sources if source.enabled]
    if settings.map_online_tiles:
        sources += list(PUBLIC_SOURCES)
    origins: set[str] = set()
    for source in sources:
        if source.kind == "style":
            origins.add("https:")  # a style names further origins (glyphs, sprites, tiles) we cannot know
        parts = urlsplit(source.url.replace("{s}", "*"))
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def security_headers(settings: Settings, policy: str | None = None) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": policy or content_security_policy(settings),
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class Hardening:
    """Refuses unknown Host headers; adds the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.hosts = allowed_host_names(settings)
        self.headers = security_headers(settings)
        self.docs_headers = security_headers(settings, DOCS_POLICY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if not self.host_allowed(scope):
            await self._refuse(scope, send)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        extra = self.docs_headers if scope.get("path") == DOCS_PATH else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *[item for item in extra if item[0] not in present]]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def host_allowed(self, scope: Scope) -> bool:
        if WILDCARD in self.hosts:
            return True
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        name = host_name(host)
        return name in self.hosts or _is_loopback_literal(name) and "127.0.0.1" in self.hosts

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "host not allowed"})
            return
        await reply_json(send, 400, error_body("host_not_allowed", "this server does not answer to that Host name"),
                         self.headers)


def _is_loopback_literal(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
