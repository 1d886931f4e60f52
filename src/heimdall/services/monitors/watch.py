"""What a monitor does with readings, without any IO: S-meter power into the detectors, KrakenSDR
bearings into bursts (a station publishes only while its channel is over the squelch, so a run of
bearings is its detection), both into the grouper, and one measurement set per transmission.

    watch = Watch(monitor_id, config, receivers)
    watch.power(receiver_id, channel, time_s, power_dbfs)      # OpenWebRX S-meter (comparable readings)
    watch.bearing(reading)                                     # KrakenSDR BearingReading
    for transmission in watch.poll(now_s):
        doc, used, reason = watch.measurement_set(transmission)  # doc None: reason says why no fix

Times are this machine's clock at arrival (what OpenWebRX offers; a bearing's ``received_at_s``), so
every receiver's detections share one clock. docs/monitoring.md, "Monitors: the job".
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from heimdall.receivers.kraken import BearingReading
from heimdall.receivers.openwebrx.power import PowerModel
from heimdall.rf.detect import Detection, DetectorBank
from heimdall.services.monitors.config import channel_key, detector_config, gain_offsets
from heimdall.tracking.transmissions import GroupingConfig, Transmission, TransmissionGrouper

POWER_KINDS = ("openwebrx", "kiwisdr")  # receivers whose detections carry a comparable power
BEARING_MEMORY_S = 120.0
BEARING_WINDOW_MARGIN_S = 0.5  # bearings this long before the start or after the end still count
FREQUENCY_TOLERANCE_HZ = 5_000.0
UNKNOWN_GAIN_SIGMA_DB = PowerModel().unknown_gain_sigma_db


@dataclass(frozen=True)
class WatchedReceiver:
    receiver_id: str
    name: str
    kind: str
    url: str | None
    lat: float
    lon: float
    alt_m: float

    @classmethod
    def from_dict(cls, receiver: dict[str, Any]) -> WatchedReceiver:
        return cls(receiver["id"], receiver["name"], receiver["kind"], receiver["url"], receiver["lat"],
                   receiver["lon"], receiver["alt_m"])


@dataclass
class _Burst:
    sequence: int
    start_s: float
    last_s: float
    powers_db: list[float] = field(default_factory=list)
    closed: bool = False


class Watch:
    def __init__(self, monitor_id: str, config: dict[str, Any], receivers: list[WatchedReceiver]) -> None:
        options = config.get("options", {})
        detector = options.get("detector", {})
        self.channels = {channel_key(c["frequency_hz"]): c for c in config["channels"]}
        configs = {key: detector_config(detector, c["threshold_db"]) for key, c in self.channels.items()}
        self.bank = DetectorBank(configs)
        self.grouper = TransmissionGrouper(GroupingConfig.from_mapping(options.get("grouping", {})),
                                           namespace=monitor_id)
        self.min_receivers: int = config["min_receivers"]
        self.receivers = {r.receiver_id: r for r in receivers}
        self.power_models = gain_offsets(options.get("gain_offsets", {}))
        poll_s = float(options.get("poll_interval_s", 1.0))
        self.burst_gap_s = {key: max(c.min_off_s, 2.5 * poll_s) for key, c in configs.items()}
        self.thresholds_db = {key: c.open_threshold_db for key, c in configs.items()}
        self.bearings: dict[tuple[str, str], deque[BearingReading]] = {}
        self.bursts: dict[tuple[str, str], _Burst] = {}
        self.levels: dict[tuple[str, str], float] = {}
        self.unmatched_bearings = 0

    # --- input ---

    def power(self, receiver_id: str, channel: str, time_s: float, power_db: float) -> None:
        self.levels[(receiver_id, channel)] = power_db
        for detection in self.bank.push(receiver_id, channel, time_s, power_db):
            self.grouper.add(detection)

    def bearing(self, reading: BearingReading) -> str | None:
        """Keep a usable bearing for its channel (None: no watched channel matches its frequency)."""
        channel = self._channel_of(reading.frequency_hz)
        if channel is None or not reading.usable:
            self.unmatched_bearings += channel is None
            return None
        key = (reading.receiver_id, channel)
        memory = self.bearings.setdefault(key, deque())
        memory.append(reading)
        while memory and memory[0].received_at_s < reading.received_at_s - BEARING_MEMORY_S:
            memory.popleft()
        if reading.power_db is not None:
            self.levels[key] = reading.power_db
        self._extend_burst(key, reading)
        return channel

    def _channel_of(self, frequency_hz: float | None) -> str | None:
        if frequency_hz is None:
            return next(iter(self.channels)) if len(self.channels) == 1 else None
        for key, channel in self.channels.items():
            if abs(frequency_hz - channel["frequency_hz"]) <= channel["passband_hz"] / 2 + FREQUENCY_TOLERANCE_HZ:
                return key
        return None

    def _extend_burst(self, key: tuple[str, str], reading: BearingReading) -> None:
        time_s = reading.received_at_s
        burst = self.bursts.get(key)
        if burst is not None and not burst.closed and time_s - burst.last_s > self.burst_gap_s[key[1]]:
            self.grouper.add(self._burst_detection(key, burst, closed=True))
            burst.closed = True
        if burst is None or burst.closed:
            sequence = self.bursts[key].sequence + 1 if key in self.bursts else 1
            burst = self.bursts[key] = _Burst(sequence, time_s, time_s)
            burst.powers_db.append(reading.power_db if reading.power_db is not None else 0.0)
            self.grouper.add(self._burst_detection(key, burst, closed=False))
            return
        burst.last_s = time_s
        burst.powers_db.append(reading.power_db if reading.power_db is not None else 0.0)

    def _burst_detection(self, key: tuple[str, str], burst: _Burst, *, closed: bool) -> Detection:
        """A run of bearings as a Detection; the floor is unknown (the station publishes nothing below
        its squelch), so it is put one open threshold under the mean."""
        mean_db = 10 * math.log10(sum(10 ** (p / 10) for p in burst.powers_db) / len(burst.powers_db))
        return Detection(key[0], key[1], burst.sequence, burst.start_s, burst.last_s if closed else None,
                         max(burst.powers_db), mean_db, mean_db - self.thresholds_db[key[1]], len(burst.powers_db))

    def poll(self, now_s: float) -> list[Transmission]:
        """Close what went quiet, and return the transmissions now complete."""
        for detection in self.bank.advance(now_s):
            self.grouper.add(detection)
        for key, burst in list(self.bursts.items()):
            if not burst.closed and now_s - burst.last_s > self.burst_gap_s[key[1]]:
                self.grouper.add(self._burst_detection(key, burst, closed=True))
                burst.closed = True  # the sequence stays for the next one
        return self.grouper.poll(now_s)

    def detecting(self, receiver_id: str, channel: str) -> bool:
        detector = self.bank.detectors.get((receiver_id, channel))
        if detector is not None:
            return detector.on
        burst = self.bursts.get((receiver_id, channel))
        return burst is not None and not burst.closed

    def floor_db(self, receiver_id: str, channel: str) -> float | None:
        detector = self.bank.detectors.get((receiver_id, channel))
        return None if detector is None else detector.floor_db

    # --- output ---

    def measurement_set(self, transmission: Transmission) -> tuple[dict[str, Any] | None, list[str], str | None]:
        """The measurement set of a transmission, the receivers it uses, and why there is none."""
        channel = self.channels[transmission.channel]
        rss = [self._rss(d, channel["frequency_hz"]) for d in transmission.detections
               if self.receivers.get(d.receiver_id) is not None
               and self.receivers[d.receiver_id].kind in POWER_KINDS]
        aoa, positions = self._aoa(transmission)
        used = sorted({e["receiver"] for e in rss} | {e["receiver"] for e in aoa})
        if len(used) < self.min_receivers:
            return None, used, (f"{len(used)} receiver(s) measured it ({', '.join(self._names(used)) or 'none'}); "
                                f"min_receivers is {self.min_receivers}")
        receivers = [self._position(receiver_id, positions.get(receiver_id)) for receiver_id in used]
        doc: dict[str, Any] = {"frequency_hz": channel["frequency_hz"], "receivers": receivers, "method": "auto"}
        if rss:
            doc["rss"] = rss
        if aoa:
            doc["aoa"] = aoa
        return doc, used, None

    def _rss(self, detection: Detection, frequency_hz: float) -> dict[str, Any]:
        """The over's mean power as dBm through the receiver's gain offset (``options.gain_offsets``,
        else the uncalibrated prior), with the gain uncertainty of a receiver whose gain nobody stated."""
        model = self.power_models.get(detection.receiver_id) or PowerModel()
        band = model.band_for(frequency_hz)
        offset, sigma = (band.offset_db, band.sigma_db) if band else (model.uncalibrated_offset_db,
                                                                        model.uncalibrated_sigma_db)
        sigma_db = math.sqrt(sigma**2 + model.reading_sigma_db**2 + UNKNOWN_GAIN_SIGMA_DB**2)
        return {"receiver": detection.receiver_id, "power_dbm": detection.mean_power_db + offset, "sigma_db": sigma_db}

    def _aoa(self, transmission: Transmission) -> tuple[list[dict[str, Any]], dict[str, tuple[float, float]]]:
        """One bearing per station: the circular mean of its usable bearings during the transmission,
        with the median sigma (their errors are correlated: no 1/sqrt(n) gain is claimed)."""
        low = transmission.start_s - BEARING_WINDOW_MARGIN_S
        high = transmission.end_s + BEARING_WINDOW_MARGIN_S
        aoa, positions = [], {}
        for (receiver_id, channel), memory in sorted(self.bearings.items()):
            inside = [b for b in memory if channel == transmission.channel and low <= b.received_at_s <= high]
            if not inside or receiver_id not in self.receivers:
                continue
            east = sum(math.sin(math.radians(b.bearing_deg)) for b in inside)
            north = sum(math.cos(math.radians(b.bearing_deg)) for b in inside)
            aoa.append({"receiver": receiver_id, "bearing_deg": math.degrees(math.atan2(east, north)) % 360.0,
                        "sigma_deg": median(b.sigma_deg for b in inside)})
            positions[receiver_id] = (sum(b.lat_deg for b in inside) / len(inside),
                                      sum(b.lon_deg for b in inside) / len(inside))
        return aoa, positions

    def _position(self, receiver_id: str, published: tuple[float, float] | None) -> dict[str, Any]:
        receiver = self.receivers[receiver_id]
        lat, lon = published if published is not None else (receiver.lat, receiver.lon)
        return {"id": receiver_id, "lat": lat, "lon": lon, "alt_m": receiver.alt_m}

    def _names(self, receiver_ids: list[str]) -> list[str]:
        return [self.receivers[r].name if r in self.receivers else r for r in receiver_ids]
