"""Transmission detection on a stream of timestamped power readings (dB): energy over a tracked noise
floor, with hysteresis and minimum on/off durations.

One ``Detector`` watches one channel of one receiver; a ``DetectorBank`` routes the readings of many.
A detection opens when a reading rises ``open_threshold_db`` over the floor and the power then stays
over ``close_threshold_db`` for ``min_on_s``; it closes once the power has stayed under the close
threshold for ``min_off_s`` (the hang time that bridges fades and syllable gaps). The detector emits a
``Detection`` twice: when it opens (``end_s`` None, so a monitor can start recording around it) and
when it closes.

The floor is the ``floor_quantile`` of the readings of the last ``floor_window_s`` of *idle* time (no
detection open): readings during a transmission never enter it, so it cannot climb on a long over,
and the quantile ignores short bursts that stay under the open threshold. A detection longer than
``max_duration_s`` (a stuck carrier, a new interferer) is closed as ``truncated`` and the floor is
learnt again from scratch, so a permanent change of level is absorbed instead of firing forever.

Bad readings never stop the stream: NaN, infinities and values that are not numbers are counted as
``invalid``; readings older than the last one processed are counted as ``out_of_order`` and dropped
(``reorder_s`` > 0 holds readings that long and sorts them first, for sources with jitter).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.config_fields import check_field_types, config_from_mapping, require
from heimdall.errors import InvalidInput
from heimdall.rf.measure.power import welch_psd
from heimdall.rf.noise_floor import NoiseFloor

# Over this, no receiver's dynamic range (a 16-bit ADC spans ~96 dB) can ever reach the threshold.
MAX_THRESHOLD_DB = 100.0
_TINY_POWER = 1e-30  # -300 dBFS: an all-zero block (a muted receiver) is a reading, not an error
# This many out-of-order readings in a row mean the clock went back (or one wild timestamp ran ahead):
# follow the readings' clock again instead of dropping everything from then on.
RESYNC_AFTER_READINGS = 50


@dataclass(frozen=True)
class DetectorConfig:
    """Squelch of one channel; the defaults and their reasons are in docs/monitoring.md."""

    open_threshold_db: float = 10.0
    close_threshold_db: float = 5.0
    min_on_s: float = 0.25
    min_off_s: float = 1.0
    floor_window_s: float = 60.0
    floor_quantile: float = 0.5
    min_floor_readings: int = 10
    max_duration_s: float = 600.0
    max_gap_s: float = 5.0
    reorder_s: float = 0.0

    def __post_init__(self) -> None:
        check_field_types(self)
        require(0 < self.open_threshold_db <= MAX_THRESHOLD_DB, "open_threshold_db",
                f"must lie in (0, {MAX_THRESHOLD_DB:g}] dB over the floor: at 0 dB or less the noise alone "
                "fires all the time, above it nothing ever does")
        require(0 < self.close_threshold_db < self.open_threshold_db, "close_threshold_db",
                "must lie between 0 dB and open_threshold_db: at 0 dB or less the noise holds every "
                "detection open for ever, at or above the open threshold there is no hysteresis")
        require(self.min_on_s >= 0 and self.min_off_s >= 0, "min_on_s" if self.min_on_s < 0 else "min_off_s",
                "must not be negative")
        require(self.floor_window_s > 0, "floor_window_s", "must be positive")
        require(0 < self.floor_quantile < 1, "floor_quantile", "must lie strictly between 0 and 1")
        require(self.min_floor_readings >= 1, "min_floor_readings", "must be at least 1")
        require(self.max_duration_s > self.min_on_s, "max_duration_s",
                "must exceed min_on_s, or no detection could ever open")
        require(self.max_gap_s > 0, "max_gap_s", "must be positive")
        require(0 <= self.reorder_s <= self.max_gap_s, "reorder_s", "must lie between 0 and max_gap_s")

    @classmethod
    def from_mapping(cls, data: object) -> DetectorConfig:
        return config_from_mapping(cls, data, "detector")


@dataclass(frozen=True)
class Detection:
    """One transmission heard by one receiver on one channel; ``end_s`` is None while it is on.

    ``start_s`` is the first reading over the open threshold, ``end_s`` the last one over the close
    threshold. Powers are in the readings' own dB unit (dBm from an S-meter, dBFS from IQ).
    """

    receiver_id: str
    channel: str
    sequence: int  # per detector, from 1: an opened and a closed Detection with one sequence are one
    start_s: float
    end_s: float | None
    peak_power_db: float
    mean_power_db: float  # mean of the linear powers, in dB
    floor_db: float
    readings: int
    truncated: bool = False  # closed by max_duration_s, not by the signal

    @property
    def closed(self) -> bool:
        return self.end_s is not None

    @property
    def snr_db(self) -> float:
        return self.mean_power_db - self.floor_db

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "snr_db": self.snr_db}


@dataclass
class DetectorStats:
    readings: int = 0  # every reading pushed, good or bad
    invalid: int = 0  # not a number, NaN or infinite (power or time)
    out_of_order: int = 0  # older than the last reading processed: dropped
    rejected_short: int = 0  # rose over the open threshold but fell back within min_on_s
    detections: int = 0  # closed detections emitted
    truncated: int = 0
    floor_resets: int = 0
    resyncs: int = 0  # the readings' clock went back for good (RESYNC_AFTER_READINGS late ones in a row)


class _State(Enum):
    IDLE = "idle"
    RISING = "rising"  # over the open threshold, waiting for min_on_s
    ON = "on"
    FALLING = "falling"  # under the close threshold, waiting for min_off_s


class _Power:
    """Running peak, linear sum and count of a run of readings."""

    def __init__(self) -> None:
        self.peak_db = -math.inf
        self.linear_sum = 0.0
        self.count = 0

    def add(self, power_db: float) -> None:
        self.peak_db = max(self.peak_db, power_db)
        self.linear_sum += 10.0 ** (power_db / 10.0)
        self.count += 1

    def merge(self, other: _Power) -> None:
        self.peak_db = max(self.peak_db, other.peak_db)
        self.linear_sum += other.linear_sum
        self.count += other.count

    @property
    def mean_db(self) -> float:
        return 10.0 * math.log10(self.linear_sum / self.count) if self.linear_sum > 0 else -math.inf


@dataclass
class _Open:
    """The detection being built: its start, frozen floor, last time over the close threshold."""

    sequence: int
    start_s: float
    floor_db: float
    last_on_s: float
    power: _Power
    tail: _Power | None = None  # readings under the close threshold since falling_since_s
    falling_since_s: float = 0.0


def as_reading(time_s: object, power_db: object) -> tuple[float, float] | None:
    """A (time_s, power_db) pair of finite floats, or None for anything else (strings, None, NaN)."""
    if isinstance(time_s, bool) or isinstance(power_db, bool):
        return None
    if not isinstance(time_s, (int, float, np.integer, np.floating)):
        return None
    if not isinstance(power_db, (int, float, np.integer, np.floating)):
        return None
    t, p = float(time_s), float(power_db)
    return (t, p) if math.isfinite(t) and math.isfinite(p) else None


class Detector:
    """The streaming detector of one channel of one receiver (not thread-safe; one per stream)."""

    def __init__(self, config: DetectorConfig | None = None, receiver_id: str = "", channel: str = "") -> None:
        self.config = config or DetectorConfig()
        self.receiver_id = receiver_id
        self.channel = channel
        self.stats = DetectorStats()
        self._floor = NoiseFloor(self.config.floor_window_s, self.config.floor_quantile,
                                 self.config.min_floor_readings)
        self._state = _State.IDLE
        self._open: _Open | None = None
        self._last_s: float | None = None
        self._newest_s = -math.inf
        self._pending: list[tuple[float, int, float]] = []  # reorder heap: (time_s, arrival, power_db)
        self._arrivals = 0
        self._sequence = 0
        self._late_run = 0

    @property
    def floor_db(self) -> float | None:
        return self._floor.level_db

    @property
    def on(self) -> bool:
        """Is a detection open (emitted as opened and not yet closed)?"""
        return self._state in (_State.ON, _State.FALLING)

    def push(self, time_s: object, power_db: object) -> list[Detection]:
        """Feed one reading; returns the detections it opened or closed (usually none)."""
        self.stats.readings += 1
        reading = as_reading(time_s, power_db)
        if reading is None:
            self.stats.invalid += 1
            return []
        if self.config.reorder_s == 0:
            return self._process(*reading)
        self._newest_s = max(self._newest_s, reading[0])
        heapq.heappush(self._pending, (reading[0], self._arrivals, reading[1]))
        self._arrivals += 1
        return self._release(self._newest_s - self.config.reorder_s)

    def push_many(self, times_s: Iterable[object], powers_db: Iterable[object]) -> list[Detection]:
        events: list[Detection] = []
        for time_s, power_db in zip(times_s, powers_db, strict=True):
            events.extend(self.push(time_s, power_db))
        return events

    def push_iq(self, start_time_s: float, iq: ArrayLike, sample_rate_hz: float, reading_s: float = 0.05,
                signal_bandwidth_hz: float | None = None) -> list[Detection]:
        """Feed a block of complex baseband IQ as readings of ``reading_s`` each (see ``iq_power_readings``)."""
        times_s, power_db = iq_power_readings(iq, sample_rate_hz, start_time_s, reading_s, signal_bandwidth_hz)
        return self.push_many(times_s.tolist(), power_db.tolist())

    def advance(self, now_s: float) -> list[Detection]:
        """The monitor's clock: release held readings, close a detection whose stream went silent."""
        events = self._release(now_s - self.config.reorder_s)
        if self._last_s is not None and now_s - self._last_s > self.config.max_gap_s:
            events.extend(self._end_run())
        return events

    def finish(self) -> list[Detection]:
        """End of the stream: process every held reading and close what is open."""
        events = self._release(math.inf)
        events.extend(self._end_run())
        return events

    def _release(self, up_to_s: float) -> list[Detection]:
        events: list[Detection] = []
        while self._pending and self._pending[0][0] <= up_to_s:
            time_s, _, power_db = heapq.heappop(self._pending)
            events.extend(self._process(time_s, power_db))
        return events

    def _process(self, time_s: float, power_db: float) -> list[Detection]:
        events: list[Detection] = []
        if self._last_s is not None and time_s < self._last_s:
            self._late_run += 1
            if self._late_run < RESYNC_AFTER_READINGS:
                self.stats.out_of_order += 1
                return []
            events.extend(self._end_run())  # the clock went back: start again from this reading
            self.stats.resyncs += 1
            self._last_s = None
            self._newest_s = time_s
        self._late_run = 0
        if self._last_s is not None and time_s - self._last_s > self.config.max_gap_s:
            events.extend(self._end_run())
        idle_dt_s = 0.0 if self._last_s is None else min(time_s - self._last_s, self.config.max_gap_s)
        self._last_s = time_s
        if self._state is _State.IDLE:
            self._idle(time_s, power_db, idle_dt_s)
        else:
            self._active(time_s, power_db, events)
        if self._state is _State.RISING:
            self._maybe_open(events)
        self._maybe_truncate(time_s, events)
        return events

    def _idle(self, time_s: float, power_db: float, idle_dt_s: float) -> None:
        floor_db = self._floor.level_db
        if floor_db is None or power_db < floor_db + self.config.open_threshold_db:
            self._floor.add(power_db, idle_dt_s)
            return
        power = _Power()
        power.add(power_db)
        self._open = _Open(self._sequence + 1, time_s, floor_db, time_s, power)
        self._state = _State.RISING

    def _active(self, time_s: float, power_db: float, events: list[Detection]) -> None:
        current = self._open
        assert current is not None
        if power_db >= current.floor_db + self.config.close_threshold_db:
            if current.tail is not None:  # came back within the hang time: same transmission
                current.power.merge(current.tail)
                current.tail = None
            current.power.add(power_db)
            current.last_on_s = time_s
            self._state = _State.ON if self._state is _State.FALLING else self._state
        elif self._state is _State.RISING:
            self._reject()
        elif self._state is _State.ON:
            current.tail, current.falling_since_s = _Power(), time_s
            current.tail.add(power_db)
            self._state = _State.FALLING
            if self.config.min_off_s == 0:
                events.append(self._close(truncated=False))
        elif time_s - current.falling_since_s >= self.config.min_off_s:
            events.append(self._close(truncated=False))
        else:
            assert current.tail is not None
            current.tail.add(power_db)

    def _maybe_open(self, events: list[Detection]) -> None:
        current = self._open
        assert current is not None
        if current.last_on_s - current.start_s >= self.config.min_on_s:
            self._sequence = current.sequence
            self._state = _State.ON
            events.append(self._detection(current, end_s=None, truncated=False))

    def _maybe_truncate(self, time_s: float, events: list[Detection]) -> None:
        if self.on and self._open is not None and time_s - self._open.start_s >= self.config.max_duration_s:
            events.append(self._close(truncated=True))
            self._floor.reset()
            self.stats.floor_resets += 1

    def _end_run(self) -> list[Detection]:
        """The stream stopped (a gap, the end): close what is open at its last reading over the close threshold."""
        if self._state is _State.RISING:
            self._reject()
        return [self._close(truncated=False)] if self.on else []

    def _reject(self) -> None:
        self.stats.rejected_short += 1
        self._state, self._open = _State.IDLE, None

    def _close(self, truncated: bool) -> Detection:
        current = self._open
        assert current is not None
        self._state, self._open = _State.IDLE, None
        self.stats.detections += 1
        self.stats.truncated += int(truncated)
        return self._detection(current, end_s=current.last_on_s, truncated=truncated)

    def _detection(self, current: _Open, end_s: float | None, truncated: bool) -> Detection:
        return Detection(self.receiver_id, self.channel, current.sequence, current.start_s, end_s,
                         current.power.peak_db, current.power.mean_db, current.floor_db, current.power.count,
                         truncated)


