"""KrakenPoller against the fake KrakenSDR station over real HTTP on loopback."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.geo import bearing_deg
from heimdall.receivers.kraken import BearingFlag, ConfidenceModel, KrakenPoller, KrakenStation
from heimdall.receivers.kraken.formats import angle_difference_deg
from heimdall.receivers.simulated.kraken_server import FakeKrakenOptions, FakeKrakenServer, KrakenSample
from heimdall.receivers.simulated.openwebrx_server import FakeOpenWebRxServer
from heimdall.receivers.states import ReceiverState, RefusalReason
from heimdall.receivers.stream_status import StreamStatus

from .conftest import collect, unused_port

TX = (45.20, 7.70)  # a fixed transmitter


def moving_station(t_s: float) -> KrakenSample:
    """A car driving north-east at ~36 m/s, its array turning with it, the transmitter to its north-east."""
    lat, lon = 45.0 + 0.0003 * t_s, 7.5 + 0.0002 * t_s
    heading = (30.0 + 25.0 * t_s) % 360.0  # the road bends: the heading changes every update
    true = float(bearing_deg(lat, lon, 0.0, *TX, 0.0))
    return KrakenSample(true, lat, lon, heading, peak_width_deg=3.0, speed_m_s=36.0)


def poller(server: FakeKrakenServer, station: KrakenStation, **options: object) -> KrakenPoller:
    defaults: dict[str, object] = {"interval_s": 0.05, "timeout_s": 2.0, "stale_after_s": 0.6,
                                   "unreachable_after_s": 0.6}
    return KrakenPoller(server.url, station, **{**defaults, **options})  # type: ignore[arg-type]


@pytest.mark.parametrize("document, path", [("kraken_app", "DOA_value.html"), ("kraken_app", "doa.xml"),
                                            ("legacy", "DOA_value.html")])
async def test_a_moving_station_gives_true_bearings(document: str, path: str) -> None:
    options = FakeKrakenOptions(update_interval_s=0.1, legacy_ccw=document == "legacy")
    async with FakeKrakenServer(moving_station, options) as server:
        p = poller(server, KrakenStation("kraken", station_id="FAKE-KRAKEN", mobile=True), path=path)
        readings, error = await collect(p.readings(), duration_s=6.0, count=12)
    assert error is None and len(readings) == 12
    times = [r.time_s for r in readings]
    assert times == sorted(times) and len(set(times)) == 12  # each published frame exactly once
    for r in readings:
        truth = moving_station(r.time_s - server.started_at_s)
        # theta sits on the DSP's 1-degree grid; the sample was drawn a few ms before the time stamp
        assumed = BearingFlag.REFERENCE_ASSUMED in r.flags
        assert angle_difference_deg(r.bearing_deg, truth.bearing_deg) < (3.5 if assumed else 1.5)
        assert (r.lat_deg, r.lon_deg) == pytest.approx((truth.lat_deg, truth.lon_deg), abs=2e-5)
        assert angle_difference_deg(r.heading_deg or 0.0, truth.heading_deg) < 0.2
        assert r.usable
        # only a Kraken App line whose peak sits within 1.5 degrees of 0 or 180 cannot tell its direction
        relative = r.relative_bearing_deg or 0.0
        if assumed:
            assert path == "DOA_value.html" and min(relative % 180.0, 180.0 - relative % 180.0) <= 2.5
        assert r.sigma_deg == pytest.approx(ConfidenceModel().sigma_deg(r.confidence_db, 2.0)[0])
    headings = [r.heading_deg for r in readings]
    assert np.ptp(np.unwrap(np.radians(headings))) > np.radians(20)  # the heading really moved
    assert (p.status.state, p.status.issues) == (ReceiverState.STREAMING, {}) or p.status.state is ReceiverState.CLOSED


async def test_stopped_publishing_is_marked_and_cleared() -> None:
    def squelched_between_1_and_2_5_s(t_s: float) -> KrakenSample | None:
        return None if 1.0 < t_s < 2.5 else KrakenSample(120.0, 45.0, 7.5, 0.0)

    marks: list[tuple[str, str | None]] = []

    def listen(status: StreamStatus) -> None:
        marks.append((status.state.value, None if status.reason is None else status.reason.value))

    async with FakeKrakenServer(squelched_between_1_and_2_5_s, FakeKrakenOptions(update_interval_s=0.1)) as server:
        p = poller(server, KrakenStation("kraken"), listener=listen)
        readings, error = await collect(p.readings(), duration_s=4.0)
    assert error is None
    quiet = marks.index(("connected", "stopped_publishing"))
    assert ("streaming", None) in marks[:quiet] and ("streaming", None) in marks[quiet:]
    gaps = np.diff([r.time_s for r in readings])
    assert gaps.max() > 1.2  # the squelched stretch, and news on both sides of it
    assert all(angle_difference_deg(r.bearing_deg, 120.0) < 1.0 for r in readings)


async def test_a_dsp_that_stops_for_good_leaves_the_poller_running() -> None:
    options = FakeKrakenOptions(update_interval_s=0.1, stop_publishing_after_s=1.0)
    reasons: list[RefusalReason | None] = []
    async with FakeKrakenServer(lambda t: KrakenSample(45.0, 45.0, 7.5, 10.0), options) as server:
        p = poller(server, KrakenStation("kraken"), listener=lambda status: reasons.append(status.reason))
        readings, error = await collect(p.readings(), duration_s=3.0)
        requests_at_end = server.requests
    assert error is None and readings
    assert reasons[-2:] == [RefusalReason.STOPPED_PUBLISHING, None]  # marked, until we hung up
    assert p.status.state is ReceiverState.CLOSED  # closed by us, not failed
    assert requests_at_end > 30  # it kept polling the stale file
    assert max(r.time_s for r in readings) - server.started_at_s < 1.2


async def test_a_station_that_drops_off_the_network() -> None:
    options = FakeKrakenOptions(update_interval_s=0.1, drop_after_s=1.0)
    async with FakeKrakenServer(lambda t: KrakenSample(45.0, 45.0, 7.5, 10.0), options) as server:
        p = poller(server, KrakenStation("kraken"))
        readings, error = await collect(p.readings(), duration_s=5.0)
    assert readings and error is not None and error.reason is RefusalReason.DROPPED
    assert (p.status.state, p.status.reason) == (ReceiverState.FAILED, RefusalReason.DROPPED)


async def test_bad_input_is_marked_and_the_poller_goes_on() -> None:
    options = FakeKrakenOptions(update_interval_s=0.1, malformed_every=3, nan_every=5, out_of_order_every=4)
    async with FakeKrakenServer(lambda t: KrakenSample(200.0, 45.0, 7.5, 90.0), options) as server:
        p = poller(server, KrakenStation("kraken"), stale_after_s=5.0)
        readings, error = await collect(p.readings(), duration_s=8.0, count=12)
    assert error is None and len(readings) == 12
    assert all(angle_difference_deg(r.bearing_deg, 200.0) < 1.0 for r in readings)
    issues = p.status.issues
    assert issues["malformed"] >= 2 and issues["not_a_number"] >= 1 and issues["out_of_order"] >= 1


async def test_a_mobile_station_without_gnss_fix_gives_nothing_but_says_why() -> None:
    options = FakeKrakenOptions(update_interval_s=0.1, gnss_fix=False)
    async with FakeKrakenServer(lambda t: KrakenSample(200.0, 45.0, 7.5, 90.0), options) as server:
        p = poller(server, KrakenStation("kraken", mobile=True), stale_after_s=5.0)
        readings, error = await collect(p.readings(), duration_s=1.5)
    assert readings == [] and error is None and p.status.issues["no_position"] >= 3


async def test_kerberos_needs_the_registered_heading() -> None:
    options = FakeKrakenOptions(update_interval_s=0.1, document="kerberos")

    def source(t_s: float) -> KrakenSample:
        return KrakenSample(250.0 + 20 * t_s, 45.0, 7.5, 70.0)  # the array points at 70 degrees

    async with FakeKrakenServer(source, options) as server:
        registered = KrakenStation("kraken", lat_deg=45.0, lon_deg=7.5, heading_deg=70.0)
        good, error = await collect(poller(server, registered).readings(), duration_s=5.0, count=5)
        bare = poller(server, KrakenStation("kraken", lat_deg=45.0, lon_deg=7.5), stale_after_s=5.0)
        nothing, _ = await collect(bare.readings(), duration_s=1.0)
    assert error is None and len(good) == 5
    for r in good:
        assert {BearingFlag.HEADING_REGISTERED, BearingFlag.POSITION_REGISTERED} <= r.flags
        assert angle_difference_deg(r.bearing_deg, 250.0 + 20 * (r.time_s - server.started_at_s)) < 2.5
    assert nothing == [] and bare.status.issues["no_heading"] >= 3


async def test_nothing_there_and_not_a_kraken() -> None:
    dead = KrakenPoller(f"http://127.0.0.1:{unused_port()}/", KrakenStation("k"), timeout_s=1.0)
    _, error = await collect(dead.readings(), duration_s=5.0)
    assert error is not None and error.reason is RefusalReason.UNREACHABLE
    async with FakeOpenWebRxServer(lambda t: None) as owrx:  # answers HTTP, 404 for DOA_value.html
        _, error = await collect(KrakenPoller(owrx.url, KrakenStation("k")).readings(), duration_s=5.0)
    assert error is not None and error.reason is RefusalReason.NOT_THIS_KIND
