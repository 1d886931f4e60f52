"""OpenWebRxClient against the fake OpenWebRX server over real HTTP and WebSocket on loopback."""

from __future__ import annotations

import asyncio
import math

import pytest

from heimdall.receivers.openwebrx import GainMode, OpenWebRxClient, PowerFlag, PowerReading, Tuning
from heimdall.receivers.simulated.kraken_server import FakeKrakenServer
from heimdall.receivers.simulated.openwebrx_server import (
    DEFAULT_PROFILES,
    FakeOpenWebRxOptions,
    FakeOpenWebRxServer,
    FakeProfile,
)
from heimdall.receivers.states import ReceiverState, RefusalReason

from .conftest import collect, unused_port

FAST = {"smeter_interval_s": 0.05, "fft_interval_s": 0.05}
TWO_M_HZ = 145_500_000
SEVENTY_CM_HZ = 433_600_000


def keyed(t_s: float) -> float | None:
    """-50 dBFS for 0.5 s, then nothing for 0.5 s."""
    return -50.0 if (t_s % 1.0) < 0.5 else None


def client(server: FakeOpenWebRxServer, **options: object) -> OpenWebRxClient:
    defaults: dict[str, object] = {"gain_mode": GainMode.MANUAL, "timeout_s": 3.0, "settle_s": 0.2,
                                   "fft_interval_s": 0.05}
    return OpenWebRxClient(server.url, receiver_id="owrx", **{**defaults, **options})  # type: ignore[arg-type]


def sent_to(server: FakeOpenWebRxServer, connection: int = 0) -> list[tuple[float, float]]:
    """(t_s, value) of every S-meter value the fake sent on one connection, in order."""
    return [(t_s, value) for number, t_s, value in server.smeter_log if number == connection]


async def test_readings_follow_a_keyed_transmitter() -> None:
    options = FakeOpenWebRxOptions(signal_frequency_hz=TWO_M_HZ, **FAST)
    async with FakeOpenWebRxServer(keyed, options) as server:
        c = client(server)
        readings, error = await collect(c.readings(Tuning(TWO_M_HZ)), duration_s=2.5)
    assert error is None and c.status.state is ReceiverState.CLOSED and c.status.issues == {}
    assert server.profile_switches == []  # the current profile covers 145.5 MHz
    sent = sent_to(server)
    assert len(readings) >= 30 and len(sent) - len(readings) <= 2  # at most the last in flight when we hung up
    on = off = 0
    for reading, (t_s, value) in zip(readings, sent, strict=False):
        # each reading is the value the fake sent, in order, and those values follow the keyed source
        assert reading.power_dbfs == pytest.approx(10 * math.log10(value), abs=1e-6)
        expected = -50.0 if keyed(t_s) is not None else -100.0  # the fake's channel noise when keyed off
        assert reading.power_dbfs == pytest.approx(expected, abs=0.05)
        on, off = on + (expected == -50.0), off + (expected == -100.0)
        assert reading.gain.profile_key == "rtl|2m"
    assert on >= 10 and off >= 10
    assert sum(r.comparable for r in readings) >= len(readings) - 6  # the first 0.2 s are settling
    dsp = [m for m in server.received if m.get("type") == "dspcontrol" and "params" in m]
    assert dsp[-1]["params"]["offset_freq"] == 500_000 and dsp[-1]["params"]["high_cut"] == 6250.0


async def test_switches_profile_when_alone() -> None:
    async with FakeOpenWebRxServer(lambda t: -60.0, FakeOpenWebRxOptions(**FAST)) as server:
        c = client(server)
        readings, error = await collect(c.readings(Tuning(SEVENTY_CM_HZ)), duration_s=5.0, count=10)
    assert error is None and len(readings) == 10
    assert server.profile_switches == ["rtl|70cm"]
    assert readings[-1].gain.profile_key == "rtl|70cm" and readings[-1].gain.center_frequency_hz == 433_500_000
    assert c.users == 1