class DetectorBank:
    """One detector per (receiver, channel), each channel with its own squelch settings."""

    def __init__(self, channel_configs: Mapping[str, DetectorConfig]) -> None:
        if not channel_configs:
            raise InvalidInput("a detector bank needs at least one channel", field="channels")
        self.channel_configs = dict(channel_configs)
        self.detectors: dict[tuple[str, str], Detector] = {}
        self.unknown_channel = 0  # readings for a channel that is not watched: dropped

    def push(self, receiver_id: str, channel: str, time_s: object, power_db: object) -> list[Detection]:
        config = self.channel_configs.get(channel)
        if config is None:
            self.unknown_channel += 1
            return []
        detector = self.detectors.get((receiver_id, channel))
        if detector is None:
            detector = self.detectors[(receiver_id, channel)] = Detector(config, receiver_id, channel)
        return detector.push(time_s, power_db)

    def advance(self, now_s: float) -> list[Detection]:
        return [event for key in sorted(self.detectors) for event in self.detectors[key].advance(now_s)]

    def finish(self) -> list[Detection]:
        return [event for key in sorted(self.detectors) for event in self.detectors[key].finish()]


def detect_series(times_s: Iterable[object], powers_db: Iterable[object], config: DetectorConfig | None = None,
                  receiver_id: str = "", channel: str = "") -> tuple[list[Detection], DetectorStats]:
    """Run a detector over a whole recorded series; returns the closed detections and the counters."""
    detector = Detector(config, receiver_id, channel)
    events = detector.push_many(times_s, powers_db) + detector.finish()
    return [event for event in events if event.closed], detector.stats


