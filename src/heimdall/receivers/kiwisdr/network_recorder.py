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
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from heimdall.errors import HeimdallError
from heimdall.receivers.kiwisdr.client import IqBlock, IqTuning, KiwiClient, KiwiTimeouts
from heimdall.receivers.kiwisdr.manners import Backoff, check_slot, identity
from heimdall.receivers.kiwisdr.recorder import GnssPolicy, WindowAssembler
from heimdall.receivers.kiwisdr.recording import GnssRecording, RecordingWindow
from heimdall.receivers.kiwisdr.status import KiwiStatus, fetch_status, gnss_ok_for_tdoa
from heimdall.receivers.states import ReceiverRefused, RefusalReason

log = logging.getLogger(__name__)
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
    """What to record. Without ``start_utc_ns`` the window starts ``start_margin_s`` after every receiver
    streams with fresh GNSS time (or after ``ready_timeout_s``, without the late ones)."""

    frequency_hz: float
    passband_hz: float
    duration_s: float
    start_utc_ns: int | None = None
    contact: str | None = None
    ready_timeout_s: float = 20.0
    start_margin_s: float = 0.25  # ~6 frames: every receiver locks before the window starts
    backoff: Backoff = field(default_factory=Backoff)
    timeouts: KiwiTimeouts = field(default_factory=KiwiTimeouts)
    policy: GnssPolicy = field(default_factory=GnssPolicy)

    def __post_init__(self) -> None:
        RecordingWindow(self.start_utc_ns or 0, self.duration_s)  # the duration's checks

    @property
    def tuning(self) -> IqTuning:
        half = self.passband_hz / 2.0
        return IqTuning(self.frequency_hz, low_cut_hz=-half, high_cut_hz=half)


class StartGate:
    """The window every receiver records: fixed, or decided once all receivers still in the race are ready."""

    def __init__(self, spec: CaptureSpec, receiver_ids: list[str], clock_ns: Callable[[], int]) -> None:
        self.spec, self.clock_ns = spec, clock_ns
        self.opened_ns = clock_ns()
        self._pending = set(receiver_ids)
        self._all_in = asyncio.Event()
        self._window: RecordingWindow | None = None
        if spec.start_utc_ns is not None:
            self._window = RecordingWindow(spec.start_utc_ns, spec.duration_s)

    @property
    def deadline_ns(self) -> int:
        """Until when a receiver may still join (back-off stops here)."""
        if self._window is not None:
            return self._window.start_utc_ns
        return self.opened_ns + round(self.spec.ready_timeout_s * 1e9)

    def leave(self, receiver_id: str) -> None:
        """Ready, or out of the race: nobody waits for it any longer."""
        self._pending.discard(receiver_id)
        if not self._pending:
            self._all_in.set()

    async def window(self) -> RecordingWindow:
        if self._window is None:
            wait_s = max((self.deadline_ns - self.clock_ns()) / 1e9, 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_in.wait(), wait_s)
            if self._window is None:
                start = self.clock_ns() + round(self.spec.start_margin_s * 1e9)
                self._window = RecordingWindow(start, self.spec.duration_s)
        return self._window


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
    gate = StartGate(spec, [t.receiver_id for t in targets], clock_ns)
    progress = {t.receiver_id: ReceiverProgress(t.receiver_id, t.name) for t in targets}
    results = await asyncio.gather(*(_one(t, gate, progress[t.receiver_id], on_update) for t in targets))
    return {t.receiver_id: outcome for t, outcome in zip(targets, results, strict=True)}


