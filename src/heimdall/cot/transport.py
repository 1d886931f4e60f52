"""CoT over the network (asyncio): senders to TAK servers or clients over UDP or TCP, and a listener.

``send`` never blocks and never raises for the network: UDP hands the datagram to the kernel; TCP
puts the event on a bounded queue (the oldest is dropped when it is full, and counted) that a
background task writes, reconnecting with exponential backoff and jitter whenever the connection is
lost. A TCP write that the kernel accepted can still be lost if the peer dies: CoT over TCP has no
acknowledgement.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from heimdall.cot.event import CotEvent
from heimdall.cot.parse import StreamSplitter, parse_event
from heimdall.errors import InvalidInput

MAX_DATAGRAM_BYTES = 65_507  # IPv4 UDP payload limit
Peer = tuple[str, int]
EventHandler = Callable[[CotEvent, Peer], None]
ErrorHandler = Callable[[InvalidInput, Peer], None]


def _payload(event: CotEvent | bytes) -> bytes:
    return event.to_xml() if isinstance(event, CotEvent) else bytes(event)


def check_endpoint(host: str, port: int) -> None:
    if not isinstance(host, str) or not host:
        raise InvalidInput("host must be a host name or address", field="host")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InvalidInput(f"port must be an integer in 1..65535, not {port!r}", field="port")


@dataclass
class SenderStats:
    sent: int = 0
    dropped: int = 0  # TCP queue full: the oldest event made room
    errors: int = 0  # UDP errors reported by the kernel, failed TCP writes
    connects: int = 0
    connect_failures: int = 0


class UdpSender:
    def __init__(self, host: str, port: int) -> None:
        check_endpoint(host, port)
        self.host, self.port = host, port
        self.stats = SenderStats()
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        stats = self.stats

        class _Protocol(asyncio.DatagramProtocol):
            def error_received(self, exc: Exception) -> None:  # e.g. ICMP port unreachable
                stats.errors += 1

        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(_Protocol, remote_addr=(self.host, self.port))

    def send(self, event: CotEvent | bytes) -> None:
        data = _payload(event)
        if len(data) > MAX_DATAGRAM_BYTES:
            raise InvalidInput(f"a CoT event over UDP must fit in {MAX_DATAGRAM_BYTES} bytes", field="event")
        if self._transport is None:
            raise RuntimeError("UdpSender.start() was not awaited")
        self._transport.sendto(data)
        self.stats.sent += 1

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None


class TcpSender:
    """A lasting TCP stream to one endpoint; ``send`` queues, a task writes and reconnects."""

    def __init__(self, host: str, port: int, *, queue_size: int = 1000, backoff_initial_s: float = 0.5,
                 backoff_max_s: float = 30.0, connect_timeout_s: float = 5.0, rng: random.Random | None = None) -> None:
        check_endpoint(host, port)
        if queue_size < 1 or not 0 < backoff_initial_s <= backoff_max_s or connect_timeout_s <= 0:
            raise InvalidInput("need queue_size >= 1, 0 < backoff_initial_s <= backoff_max_s, connect_timeout_s > 0")
        self.host, self.port = host, port
        self.stats = SenderStats()
        self.backoff_initial_s, self.backoff_max_s = backoff_initial_s, backoff_max_s
        self.connect_timeout_s = connect_timeout_s
        self._queue: deque[bytes] = deque(maxlen=queue_size)
        self._ready = asyncio.Event()
        self._rng = rng or random.Random(0)
        self._task: asyncio.Task[None] | None = None
        self.connected = False

    @property
    def queued(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"cot-tcp-{self.host}:{self.port}")

    def send(self, event: CotEvent | bytes) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.stats.dropped += 1  # deque drops the oldest itself
        self._queue.append(_payload(event))
        self._ready.set()

    def backoff_s(self, failures: int) -> float:
        """Exponential in the consecutive failures, capped, with 50-100 % jitter so senders spread out."""
        ceiling = min(self.backoff_max_s, self.backoff_initial_s * 2 ** max(failures - 1, 0))
        return float(ceiling * (0.5 + 0.5 * self._rng.random()))

    async def drain(self, timeout_s: float) -> bool:
        """Wait until the queue is written (True) or the timeout passes (False)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self._queue:
                    await asyncio.sleep(0.01)
        return not self._queue

    async def close(self, drain_timeout_s: float = 1.0) -> None:
        if self._task is None:
            return
        await self.drain(drain_timeout_s)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                async with asyncio.timeout(self.connect_timeout_s):
                    reader, writer = await asyncio.open_connection(self.host, self.port)
            except (OSError, TimeoutError):
                failures += 1
                self.stats.connect_failures += 1
                await asyncio.sleep(self.backoff_s(failures))
                continue
            failures = 0
            self.stats.connects += 1
            self.connected = True
            try:
                await self._write_until_lost(reader, writer)
            finally:
                self.connected = False
                writer.close()
                with contextlib.suppress(OSError, asyncio.CancelledError):
                    await writer.wait_closed()
            await asyncio.sleep(self.backoff_s(1))

    async def _write_until_lost(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Write queued events until the peer goes away (what it sends us is read and ignored)."""
        lost = asyncio.get_running_loop().create_task(_until_eof(reader))
        try:
            while not lost.done():
                if not self._queue:
                    self._ready.clear()
                    waiter = asyncio.get_running_loop().create_task(self._ready.wait())
                    await asyncio.wait({waiter, lost}, return_when=asyncio.FIRST_COMPLETED)
                    waiter.cancel()
                    continue
                data = self._queue.popleft()
                try:
                    writer.write(data)
                    await writer.drain()
                except OSError:
                    self.stats.errors += 1
                    self._queue.appendleft(data)  # not written: first in line after reconnecting
                    return
                self.stats.sent += 1
        finally:
            lost.cancel()


async def _until_eof(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(OSError):
        while await reader.read(65536):
            pass


class CotListener:
    """Receives CoT events over UDP (one or more per datagram) or TCP (streams of events)."""

    def __init__(self, on_event: EventHandler, on_error: ErrorHandler) -> None:
        self.on_event, self.on_error = on_event, on_error
        self._closers: list[Callable[[], None]] = []
        self._servers: list[asyncio.Server] = []
        self._clients: set[asyncio.StreamWriter] = set()

    def _handle(self, data: bytes, peer: Peer) -> None:
        try:
            event = parse_event(data)
        except InvalidInput as exc:
            self.on_error(exc, peer)
            return
        self.on_event(event, peer)

    async def listen_udp(self, host: str, port: int) -> int:
        """Bind (port 0: any free one) and return the bound port."""
        listener = self

        class _Protocol(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                splitter = StreamSplitter()  # a datagram may hold several events back to back
                documents = splitter.feed(data)
                rest = splitter.flush()
                for document in documents + ([rest] if rest else []):  # the rest: a broken event, reported
                    listener._handle(document, (addr[0], addr[1]))

        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(_Protocol, local_addr=(host, port))
        self._closers.append(transport.close)
        return int(transport.get_extra_info("sockname")[1])

    async def listen_tcp(self, host: str, port: int) -> int:
        server = await asyncio.start_server(self._serve_tcp, host, port)
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = (str(peername[0]), int(peername[1]))
        splitter = StreamSplitter()
        self._clients.add(writer)
        try:
            while data := await reader.read(65536):
                for document in splitter.feed(data):
                    self._handle(document, peer)
        except OSError:
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def close(self) -> None:
        for close in self._closers:
            close()
        for server in self._servers:
            server.close()  # stops accepting; the open connections are ours to close (Python < 3.12)
        for writer in list(self._clients):
            writer.close()
        for server in self._servers:
            await server.wait_closed()
        self._closers, self._servers = [], []
