"""Record the same GNSS-time window from several KiwiSDRs at once, politely, reporting each one's progress.

    outcomes = await record_network(targets, CaptureSpec(77_500, 10_000, window, contact="ops@example.org"),
                                    on_update=lambda progress: ...)

Each receiver, all at once: read ``/status`` (the position it reports, its GNSS, its free slots: we never
take the last one), connect as ``heimdall`` with the operator's contact, back off and retry on
``too_busy`` while the window can still be reached, wait for a fresh GNSS lock, record the window and
hang up at once. A receiver that refuses, drops or loses GNSS ends ``failed`` with a one-line reason;
the others go on. Nothing here writes a file.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from heimdall.receivers.kiwisdr.client import IqBlock, IqTuning, KiwiClient, KiwiTimeouts
from heimdall.receivers.kiwisdr.manners import Backoff, check_slot, identity
from heimdall.receivers.kiwisdr.recorder import GnssPolicy, WindowAssembler
from heimdall.receivers.kiwisdr.recording import GnssRecording, RecordingWindow
from heimdall.receivers.kiwisdr.status import KiwiStatus, fetch_status, gnss_ok_for_tdoa
from heimdall.receivers.states import ReceiverRefused, RefusalReason

STATES = ("pending", "connecting", "waiting_gnss", "recording", "done", "failed", "excluded")


@dataclass(frozen=True)
class CaptureTarget:
    receiver_id: str
    name: str
    url: str
    position: tuple[float, float, float]  # (lat, lon, alt_m) as stored for the receiver
    password: str | None = None


@dataclass(frozen=True)
class CaptureSpec:
    frequency_hz: float
    passband_hz: float
    window: RecordingWindow
    contact: str | None = None
    backoff: Backoff = field(default_factory=Backoff)
    timeouts: KiwiTimeouts = field(default_factory=KiwiTimeouts)
    policy: GnssPolicy = field(default_factory=GnssPolicy)

    @property
    def tuning(self) -> IqTuning:
        half = self.passband_hz / 2.0
        return IqTuning(self.frequency_hz, low_cut_hz=-half, high_cut_hz=half)


@dataclass
class ReceiverProgress:
    receiver_id: str
    name: str
    state: str = "pending"
    reason: str | None = None
    gnss_ok: bool = False
    seconds_recorded: float = 0.0
    snr_db: float | None = None
    sample_rate_hz: float | None = None
    reported_position: tuple[float, float] | None = None  # what its /status says
    refusal: str | None = None  # the RefusalReason value when failed

    def to_dict(self) -> dict[str, Any]:
        return {"receiver_id": self.receiver_id, "name": self.name, "state": self.state, "reason": self.reason,
                "gnss_ok": self.gnss_ok, "seconds_recorded": round(self.seconds_recorded, 3),
                "snr_db": self.snr_db, "sample_rate_hz": self.sample_rate_hz}


Outcome = GnssRecording | ReceiverRefused
OnUpdate = Callable[[ReceiverProgress], None]


async def record_network(targets: list[CaptureTarget], spec: CaptureSpec, on_update: OnUpdate,
                         *, clock_ns: Callable[[], int] = time.time_ns) -> dict[str, Outcome]:
    """Every target at once; receiver id -> its recording or why it failed (never raises for one receiver)."""
    progress = {t.receiver_id: ReceiverProgress(t.receiver_id, t.name) for t in targets}
    results = await asyncio.gather(*(_one(t, spec, progress[t.receiver_id], on_update, clock_ns) for t in targets))
    return {t.receiver_id: outcome for t, outcome in zip(targets, results, strict=True)}


async def _one(target: CaptureTarget, spec: CaptureSpec, progress: ReceiverProgress, on_update: OnUpdate,
               clock_ns: Callable[[], int]) -> Outcome:
    try:
        _update(progress, on_update, state="connecting")
        recording = await _record_with_backoff(target, spec, progress, on_update, clock_ns)
    except ReceiverRefused as refused:
        progress.refusal = refused.reason.value
        _update(progress, on_update, state="failed", reason=refused.message)
        return refused
    _update(progress, on_update, state="done", snr_db=_finite(recording.snr_db),
            sample_rate_hz=recording.sample_rate_hz, seconds_recorded=recording.duration_s)
    return recording


async def _record_with_backoff(target: CaptureTarget, spec: CaptureSpec, progress: ReceiverProgress,
                               on_update: OnUpdate, clock_ns: Callable[[], int]) -> GnssRecording:
    retry = 0
    while True:
        try:
            status = await fetch_status(target.url, timeout_s=spec.timeouts.connect_s,
                                        user_agent=identity(target.url, spec.contact).identity)
            _note_status(progress, status)
            check_slot(status)
            return await _record(target, spec, progress, on_update, clock_ns)
        except ReceiverRefused as refused:
            if refused.reason != RefusalReason.TOO_BUSY:
                raise
            retry += 1
            time_left_s = (spec.window.start_utc_ns - clock_ns()) / 1e9
            delay = spec.backoff.next_delay_s(retry, time_left_s)
            if delay is None:
                raise ReceiverRefused(RefusalReason.TOO_BUSY, f"too busy: {refused.message} (gave up after "
                                      f"{retry} attempt(s), backing off)") from None
            _update(progress, on_update, state="connecting", reason=f"too busy; retrying in {delay:g} s")
            await asyncio.sleep(delay)


async def _record(target: CaptureTarget, spec: CaptureSpec, progress: ReceiverProgress, on_update: OnUpdate,
                  clock_ns: Callable[[], int]) -> GnssRecording:
    client = KiwiClient(identity(target.url, spec.contact, target.password), spec.tuning, timeouts=spec.timeouts)
    try:
        await client.open()
        _update(progress, on_update, state="waiting_gnss", reason=None)
        return await _collect(client, target, spec, progress, on_update, clock_ns)
    finally:
        await client.close()  # disconnect as soon as the window is covered, or on any failure


async def _collect(client: KiwiClient, target: CaptureTarget, spec: CaptureSpec, progress: ReceiverProgress,
                   on_update: OnUpdate, clock_ns: Callable[[], int]) -> GnssRecording:
    announced = client.server.sample_rate_hz or float(client.server.audio_rate_hz or 12000)
    assembler = WindowAssembler(spec.window, announced, spec.policy)
    remaining_s = (spec.window.start_utc_ns - clock_ns()) / 1e9 + spec.window.duration_s
    try:
        async with asyncio.timeout(max(remaining_s + spec.policy.deadline_margin_s, 0.0)):
            while True:
                block = await client.next_block()
                done = assembler.feed(block)
                _on_block(block, assembler, spec.window, announced, progress, on_update)
                if done:
                    break
    except TimeoutError:
        reason = RefusalReason.DROPPED if assembler.locked else RefusalReason.GNSS_LOST
        raise ReceiverRefused(reason, "the window was not covered in time" if assembler.locked else
                              "no fresh GNSS time before the deadline") from None
    return assembler.recording(receiver_id=target.receiver_id, frequency_hz=spec.frequency_hz,
                               nominal_sample_rate_hz=float(client.server.audio_rate_hz or announced),
                               position=target.position)


def _on_block(block: IqBlock, assembler: WindowAssembler, window: RecordingWindow, rate_hz: float,
              progress: ReceiverProgress, on_update: OnUpdate) -> None:
    if not assembler.locked:
        return
    if block.received_utc_ns < window.start_utc_ns:
        if not progress.gnss_ok:
            _update(progress, on_update, gnss_ok=True)
        return
    seconds = min(progress.seconds_recorded + block.iq.size / rate_hz, window.duration_s)
    changed = progress.state != "recording" or int(seconds) != int(progress.seconds_recorded)
    progress.seconds_recorded = seconds
    if changed:
        _update(progress, on_update, state="recording", gnss_ok=True)


def _note_status(progress: ReceiverProgress, status: KiwiStatus) -> None:
    if status.lat is not None and status.lon is not None:
        progress.reported_position = (status.lat, status.lon)
    progress.gnss_ok = gnss_ok_for_tdoa(status)


def _update(progress: ReceiverProgress, on_update: OnUpdate, **changes: Any) -> None:
    for name, value in changes.items():
        setattr(progress, name, value)
    on_update(progress)


def _finite(value: float) -> float | None:
    return round(value, 2) if math.isfinite(value) else None
