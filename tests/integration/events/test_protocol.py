"""/ws protocol basics against a real server: envelope shape, ping, errors, heartbeat."""

from __future__ import annotations

import asyncio

JOB = "job:00000000-0000-4000-8000-0000000000aa"
ENVELOPE_KEYS = {"id", "event", "topic", "timestamp", "data"}


async def test_every_message_is_a_full_envelope(live_server, connect):
    client = await connect()
    await client.subscribe(["jobs", JOB, "models"])
    await asyncio.to_thread(live_server.publish, JOB, "job.created", {"id": JOB[4:], "kind": "k", "status": "queued"})
    await asyncio.to_thread(live_server.publish, "models", "model.registered", {"id": "m"})
    await client.send({"op": "ping"})
    await client.logged(2)
    await client.until(lambda m: m["event"] == "pong")
    await client.until(lambda m: m["event"] == "heartbeat")
    for message in client.messages:
        assert set(message) == ENVELOPE_KEYS
        assert message["timestamp"].endswith("Z")
        assert isinstance(message["data"], dict)
        assert (message["id"] is None) == (message["event"] in {"connected", "subscribed", "pong", "heartbeat"})
    await client.close()


async def test_connected_is_first_with_client_id(live_server):
    import json

    import websockets

    async with websockets.connect(live_server.ws_url) as socket:
        first = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert first["event"] == "connected" and first["id"] is None and first["topic"] == "system"
    assert len(first["data"]["client_id"]) >= 8 and first["data"]["server_time"].endswith("Z")


async def test_bad_messages_get_error_and_the_connection_stays_open(live_server, connect):
    client = await connect()
    cases = [
        ("{not json", "invalid_json"),
        ({"op": "dance"}, "unknown_op"),
        ({"topics": ["jobs"]}, "unknown_op"),
        ({"op": "subscribe", "topics": ["job:not-a-uuid"]}, "invalid_topic"),
        ({"op": "subscribe", "topics": ["jobs"], "after": -3}, "invalid_message"),
        ("[]", "invalid_message"),
    ]
    for message, code in cases:
        await client.send(message)
        error = await client.until(lambda m: m["event"] == "error")
        assert error["data"]["code"] == code and error["data"]["message"] and error["id"] is None
    await client.socket.send(b"\x00binary")
    assert (await client.until(lambda m: m["event"] == "error"))["data"]["code"] == "invalid_json"
    # Still open and working after every one of those.
    await client.subscribe(["models"])
    await asyncio.to_thread(live_server.publish, "models", "model.deployed", {"id": "m1"})
    (event,) = await client.logged(1)
    assert event["event"] == "model.deployed" and event["data"] == {"id": "m1"}
    await client.close()


async def test_unsubscribe_stops_delivery(live_server, connect):
    client = await connect()
    await client.subscribe(["models", "datasets"])
    await client.send({"op": "unsubscribe", "topics": ["models"]})
    await client.send({"op": "ping"})
    await client.until(lambda m: m["event"] == "pong")  # the unsubscribe was handled before the ping
    await asyncio.to_thread(live_server.publish, "models", "model.deleted", {"id": "m"})
    await asyncio.to_thread(live_server.publish, "datasets", "dataset.deleted", {"id": "d"})
    (event,) = await client.logged(1)
    assert event["event"] == "dataset.deleted"
    assert live_server.hub.subscriber_counts() == {"datasets": 1}
    await client.close()