async def _one(target: CaptureTarget, gate: StartGate, progress: ReceiverProgress, on_update: OnUpdate) -> Outcome:
    try:
        _update(progress, on_update, state="connecting")
        recording = await _record_with_backoff(target, gate, progress, on_update)
    except ReceiverRefused as refused:
        progress.refusal = refused.reason.value
        _update(progress, on_update, state="failed", reason=refused.message)
        return refused
    except (HeimdallError, ValueError, ArithmeticError, LookupError) as exc:  # never crash the other receivers
        log.warning("capture from %s failed unexpectedly", target.url, exc_info=True)
        failed = ReceiverRefused(RefusalReason.PROTOCOL_ERROR, f"unexpected failure: {exc}"[:300])
        progress.refusal = failed.reason.value
        _update(progress, on_update, state="failed", reason=failed.message)
        return failed
    finally:
        gate.leave(target.receiver_id)
    _update(progress, on_update, state="done", snr_db=_finite(recording.snr_db),
            sample_rate_hz=recording.sample_rate_hz, seconds_recorded=recording.duration_s)
    return recording


async def _record_with_backoff(target: CaptureTarget, gate: StartGate, progress: ReceiverProgress,
                               on_update: OnUpdate) -> GnssRecording:
    spec, retry = gate.spec, 0
    while True:
        try:
            status = await fetch_status(target.url, timeout_s=spec.timeouts.connect_s,
                                        user_agent=identity(target.url, spec.contact).identity)
            _note_status(progress, status)
            check_slot(status)
            return await _record(target, gate, progress, on_update)
        except ReceiverRefused as refused:
            if refused.reason != RefusalReason.TOO_BUSY:
                raise
            gate.leave(target.receiver_id)  # the others do not wait for a busy receiver
            retry += 1
            delay = spec.backoff.next_delay_s(retry, (gate.deadline_ns - gate.clock_ns()) / 1e9)
            if delay is None:
                raise ReceiverRefused(RefusalReason.TOO_BUSY, f"too busy: {refused.message} (gave up after "
                                      f"{retry} attempt(s), backing off)") from None
            _update(progress, on_update, state="connecting", reason=f"too busy; retrying in {delay:g} s")
            await asyncio.sleep(delay)


async def _record(target: CaptureTarget, gate: StartGate, progress: ReceiverProgress,
                  on_update: OnUpdate) -> GnssRecording:
    spec = gate.spec
    client = KiwiClient(identity(target.url, spec.contact, target.password), spec.tuning, timeouts=spec.timeouts)
    try:
        await client.open()
        _update(progress, on_update, state="waiting_gnss", reason=None)
        early = await _until_fresh_gnss(client, gate)
        _update(progress, on_update, gnss_ok=True)
        gate.leave(target.receiver_id)
        return await _collect(client, target, gate, early, progress, on_update)
    finally:
        await client.close()  # disconnect as soon as the window is covered, or on any failure


async def _until_fresh_gnss(client: KiwiClient, gate: StartGate) -> list[IqBlock]:
    """The blocks up to the first with a fresh GNSS fix (kept: the window may begin among them)."""
    early: list[IqBlock] = []
    max_age = gate.spec.policy.max_fix_age_s
    try:
        async with asyncio.timeout(max(gate.spec.ready_timeout_s, 1.0) + gate.spec.duration_s):
            while not early or not (early[-1].gnss.usable and early[-1].gnss.last_gps_solution <= max_age
                                    and early[-1].gnss.gps_seconds > 0):
                early.append(await client.next_block())
    except TimeoutError:
        raise ReceiverRefused(RefusalReason.GNSS_LOST, "no fresh GNSS time from the receiver") from None
    return early


async def _collect(client: KiwiClient, target: CaptureTarget, gate: StartGate, early: list[IqBlock],
                   progress: ReceiverProgress, on_update: OnUpdate) -> GnssRecording:
    window = await gate.window()
    spec = gate.spec
    announced = client.server.sample_rate_hz or float(client.server.audio_rate_hz or 12000)
    assembler = WindowAssembler(window, announced, spec.policy)
    remaining_s = (window.start_utc_ns - gate.clock_ns()) / 1e9 + window.duration_s
    try:
        async with asyncio.timeout(max(remaining_s + spec.policy.deadline_margin_s, 0.0)):
            pending = list(early)
            while True:
                block = pending.pop(0) if pending else await client.next_block()
                done = assembler.feed(block)
                _on_block(block, assembler, window, announced, progress, on_update)
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
