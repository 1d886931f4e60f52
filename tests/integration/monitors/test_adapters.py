"""The monitor's receiver adapters against fake receivers: readings flow into the sink, the lamp says
``listening``, and a receiver that drops is marked with the reason and reconnected with back-off."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
from pathlib import Path

from heimdall.receivers.kraken import BearingReading
from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay, shared_clock
from heimdall.receivers.simulated.kiwisdr_server import FakeKiwiOptions, FakeKiwiSDR
from heimdall.receivers.simulated.kraken_server import FakeKrakenOptions, FakeKrakenServer, KrakenSample
from heimdall.receivers.simulated.openwebrx_server import FakeOpenWebRxOptions, FakeOpenWebRxServer
from heimdall.services.monitors.adapters import Lamps, watch_kiwisdr, watch_kraken, watch_openwebrx
from heimdall.services.monitors.watch import WatchedReceiver

DF0KL = Path(__file__).resolve().parents[2] / "fixtures" / "kiwi-dcf77" / "20171127T104156Z_77500_DF0KL_iq.wav"
WAIT_S = 30.0


def lamps_for(receiver: WatchedReceiver) -> Lamps:
    return Lamps([{"receiver_id": receiver.receiver_id, "name": receiver.name, "kind": receiver.kind,
                   "state": "connecting", "reason": None}])


async def until(check: object, timeout_s: float = WAIT_S) -> None:
    async with asyncio.timeout(timeout_s):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.05)


async def test_kiwisdr_iq_energy_becomes_power_readings() -> None:
    replay = KiwiReplay(DF0KL)
    fake = await FakeKiwiSDR(replay, shared_clock([replay]), FakeKiwiOptions(name="DF0KL", drop_after_s=2.0)).start()
    receiver = WatchedReceiver("kiwi-1", "DF0KL", "kiwisdr", fake.url, 53.66, 7.28, 0.0)
    lamps, readings = lamps_for(receiver), []
    channel = {"frequency_hz": 77_500.0, "passband_hz": 1_000.0}
    task = asyncio.create_task(watch_kiwisdr(receiver, channel, "77500", lambda *r: readings.append(r), lamps,
                                             reconnect_s=0.5))
    try:
        await until(lambda: len(readings) >= 4 and lamps.entries["kiwi-1"]["state"] == "listening")
        await until(lambda: lamps.entries["kiwi-1"].get("failures", 0) >= 1)
        await until(lambda: "retrying in" in (lamps.entries["kiwi-1"]["reason"] or ""))
        assert "dropped" in lamps.entries["kiwi-1"]["last_failure"]
        count = len(readings)
        await until(lambda: len(readings) > count)  # reconnected
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await fake.stop()
    times = [r[2] for r in readings]
    assert all(r[:2] == ("kiwi-1", "77500") and math.isfinite(r[3]) and -80 < r[3] < 0 for r in readings)
    assert times == sorted(times) and all(b - a >= 0.2 for a, b in itertools.pairwise(times))


async def test_openwebrx_refusal_is_shown_and_retried() -> None:
    options = FakeOpenWebRxOptions(backoff="Too many clients", smeter_interval_s=0.1)
    fake = await FakeOpenWebRxServer(lambda _t: None, options).start()
    receiver = WatchedReceiver("owrx-1", "Busy", "openwebrx", fake.url, 45.0, 7.5, 0.0)
    lamps = lamps_for(receiver)
    channel = {"frequency_hz": 145_500_000.0, "passband_hz": 12_500.0}
    task = asyncio.create_task(watch_openwebrx(receiver, channel, "145500000", lambda *_r: None, lamps,
                                               reconnect_s=0.2))
    try:
        await until(lambda: lamps.entries["owrx-1"].get("failures", 0) >= 2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await fake.stop()
    entry = lamps.entries["owrx-1"]
    assert entry["state"] == "failed" and "too_busy" in entry["reason"] and lamps.dirty


async def test_malformed_and_nan_input_is_skipped_and_shown() -> None:
    """A KrakenSDR writing garbage, NaN bearings and stale lines, and an OpenWebRX sending garbage and NaN
    S-meter values: good readings keep flowing, the lamps count the rest and say the last one."""
    kraken = await FakeKrakenServer(lambda _t: KrakenSample(40.0, 45.0, 7.5, 0.0), FakeKrakenOptions(
        update_interval_s=0.1, malformed_every=3, nan_every=4, out_of_order_every=5)).start()
    owrx = await FakeOpenWebRxServer(lambda _t: -60.0, FakeOpenWebRxOptions(
        smeter_interval_s=0.05, malformed_every=3, nan_every=4, signal_frequency_hz=145_500_000)).start()
    k_rx = WatchedReceiver("k", "K", "kraken", kraken.url, 45.0, 7.5, 0.0)
    o_rx = WatchedReceiver("o", "O", "openwebrx", owrx.url, 45.0, 7.5, 0.0)
    lamps = Lamps([lamps_for(k_rx).entries["k"], lamps_for(o_rx).entries["o"]])
    bearings: list[BearingReading] = []
    powers: list[tuple[object, ...]] = []
    channel = {"frequency_hz": 145_500_000.0, "passband_hz": 12_500.0}
    tasks = [asyncio.create_task(watch_kraken(k_rx, bearings.append, lamps, poll_interval_s=0.05, reconnect_s=0.2)),
             asyncio.create_task(watch_openwebrx(o_rx, channel, "c", lambda *r: powers.append(r), lamps,
                                                 reconnect_s=0.2))]
    try:
        await until(lambda: len(bearings) >= 5 and len(powers) >= 10
                    and sum(lamps.entries["k"]["issues"].values()) >= 2 and sum(lamps.entries["o"]["issues"].values()) >= 2)
        entries = lamps.to_list()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await kraken.stop()
        await owrx.stop()
    assert all(math.isfinite(b.bearing_deg) for b in bearings)
    assert all(math.isfinite(p[3]) for p in powers)  # type: ignore[arg-type]
    for entry in entries:
        assert entry["state"] == "listening" and entry["reason"] and entry.get("failures", 0) == 0, entry


async def test_a_shared_openwebrx_is_never_switched_to_another_profile() -> None:
    """Someone listens on the 2 m profile; a 70 cm channel would need a switch: refused, retried, never done."""
    fake = await FakeOpenWebRxServer(lambda _t: -60.0, FakeOpenWebRxOptions(other_users=1)).start()
    receiver = WatchedReceiver("o", "Shared", "openwebrx", fake.url, 45.0, 7.5, 0.0)
    lamps = lamps_for(receiver)
    channel = {"frequency_hz": 433_900_000.0, "passband_hz": 12_500.0}
    task = asyncio.create_task(watch_openwebrx(receiver, channel, "c", lambda *_r: None, lamps, reconnect_s=0.2))
    try:
        await until(lambda: lamps.entries["o"].get("failures", 0) >= 2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await fake.stop()
    assert "profile_in_use" in lamps.entries["o"]["last_failure"] and fake.profile_switches == []


async def test_a_krakensdr_that_stops_publishing_shows_stale() -> None:
    fake = await FakeKrakenServer(lambda _t: KrakenSample(40.0, 45.0, 7.5, 0.0), FakeKrakenOptions(
        update_interval_s=0.1, stop_publishing_after_s=1.5)).start()
    receiver = WatchedReceiver("k", "K", "kraken", fake.url, 45.0, 7.5, 0.0)
    lamps, bearings = lamps_for(receiver), []
    task = asyncio.create_task(watch_kraken(receiver, bearings.append, lamps, poll_interval_s=0.05,
                                            reconnect_s=0.2, stale_after_s=0.5))
    try:
        await until(lambda: lamps.entries["k"]["state"] == "stale")
        entry = dict(lamps.entries["k"])
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await fake.stop()
    assert bearings and "stopped_publishing" in entry["reason"] and entry.get("failures", 0) == 0
