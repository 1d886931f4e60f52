"""The streaming transmission detector on synthetic S-meter and IQ streams (seeded)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.rf.detect import Detector, DetectorBank, DetectorConfig, detect_series, iq_power_readings

FLOOR_DB = -120.0
RATE_HZ = 10.0


def power_stream(rng: np.random.Generator, duration_s: float, overs: list[tuple[float, float, float]],
                 noise_sd_db: float = 1.0, fading_sd_db: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """S-meter-like readings at RATE_HZ: noise (dB-normal) plus each (start_s, end_s, snr_db) over,
    added in linear power with a per-reading fading."""
    times = np.arange(0.0, duration_s, 1.0 / RATE_HZ)
    linear = 10 ** ((FLOOR_DB + rng.normal(0.0, noise_sd_db, times.size)) / 10)
    for start, end, snr_db in overs:
        on = (times >= start) & (times < end)
        linear[on] += 10 ** ((FLOOR_DB + snr_db + rng.normal(0.0, fading_sd_db, on.sum())) / 10)
    return times, 10 * np.log10(linear)


def random_overs(rng: np.random.Generator, count: int, snr_db: tuple[float, float]) -> list[tuple[float, float, float]]:
    overs, t = [], 30.0  # 30 s of quiet first: the floor is learnt
    for _ in range(count):
        start = t + rng.uniform(3.0, 30.0)
        end = start + rng.uniform(1.0, 20.0)
        overs.append((start, end, rng.uniform(*snr_db)))
        t = end
    return overs


@pytest.mark.parametrize("seed", range(5))
def test_counts_every_over_exactly_and_times_them(seed: int) -> None:
    rng = np.random.default_rng(seed)
    overs = random_overs(rng, 25, snr_db=(12.0, 30.0))
    times, power = power_stream(rng, overs[-1][1] + 20.0, overs)
    detections, stats = detect_series(times, power, DetectorConfig(), "rx1", "ch1")
    assert len(detections) == len(overs)
    for detection, (start, end, snr_db) in zip(detections, overs, strict=True):
        # the first reading at or after the key-up (one more when it fades under the threshold)
        assert 0.0 <= detection.start_s - start <= 0.21
        assert detection.end_s is not None and -0.1 <= detection.end_s - end <= 0.0  # the last reading on
        assert detection.floor_db == pytest.approx(FLOOR_DB, abs=0.5)
        # the linear mean of a 2 dB log-normal fading is 0.46 dB over its median
        assert detection.snr_db == pytest.approx(snr_db + 2.0 ** 2 * math.log(10) / 20, abs=2.0)
        assert detection.peak_power_db >= detection.mean_power_db and not detection.truncated
    assert [d.sequence for d in detections] == list(range(1, len(overs) + 1))
    assert stats.invalid == stats.out_of_order == stats.truncated == 0


def test_no_chatter_at_the_hysteresis_edge() -> None:
    rng = np.random.default_rng(7)
    # a weak carrier hovering right at the open threshold for a minute, with 2 dB flutter
    overs = [(40.0, 100.0, 10.0)]
    times, power = power_stream(rng, 130.0, overs, fading_sd_db=2.0)
    detections, _ = detect_series(times, power, DetectorConfig())
    assert len(detections) == 1
    assert detections[0].start_s < 45.0 and detections[0].end_s is not None and detections[0].end_s > 95.0
    # the control: almost no hysteresis and no hang time chatters on the very same stream
    chattering, _ = detect_series(times, power, DetectorConfig(close_threshold_db=9.9, min_off_s=0.0, min_on_s=0.0))
    assert len(chattering) > 10


def test_impulses_shorter_than_min_on_are_not_transmissions() -> None:
    rng = np.random.default_rng(3)
    times, power = power_stream(rng, 200.0, [])
    spikes = rng.choice(np.arange(300, times.size), 40, replace=False)
    power[spikes] += 30.0  # ignition noise: one reading each
    detections, stats = detect_series(times, power)
    assert detections == [] and stats.rejected_short == 40


def test_floor_does_not_climb_during_a_long_over() -> None:
    rng = np.random.default_rng(11)
    times, power = power_stream(rng, 500.0, [(60.0, 360.0, 25.0), (400.0, 410.0, 12.0)])
    detector = Detector(DetectorConfig())
    events = []
    for t, p in zip(times, power, strict=True):
        events += detector.push(t, p)
        if t == pytest.approx(359.0):
            assert detector.on and detector.floor_db == pytest.approx(FLOOR_DB, abs=0.3)
    closed = [e for e in events + detector.finish() if e.closed]
    assert [(round(d.start_s), round(d.end_s or 0)) for d in closed] == [(60, 360), (400, 410)]


def test_a_stuck_carrier_is_cut_once_and_the_floor_learnt_again() -> None:
    rng = np.random.default_rng(5)
    times, power = power_stream(rng, 1500.0, [(100.0, 2000.0, 30.0)], fading_sd_db=0.5)
    detections, stats = detect_series(times, power, DetectorConfig(max_duration_s=600.0))
    assert len(detections) == 1 and detections[0].truncated
    assert detections[0].end_s == pytest.approx(700.0, abs=0.2)
    assert stats.floor_resets == 1 and stats.truncated == 1


def test_opened_then_closed_with_one_sequence() -> None:
    rng = np.random.default_rng(1)
    times, power = power_stream(rng, 80.0, [(40.0, 50.0, 20.0)])
    detector = Detector(receiver_id="rx", channel="145.500")
    events = detector.push_many(times, power)
    assert [e.closed for e in events] == [False, True]
    opened, closed = events
    assert opened.end_s is None and opened.sequence == closed.sequence == 1
    assert opened.start_s == closed.start_s and opened.readings < closed.readings
    assert closed.to_dict()["snr_db"] == pytest.approx(closed.snr_db)


def test_bad_readings_are_counted_and_change_nothing() -> None:
    rng = np.random.default_rng(2)
    overs = random_overs(rng, 8, snr_db=(15.0, 25.0))
    times, power = power_stream(rng, overs[-1][1] + 10.0, overs)
    clean, _ = detect_series(times, power)
    noisy_times: list[object] = list(times)
    noisy_power: list[object] = list(power)
    junk: list[tuple[object, object]] = [(5.0, float("nan")), (5.0, "strong"), (5.0, None), (float("inf"), -100.0),
                                         ("later", -100.0), (5.0, True), (5.0, math.inf), (None, None)]
    for position, (t, p) in zip(range(100, 900, 100), junk, strict=True):
        noisy_times.insert(position, t)
        noisy_power.insert(position, p)
    detections, stats = detect_series(noisy_times, noisy_power)
    assert detections == clean and stats.invalid == len(junk)


def test_out_of_order_readings_are_dropped_or_reordered() -> None:
    rng = np.random.default_rng(4)
    overs = random_overs(rng, 8, snr_db=(15.0, 25.0))
    times, power = power_stream(rng, overs[-1][1] + 10.0, overs)
    clean, _ = detect_series(times, power)
    arrival = times + rng.uniform(0.0, 0.3, times.size)  # network jitter up to 0.3 s
    order = np.argsort(arrival, kind="stable")
    dropped, stats = detect_series(times[order], power[order])
    assert stats.out_of_order > 100 and len(dropped) == len(clean)  # robust even without reordering
    reordered, stats = detect_series(times[order], power[order], DetectorConfig(reorder_s=0.5))
    assert reordered == clean and stats.out_of_order == 0


def test_a_silent_stream_closes_its_detection() -> None:
    rng = np.random.default_rng(6)
    times, power = power_stream(rng, 60.0, [(40.0, 100.0, 20.0)])
    detector = Detector(DetectorConfig(max_gap_s=5.0))
    opened = detector.push_many(times, power)
    assert len(opened) == 1 and detector.on
    assert detector.advance(times[-1] + 4.0) == []
    [closed] = detector.advance(times[-1] + 6.0)
    assert closed.end_s == pytest.approx(times[-1]) and not detector.on


@pytest.mark.parametrize(("settings", "field"), [
    ({"open_threshold_db": 0.0}, "open_threshold_db"),
    ({"open_threshold_db": -3.0}, "open_threshold_db"),
    ({"open_threshold_db": 150.0}, "open_threshold_db"),
    ({"close_threshold_db": 10.0}, "close_threshold_db"),
    ({"close_threshold_db": 12.0}, "close_threshold_db"),
    ({"close_threshold_db": 0.0}, "close_threshold_db"),
    ({"min_on_s": -1.0}, "min_on_s"),
    ({"min_off_s": -0.5}, "min_off_s"),
    ({"floor_quantile": 1.0}, "floor_quantile"),
    ({"floor_window_s": 0}, "floor_window_s"),
    ({"min_floor_readings": 0}, "min_floor_readings"),
    ({"min_floor_readings": 2.5}, "min_floor_readings"),
    ({"max_duration_s": 0.1}, "max_duration_s"),
    ({"reorder_s": 10.0}, "reorder_s"),
    ({"open_threshold_db": "10"}, "open_threshold_db"),
    ({"open_threshold_db": float("nan")}, "open_threshold_db"),
    ({"min_on_s": True}, "min_on_s"),
    ({"squelch": 3}, "squelch"),
])
def test_impossible_settings_are_refused_naming_the_field(settings: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        DetectorConfig.from_mapping(settings)
    assert caught.value.field == field and field in caught.value.message and "\n" not in caught.value.message


def test_settings_from_a_mapping() -> None:
    config = DetectorConfig.from_mapping({"open_threshold_db": 8, "close_threshold_db": 4})
    assert config.open_threshold_db == 8.0 and isinstance(config.open_threshold_db, float)
    with pytest.raises(InvalidInput):
        DetectorConfig.from_mapping(["open_threshold_db", 8])


def test_bank_routes_channels_and_drops_unknown_ones() -> None:
    rng = np.random.default_rng(8)
    bank = DetectorBank({"a": DetectorConfig(), "b": DetectorConfig(open_threshold_db=25.0, close_threshold_db=12.0)})
    times, power = power_stream(rng, 80.0, [(40.0, 50.0, 15.0)])
    events = []
    for t, p in zip(times, power, strict=True):
        for receiver in ("rx1", "rx2"):
            events += bank.push(receiver, "a", t, p) + bank.push(receiver, "b", t, p) + bank.push(receiver, "z", t, p)
    events += bank.finish()
    closed = [(e.receiver_id, e.channel) for e in events if e.closed]
    assert closed == [("rx1", "a"), ("rx2", "a")]  # 15 dB does not open channel b's 25 dB squelch
    assert bank.unknown_channel == 2 * times.size


def iq_stream(rng: np.random.Generator, fs_hz: float, duration_s: float, overs: list[tuple[float, float]],
              snr_db: float, offset_hz: float = 0.0) -> np.ndarray:
    n = int(duration_s * fs_hz)
    iq = (rng.normal(size=n) + 1j * rng.normal(size=n)) * math.sqrt(0.5) * 1e-3
    t = np.arange(n) / fs_hz
    amplitude = 1e-3 * 10 ** (snr_db / 20)
    for start, end in overs:
        on = (t >= start) & (t < end)
        iq[on] += amplitude * np.exp(2j * np.pi * offset_hz * t[on])
    return iq


def test_iq_blocks_give_the_same_transmissions() -> None:
    rng = np.random.default_rng(9)
    fs = 12_000.0
    overs = [(20.0, 23.5), (27.0, 33.2)]
    iq = iq_stream(rng, fs, 40.0, overs, snr_db=12.0, offset_hz=1000.0)
    detector = Detector(DetectorConfig(min_floor_readings=50))
    events = []
    for block in range(40):  # the stream arrives one second at a time
        events += detector.push_iq(float(block), iq[block * 12_000:(block + 1) * 12_000], fs, reading_s=0.05)
    closed = [e for e in events + detector.finish() if e.closed]
    timed = [t for d in closed for t in (d.start_s, d.end_s)]
    assert timed == pytest.approx([t for s, e in overs for t in (s, e - 0.05)], abs=0.051)
    assert closed[0].snr_db == pytest.approx(12.0, abs=1.0)  # a full-band tone over full-band noise


def test_iq_power_inside_a_narrow_channel() -> None:
    rng = np.random.default_rng(10)
    iq = iq_stream(rng, 12_000.0, 2.0, [(1.0, 2.0)], snr_db=0.0, offset_hz=300.0)
    times, wide = iq_power_readings(iq, 12_000.0, 100.0, reading_s=0.1)
    _, narrow = iq_power_readings(iq, 12_000.0, 100.0, reading_s=0.1, signal_bandwidth_hz=1_200.0)
    assert times[0] == 100.0 and times.size == 20 and times[1] == pytest.approx(100.1)
    # 0 dB over the whole 12 kHz is 10 dB over the noise of a tenth of it
    assert np.mean(wide[10:]) - np.mean(wide[:10]) == pytest.approx(3.0, abs=0.5)
    assert np.mean(narrow[10:]) - np.mean(narrow[:10]) == pytest.approx(10.4, abs=0.7)
    with pytest.raises(InvalidInput):
        iq_power_readings(iq, 12_000.0, 0.0, reading_s=0.0001)


def test_a_wild_timestamp_or_a_clock_stepping_back_does_not_stall_the_detector() -> None:
    rng = np.random.default_rng(12)
    times, power = power_stream(rng, 200.0, [(150.0, 160.0, 20.0)])
    detector = Detector()
    events = detector.push_many(times[:500], power[:500])
    events += detector.push(1e12, -120.0)  # one reading from a broken clock, far in the future
    events += detector.push_many(times[500:], power[500:]) + detector.finish()
    closed = [e for e in events if e.closed]
    assert len(closed) == 1 and closed[0].start_s == pytest.approx(150.0, abs=0.2)
    assert detector.stats.resyncs == 1 and detector.stats.out_of_order == 49