def iq_power_readings(iq: ArrayLike, sample_rate_hz: float, start_time_s: float, reading_s: float = 0.05,
                      signal_bandwidth_hz: float | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Power readings (dBFS) of consecutive ``reading_s`` blocks of IQ, stamped with each block's start.

    Without ``signal_bandwidth_hz`` a reading is the total power of the block; with it, the power
    inside that bandwidth around the tuned frequency (the block's Welch PSD integrated over those
    bins), so a channel narrower than the IQ passband is not drowned in out-of-band noise. A trailing
    partial block is left out.
    """
    samples = np.asarray(iq)
    require(samples.ndim == 1, "iq", "must be a 1-D array of complex samples")
    require(sample_rate_hz > 0 and reading_s > 0, "reading_s" if sample_rate_hz > 0 else "sample_rate_hz",
            "must be positive")
    per_reading = round(reading_s * sample_rate_hz)
    require(per_reading >= 16, "reading_s", "must span at least 16 samples")
    require(signal_bandwidth_hz is None or 0 < signal_bandwidth_hz <= sample_rate_hz, "signal_bandwidth_hz",
            "must lie between 0 and the sample rate")
    require(bool(np.all(np.isfinite(samples))), "iq", "contains NaN or infinite samples")
    rows = samples.size // per_reading
    blocks = samples[: rows * per_reading].reshape(rows, per_reading)
    if signal_bandwidth_hz is None:
        power = np.mean(blocks.real.astype(float) ** 2 + blocks.imag.astype(float) ** 2, axis=1)
    elif rows == 0:
        power = np.zeros(0)
    else:
        freqs_hz, psd, _ = welch_psd(blocks, sample_rate_hz)
        in_band = np.abs(freqs_hz) <= signal_bandwidth_hz / 2
        power = np.sum(psd[:, in_band], axis=1) * (sample_rate_hz / freqs_hz.size)
    times_s = np.asarray(start_time_s + np.arange(rows) * (per_reading / sample_rate_hz), dtype=np.float64)
    return times_s, np.asarray(10.0 * np.log10(np.maximum(power, _TINY_POWER)), dtype=np.float64)
