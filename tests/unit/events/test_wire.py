"""Pre-built frames and the raw-writer path of a connection: batching, flow control, gone clients."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.frames import Frame, Opcode

from heimdall.events.connection import Connection, Flusher
from heimdall.events.wire import Encoded, find_frame_writer, text_frame

JOB = "job:00000000-0000-4000-8000-00000000000a"


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_text_frame_matches_the_websockets_serialiser(size):
    payload = ("x" * size).encode()
    assert text_frame(payload) == Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[])


def test_encoded_builds_its_frame_once_and_keeps_the_text():
    encoded = Encoded('{"id": 1, "data": "é"}')
    assert encoded.frame is encoded.frame
    assert encoded.frame.endswith('{"id": 1, "data": "é"}'.encode())


def test_find_frame_writer_falls_back_without_a_uvicorn_protocol():
    async def send(message):
        return None

    def wrapper():
        return send  # a closure around a plain callable, like a middleware's send wrapper

    assert find_frame_writer(send) is None
    assert find_frame_writer(wrapper) is None


class FakeWriter:
    """A transport that records each write; ``writable`` and ``closed`` are set by the test."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self._writable = asyncio.Event()
        self._writable.set()

    @property
    def writable(self) -> bool:
        return self._writable.is_set() and not self.closed

    def pause(self) -> None:
        self._writable.clear()

    def resume(self) -> None:
        self._writable.set()

    async def wait_writable(self) -> bool:
        await self._writable.wait()
        return not self.closed

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def messages(self) -> list[dict]:
        return [json.loads(text) for text in _split_frames(b"".join(self.writes))]


def _split_frames(data: bytes) -> list[str]:
    out, pos = [], 0
    while pos < len(data):
        assert data[pos] == 0x81  # final text frames only: one envelope per frame
        length, header = data[pos + 1], 2
        if length == 126:
            length, header = int.from_bytes(data[pos + 2:pos + 4], "big"), 4
        elif length == 127:
            length, header = int.from_bytes(data[pos + 2:pos + 10], "big"), 10
        out.append(data[pos + header:pos + header + length].decode())
        pos += header + length
    return out


def _item(event_id: int, event: str = "job.metrics", topic: str = JOB, **data) -> tuple[dict, Encoded]:
    envelope = {"id": event_id, "event": event, "topic": topic, "timestamp": "t", "data": data}
    return envelope, Encoded(json.dumps(envelope))


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def _raw_connection(queue_size: int = 100) -> tuple[Connection, FakeWriter]:
    writer = FakeWriter()
    connection = Connection("c", _never_send, queue_size=queue_size, writer=writer, flusher=Flusher())
    connection.topics = {JOB}
    connection.start()
    await _settle()
    return connection, writer


async def _never_send(text: str) -> None:
    raise AssertionError("the raw path must not use the ASGI send")


async def test_a_burst_goes_out_as_one_write_of_one_frame_per_envelope():
    connection, writer = await _raw_connection()
    connection.push_live_many([_item(n, epoch=n) for n in range(1, 11)])
    connection.push_live(*_item(11, epoch=11))
    await _settle()
    assert len(writer.writes) == 1
    assert [m["id"] for m in writer.messages()] == list(range(1, 12))
    await connection.close()


async def test_a_paused_transport_keeps_the_queue_bounded_and_drains_in_order_on_resume():
    connection, writer = await _raw_connection(queue_size=10)
    writer.pause()
    connection.push_live(*_item(1, "job.state", status="running"))
    connection.push_live_many([_item(n, "job.progress", step=n) for n in range(2, 40)])
    await _settle()
    assert writer.writes == [] and connection.pending <= 10 and connection.coalesced > 0
    writer.resume()
    await _settle()
    sent = writer.messages()
    assert [m["id"] for m in sent] == sorted(m["id"] for m in sent)
    assert sent[0]["data"] == {"status": "running"} and sent[-1]["data"]["step"] == 39
    assert connection.pending == 0
    await connection.close()


async def test_a_gone_client_drops_its_backlog_and_never_blocks_a_replay():
    connection, writer = await _raw_connection(queue_size=4)
    writer.closed = True
    for event_id in range(1, 20):
        await asyncio.wait_for(connection.push_replay(*_item(event_id)), 1.0)
    await _settle()
    assert writer.writes == [] and connection.pending == 0
    await connection.close()


async def test_push_live_many_overflows_like_push_live():
    connection, writer = await _raw_connection(queue_size=5)
    writer.pause()
    connection.push_live_many([_item(n, "job.state", status="running") for n in range(1, 12)])
    await _settle()
    assert connection.overflows >= 1
    writer.resume()
    await _settle()
    resyncs = [m for m in writer.messages() if m["event"] == "resync"]
    assert resyncs and all(m["topic"] == JOB and m["data"]["reason"] == "overflow" for m in resyncs)
    await connection.close()
