"""Pre-built WebSocket frames, written straight to a client's transport.

A server's frames are not masked (RFC 6455 §5.1), so one event's frame is the same bytes for every
client: it is built once per event and the same bytes go to every subscriber. Going through the ASGI
``send`` instead costs a message dict, a Starlette state check, every middleware's wrapper, a
``websockets`` frame object and one ``transport.write`` per client per event; here a client's whole
backlog goes out in one ``transport.write``. Still one envelope per frame, as the contract says.

The raw path is used only under uvicorn's ``websockets-sansio`` protocol (what ``heimdall serve``
runs) and honours its state: nothing is written once a close was sent or the peer is gone, and the
writer waits while the transport is paused (the slow-client queue logic sits in front of it).
Anything else (another server, another protocol implementation) falls back to the ASGI ``send``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

_OP_TEXT_FIN = 0x81
# How deep to look through middleware wrappers (closures around ``send``) for the protocol.
_MAX_WRAPPER_DEPTH = 12


def text_frame(payload: bytes) -> bytes:
    """One unmasked, final text frame carrying ``payload`` (UTF-8 JSON)."""
    size = len(payload)
    if size < 126:
        header = bytes((_OP_TEXT_FIN, size))
    elif size < 65536:
        header = struct.pack("!BBH", _OP_TEXT_FIN, 126, size)
    else:
        header = struct.pack("!BBQ", _OP_TEXT_FIN, 127, size)
    return header + payload


class Encoded:
    """One envelope's JSON text, and its frame built on first use; shared by every client."""

    __slots__ = ("_frame", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = text_frame(self.text.encode())
        return self._frame


class FrameWriter:
    """Writes whole frames to one uvicorn ``websockets-sansio`` connection, bypassing ASGI ``send``."""

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol

    @property
    def closed(self) -> bool:
        protocol = self._protocol
        return bool(protocol.disconnected or protocol.close_sent or protocol.transport.is_closing())

    @property
    def writable(self) -> bool:
        """Whether a write now goes out without piling up behind a paused transport."""
        return self._protocol.writable.is_set() and not self.closed

    async def wait_writable(self) -> bool:
        """Wait until the transport drains below its low-water mark; False when the client is gone."""
        await self._protocol.writable.wait()
        return not self.closed

    def write(self, data: bytes) -> None:
        self._protocol.transport.write(data)

    def close(self, code: int, reason: str, *, linger_s: float) -> None:
        """Send a close frame now, even while the transport is paused (ASGI's close would wait for a
        drain that a peer who never reads never allows), end the app's receive loop, and abort the
        transport after ``linger_s`` if the peer has not completed the close by then."""
        from websockets.exceptions import InvalidState  # uvicorn's websockets-sansio runs on it

        protocol = self._protocol
        if self.closed:
            return
        try:
            protocol.conn.send_close(code, reason)
        except InvalidState:  # the connection is already closing: just let it go
            protocol.transport.abort()
            return
        protocol.transport.write(b"".join(protocol.conn.data_to_send()))
        protocol.close_sent = True
        protocol.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        protocol.loop.call_later(linger_s, protocol.transport.abort)


def find_frame_writer(send: Callable[..., Any] | None) -> FrameWriter | None:
    """The raw writer behind an ASGI ``send`` (through middleware wrappers), or None when there is none.

    Middleware wrap ``send`` in closures; the innermost one is uvicorn's bound ``protocol.send``.
    """
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:  # pragma: no cover - uvicorn is a dependency, but stay usable without it
        return None
    seen: set[int] = set()
    pending: list[tuple[Any, int]] = [(send, 0)]
    while pending:
        candidate, depth = pending.pop()
        if id(candidate) in seen or depth > _MAX_WRAPPER_DEPTH:
            continue
        seen.add(id(candidate))
        owner = getattr(candidate, "__self__", None)
        if isinstance(owner, WebSocketsSansIOProtocol):
            return FrameWriter(owner)
        for cell in getattr(candidate, "__closure__", None) or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if callable(contents):
                pending.append((contents, depth + 1))
    return None
