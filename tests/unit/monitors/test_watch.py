"""The monitor's pure core: S-meter readings and KrakenSDR bearings in, one measurement set per
transmission out (seeded readings, no IO)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heimdall.receivers.kraken import BearingReading
from heimdall.receivers.kraken.bearing import BearingFlag
from heimdall.receivers.kraken.formats import KrakenFormat
from heimdall.services.monitors.watch import Watch, WatchedReceiver

CHANNEL = "145500000"
RECEIVERS = [WatchedReceiver("owrx-1", "West", "openwebrx", "http://a/", 45.0, 7.4, 100.0),
             WatchedReceiver("owrx-2", "East", "openwebrx", "http://b/", 45.0, 7.6, 200.0),
             WatchedReceiver("kraken-1", "North", "kraken", "http://c/", 45.1, 7.5, 50.0),
             WatchedReceiver("kraken-2", "South", "kraken", "http://d/", 44.9, 7.5, 50.0)]


def config(min_receivers: int = 3) -> dict[str, object]:
    return {"channels": [{"frequency_hz": 145_500_000.0, "passband_hz": 12_500.0, "threshold_db": 10.0}],
            "min_receivers": min_receivers, "cot": [], "options": {"grouping": {"settle_s": 1.0}}}


def bearing(receiver_id: str, time_s: float, bearing_deg: float, *, frequency_hz: float = 145_500_000.0,
            flags: frozenset[BearingFlag] = frozenset()) -> BearingReading:
    return BearingReading(receiver_id, None, time_s, time_s, frequency_hz, bearing_deg, 3.0, None, None, 12.0, -40.0,
                          45.1 if receiver_id == "kraken-1" else 44.9, 7.5, None, KrakenFormat.KRAKEN_APP, flags)


def run(watch: Watch, *, bearings: dict[str, float], over: tuple[float, float] = (20.0, 24.0),
        end_s: float = 40.0) -> list[object]:
    rng = np.random.default_rng(3)
    done = []
    for step in range(int(end_s / 0.1)):
        time_s = step * 0.1
        keyed = over[0] <= time_s < over[1]
        for receiver_id, signal_db in (("owrx-1", -60.0), ("owrx-2", -70.0)):
            power = signal_db if keyed else -100.0
            watch.power(receiver_id, CHANNEL, time_s, power + rng.normal(0.0, 0.5))
        if keyed and step % 3 == 0:
            for receiver_id, value in bearings.items():
                watch.bearing(bearing(receiver_id, time_s, value + rng.normal(0.0, 0.5)))
        done += watch.poll(time_s)
    return done


def test_one_transmission_one_measurement_set() -> None:
    watch = Watch("monitor-1", config(), RECEIVERS)
    [transmission] = run(watch, bearings={"kraken-1": 359.5, "kraken-2": 180.0})
    assert set(transmission.receiver_ids) == {"owrx-1", "owrx-2", "kraken-1", "kraken-2"}  # type: ignore[attr-defined]
    doc, used, reason = watch.measurement_set(transmission)  # type: ignore[arg-type]
    assert reason is None and doc is not None and used == ["kraken-1", "kraken-2", "owrx-1", "owrx-2"]
    rss = {e["receiver"]: e for e in doc["rss"]}
    assert rss["owrx-1"]["power_dbm"] - rss["owrx-2"]["power_dbm"] == pytest.approx(10.0, abs=0.3)
    assert rss["owrx-1"]["sigma_db"] > 17  # uncalibrated: the honest prior
    aoa = {e["receiver"]: e for e in doc["aoa"]}
    # the circular mean across north: around 359.5, not 180
    assert min(aoa["kraken-1"]["bearing_deg"], 360 - aoa["kraken-1"]["bearing_deg"]) < 1.5
    assert aoa["kraken-2"]["bearing_deg"] == pytest.approx(180.0, abs=0.5)
    assert aoa["kraken-1"]["sigma_deg"] == 3.0
    positions = {r["id"]: (r["lat"], r["lon"], r["alt_m"]) for r in doc["receivers"]}
    assert positions["kraken-1"] == pytest.approx((45.1, 7.5, 50.0)) and positions["owrx-2"] == (45.0, 7.6, 200.0)


def test_too_few_receivers_says_why() -> None:
    watch = Watch("monitor-1", config(min_receivers=3), RECEIVERS)
    [transmission] = run(watch, bearings={})
    doc, used, reason = watch.measurement_set(transmission)  # type: ignore[arg-type]
    assert doc is None and used == ["owrx-1", "owrx-2"] and reason is not None and "min_receivers is 3" in reason


def test_bearings_off_channel_or_unusable_are_not_used() -> None:
    watch = Watch("monitor-1", config(min_receivers=1), RECEIVERS)
    assert watch.bearing(bearing("kraken-1", 1.0, 10.0, frequency_hz=433e6)) is None
    assert watch.bearing(bearing("kraken-1", 1.0, 10.0, flags=frozenset({BearingFlag.LOW_CONFIDENCE}))) is None
    assert watch.unmatched_bearings == 1 and not watch.bearings


def test_a_kraken_alone_makes_transmissions_from_its_bursts() -> None:
    watch = Watch("monitor-1", config(min_receivers=1), RECEIVERS[2:3])
    done = []
    for index, start_s in enumerate((10.0, 20.0)):
        for step in range(10):
            watch.bearing(bearing("kraken-1", start_s + 0.2 * step, 42.0 + index))
        done += watch.poll(start_s + 2.0)
    done += watch.poll(40.0)
    assert len(done) == 2
    for transmission, expected in zip(done, (42.0, 43.0), strict=True):
        doc, _, _ = watch.measurement_set(transmission)
        assert doc is not None and math.isclose(doc["aoa"][0]["bearing_deg"], expected, abs_tol=1e-6)
        assert transmission.end_s - transmission.start_s == pytest.approx(1.8)


def test_a_calibrated_receiver_gets_its_offset_and_sigma() -> None:
    offsets = {"owrx-1": [{"low_hz": 144e6, "high_hz": 146e6, "offset_db": -20.0, "sigma_db": 2.0}]}
    watch = Watch("monitor-1", {**config(min_receivers=2), "options": {"gain_offsets": offsets}}, RECEIVERS)
    [transmission] = run(watch, bearings={})
    doc, _, _ = watch.measurement_set(transmission)  # type: ignore[arg-type]
    assert doc is not None
    rss = {e["receiver"]: e for e in doc["rss"]}
    assert rss["owrx-1"]["power_dbm"] == pytest.approx(-80.0, abs=0.3)  # -60 dBFS + -20 dB
    assert rss["owrx-1"]["sigma_db"] == pytest.approx(math.sqrt(2.0**2 + 0.5**2 + 1.7**2))
    assert rss["owrx-2"]["power_dbm"] == pytest.approx(-115.0, abs=0.3) and rss["owrx-2"]["sigma_db"] > 17
