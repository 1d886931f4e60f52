"""``GET /ws``: the one WebSocket per browser tab (protocol in docs/asyncapi.yaml and docs/events.md).

Security (docs/security.md): the handshake's ``Origin`` must be the server's own (or an allowed
origin); the client is authenticated by the session cookie or an ``Authorization: Bearer`` header at
the handshake, or else by an ``{"op": "auth", "token": ...}`` first message (never by the URL).
Unauthenticated sockets get an ``error`` (code ``unauthorized``) and close with 4401; topics the
role may not read (``audit`` for non-admins) are refused with ``forbidden_topic``.
"""

from __future__ import annotations

import asyncio
import json
from functools import partial

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from heimdall.api.access import may_read_topic
from heimdall.api.auth import authenticate, client_address, header, presented_credentials
from heimdall.api.deps import hub_of, platform_of
from heimdall.api.hardening import origin_allowed
from heimdall.events.envelope import make_envelope
from heimdall.events.protocol import AuthOp, ProtocolError, parse_client_message
from heimdall.events.wire import find_frame_writer
from heimdall.services.users import Principal
from heimdall.services.users.principal import LOCAL
from heimdall.settings import Settings

router = APIRouter()
AUTH_WAIT_S = 30.0
UNAUTHORIZED_CLOSE = 4401


@router.websocket("/ws")
async def events_socket(websocket: WebSocket) -> None:
    hub = hub_of(websocket)
    if hub is None:
        await websocket.close(code=1011, reason="events are not configured in this server")
        return
    settings: Settings = websocket.app.state.settings
    origin = header(websocket.scope, "origin")
    if origin is not None and not origin_allowed(origin, header(websocket.scope, "host") or "",
                                                 settings.allowed_origins):
        await websocket.close(code=1008, reason="cross-site socket refused (Origin)")
        return
    await websocket.accept()
    principal = await _principal(websocket, settings)
    if principal is None:
        await _refuse(websocket)
        return
    await _serve(websocket, principal)


async def _serve(websocket: WebSocket, principal: Principal) -> None:
    hub = hub_of(websocket)
    assert hub is not None
    # Pre-built frames straight to the transport when the server allows it; the ASGI send otherwise.
    # (Starlette keeps the ASGI send privately; without it the fallback is used.)
    writer = find_frame_writer(getattr(websocket, "_send", None))
    connection = hub.connect(websocket.send_text, writer=writer, may_read=partial(may_read_topic, principal))
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            await hub.handle_message(connection, text if text is not None else message.get("bytes") or b"")
    except WebSocketDisconnect:
        pass
    finally:
        await hub.disconnect(connection)


async def _principal(websocket: WebSocket, settings: Settings) -> Principal | None:
    if not settings.auth_enabled:
        return LOCAL
    platform = platform_of(websocket)
    if presented_credentials(websocket.scope):
        return await authenticate(websocket.scope, platform)
    try:
        message = await asyncio.wait_for(websocket.receive(), AUTH_WAIT_S)
    except TimeoutError:
        return None
    text = message.get("text") if message["type"] == "websocket.receive" else None
    try:
        op = parse_client_message(text) if text is not None else None
    except ProtocolError:
        return None
    if not isinstance(op, AuthOp) or platform is None:
        return None
    return await asyncio.to_thread(platform.identity.tokens.verify, op.token)


async def _refuse(websocket: WebSocket) -> None:
    data = {"code": "unauthorized", "message": "send a session cookie, an Authorization header, or an auth op first"}
    platform = platform_of(websocket)
    if platform is not None:
        await asyncio.to_thread(platform.audit.record, actor="-", via="none", action="WS", target="/ws", status=401,
                                client=client_address(websocket.scope))
    try:
        await websocket.send_text(json.dumps(make_envelope("error", "system", data)))
        await websocket.close(code=UNAUTHORIZED_CLOSE, reason="unauthorized")
    except (WebSocketDisconnect, RuntimeError):
        pass
