"""Assembling a GNSS-time window from IQ blocks: stale and zero stamps, gaps, GNSS loss, the true rate."""

from datetime import UTC, datetime

import numpy as np
import pytest

from heimdall.formats.gnss_time import NS_PER_S, SECONDS_PER_WEEK, gps_ns_to_utc_ns, utc_ns_to_gps_ns
from heimdall.receivers.kiwisdr.client import IqBlock
from heimdall.receivers.kiwisdr.protocol import GnssStamp
from heimdall.receivers.kiwisdr.recorder import GnssPolicy, WindowAssembler
from heimdall.receivers.kiwisdr.recording import GnssRecording, RecordingWindow
from heimdall.receivers.states import ReceiverRefused, RefusalReason

TRUE_RATE_HZ = 12001.2
ANNOUNCED_HZ = 12001.0
BLOCK = 512
START_UTC_NS = int(datetime(2024, 3, 5, 12, 0, 0, tzinfo=UTC).timestamp()) * NS_PER_S
WEEK_NS = SECONDS_PER_WEEK * NS_PER_S


def _stream(blocks: int, *, start_gps_ns: int | None = None, jitter_ns: float = 30.0, seed: int = 3,
            solution: int = 4) -> list[IqBlock]:
    """Blocks of a tone stamped like a KiwiSDR: GNSS time of each block's first sample, with jitter."""
    rng = np.random.default_rng(seed)
    t0 = start_gps_ns if start_gps_ns is not None else utc_ns_to_gps_ns(START_UTC_NS)
    out = []
    for k in range(blocks):
        index = np.arange(k * BLOCK, (k + 1) * BLOCK)
        iq = (0.5 * np.exp(2j * np.pi * 0.01 * index)).astype(np.complex64)
        stamp = t0 + round(k * BLOCK / TRUE_RATE_HZ * NS_PER_S + jitter_ns * rng.standard_normal())
        seconds, nanos = divmod(stamp % WEEK_NS, NS_PER_S)
        received = gps_ns_to_utc_ns(stamp) + round((BLOCK / TRUE_RATE_HZ + 0.05) * NS_PER_S)
        out.append(IqBlock(k + 1, GnssStamp(solution, seconds, nanos), iq, -80.0, False, received))
    return out


def _window(offset_s: float, duration_s: float) -> RecordingWindow:
    return RecordingWindow(START_UTC_NS + round(offset_s * NS_PER_S), duration_s)


def _replace(block: IqBlock, **changes: object) -> IqBlock:
    fields = {"sequence": block.sequence, "gnss": block.gnss, "iq": block.iq, "smeter_dbm": block.smeter_dbm,
              "adc_overflow": block.adc_overflow, "received_utc_ns": block.received_utc_ns, **changes}
    return IqBlock(**fields)  # type: ignore[arg-type]


def _record(blocks: list[IqBlock], window: RecordingWindow, policy: GnssPolicy | None = None) -> GnssRecording:
    assembler = WindowAssembler(window, ANNOUNCED_HZ, policy)
    for block in blocks:
        if assembler.feed(block):
            return assembler.recording(receiver_id="RX", frequency_hz=77_500.0, nominal_sample_rate_hz=12000.0)
    raise AssertionError("the window was never covered")


def test_zero_and_stale_first_frames_are_skipped_and_the_true_rate_measured() -> None:
    blocks = _stream(120)
    blocks[0] = _replace(blocks[0], gnss=GnssStamp(0, 0, 0))  # a session's first frame
    stale = blocks[1].gnss.gps_seconds - 300
    blocks[1] = _replace(blocks[1], gnss=GnssStamp(4, stale, blocks[1].gnss.gps_nanoseconds))
    recording = _record(blocks, _window(1.0, 2.0))
    assert recording.sample_rate_hz == pytest.approx(TRUE_RATE_HZ, abs=2e-3)  # not 12001.0, not 12000
    assert recording.announced_sample_rate_hz == ANNOUNCED_HZ and recording.nominal_sample_rate_hz == 12000.0
    first_block = int(np.floor(1.0 * TRUE_RATE_HZ / BLOCK))  # the block holding the window's start
    truth_ns = START_UTC_NS + round(first_block * BLOCK / TRUE_RATE_HZ * NS_PER_S)
    assert abs(recording.start_utc_ns - truth_ns) < 100  # ns: the fit of 30 ns jitter
    assert recording.start_utc_ns <= recording.window.start_utc_ns
    assert recording.start_utc_ns + recording.duration_s * 1e9 >= recording.window.end_utc_ns
    np.testing.assert_array_equal(recording.iq[:BLOCK], blocks[first_block].iq)
    assert recording.gaps == () and recording.timing.fit.blocks_rejected == 0
    assert recording.snr_db > 30 and recording.smeter_dbm == -80.0


def test_lost_frames_are_reported_and_filled_with_zeros_on_the_time_grid() -> None:
    blocks = _stream(120)
    lost = [b for b in blocks if b.sequence in (40, 41)]
    recording = _record([b for b in blocks if b not in lost], _window(1.0, 3.0))
    first_sequence = int(recording.block_sequence[0])
    gap_index = (40 - first_sequence) * BLOCK
    assert len(recording.gaps) == 1 and recording.gaps[0].sample_index == gap_index
    assert (recording.gaps[0].missing_frames, recording.gaps[0].missing_samples) == (2, 2 * BLOCK)
    assert np.all(recording.iq[gap_index:gap_index + 2 * BLOCK] == 0)
    np.testing.assert_array_equal(recording.iq[gap_index + 2 * BLOCK:gap_index + 3 * BLOCK], blocks[41].iq)
    assert recording.sample_rate_hz == pytest.approx(TRUE_RATE_HZ, abs=2e-3)  # the gap does not bend time


