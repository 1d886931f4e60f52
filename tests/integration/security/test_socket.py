"""/ws: credentials at the handshake or in the first message (never the URL), Origin, topics by role."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

WAIT_S = 60.0


def _ws_url(secured) -> str:
    return secured.url.replace("http://", "ws://") + "/ws"


async def _next(socket: Any, event: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), WAIT_S))
        if message["event"] == event:
            return message


async def test_a_socket_without_credentials_is_closed_unauthorized(secured):
    async with websockets.connect(_ws_url(secured)) as socket:
        await socket.send(json.dumps({"op": "subscribe", "topics": ["jobs"], "after": 0}))
        error = await _next(socket, "error")
        assert error["data"]["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), WAIT_S)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    refused = secured.platform.audit.list(actor="-")["items"]
    assert any(entry["target"] == "/ws" and entry["status"] == 401 for entry in refused)


async def test_a_bad_token_in_the_first_message_is_refused(secured):
    async with websockets.connect(_ws_url(secured)) as socket:
        await socket.send(json.dumps({"op": "auth", "token": "hmd_forged"}))
        assert (await _next(socket, "error"))["data"]["code"] == "unauthorized"


async def test_a_token_in_the_first_message_or_the_header_authenticates(secured):
    async with websockets.connect(_ws_url(secured)) as socket:
        await socket.send(json.dumps({"op": "auth", "token": secured.tokens["viewer"]}))
        await _next(socket, "connected")
        await socket.send(json.dumps({"op": "subscribe", "topics": ["receivers"]}))
        assert (await _next(socket, "subscribed"))["data"]["topics"] == ["receivers"]
    headers = {"Authorization": f"Bearer {secured.tokens['viewer']}"}
    async with websockets.connect(_ws_url(secured), additional_headers=headers) as socket:
        await _next(socket, "connected")


async def test_the_audit_topic_is_for_admins_only_and_streams_every_write(secured):
    viewer = {"Authorization": f"Bearer {secured.tokens['viewer']}"}
    async with websockets.connect(_ws_url(secured), additional_headers=viewer) as socket:
        await socket.send(json.dumps({"op": "subscribe", "topics": ["audit"]}))
        assert (await _next(socket, "error"))["data"]["code"] == "forbidden_topic"
    admin = {"Authorization": f"Bearer {secured.tokens['admin']}"}
    async with websockets.connect(_ws_url(secured), additional_headers=admin) as socket:
        await socket.send(json.dumps({"op": "subscribe", "topics": ["audit"]}))
        await _next(socket, "subscribed")
        with secured.client("operator") as operator:
            await asyncio.to_thread(operator.post, "/networks", json={"name": "watched"})
        recorded = await _next(socket, "audit.recorded")
    assert recorded["data"]["actor"] == "operator" and recorded["data"]["target"] == "/api/v1/networks"
    assert recorded["data"]["action"] == "POST" and recorded["data"]["status"] == 201


async def test_a_socket_from_another_site_is_refused(secured):
    headers = {"Authorization": f"Bearer {secured.tokens['admin']}"}
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        async with websockets.connect(_ws_url(secured), origin="https://evil.example",
                                      additional_headers=headers) as socket:
            await asyncio.wait_for(socket.recv(), WAIT_S)
