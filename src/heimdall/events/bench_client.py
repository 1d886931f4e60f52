"""The events benchmark's clients: many raw ``/ws`` clients on plain asyncio streams in one process.

A client written with the ``websockets`` library spends more CPU per frame than the server does, and
in the benchmark the clients share the server's cores, so that would measure the clients. These do
the minimum a real client must: a WebSocket handshake, one masked ``subscribe`` frame, then frame
headers only. A frame whose JSON starts ``{"id": null`` is a protocol message (parsed: resyncs are
counted); every other frame is a logged event and is counted. Sampled clients also parse each event
and record receive time minus the publish time the benchmark's publisher put in ``data.t``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import resource
import time
from typing import Any

_SYSTEM_PREFIX = b'{"id": null'
_READ_BYTES = 1 << 18


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, expected: int,
                 sample: bool) -> None:
        self.reader, self.writer = reader, writer
        self.expected = expected
        self.sample = sample
        self.received = self.resyncs = 0
        self.last_s = 0.0
        self.latencies_s: list[float] = []
        self.subscribed = asyncio.Event()
        self._buffer = bytearray()

    async def run(self, idle_timeout_s: float) -> dict[str, Any]:
        """Read until every expected event arrived (or nothing came for ``idle_timeout_s``)."""
        while self.received < self.expected:
            try:
                chunk = await asyncio.wait_for(self.reader.read(_READ_BYTES), idle_timeout_s)
            except TimeoutError:
                break
            if not chunk:
                break
            self._feed(chunk, time.time())
        self.writer.close()
        return {"received": self.received, "resyncs": self.resyncs, "last_s": self.last_s,
                "latencies_s": self.latencies_s}

    def _feed(self, chunk: bytes, now_s: float) -> None:
        buffer = self._buffer
        buffer += chunk
        pos, end_of_data, before = 0, len(buffer), self.received
        while end_of_data - pos >= 2:
            length, header = buffer[pos + 1] & 0x7F, 2
            if length == 126:
                length, header = int.from_bytes(buffer[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                length, header = int.from_bytes(buffer[pos + 2:pos + 10], "big"), 10
            end = pos + header + length
            if end > end_of_data or end_of_data - pos < header:
                break
            if buffer[pos] & 0x0F == 1:  # a text frame: one envelope
                self._on_envelope(buffer, pos + header, end, now_s)
            pos = end
        del buffer[:pos]
        if self.received != before:
            self.last_s = now_s

    def _on_envelope(self, buffer: bytearray, start: int, end: int, now_s: float) -> None:
        if buffer.startswith(_SYSTEM_PREFIX, start):
            message = json.loads(bytes(buffer[start:end]))
            if message["event"] == "resync":
                self.resyncs += 1
            elif message["event"] == "subscribed":
                self.subscribed.set()
            return
        self.received += 1
        if self.sample:
            message = json.loads(bytes(buffer[start:end]))
            self.latencies_s.append(now_s - message["data"]["t"])


async def open_client(host: str, port: int, topic: str, expected: int, sample: bool) -> RawClient:
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"websocket handshake refused: {head[:200]!r}")
    client = RawClient(reader, writer, expected, sample)
    writer.write(masked_text_frame(json.dumps({"op": "subscribe", "topics": [topic]}).encode()))
    return client


def masked_text_frame(payload: bytes) -> bytes:
    """A client frame (clients must mask; RFC 6455 §5.3); small control messages only."""
    if len(payload) >= 126:
        raise ValueError("benchmark client messages are short")
    mask = os.urandom(4)
    body = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return bytes((0x81, 0x80 | len(payload))) + mask + body


async def _wait_subscribed(client: RawClient, timeout_s: float) -> None:
    # Until ``subscribed`` the client reads here; its run() takes over the same buffer afterwards.
    deadline = time.monotonic() + timeout_s
    while not client.subscribed.is_set():
        chunk = await asyncio.wait_for(client.reader.read(_READ_BYTES), max(0.1, deadline - time.monotonic()))
        if not chunk:
            raise RuntimeError("the server closed a benchmark client during subscribe")
        client._feed(chunk, time.time())


async def run_clients(host: str, port: int, topic: str, clients: int, expected: int, sample_every: int,
                      ready: Any, idle_timeout_s: float = 30.0) -> dict[str, Any]:
    """Connect and subscribe ``clients`` clients, signal ``ready``, then read until done."""
    opened = []
    for index in range(clients):
        opened.append(await open_client(host, port, topic, expected, sample=index % sample_every == 0))
    await asyncio.gather(*(_wait_subscribed(client, 30.0) for client in opened))
    ready.set()
    started = resource.getrusage(resource.RUSAGE_SELF)
    outcome = await asyncio.gather(*(client.run(idle_timeout_s) for client in opened))
    finished = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (finished.ru_utime + finished.ru_stime) - (started.ru_utime + started.ru_stime)
    return {"clients": outcome, "cpu_s": cpu_s}


def client_process(host: str, port: int, topic: str, clients: int, expected: int, sample_every: int, ready: Any,
                   results: Any) -> None:
    results.put(asyncio.run(run_clients(host, port, topic, clients, expected, sample_every, ready)))
