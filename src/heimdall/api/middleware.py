"""ASGI middleware: request ids with one structured log line per request, and the body-size limit.

Both are plain ASGI (not BaseHTTPMiddleware) so WebSocket traffic and streaming bodies pass through
untouched.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heimdall.api.errors import error_body

log = structlog.get_logger("heimdall.api.access")


class RequestContext:
    """Gives every request an id (``X-Request-ID`` in and out), bound into every log line it causes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                if scope["type"] == "http":
                    log.info("request", method=scope.get("method"), path=scope.get("path"), status=status["code"],
                             duration_ms=round((time.perf_counter() - started) * 1000, 2))


class BodySizeLimit:
    """413 for bodies over ``max_body_bytes`` (or a path's own limit in ``path_limits``, e.g. uploads):
    at once from Content-Length, else while streaming."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, path_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path_limits = path_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope.get("path", ""), self.max_body_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            problem = self._check_declared(declared, limit)
            if problem is not None:
                await reply_json(send, *problem)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body parsing: FastAPI re-raises HTTPException as is.
                    raise HTTPException(413, self._too_large(limit))
            return message

        await self.app(scope, limited_receive, send)

    def _check_declared(self, declared: bytes, limit: int) -> tuple[int, dict[str, Any]] | None:
        try:
            length = int(declared)
        except ValueError:
            return 400, error_body("bad_request", "invalid Content-Length header")
        if length > limit:
            return 413, error_body("payload_too_large", self._too_large(limit))
        return None

    def _too_large(self, limit: int) -> str:
        return f"request body exceeds the limit of {limit} bytes"


async def reply_json(send: Send, status: int, body: dict[str, Any],
                     extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A JSON response straight from ASGI middleware (before any route)."""
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
               (b"connection", b"close"), *(extra_headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
