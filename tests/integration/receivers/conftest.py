"""Clients against the fake receivers of heimdall.receivers.simulated, all on 127.0.0.1 in one event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import TypeVar

from heimdall.receivers.states import ReceiverRefused

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


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
