"""``GET /ws``: the one WebSocket per browser tab (protocol in docs/asyncapi.yaml and docs/events.md)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from heimdall.api.deps import hub_of
from heimdall.events.wire import find_frame_writer

router = APIRouter()


@router.websocket("/ws")
async def events_socket(websocket: WebSocket) -> None:
    hub = hub_of(websocket)
    if hub is None:
        await websocket.close(code=1011, reason="events are not configured in this server")
        return
    await websocket.accept()
    # Pre-built frames straight to the transport when the server allows it; the ASGI send otherwise.
    # (Starlette keeps the ASGI send privately; without it the fallback is used.)
    writer = find_frame_writer(getattr(websocket, "_send", None))
    connection = hub.connect(websocket.send_text, writer=writer)
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
