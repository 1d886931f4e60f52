"""Record a GNSS-time window of IQ from a KiwiSDR, timed by its own GNSS stamps.

    window = RecordingWindow(start_utc_ns, duration_s=8.0)
    recording = await record_gnss_window(KiwiConnection(url, contact=...), IqTuning(77_500), window,
                                         receiver_id="DF0KL", position=(53.67, 7.28, 0.0))

Real streams have traps, so the recorder trusts a stamp only when it is *fresh*: a GNSS fix no older
than ``max_fix_age_s``, a non-zero time (a session's first frame carries zero), within
``max_clock_offset_s`` of our own clock (stale stamps left from an earlier session are minutes off),
and in a run of ``lock_blocks`` consecutive frames whose stamps advance by their length at the
announced rate. From that lock on it predicts each stamp from the samples received; a stamp that
misses the prediction by more than ``2 ms + 200 ppm`` of the elapsed time is ignored, and
``max_bad_blocks`` of them in a row mean the GNSS time is lost. Inside the window a frame without a
fix fails the recording (``GNSS_LOST``): samples that cannot be timed are useless for TDoA.

Frames lost on the way (sequence numbers skipped) are reported as gaps and filled with zeros, so the
samples stay on one time grid. The true sample rate and the time of the first sample come from a
robust line fit of stamp against sample index (``formats.kiwi.fit_block_timing``): it differs from
both the announced rate (e.g. 12001.135) and the nominal one (12000).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from heimdall.formats.gnss_time import NS_PER_S, SECONDS_PER_WEEK, utc_ns_to_gps_ns
from heimdall.receivers.kiwisdr.client import (
    IqBlock,
    IqTuning,
    KiwiClient,
    KiwiConnection,
    KiwiTimeouts,
    StateChange,
)
from heimdall.receivers.kiwisdr.protocol import sequence_step
from heimdall.receivers.kiwisdr.recording import GnssRecording, RecordingWindow, SequenceGap, build_recording
from heimdall.receivers.states import ReceiverRefused, RefusalReason

WEEK_NS = SECONDS_PER_WEEK * NS_PER_S


@dataclass(frozen=True)
class GnssPolicy:
    max_fix_age_s: int = 30
    max_clock_offset_s: float | None = 10.0  # None: do not compare stamps with our clock (fast replays)
    lock_blocks: int = 3
    step_tolerance_s: float = 1e-3  # consecutive stamps vs block length at the announced rate
    max_bad_blocks: int = 24  # ~1 s of stamps that miss the prediction
    deadline_margin_s: float = 10.0  # wall time after the window's end before giving up


@dataclass
class _Block:
    block: IqBlock
    gps_ns: int  # absolute: nanoseconds since the GPS epoch
    sample_index: int
    stamp_ok: bool


class WindowAssembler:
    """Feeds of IQ blocks -> the blocks that cover a GNSS window (pure: no I/O, our clock from the blocks)."""

    def __init__(self, window: RecordingWindow, announced_rate_hz: float, policy: GnssPolicy | None = None) -> None:
        self.window, self.rate_hz, self.policy = window, announced_rate_hz, policy or GnssPolicy()
        self.start_gps_ns = utc_ns_to_gps_ns(window.start_utc_ns)
        self.end_gps_ns = self.start_gps_ns + round(window.duration_s * NS_PER_S)
        self.blocks: list[_Block] = []  # the run being locked, then everything from the lock on
        self.gaps: list[SequenceGap] = []
        self.locked = False
        self._next_index = 0
        self._bad_run = 0
        self._last_sequence: int | None = None

    @property
    def done(self) -> bool:
        return self.locked and bool(self.blocks) and self._end_ns(self.blocks[-1]) >= self.end_gps_ns

    def feed(self, block: IqBlock) -> bool:
        """Take one block; True once the window is covered. ``ReceiverRefused`` on GNSS loss or a missed window."""
        step = 1 if self._last_sequence is None else sequence_step(self._last_sequence, block.sequence)
        if step <= 0:
            return self.done  # a repeated or backward frame carries nothing new
        self._last_sequence = block.sequence
        if step > 1:
            self._on_gap(step - 1)
        gps_ns = _absolute_gps_ns(block)
        fresh = self._fresh(block, gps_ns)
        if not self.locked:
            self._lock_step(block, gps_ns, fresh)
        else:
            self._append_locked(block, gps_ns, fresh)
        return self.done

    def _fresh(self, block: IqBlock, gps_ns: int) -> bool:
        policy = self.policy
        if not block.gnss.usable or block.gnss.last_gps_solution > policy.max_fix_age_s:
            return False
        if policy.max_clock_offset_s is None:
            return True
        return abs(gps_ns - utc_ns_to_gps_ns(block.received_utc_ns)) <= policy.max_clock_offset_s * NS_PER_S

    def _lock_step(self, block: IqBlock, gps_ns: int, fresh: bool) -> None:
        if not fresh or (self.blocks and not self._follows(self.blocks[-1], gps_ns)):
            self._restart(keep=(block, gps_ns) if fresh else None)
            return
        self._push(block, gps_ns, True)
        if len(self.blocks) >= self.policy.lock_blocks:
            self.locked = True
            self._trim_before_window()
            if self.blocks[0].gps_ns > self.start_gps_ns:
                raise ReceiverRefused(RefusalReason.MISSED_WINDOW, "fresh GNSS time began "
                                      f"{(self.blocks[0].gps_ns - self.start_gps_ns) / 1e9:.2f} s after the window start")

    def _append_locked(self, block: IqBlock, gps_ns: int, fresh: bool) -> None:
        predicted, anchor_ns = self._predict(self._next_index)
        tolerance_ns = 2e6 + 2e-4 * abs(predicted - anchor_ns)
        consistent = fresh and abs(gps_ns - predicted) <= tolerance_ns
        self._bad_run = 0 if consistent else self._bad_run + 1
        in_window = predicted + _duration_ns(block, self.rate_hz) > self.start_gps_ns
        if in_window and not block.gnss.usable:
            raise ReceiverRefused(RefusalReason.GNSS_LOST, f"GNSS time lost during the window "
                                  f"(last_gps_solution {block.gnss.last_gps_solution})")
        if self._bad_run > self.policy.max_bad_blocks:
            if in_window:
                raise ReceiverRefused(RefusalReason.GNSS_LOST, "the GNSS stamps no longer follow the samples "
                                      f"(stale or frozen for {self._bad_run} frames)")
            self._restart(keep=None)
            return
        self._push(block, gps_ns if consistent else round(predicted), consistent)
        if not in_window:
            self._trim_before_window()

    def _on_gap(self, missing_frames: int) -> None:
        if not self.locked or not self.blocks:
            self._restart(keep=None)
            return
        samples = missing_frames * self.blocks[-1].block.iq.size
        self.gaps.append(SequenceGap(self._next_index, missing_frames, samples))
        self._next_index += samples

    def _restart(self, keep: tuple[IqBlock, int] | None) -> None:
        self.blocks, self.gaps, self.locked, self._bad_run, self._next_index = [], [], False, 0, 0
        if keep is not None:
            self._push(*keep, True)

    def _push(self, block: IqBlock, gps_ns: int, stamp_ok: bool) -> None:
        self.blocks.append(_Block(block, gps_ns, self._next_index, stamp_ok))
        self._next_index += block.iq.size

    def _follows(self, previous: _Block, gps_ns: int) -> bool:
        expected = previous.gps_ns + _duration_ns(previous.block, self.rate_hz)
        return abs(gps_ns - expected) <= self.policy.step_tolerance_s * NS_PER_S

    def _predict(self, sample_index: int) -> tuple[float, int]:
        """(expected stamp at a sample index, the stamp it is extrapolated from): from the latest good stamps."""
        anchor = next((entry for entry in reversed(self.blocks) if entry.stamp_ok), self.blocks[0])
        return anchor.gps_ns + (sample_index - anchor.sample_index) * NS_PER_S / self.rate_hz, anchor.gps_ns

    def _trim_before_window(self) -> None:
        """While waiting for the window, keep only the blocks the window may still need (and the lock anchors)."""
        keep_from = 0
        for i, entry in enumerate(self.blocks):
            if self._end_ns(entry) <= self.start_gps_ns and i < len(self.blocks) - self.policy.lock_blocks:
                keep_from = i + 1
        if keep_from:
            shift = self.blocks[keep_from].sample_index
            self.blocks = self.blocks[keep_from:]
            for entry in self.blocks:
                entry.sample_index -= shift
            self.gaps = [SequenceGap(g.sample_index - shift, g.missing_frames, g.missing_samples)
                         for g in self.gaps if g.sample_index >= shift]
            self._next_index -= shift

    def _end_ns(self, entry: _Block) -> float:
        return entry.gps_ns + _duration_ns(entry.block, self.rate_hz)

    def recording(self, *, receiver_id: str, frequency_hz: float, nominal_sample_rate_hz: float,
                  position: tuple[float, float, float] | None = None) -> GnssRecording:
        """The blocks from the one holding the window's start to the one holding its end, as a recording."""
        inside = [b for b in self.blocks if self._end_ns(b) > self.start_gps_ns and b.gps_ns < self.end_gps_ns]
        if not self.done or not inside:
            raise ReceiverRefused(RefusalReason.DROPPED, "the window is not covered")
        first, last = inside[0].sample_index, inside[-1].sample_index
        return build_recording(
            receiver_id=receiver_id, frequency_hz=frequency_hz, window=self.window,
            blocks=[(b.block, b.gps_ns, b.sample_index, b.stamp_ok) for b in inside],
            gaps=[g for g in self.gaps if first <= g.sample_index <= last], announced_sample_rate_hz=self.rate_hz,
            nominal_sample_rate_hz=nominal_sample_rate_hz, position=position)


