"""One asyncio task per receiver (and channel) of a monitor: connect, feed the watch, and when the
receiver refuses, drops or goes quiet, mark it with the reason and reconnect with back-off.

OpenWebRX: the client's own manners hold (it never switches a profile while others listen: it
refuses with ``profile_in_use``; one connection per channel; ``MIN_RECONNECT_S`` between tries).
KrakenSDR: the poller's ``stopped_publishing`` mark shows as ``stale``. The lamp turns each client's
``StreamStatus`` into the monitor's receiver entry (state, reason, issues).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncGenerator, Callable
from typing import Any, cast

import httpx
import numpy as np

from heimdall.errors import InvalidInput
from heimdall.receivers.kiwisdr.client import IqTuning, KiwiClient, KiwiConnection, StateChange
from heimdall.receivers.kraken import BearingReading, KrakenPoller, KrakenStation
from heimdall.receivers.openwebrx import OpenWebRxClient, PowerReading, Tuning
from heimdall.receivers.openwebrx.client import MIN_RECONNECT_S
from heimdall.receivers.states import ReceiverRefused, ReceiverState, RefusalReason
from heimdall.receivers.stream_status import StreamStatus
from heimdall.services.monitors.watch import WatchedReceiver

MAX_RECONNECT_S = 300.0
STALE_AFTER_S = 30.0  # a KrakenSDR silent this long shows ``stale`` (a quiet channel looks the same)
HEALTHY_AFTER_S = 60.0  # a connection that streamed this long resets the back-off


class Lamps:
    """Each receiver's state as the monitor shows it; ``dirty`` until the job has published it.
    Beyond the API shape's state and reason, an entry counts the skipped input (``issues``) and the
    times it failed (``failures``, ``last_failure``), so a receiver that keeps dropping shows it."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = {entry["receiver_id"]: dict(entry) for entry in entries}
        self.dirty = False

    def listener(self, receiver_id: str) -> Callable[[StreamStatus], None]:
        return lambda status: self.update(receiver_id, lamp_state(status), lamp_reason(status), status)

    def update(self, receiver_id: str, state: str, reason: str | None, status: StreamStatus | None = None) -> None:
        entry = self.entries.get(receiver_id)
        if entry is None:
            return
        issues = dict(status.issues) if status is not None else entry.get("issues", {})
        if (entry["state"], entry["reason"], entry.get("issues")) != (state, reason, issues):
            entry.update(state=state, reason=reason, issues=issues)
            self.dirty = True

    def failed(self, receiver_id: str, reason: str, retry_s: float) -> None:
        """One more failed connection: counted, and shown with when the next try comes."""
        entry = self.entries.get(receiver_id)
        if entry is None:
            return
        entry["failures"] = entry.get("failures", 0) + 1
        entry["last_failure"] = reason
        self.update(receiver_id, "failed", f"{reason} (retrying in {retry_s:.3g} s)")

    def to_list(self) -> list[dict[str, Any]]:
        return [dict(entry) for entry in self.entries.values()]


def lamp_state(status: StreamStatus) -> str:
    if status.state is ReceiverState.FAILED:
        return "failed"
    if status.reason is RefusalReason.STOPPED_PUBLISHING:
        return "stale"
    if status.state in (ReceiverState.CONNECTED, ReceiverState.STREAMING):
        return "listening"
    return "connecting"


def lamp_reason(status: StreamStatus) -> str | None:
    """Why the receiver is not simply listening, or the last input it had to skip."""
    if status.reason is not None:
        return f"{status.reason.value}: {status.message}" if status.message else status.reason.value
    return status.last_issue


PowerSink = Callable[[str, str, float, float], None]
BearingSink = Callable[[BearingReading], None]


