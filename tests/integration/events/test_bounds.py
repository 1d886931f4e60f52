"""Bounded cost per /ws client (issue 9 item 3): inbound frames are capped at what the protocol needs,
and a client that never reads is dropped once it stays over its outbound bound, then resumes with `after`.
(That readers are not held up by a client that never reads is test_fanout's.)"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
import websockets

from heimdall.events import HubTuning
from heimdall.events.connection import DROP_CLOSE_CODE
from heimdall.events.protocol import MAX_MESSAGE_BYTES
from support.platform import serving

from .conftest import Client, LiveServer

JOB = "job:00000000-0000-4000-8000-0000000000b1"
QUEUE_BYTES = 1024 * 1024
WAIT_S = 60.0
EVENTS = 1000


@pytest.fixture
def bounded_server(make_platform, monkeypatch):
    # The close frame must reach the dropped client, which reads its backlog first: linger generously.
    monkeypatch.setattr("heimdall.events.connection.CLOSE_LINGER_S", 120.0)
    tuning = HubTuning(heartbeat_s=0.3, queue_size=200, queue_bytes=QUEUE_BYTES, stall_grace_s=1.0)
    platform = make_platform(hub_tuning=tuning)
    with serving(platform) as server:
        yield LiveServer(server=server, publish=platform.publish, hub=platform.hub)


async def _closed_with(client: Client) -> websockets.ConnectionClosed:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        try:
            await client.recv(timeout_s=max(deadline - asyncio.get_running_loop().time(), 0.01))
        except websockets.ConnectionClosed as closed:
            return closed


async def test_a_frame_over_the_protocol_cap_closes_the_connection(bounded_server):
    client = await Client.connect(bounded_server.ws_url)
    await client.send({"op": "subscribe", "topics": ["jobs"] * 256})  # a big but valid message is fine
    assert (await client.until(lambda m: m["event"] in ("subscribed", "error")))["event"] == "subscribed"
    await client.send("x" * (1024 * 1024))
    closed = await _closed_with(client)
    assert closed.rcvd is not None and closed.rcvd.code == 1009  # message too big, before it was buffered
    other = await Client.connect(bounded_server.ws_url)
    await other.subscribe(["models"])
    await other.send({"op": "subscribe", "topics": ["job:" + "z" * (MAX_MESSAGE_BYTES - 100)]})
    error = await other.until(lambda m: m["event"] == "error")
    assert error["data"]["code"] == "invalid_topic" and len(error["data"]["message"]) < 400
    await other.close()


def _stalled_socket(server) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((server.host, server.port))
    return sock


async def test_a_client_that_never_reads_is_dropped_and_resumes_with_after(bounded_server):
    stalled = await Client.connect(bounded_server.ws_url, max_queue=1, sock=_stalled_socket(bounded_server.server),
                                   compression=None)
    stalled_id = stalled.messages[0]["data"]["client_id"]
    await stalled.subscribe([JOB])
    hub = bounded_server.hub
    padding = "x" * 8000
    # 8 MB: more than the kernel's socket buffers (4 MiB at most here) plus the 1 MiB queue bound.
    published = await asyncio.to_thread(
        lambda: [bounded_server.publish(JOB, "job.metrics", {"epoch": n, "padding": padding}) for n in range(EVENTS)])
    for _ in range(int(WAIT_S / 0.1)):
        if hub.get_connection(stalled_id) is None:
            break
        await asyncio.sleep(0.1)
    assert hub.get_connection(stalled_id) is None and hub.dropped_total == 1
    assert JOB not in hub.subscriber_counts() and hub.connection_count == 0
    server = bounded_server.server
    metrics = (await asyncio.to_thread(httpx.get, f"http://{server.host}:{server.port}/metrics", timeout=30)).text
    assert "heimdall_ws_dropped_clients_total 1.0" in metrics

    closed = await _closed_with(stalled)  # it reads what reached it, then the close frame
    assert closed.rcvd is not None and closed.rcvd.code == DROP_CLOSE_CODE and "after" in closed.rcvd.reason
    seen = [m["id"] for m in stalled.messages if m["id"] is not None]
    assert seen == sorted(seen) and len(seen) < len(published)
    resumed = await Client.connect(bounded_server.ws_url)
    last_seen = seen[-1] if seen else published[0]["id"] - 1
    await resumed.subscribe([JOB], after=last_seen)
    replayed = [m["id"] for m in resumed.messages if m["id"] is not None]
    assert replayed == [e["id"] for e in published if e["id"] > last_seen]  # nothing lost for good
    await resumed.close()