async def record_window(client: KiwiClient, window: RecordingWindow, *, receiver_id: str,
                        position: tuple[float, float, float] | None = None, policy: GnssPolicy | None = None,
                        clock_ns: Callable[[], int] = time.time_ns) -> GnssRecording:
    """Collect the window from an open client (which the caller closes)."""
    policy = policy or GnssPolicy()
    announced = client.server.sample_rate_hz or float(client.server.audio_rate_hz or 12000)
    assembler = WindowAssembler(window, announced, policy)
    remaining_s = (window.start_utc_ns - clock_ns()) / 1e9 + window.duration_s + policy.deadline_margin_s
    try:
        async with asyncio.timeout(max(remaining_s, 0.0)):
            while not assembler.feed(await client.next_block()):
                pass
    except TimeoutError:
        reason = RefusalReason.DROPPED if assembler.locked else RefusalReason.GNSS_LOST
        raise ReceiverRefused(reason, "the window was not covered in time" if assembler.locked else
                              "no fresh GNSS time before the deadline") from None
    return assembler.recording(receiver_id=receiver_id, frequency_hz=client.tuning.frequency_hz,
                               nominal_sample_rate_hz=float(client.server.audio_rate_hz or announced),
                               position=position)


async def record_gnss_window(connection: KiwiConnection, tuning: IqTuning, window: RecordingWindow, *,
                             receiver_id: str, position: tuple[float, float, float] | None = None,
                             policy: GnssPolicy | None = None, timeouts: KiwiTimeouts | None = None,
                             on_state: Callable[[StateChange], None] | None = None) -> GnssRecording:
    """Connect, record the window, and hang up as soon as it is covered (or on any failure)."""
    client = KiwiClient(connection, tuning, timeouts=timeouts, on_state=on_state)
    try:
        await client.open()
        return await record_window(client, window, receiver_id=receiver_id, position=position, policy=policy)
    finally:
        await client.close()


def _absolute_gps_ns(block: IqBlock) -> int:
    """The stamp (seconds of the week) placed in the GPS week nearest our clock's."""
    now_gps_ns = utc_ns_to_gps_ns(block.received_utc_ns)
    stamp_ns = block.gnss.gps_seconds * NS_PER_S + block.gnss.gps_nanoseconds
    candidate = now_gps_ns - now_gps_ns % WEEK_NS + stamp_ns
    if candidate - now_gps_ns > WEEK_NS // 2:
        candidate -= WEEK_NS
    elif now_gps_ns - candidate > WEEK_NS // 2:
        candidate += WEEK_NS
    return candidate


def _duration_ns(block: IqBlock, rate_hz: float) -> float:
    return block.iq.size * NS_PER_S / rate_hz

