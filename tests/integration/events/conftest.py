"""A real uvicorn server (in a thread) serving the test platform (its embedded hub on a temporary SQLite
log), and a small ``websockets`` client that collects envelopes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest
import websockets

from heimdall.api.server import ThreadedServer
from heimdall.events import Hub, HubTuning, Publisher
from support.platform import serving

RECV_TIMEOUT_S = 10.0


@dataclass
class LiveServer:
    server: ThreadedServer
    publish: Publisher
    hub: Hub

    @property
    def ws_url(self) -> str:
        return self.server.ws_url


class Client:
    """A /ws client that keeps every message it has read."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.messages: list[dict] = []

    @classmethod
    async def connect(cls, url: str, **options) -> Client:
        client = cls(await websockets.connect(url, **options))
        first = await client.recv()
        assert first["event"] == "connected"
        return client

    async def send(self, message: dict | str) -> None:
        await self.socket.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout_s: float = RECV_TIMEOUT_S) -> dict:
        message = json.loads(await asyncio.wait_for(self.socket.recv(), timeout_s))
        self.messages.append(message)
        return message

    async def until(self, predicate, timeout_s: float = RECV_TIMEOUT_S) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            message = await self.recv(max(remaining, 0.01))
            if predicate(message):
                return message

    async def subscribe(self, topics: list[str], after: int | None = None) -> dict:
        op = {"op": "subscribe", "topics": topics}
        if after is not None:
            op["after"] = after
        await self.send(op)
        return await self.until(lambda m: m["event"] == "subscribed")

    async def logged(self, count: int, timeout_s: float = RECV_TIMEOUT_S) -> list[dict]:
        """The next ``count`` logged events (protocol messages skipped)."""
        events = []
        while len(events) < count:
            message = await self.until(lambda m: True, timeout_s)
            if message["id"] is not None:
                events.append(message)
        return events

    async def close(self) -> None:
        await self.socket.close()


@pytest.fixture
def live_server(make_platform):
    platform = make_platform(hub_tuning=HubTuning(heartbeat_s=0.3, queue_size=200))
    with serving(platform) as server:
        yield LiveServer(server=server, publish=platform.publish, hub=platform.hub)


@pytest.fixture
def connect(live_server):
    async def open_client(**options) -> Client:
        return await Client.connect(live_server.ws_url, **options)

    return open_client
