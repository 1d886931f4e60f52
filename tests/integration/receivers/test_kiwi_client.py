"""The KiwiSDR client against the fake KiwiSDR (and against servers that are not KiwiSDRs), on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest
from websockets.asyncio.server import ServerConnection, serve

from heimdall.receivers.kiwisdr.client import IqTuning, KiwiClient, KiwiConnection, KiwiTimeouts, StateChange
from heimdall.receivers.kiwisdr.status import fetch_status, health, poll_statuses, receiver_info
from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay
from heimdall.receivers.states import ReceiverRefused, ReceiverState, RefusalReason

CONTACT = "ops@example.org"
FAST = KiwiTimeouts(connect_s=2.0, start_s=2.0, frame_s=2.0, close_s=1.0)


def _client(url: str, *, frequency_hz: float = 77_500.0, password: str | None = None,
            states: list[StateChange] | None = None, timeouts: KiwiTimeouts = FAST) -> KiwiClient:
    return KiwiClient(KiwiConnection(url, password=password, contact=CONTACT), IqTuning(frequency_hz),
                      timeouts=timeouts, on_state=(states.append if states is not None else None))


async def _refusal(url: str, **kwargs: object) -> ReceiverRefused:
    states: list[StateChange] = []
    client = _client(url, states=states, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ReceiverRefused) as caught:
        async with client:
            for _ in range(400):
                await client.next_block()
    assert client.state == ReceiverState.FAILED and states[-1].state == ReceiverState.FAILED
    assert states[-1].reason == caught.value.reason and client._tasks == []
    return caught.value


async def test_client_speaks_the_protocol_and_streams_the_file(fake_kiwi, dcf77_replays) -> None:
    fake = await fake_kiwi(lead_s=0.2)
    states: list[StateChange] = []
    replay: KiwiReplay = dcf77_replays["DF0KL"]
    async with _client(fake.url, states=states) as client:
        blocks = [await client.next_block() for _ in range(30)]
        assert client.server.sample_rate_hz == 12001.0 and client.server.audio_rate_hz == 12000
        assert client.server.bandwidth_hz == 30e6 and client.server.version == "1.820"
    assert [s.state for s in states] == ["connecting", "connected", "streaming", "closed"]
    session = fake.sessions[0]
    names = session.command_names()
    assert names[0] == "auth" and session.violations == [] and session.ended is None
    assert names.index("AR OK") < names.index("mod") and {"ident_user", "agc", "compression", "squelch"} <= set(names)
    assert "SET mod=iq low_cut=-5000 high_cut=5000 freq=77.500" in session.commands
    assert "SET compression=0" in session.commands and any("manGain=50" in c and "agc=0" in c for c in session.commands)
    assert session.ident == f"Heimdall ({CONTACT})" and session.user_agent == f"Heimdall ({CONTACT})"
    assert blocks[0].gnss.gps_seconds == 0 and blocks[0].sequence == 1  # a real server's first frame
    assert [b.sequence for b in blocks] == list(range(1, 31))
    for block, file_block in zip(blocks, session.file_blocks_sent, strict=False):
        start = replay.block_start[file_block]
        np.testing.assert_array_equal(block.iq, replay.recording.iq[start:start + block.iq.size])


async def test_keepalives_keep_a_strict_server_happy(fake_kiwi) -> None:
    fake = await fake_kiwi(keepalive_timeout_s=1.5)
    async with _client(fake.url) as client:
        for _ in range(80):  # ~3.4 s of frames
            await client.next_block()
    assert fake.sessions[0].keepalives >= 3 and fake.sessions[0].violations == []


async def test_password_accepted_and_refused(fake_kiwi) -> None:
    fake = await fake_kiwi(password="s3cret pw")
    async with _client(fake.url, password="s3cret pw") as client:
        await client.next_block()
    refused = await _refusal(fake.url, password="wrong")
    assert refused.reason == RefusalReason.BAD_PASSWORD and not refused.reason.retryable
    assert "SET auth t=kiwi p=wrong" in fake.sessions[1].commands and "mod" not in fake.sessions[1].command_names()


@pytest.mark.parametrize(("refuse", "reason"), [
    ("too_busy", RefusalReason.TOO_BUSY), ("redirect", RefusalReason.REDIRECT), ("down", RefusalReason.DOWN),
    ("camp_only", RefusalReason.CAMP_ONLY),
])
async def test_each_refusal_becomes_a_clear_state(fake_kiwi, refuse: str, reason: RefusalReason) -> None:
    fake = await fake_kiwi(refuse=refuse, redirect_url="http://other.example:8073/", down_reason="new antenna")
    refused = await _refusal(fake.url)
    assert refused.reason == reason
    if refuse == "redirect":
        assert refused.redirect_url == "http://other.example:8073/"
    if refuse == "down":
        assert "new antenna" in refused.message
    assert "mod" not in fake.sessions[0].command_names()  # nothing tuned on a refusing receiver


@pytest.mark.parametrize(("options", "reason"), [
    ({"inactivity_timeout_s": 0.3}, RefusalReason.INACTIVITY_TIMEOUT),
    ({"drop_after_s": 0.3}, RefusalReason.DROPPED),
    ({"garbage": "bytes"}, RefusalReason.PROTOCOL_ERROR),
    ({"garbage": "short_snd"}, RefusalReason.PROTOCOL_ERROR),
    ({"garbage": "odd_iq"}, RefusalReason.PROTOCOL_ERROR),
])
async def test_mid_stream_endings(fake_kiwi, options: dict, reason: RefusalReason) -> None:
    fake = await fake_kiwi(garbage_after_s=0.3, **options)
    refused = await _refusal(fake.url)
    assert refused.reason == reason


@pytest.mark.parametrize("garbage", ["unknown_tag", "bad_message"])
async def test_unknown_streams_and_malformed_messages_are_ignored(fake_kiwi, garbage: str, caplog) -> None:
    fake = await fake_kiwi(garbage=garbage, garbage_after_s=0.1)
    caplog.set_level("INFO", logger="heimdall.receivers.kiwisdr")
    async with _client(fake.url) as client:
        blocks = [await client.next_block() for _ in range(20)]
    assert [b.sequence for b in blocks] == list(range(1, 21))
    assert sum("unknown_future_message" in r.getMessage() for r in caplog.records) == 1  # logged once


async def test_a_frequency_outside_the_receiver_is_refused_before_tuning(fake_kiwi) -> None:
    fake = await fake_kiwi()
    refused = await _refusal(fake.url, frequency_hz=40e6)
    assert refused.reason == RefusalReason.OUT_OF_RANGE and "0-30000 kHz" in refused.message
    assert "mod" not in fake.sessions[0].command_names()


async def test_an_address_that_does_not_answer(closed_port: int, silent_server: str) -> None:
    refused = await _refusal(f"http://127.0.0.1:{closed_port}")
    assert refused.reason == RefusalReason.UNREACHABLE
    refused = await _refusal(silent_server, timeouts=KiwiTimeouts(connect_s=0.5, start_s=1.0))
    assert refused.reason == RefusalReason.UNREACHABLE and "no answer within 0.5 s" in refused.message
    with pytest.raises(ReceiverRefused) as caught:
        await fetch_status(f"127.0.0.1:{closed_port}", timeout_s=1.0)
    assert caught.value.reason == RefusalReason.UNREACHABLE


async def test_http_that_is_not_a_kiwisdr(plain_web_server: str, huge_status_server: str) -> None:
    refused = await _refusal(plain_web_server)
    assert refused.reason == RefusalReason.NOT_THIS_KIND and "answered HTTP 200" in refused.message
    with pytest.raises(ReceiverRefused) as caught:
        await fetch_status(plain_web_server)
    assert caught.value.reason == RefusalReason.NOT_THIS_KIND
    with pytest.raises(ReceiverRefused, match="larger than") as caught:
        await fetch_status(huge_status_server)
    assert caught.value.reason == RefusalReason.PROTOCOL_ERROR


@pytest.fixture
async def babbling_websocket() -> AsyncIterator[str]:
    async def handler(ws: ServerConnection) -> None:
        await ws.send("hello, I am a chat server")
        await asyncio.sleep(5)

    async with serve(handler, "127.0.0.1", 0) as server:
        yield f"http://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}"


@pytest.fixture
async def mute_websocket() -> AsyncIterator[str]:
    async def handler(ws: ServerConnection) -> None:
        await asyncio.sleep(5)

    async with serve(handler, "127.0.0.1", 0) as server:
        yield f"http://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}"


async def test_websockets_that_are_not_kiwisdrs(babbling_websocket: str, mute_websocket: str) -> None:
    assert (await _refusal(babbling_websocket)).reason == RefusalReason.PROTOCOL_ERROR
    refused = await _refusal(mute_websocket, timeouts=KiwiTimeouts(start_s=0.5))
    assert refused.reason == RefusalReason.NOT_THIS_KIND and "no KiwiSDR message" in refused.message
    client = _client(mute_websocket)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):  # the caller gives up first
            await client.open()
    assert client._tasks == [] and client._ws is None and client.state == ReceiverState.CLOSED


async def test_status_of_the_fake_describes_the_receiver_and_its_load(fake_kiwi, closed_port: int) -> None:
    fake = await fake_kiwi(users_busy=1)
    status = await fetch_status(fake.url)
    info = receiver_info(status, fake.url)
    assert (info.name, info.lat, info.lon, info.timing, info.capabilities) == (
        "DF0KL", 53.665337, 7.282766, "gnss", ("rss", "tdoa"))
    assert health(status).free_slots == 3
    async with _client(fake.url) as client:
        await client.next_block()
        assert health(await fetch_status(fake.url)).free_slots == 2  # we hold a slot
    results = [item async for item in poll_statuses([fake.url, f"127.0.0.1:{closed_port}"], interval_s=0.1,
                                                    rounds=2, timeout_s=1.0)]
    assert len(results) == 4
    assert sorted(type(r).__name__ for _, r in results) == ["KiwiStatus", "KiwiStatus", "ReceiverRefused",
                                                            "ReceiverRefused"]
    no_gnss = await fake_kiwi(tdoa_ch=-1)
    assert receiver_info(await fetch_status(no_gnss.url), no_gnss.url).timing == "none"


async def test_frames_received_before_the_server_hung_up_still_come_first(fake_kiwi) -> None:
    fake = await fake_kiwi(pace=50.0)
    async with _client(fake.url) as client:
        await asyncio.sleep(1.5)  # meanwhile the fake plays the rest of its file and hangs up
        assert client.state == ReceiverState.FAILED and fake.sessions[0].ended == "end of the replayed file"
        blocks = []
        with pytest.raises(ReceiverRefused, match="mid-stream") as caught:
            while True:
                blocks.append(await client.next_block())
    assert caught.value.reason == RefusalReason.DROPPED
    assert len(blocks) == fake.sessions[0].frames_sent and blocks[-1].sequence == fake.sessions[0].frames_sent
    with pytest.raises(ReceiverRefused, match="mid-stream"):
        await client.next_block()  # and it keeps saying why