async def watch_openwebrx(receiver: WatchedReceiver, channel: dict[str, Any], key: str, sink: PowerSink,
                          lamps: Lamps, reconnect_s: float = MIN_RECONNECT_S) -> None:
    """S-meter readings of one channel into ``sink(receiver_id, channel, time_s, power_dbfs)``, for ever."""
    tuning = Tuning(channel["frequency_hz"], bandwidth_hz=min(channel["passband_hz"], 100_000.0))

    async def stream() -> None:
        client = OpenWebRxClient(receiver.url or "", receiver_id=receiver.receiver_id,
                                 listener=lamps.listener(receiver.receiver_id))
        async with contextlib.aclosing(cast(AsyncGenerator[PowerReading, None], client.readings(tuning))) as readings:
            async for reading in readings:
                # AGC, gain changes, clipping, settling: not comparable with other receivers' powers
                if reading.comparable and math.isfinite(reading.power_dbfs):
                    sink(receiver.receiver_id, key, reading.time_s, reading.power_dbfs)

    await _forever(receiver, stream, lamps, reconnect_s)


async def watch_kraken(receiver: WatchedReceiver, sink: BearingSink, lamps: Lamps, *, poll_interval_s: float = 1.0,
                       reconnect_s: float = MIN_RECONNECT_S, stale_after_s: float = STALE_AFTER_S) -> None:
    """New bearings of a KrakenSDR station into ``sink``, for ever. The registered position serves a
    format without one; the heading must come from the station (its array may turn)."""
    station = KrakenStation(receiver.receiver_id, lat_deg=receiver.lat, lon_deg=receiver.lon)

    async def stream() -> None:
        poller = KrakenPoller(receiver.url or "", station, interval_s=poll_interval_s, stale_after_s=stale_after_s,
                              listener=lamps.listener(receiver.receiver_id))
        async with contextlib.aclosing(cast(AsyncGenerator[BearingReading, None], poller.readings())) as readings:
            async for reading in readings:
                sink(reading)

    await _forever(receiver, stream, lamps, reconnect_s)


KIWI_READING_S = 0.25  # IQ blocks (~43 ms at 12 kHz) summed into one reading this long


async def watch_kiwisdr(receiver: WatchedReceiver, channel: dict[str, Any], key: str, sink: PowerSink,
                        lamps: Lamps, reconnect_s: float = MIN_RECONNECT_S) -> None:
    """The channel's IQ block energy (dBFS, manual gain: comparable) into ``sink``, one reading per
    ``KIWI_READING_S`` stamped with our clock at its first block, for ever."""
    half_hz = min(channel["passband_hz"], 10_000.0) / 2
    tuning = IqTuning(channel["frequency_hz"], low_cut_hz=-half_hz, high_cut_hz=half_hz)

    def on_state(change: StateChange) -> None:
        status = StreamStatus(receiver.receiver_id, change.state, change.reason, change.message)
        lamps.update(receiver.receiver_id, lamp_state(status), lamp_reason(status))

    async def stream() -> None:
        connection = KiwiConnection(receiver.url or "", client_name="Heimdall monitor")
        async with KiwiClient(connection, tuning, on_state=on_state) as client:
            energy, samples, first_s = 0.0, 0, 0.0
            async for block in client.blocks():
                if samples == 0:
                    first_s = block.received_utc_ns / 1e9
                energy += float(np.sum(np.abs(block.iq.astype(np.complex128)) ** 2))
                samples += block.iq.size
                if block.received_utc_ns / 1e9 - first_s >= KIWI_READING_S and energy > 0:
                    sink(receiver.receiver_id, key, first_s, 10 * math.log10(energy / samples))
                    energy, samples = 0.0, 0

    await _forever(receiver, stream, lamps, reconnect_s)


async def _forever(receiver: WatchedReceiver, stream: Callable[[], Any], lamps: Lamps, reconnect_s: float) -> None:
    delay_s = reconnect_s
    loop = asyncio.get_running_loop()
    while True:
        started_s = loop.time()
        try:
            await stream()
            reason = "the receiver ended the stream"
        except ReceiverRefused as exc:
            reason = f"{exc.reason.value}: {exc.message}"
        except (InvalidInput, httpx.HTTPError, OSError) as exc:
            reason = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
        if loop.time() - started_s > HEALTHY_AFTER_S:
            delay_s = reconnect_s
        lamps.failed(receiver.receiver_id, reason[:300], delay_s)
        await asyncio.sleep(delay_s)
        delay_s = min(delay_s * 2, MAX_RECONNECT_S)
