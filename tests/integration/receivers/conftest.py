"""Fake receivers on loopback (KiwiSDRs replaying the DCF77 fixture, OpenWebRX, KrakenSDR), servers that are
not receivers, and a helper that collects what a client stream yields."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay, shared_clock
from heimdall.receivers.simulated.kiwisdr_server import FakeKiwiOptions, FakeKiwiSDR
from heimdall.receivers.states import ReceiverRefused

DCF77_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "kiwi-dcf77"
DF0KL = (53.665337, 7.282766)


@pytest.fixture(scope="session")
def dcf77_replays() -> dict[str, KiwiReplay]:
    if not DCF77_DIR.is_dir():
        pytest.fail(f"the DCF77 fixture is missing: {DCF77_DIR}")
    replays = [KiwiReplay(path) for path in sorted(DCF77_DIR.glob("*_iq.wav"))]
    return {r.station: r for r in replays}


FakeFactory = Callable[..., Awaitable[FakeKiwiSDR]]


@pytest.fixture
async def fake_kiwi(dcf77_replays: dict[str, KiwiReplay]) -> AsyncIterator[FakeFactory]:
    """``await fake_kiwi(pace=..., **FakeKiwiOptions fields)``: a started fake replaying DF0KL."""
    started: list[FakeKiwiSDR] = []

    async def start(*, pace: float = 1.0, lead_s: float = 0.0, **options: object) -> FakeKiwiSDR:
        replay = dcf77_replays["DF0KL"]
        fields: dict[str, object] = {"name": "DF0KL", "lat": DF0KL[0], "lon": DF0KL[1], **options}
        fake = FakeKiwiSDR(replay, shared_clock([replay], pace=pace, lead_s=lead_s), FakeKiwiOptions(**fields))  # type: ignore[arg-type]
        started.append(await fake.start())
        return fake

    yield start
    for fake in started:
        await fake.stop()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    return unused_port()


async def _serve(respond: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]) -> AsyncIterator[str]:
    server = await asyncio.start_server(respond, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def plain_web_server() -> AsyncIterator[str]:
    """Answers every request with an HTML page: HTTP, but not a KiwiSDR."""
    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b"<html><body>Welcome to nginx!</body></html>"
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                     % (len(body), body))
        await writer.drain()
        writer.close()

    async for url in _serve(respond):
        yield url


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """Accepts TCP connections and never says a word."""
    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    async for url in _serve(respond):
        yield url


@pytest.fixture
async def huge_status_server() -> AsyncIterator[str]:
    """A status page that never ends (well, 1 MB)."""
    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
        try:
            for _ in range(1024):
                writer.write(b"users=1\n" * 128)
                await writer.drain()
        except ConnectionError:
            pass  # the client hung up once it had enough
        writer.close()

    async for url in _serve(respond):
        yield url

T = TypeVar("T")


async def collect(stream: AsyncIterator[T], *, duration_s: float, count: int | None = None,
                  into: list[T] | None = None) -> tuple[list[T], ReceiverRefused | None]:
    """What ``stream`` yields within ``duration_s`` (or until ``count`` items), and the refusal that ended it;
    ``into`` receives the items as they come (for a task that reacts to them)."""
    items: list[T] = [] if into is None else into

    async def run() -> None:
        async for item in stream:
            items.append(item)
            if count is not None and len(items) >= count:
                return

    try:
        async with asyncio.timeout(duration_s):  # not wait_for: see OpenWebRxClient._next
            await run()
    except TimeoutError:
        pass
    except ReceiverRefused as exc:
        return items, exc
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
    return items, None


def unused_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
