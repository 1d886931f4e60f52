"""CoT over real loopback sockets: UDP and TCP senders into the listener."""

from __future__ import annotations

import asyncio
import socket

import pytest

from heimdall.cot import CotEvent, CotListener, TcpSender, UdpSender, parse_event
from heimdall.errors import InvalidInput

TEMPLATE = ('<event version="2.0" uid="u-{n}" type="a-u-G" how="m-f" time="2026-01-01T00:00:00.000Z" '
            'start="2026-01-01T00:00:00.000Z" stale="2026-01-01T00:10:00.000Z">'
            '<point lat="45.0" lon="7.5" hae="9999999.0" ce="{n}.0" le="9999999.0"/></event>')


def event(n: int) -> CotEvent:
    return parse_event(TEMPLATE.format(n=n))


class Inbox:
    def __init__(self) -> None:
        self.events: list[CotEvent] = []
        self.errors: list[InvalidInput] = []
        self.changed = asyncio.Event()

    def on_event(self, received: CotEvent, peer: tuple[str, int]) -> None:
        assert peer[0] == "127.0.0.1"
        self.events.append(received)
        self.changed.set()

    def on_error(self, error: InvalidInput, peer: tuple[str, int]) -> None:
        self.errors.append(error)
        self.changed.set()

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.events) + len(self.errors) < count:
                self.changed.clear()
                await self.changed.wait()

    @property
    def uids(self) -> list[str]:
        return [e.uid for e in self.events]


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_udp_events_reach_the_listener() -> None:
    inbox = Inbox()
    listener = CotListener(inbox.on_event, inbox.on_error)
    port = await listener.listen_udp("127.0.0.1", 0)
    sender = UdpSender("127.0.0.1", port)
    await sender.start()
    try:
        sender.send(event(1))
        sender.send(b"<event>not cot</event>")
        sender.send(event(2).to_xml() + event(3).to_xml())  # two events in one datagram
        await inbox.wait_for(4)
    finally:
        await sender.close()
        await listener.close()
    assert inbox.uids == ["u-1", "u-2", "u-3"] and inbox.events[0].to_dict() == event(1).to_dict()
    assert len(inbox.errors) == 1 and inbox.errors[0].field == "version"
    assert sender.stats.sent == 3


async def test_tcp_events_arrive_in_order() -> None:
    inbox = Inbox()
    listener = CotListener(inbox.on_event, inbox.on_error)
    port = await listener.listen_tcp("127.0.0.1", 0)
    sender = TcpSender("127.0.0.1", port)
    sender.start()
    try:
        for n in range(50):
            sender.send(event(n))
        await inbox.wait_for(50)
        assert await sender.drain(5.0)
    finally:
        await sender.close()
        await listener.close()
    assert inbox.uids == [f"u-{n}" for n in range(50)] and inbox.errors == []
    assert sender.stats.sent == 50 and sender.stats.connects == 1


async def test_tcp_queues_while_down_drops_the_oldest_and_reconnects() -> None:
    port = free_tcp_port()
    sender = TcpSender("127.0.0.1", port, queue_size=3, backoff_initial_s=0.05, backoff_max_s=0.2)
    sender.start()
    inbox = Inbox()
    listener = CotListener(inbox.on_event, inbox.on_error)
    try:
        for n in range(5):
            sender.send(event(n))  # nobody listens yet: never blocks, keeps the newest three
        assert sender.queued == 3 and sender.stats.dropped == 2
        await asyncio.sleep(0.3)
        assert sender.stats.connect_failures >= 1
        await listener.listen_tcp("127.0.0.1", port)
        await inbox.wait_for(3)
        assert inbox.uids == ["u-2", "u-3", "u-4"]

        await listener.close()  # the TAK server goes away ...
        async with asyncio.timeout(10.0):
            while sender.connected:
                await asyncio.sleep(0.02)
        sender.send(event(5))
        listener = CotListener(inbox.on_event, inbox.on_error)
        await listener.listen_tcp("127.0.0.1", port)  # ... and comes back
        await inbox.wait_for(4)
    finally:
        await sender.close()
        await listener.close()
    assert inbox.uids[-1] == "u-5" and sender.stats.connects == 2


def test_backoff_grows_caps_and_jitters() -> None:
    sender = TcpSender("127.0.0.1", 9, backoff_initial_s=0.5, backoff_max_s=8.0)
    delays = [sender.backoff_s(n) for n in range(1, 9)]
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert all(0.5 * c <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays[4:])) == 4  # jittered, not in lock step


def test_bad_endpoints_and_oversized_datagrams() -> None:
    with pytest.raises(InvalidInput) as caught:
        TcpSender("127.0.0.1", 70_000)
    assert caught.value.field == "port"
    with pytest.raises(InvalidInput):
        UdpSender("", 4242)
    with pytest.raises(InvalidInput):
        UdpSender("127.0.0.1", 4242).send(b"x" * 70_000)