@pytest.mark.parametrize("others", [1, 3])
async def test_never_switches_a_profile_others_listen_to(others: int) -> None:
    async with FakeOpenWebRxServer(lambda t: -60.0, FakeOpenWebRxOptions(other_users=others, **FAST)) as server:
        c = client(server)
        readings, error = await collect(c.readings(Tuning(SEVENTY_CM_HZ)), duration_s=5.0)
    assert readings == [] and error is not None and error.reason is RefusalReason.PROFILE_IN_USE
    assert server.profile_switches == [] and not [m for m in server.received if m["type"] == "selectprofile"]
    assert (c.status.state, c.status.reason) == (ReceiverState.FAILED, RefusalReason.PROFILE_IN_USE)


async def test_a_locked_profile() -> None:
    options = FakeOpenWebRxOptions(locked_profiles=frozenset({"rtl|70cm"}), **FAST)
    async with FakeOpenWebRxServer(lambda t: -60.0, options) as server:
        _, error = await collect(client(server).readings(Tuning(SEVENTY_CM_HZ)), duration_s=5.0)
    assert error is not None and error.reason is RefusalReason.PROFILE_LOCKED


async def test_another_user_moves_the_profile_under_us() -> None:
    nearby = FakeProfile("rtl", "RTL-SDR", "2m-hi", "2m upper", 145_800_000, 2_400_000)
    options = FakeOpenWebRxOptions(profiles=(*DEFAULT_PROFILES, nearby), **FAST)
    readings: list[PowerReading] = []
    async with FakeOpenWebRxServer(lambda t: -60.0, options) as server:
        c = client(server)

        async def another_user() -> None:
            while len(readings) < 5:
                await asyncio.sleep(0.02)
            await server.switch_profile("rtl|2m-hi")  # still covers 145.5 MHz: we retune
            while len(readings) < 15:
                await asyncio.sleep(0.02)
            await server.switch_profile("rtl|70cm")  # no longer covers it: we leave

        mover = asyncio.create_task(another_user())
        _, error = await collect(c.readings(Tuning(TWO_M_HZ)), duration_s=10.0, into=readings)
        await mover
    assert error is not None and error.reason is RefusalReason.PROFILE_IN_USE
    keys = [r.gain.profile_key for r in readings]
    assert keys[0] == "rtl|2m" and "rtl|2m-hi" in keys
    offsets = [m["params"]["offset_freq"] for m in server.received if m["type"] == "dspcontrol" and "params" in m]
    assert offsets == [500_000, -300_000]
    assert c.status.issues["profile_changed"] == 2


@pytest.mark.parametrize("fault, reason", [
    ({"drop_after_s": 0.5}, RefusalReason.DROPPED),
    ({"close_after_s": 0.5}, RefusalReason.KICKED),
    ({"silent_after_s": 0.5}, RefusalReason.DROPPED),
])
async def test_a_receiver_that_goes_away_mid_stream(fault: dict[str, float], reason: RefusalReason) -> None:
    async with FakeOpenWebRxServer(lambda t: -60.0, FakeOpenWebRxOptions(**FAST, **fault)) as server:  # type: ignore[arg-type]
        c = client(server, timeout_s=1.0)
        readings, error = await collect(c.readings(Tuning(TWO_M_HZ)), duration_s=8.0)
    assert len(readings) >= 3 and error is not None and error.reason is reason and error.reason.retryable
    assert (c.status.state, c.status.reason) == (ReceiverState.FAILED, reason)


async def test_bad_input_is_marked_and_the_stream_goes_on() -> None:
    options = FakeOpenWebRxOptions(malformed_every=3, nan_every=4, out_of_order=True, **FAST)
    seen: list[str] = []
    async with FakeOpenWebRxServer(lambda t: -60.0, options) as server:
        c = client(server, listener=lambda status: seen.append(status.state.value))
        readings, error = await collect(c.readings(Tuning(TWO_M_HZ)), duration_s=8.0, count=30)
    assert error is None and len(readings) == 30
    assert all(r.power_dbfs == pytest.approx(-60.0, abs=0.01) for r in readings)
    issues = c.status.issues
    assert issues["malformed"] >= 5 and issues["not_a_number"] >= 5 and issues["out_of_order"] >= 2
    assert "streaming" in seen and c.status.last_issue is not None


async def test_declared_agc_flags_every_reading() -> None:
    async with FakeOpenWebRxServer(lambda t: -60.0, FakeOpenWebRxOptions(**FAST)) as server:
        c = client(server, gain_mode=GainMode.AGC)
        readings, _ = await collect(c.readings(Tuning(TWO_M_HZ)), duration_s=5.0, count=10)
    assert readings and all(PowerFlag.AGC in r.flags and not r.comparable for r in readings)


