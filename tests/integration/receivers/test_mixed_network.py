"""A transmitter keying on and off while it moves past a mixed network: two OpenWebRX receivers (power)
and a KrakenSDR station (bearings), each a fake server driven by the same scenario. One OpenWebRX drops
out mid-watch; the others keep measuring."""

from __future__ import annotations

import asyncio

import pytest

from heimdall.geo import bearing_deg, geodetic_to_ecef, slant_distance_m
from heimdall.receivers.kraken import KrakenPoller, KrakenStation
from heimdall.receivers.kraken.formats import angle_difference_deg
from heimdall.receivers.openwebrx import BandOffset, GainMode, OpenWebRxClient, PowerModel, Tuning
from heimdall.receivers.simulated.kraken_server import FakeKrakenOptions, FakeKrakenServer, KrakenSample
from heimdall.receivers.simulated.openwebrx_server import FakeOpenWebRxOptions, FakeOpenWebRxServer
from heimdall.receivers.states import RefusalReason
from heimdall.rf.propagation.log_distance import received_power_dbm

from .conftest import collect

FREQUENCY_HZ = 145_500_000
EIRP_DBM = 40.0
# an east-west pass 560 m north of the KrakenSDR, 3.1 km in 4 s: fast, so the bearing sweeps ~140 degrees
START, END, DURATION_S = (45.025, 7.53), (45.025, 7.57), 4.0
OWRX = {"owrx-a": ((45.05, 7.35), -25.0), "owrx-b": ((45.15, 7.55), -30.0)}  # position, offset_db (dBm at 0 dBFS)
KRAKEN = ((45.02, 7.55), 45.0)  # position, array heading
DROP_S = 2.0


def transmitter(t_s: float) -> tuple[float, float]:
    f = min(max(t_s / DURATION_S, 0.0), 1.0)
    return START[0] + f * (END[0] - START[0]), START[1] + f * (END[1] - START[1])


def keyed(t_s: float) -> bool:
    return (t_s % 1.0) < 0.6


def received_dbm(receiver: tuple[float, float], t_s: float) -> float:
    distance = slant_distance_m(geodetic_to_ecef(*receiver, 10.0), geodetic_to_ecef(*transmitter(t_s), 2.0))
    return float(received_power_dbm(EIRP_DBM, distance, FREQUENCY_HZ))


def owrx_source(name: str):  # type: ignore[no-untyped-def]
    position, offset_db = OWRX[name]
    return lambda t_s: received_dbm(position, t_s) - offset_db if keyed(t_s) else None


def kraken_source(t_s: float) -> KrakenSample | None:
    if not keyed(t_s):
        return None  # below the station's squelch: the DSP writes nothing
    (lat, lon), heading = KRAKEN
    return KrakenSample(float(bearing_deg(lat, lon, 0.0, *transmitter(t_s), 0.0)), lat, lon, heading)


async def test_a_moving_keyed_transmitter_past_a_mixed_network() -> None:
    fast = {"smeter_interval_s": 0.05, "fft_interval_s": 0.05, "signal_frequency_hz": FREQUENCY_HZ}
    servers = {
        "owrx-a": FakeOpenWebRxServer(owrx_source("owrx-a"), FakeOpenWebRxOptions(**fast)),  # type: ignore[arg-type]
        "owrx-b": FakeOpenWebRxServer(owrx_source("owrx-b"), FakeOpenWebRxOptions(drop_after_s=DROP_S, **fast)),  # type: ignore[arg-type]
    }
    kraken = FakeKrakenServer(kraken_source, FakeKrakenOptions(update_interval_s=0.1))
    for server in servers.values():
        await server.start()
    await kraken.start()
    try:
        clients = {name: OpenWebRxClient(s.url, receiver_id=name, gain_mode=GainMode.MANUAL, timeout_s=2.0,
                                         settle_s=0.2, fft_interval_s=0.05) for name, s in servers.items()}
        (lat, lon), heading = KRAKEN
        poller = KrakenPoller(kraken.url, KrakenStation("kraken", lat_deg=lat, lon_deg=lon, heading_deg=heading),
                              interval_s=0.05, stale_after_s=0.8)
        results = await asyncio.gather(
            *(collect(c.readings(Tuning(FREQUENCY_HZ)), duration_s=DURATION_S) for c in clients.values()),
            collect(poller.readings(), duration_s=DURATION_S))
    finally:
        for server in servers.values():
            await server.stop()
        await kraken.stop()
    (a, a_error), (b, b_error), (bearings, k_error) = results

    # the dropped receiver says why; the others went on
    assert a_error is None and k_error is None
    assert b_error is not None and b_error.reason is RefusalReason.DROPPED
    t0 = servers["owrx-a"].started_at_s
    assert max(r.time_s for r in a) - t0 > DROP_S + 1.0

    # powers follow the moving, keyed transmitter once the offsets turn dBFS into dBm
    for name, readings in (("owrx-a", a), ("owrx-b", b)):
        position, offset_db = OWRX[name]
        model = PowerModel([BandOffset(144e6, 146e6, offset_db, 1.0)])
        # the scenario time each value was measured at, from the fake's log (arrival times lag under load)
        sent_at = [t_s for number, t_s, _ in servers[name].smeter_log if number == 0]
        paired = [(r, t_s) for r, t_s in zip(readings, sent_at, strict=False) if r.comparable]
        on = [(r, t_s) for r, t_s in paired if keyed(t_s)]
        off = [r for r, t_s in paired if not keyed(t_s)]
        assert len(on) >= 8 and len(off) >= 3, name
        for r, t_s in on:
            assert model.to_dbm(r).power_dbm == pytest.approx(received_dbm(position, t_s), abs=0.05)
        assert all(r.power_dbfs == pytest.approx(-100.0, abs=0.1) for r in off)

    # bearings follow it too, and only while it transmits
    assert len(bearings) >= 10
    for r in bearings:
        t_s = r.time_s - kraken.started_at_s
        assert keyed(t_s - 0.02) or keyed(t_s)
        truth = float(bearing_deg(lat, lon, 0.0, *transmitter(t_s), 0.0))
        assert angle_difference_deg(r.bearing_deg, truth) < 1.5
    span = [float(bearing_deg(lat, lon, 0.0, *transmitter(t), 0.0)) for t in (0.0, DURATION_S)]
    assert angle_difference_deg(*span) > 100  # the transmitter really swept past the station