def test_a_single_wild_stamp_is_distrusted_not_fatal() -> None:
    blocks = _stream(120)
    wild = blocks[50].gnss
    blocks[50] = _replace(blocks[50], gnss=GnssStamp(4, wild.gps_seconds + 3, wild.gps_nanoseconds))
    recording = _record(blocks, _window(1.0, 3.0))
    flagged = recording.gnss.solution[recording.block_sequence == 51]
    assert flagged.tolist() == [255]  # kept out of the fit
    assert recording.sample_rate_hz == pytest.approx(TRUE_RATE_HZ, abs=2e-3)


@pytest.mark.parametrize("solution", [255, 254, 253])
def test_gnss_lost_inside_the_window_fails_the_recording(solution: int) -> None:
    blocks = _stream(120)
    for k in range(60, 120):
        blocks[k] = _replace(blocks[k], gnss=GnssStamp(solution, blocks[k].gnss.gps_seconds, blocks[k].gnss.gps_nanoseconds))
    with pytest.raises(ReceiverRefused, match="GNSS time lost") as caught:
        _record(blocks, _window(1.0, 3.0))
    assert caught.value.reason == RefusalReason.GNSS_LOST and caught.value.reason.retryable


def test_frozen_stamps_inside_the_window_mean_gnss_lost() -> None:
    blocks = _stream(160)
    frozen = blocks[60].gnss
    for k in range(61, 160):
        blocks[k] = _replace(blocks[k], gnss=frozen)
    with pytest.raises(ReceiverRefused, match="no longer follow") as caught:
        _record(blocks, _window(1.0, 5.0))
    assert caught.value.reason == RefusalReason.GNSS_LOST


def test_an_old_fix_is_not_fresh_and_loss_before_the_window_only_delays_the_lock() -> None:
    blocks = _stream(200)
    for k in range(10, 45):  # a fix 40 s old for 35 frames, then fresh again well before the window
        blocks[k] = _replace(blocks[k], gnss=GnssStamp(40, blocks[k].gnss.gps_seconds, blocks[k].gnss.gps_nanoseconds))
    assembler = WindowAssembler(_window(4.0, 2.0), ANNOUNCED_HZ)
    locked = [(assembler.feed(b), assembler.locked)[1] for b in blocks[:60]]
    assert locked[5] and not locked[40] and locked[50]  # lost after 24 stale frames, locked again after 3 fresh
    recording = _record(blocks, _window(4.0, 2.0))
    assert recording.sample_rate_hz == pytest.approx(TRUE_RATE_HZ, abs=3e-3)


def test_a_window_that_began_before_fresh_time_is_missed() -> None:
    blocks = _stream(120)
    for k in range(40):
        blocks[k] = _replace(blocks[k], gnss=GnssStamp(255, 0, 0))
    with pytest.raises(ReceiverRefused, match="after the window start") as caught:
        _record(blocks, _window(1.0, 2.0))  # fresh time only from 1.7 s
    assert caught.value.reason == RefusalReason.MISSED_WINDOW and caught.value.reason.retryable


def test_stamps_far_from_our_clock_are_stale_unless_the_check_is_off() -> None:
    blocks = [_replace(b, received_utc_ns=b.received_utc_ns + 120 * NS_PER_S) for b in _stream(120)]
    assembler = WindowAssembler(_window(1.0, 2.0), ANNOUNCED_HZ)
    assert not any(assembler.feed(b) for b in blocks) and not assembler.locked
    recording = _record(blocks, _window(1.0, 2.0), GnssPolicy(max_clock_offset_s=None))
    assert recording.sample_rate_hz == pytest.approx(TRUE_RATE_HZ, abs=2e-3)


def test_a_window_across_the_gps_week_rollover() -> None:
    start_gps = (utc_ns_to_gps_ns(START_UTC_NS) // WEEK_NS + 1) * WEEK_NS - 2 * NS_PER_S  # 2 s before Sunday 00:00
    blocks = _stream(150, start_gps_ns=start_gps)
    window = RecordingWindow(gps_ns_to_utc_ns(start_gps) + NS_PER_S, 3.0)
    recording = _record(blocks, window)
    assert np.all(np.diff(recording.gnss.gps_ns) > 0)  # continuous through the wrap of seconds-of-week
    assert recording.sample_rate_hz == pytest.approx(TRUE_RATE_HZ, abs=2e-3)
    assert blocks[100].gnss.gps_seconds < blocks[10].gnss.gps_seconds  # the stamps did wrap


def test_repeated_frames_are_ignored_and_durations_validated() -> None:
    blocks = _stream(120)
    doubled = [b for block in blocks for b in (block, block)]
    recording = _record(doubled, _window(1.0, 2.0))
    assert np.all(np.diff(recording.block_sequence) == 1)
    with pytest.raises(Exception, match="at most"):
        RecordingWindow(START_UTC_NS, 0.0)