async def test_an_undeclared_agc_is_seen_in_the_noise_floor() -> None:
    def strong_after_1_5_s(t_s: float) -> float | None:
        return -20.0 if t_s > 1.5 else None

    options = FakeOpenWebRxOptions(agc=True, agc_target_dbfs=-40.0, signal_frequency_hz=TWO_M_HZ, **FAST)
    async with FakeOpenWebRxServer(strong_after_1_5_s, options) as server:
        c = client(server, gain_mode=GainMode.MANUAL)
        readings, _ = await collect(c.readings(Tuning(TWO_M_HZ)), duration_s=3.0)
    sent_at = [t_s for t_s, _ in sent_to(server)]
    before = [r for r, t_s in zip(readings, sent_at, strict=False) if 0.6 < t_s < 1.4]
    after = [r for r, t_s in zip(readings, sent_at, strict=False) if t_s > 1.8]
    assert before and after
    assert all(r.comparable and r.power_dbfs == pytest.approx(-100.0, abs=0.1) for r in before)
    # the AGC holds the signal at -40 dBFS: without the flag this would read as a 60 dB rise, not 80
    assert all(PowerFlag.GAIN_CHANGED in r.flags and not r.comparable for r in after)
    assert all(r.gain.floor_shift_db is not None and r.gain.floor_shift_db < -15 for r in after)
    assert c.status.issues["gain_changed"] == 1


@pytest.mark.parametrize("fault, reason", [
    ({"backoff": "Too many clients"}, RefusalReason.TOO_BUSY),
    ({"sdr_error": "No SDR Devices available"}, RefusalReason.DOWN),
])
async def test_refusals_from_the_server(fault: dict[str, str], reason: RefusalReason) -> None:
    async with FakeOpenWebRxServer(lambda t: -60.0, FakeOpenWebRxOptions(**FAST, **fault)) as server:  # type: ignore[arg-type]
        readings, error = await collect(client(server).readings(Tuning(TWO_M_HZ)), duration_s=5.0)
    assert readings == [] and error is not None and error.reason is reason


@pytest.mark.parametrize("legacy", [False, True])
async def test_status_page(legacy: bool) -> None:
    async with FakeOpenWebRxServer(lambda t: None, FakeOpenWebRxOptions(legacy_status=legacy)) as server:
        status = await client(server).fetch_status()
    assert (status.name, status.lat_deg, status.lon_deg, status.version) == ("Fake OpenWebRX", 45.0, 7.5, "1.2.77")
    assert [p.label for p in status.profiles] == ["RTL-SDR 2m band", "RTL-SDR 70cm band", "Airspy Airband"]
    assert status.users == (0 if legacy else None)
    assert status.receiver_info()["kind"] == "openwebrx"


async def test_nothing_there_and_not_openwebrx() -> None:
    dead = OpenWebRxClient(f"http://127.0.0.1:{unused_port()}/", receiver_id="x", timeout_s=2.0)
    _, error = await collect(dead.readings(Tuning(TWO_M_HZ)), duration_s=5.0)
    assert error is not None and error.reason is RefusalReason.UNREACHABLE
    async with FakeKrakenServer(lambda t: None) as kraken:  # answers HTTP, but 404 for /status.json
        other = OpenWebRxClient(kraken.url, receiver_id="x", timeout_s=2.0)
        _, error = await collect(other.readings(Tuning(TWO_M_HZ)), duration_s=5.0)
    assert error is not None and error.reason is RefusalReason.NOT_THIS_KIND


async def test_hanging_up_mid_flood_always_ends_the_stream() -> None:
    """A cancellation that lands together with a frame must not be lost (Python 3.11's wait_for loses it)."""
    options = FakeOpenWebRxOptions(smeter_interval_s=0.002, fft_interval_s=0.002)
    async with FakeOpenWebRxServer(lambda t: -60.0, options) as server:
        for attempt in range(8):
            c = client(server)
            _readings, error = await collect(c.readings(Tuning(TWO_M_HZ)), duration_s=0.4 + 0.01 * attempt)
            assert error is None and c.status.state is ReceiverState.CLOSED
