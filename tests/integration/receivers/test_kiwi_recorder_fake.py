"""Recording GNSS-time windows from the fake KiwiSDR: stale first frames, lost frames, GNSS loss, hanging up.

The fake replays at 4x pace here (stamps run ahead of the wall clock), so the recorder's check of
stamps against our own clock is off; the real-pace test with it on is test_kiwi_dcf77_capture.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.formats.gnss_time import NS_PER_S, gps_ns_to_utc_ns, utc_ns_to_gps_ns
from heimdall.receivers.kiwisdr.client import IqTuning, KiwiConnection, KiwiTimeouts
from heimdall.receivers.kiwisdr.recorder import GnssPolicy, record_gnss_window
from heimdall.receivers.kiwisdr.recording import GnssRecording, RecordingWindow
from heimdall.receivers.kiwisdr.status import fetch_status
from heimdall.receivers.simulated.kiwisdr_replay import WEEK_NS
from heimdall.receivers.simulated.kiwisdr_server import FakeKiwiSDR
from heimdall.receivers.states import ReceiverRefused, RefusalReason

PACE = 4.0
REPLAY_POLICY = GnssPolicy(max_clock_offset_s=None, deadline_margin_s=5.0)


async def _record(fake: FakeKiwiSDR, offset_s: float = 2.0, duration_s: float = 2.0) -> GnssRecording:
    """The window [offset_s, offset_s + duration_s] of GNSS time after the fake's clock start."""
    window = RecordingWindow(fake.clock.start_utc_ns + round(offset_s * NS_PER_S), duration_s)
    return await record_gnss_window(KiwiConnection(fake.url, contact="ops@example.org"), IqTuning(77_500), window,
                                    receiver_id="DF0KL", position=(53.665337, 7.282766, 0.0), policy=REPLAY_POLICY,
                                    timeouts=KiwiTimeouts(start_s=3.0, frame_s=3.0))


async def test_stale_and_zero_first_frames_are_skipped_and_the_file_timing_recovered(fake_kiwi, dcf77_replays) -> None:
    fake = await fake_kiwi(pace=PACE, stale_first_frames=4, zero_gnss_frames=1)
    replay = dcf77_replays["DF0KL"]
    recording = await _record(fake)
    session = fake.sessions[0]
    assert session.ended is None and session.violations == []  # we hung up, having sent what is required
    assert (await fetch_status(fake.url)).users == 0  # the slot is free again
    assert recording.sample_rate_hz == pytest.approx(replay.true_sample_rate_hz, abs=5e-3)
    assert recording.announced_sample_rate_hz == 12001.0 and recording.nominal_sample_rate_hz == 12000.0
    first_file_block = session.file_blocks_sent[int(recording.block_sequence[0]) - 1]
    start = replay.block_start[first_file_block]
    np.testing.assert_array_equal(recording.iq[:512], replay.recording.iq[start:start + 512])
    file_ns = round((replay.t0_gps_s + start / replay.true_sample_rate_hz) * NS_PER_S)  # the file's own fit
    shifted = (file_ns + fake.clock.stamp_offset_ns) % WEEK_NS
    expected_gps = utc_ns_to_gps_ns(recording.start_utc_ns)
    assert abs((expected_gps % WEEK_NS) - shifted) < 1_000  # ns: same instant as the file says, shifted
    assert recording.window.start_utc_ns >= recording.start_utc_ns
    assert gps_ns_to_utc_ns(int(recording.gnss.gps_ns[-1])) < recording.window.end_utc_ns


async def test_lost_frames_become_reported_zero_filled_gaps(fake_kiwi) -> None:
    fake = await fake_kiwi(pace=PACE, skip_sequences=frozenset({70, 71}))
    recording = await _record(fake)
    assert len(recording.gaps) == 1
    gap = recording.gaps[0]
    assert (gap.missing_frames, gap.missing_samples) == (2, 1024)
    assert np.all(recording.iq[gap.sample_index:gap.sample_index + 1024] == 0)
    assert recording.timing.fit.blocks_rejected == 0  # the zeros keep every later stamp on the line


@pytest.mark.parametrize(("options", "match"), [
    ({"lose_gnss_after_s": 0.75}, "GNSS time lost"),
    ({"lose_gnss_after_s": 0.75, "lost_gnss_solution": 254}, "GNSS time lost"),
    ({"freeze_gnss_after_s": 0.75}, "no longer follow"),
])
async def test_gnss_lost_mid_window_fails_the_recording(fake_kiwi, options: dict, match: str) -> None:
    fake = await fake_kiwi(pace=PACE, **options)
    with pytest.raises(ReceiverRefused, match=match) as caught:
        await _record(fake, duration_s=4.0)
    assert caught.value.reason == RefusalReason.GNSS_LOST
    assert fake.sessions[0].ended is None  # we hung up at once


async def test_a_refusing_receiver_fails_the_recording(fake_kiwi) -> None:
    fake = await fake_kiwi(pace=PACE, refuse="too_busy")
    with pytest.raises(ReceiverRefused) as caught:
        await _record(fake)
    assert caught.value.reason == RefusalReason.TOO_BUSY and caught.value.reason.retryable
