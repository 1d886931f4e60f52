"""Fan-out: many clients each get every event; a client that never reads does not hold others up."""

from __future__ import annotations

import asyncio
import socket

JOB = "job:00000000-0000-4000-8000-0000000000f0"


async def test_fifty_clients_each_receive_every_event(live_server, connect):
    clients = await asyncio.gather(*(connect() for _ in range(50)))
    await asyncio.gather(*(client.subscribe([JOB]) for client in clients))
    published = await asyncio.to_thread(
        lambda: [live_server.publish(JOB, "job.metrics", {"epoch": n}) for n in range(60)])
    results = await asyncio.gather(*(client.logged(len(published)) for client in clients))
    expected = [e["id"] for e in published]
    for received in results:
        assert [m["id"] for m in received] == expected
    assert live_server.hub.subscriber_counts()[JOB] == 50
    await asyncio.gather(*(client.close() for client in clients))


async def test_a_client_that_never_reads_does_not_slow_the_others(live_server, connect):
    # max_queue=1, no compression and a tiny receive buffer: the stalled client's library stops reading the socket, so
    # the TCP buffers fill up and the server's queue for it overflows; the readers must get every event.
    host, port = live_server.server.host, live_server.server.port
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    stalled = await connect(max_queue=1, sock=sock, compression=None)  # no deflate: the bytes are real
    await stalled.subscribe([JOB])
    stalled_id = stalled.messages[0]["data"]["client_id"] if stalled.messages[0]["event"] == "connected" else None
    readers = await asyncio.gather(*(connect() for _ in range(3)))
    await asyncio.gather(*(reader.subscribe([JOB]) for reader in readers))
    padding = "x" * 8000

    def produce() -> list[dict]:
        out = []
        for step in range(800):
            out.append(live_server.publish(JOB, "job.progress", {"step": step, "message": padding}))
            if step % 200 == 199:
                out.append(live_server.publish(JOB, "job.state", {"status": "running", "n": step}))
        return out

    consumers = [asyncio.create_task(reader.logged(804, timeout_s=60)) for reader in readers]
    published = await asyncio.to_thread(produce)
    expected = [e["id"] for e in published]
    for consumer in consumers:
        assert [m["id"] for m in await consumer] == expected

    hub_side = live_server.hub.get_connection(stalled_id)
    assert hub_side is not None and (hub_side.coalesced > 0 or hub_side.overflows > 0)
    # What the stalled client finally reads is ordered, and every state change either arrives or is
    # announced lost by a resync: nothing disappears silently.
    got = []
    while not got or got[-1]["id"] != expected[-1]:  # the last event (a state change) always arrives
        got.append(await stalled.recv(timeout_s=20))
    logged = [m["id"] for m in got if m["id"] is not None]
    assert logged == sorted(logged) and len(logged) < len(expected)
    states = {e["id"] for e in published if e["event"] == "job.state"}
    resynced = any(m["event"] == "resync" and m["topic"] == JOB for m in got)
    assert resynced or states <= set(logged)
    await asyncio.gather(*(client.close() for client in [stalled, *readers]))
