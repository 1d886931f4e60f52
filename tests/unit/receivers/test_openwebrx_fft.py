"""Waterfall lines: the browser's ADPCM variant, float32 lines, and the gain tracker on their floor."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.openwebrx.fft import (
    GainTracker,
    adpcm_decode,
    adpcm_encode,
    decode_fft_line,
    encode_fft_line,
)


def test_adpcm_decoder_follows_the_browser_step_by_step() -> None:
    # worked by hand from ImaAdpcmCodec.decodeNibble: the step starts at 0, so the first nibble adds nothing
    # 7: index 8, +0 -> 0, step 16; 7: index 16, +30 -> 30, step 34; 0xF: index 24, -63 -> -33, step 73;
    # 0: index 23, +9 -> -24
    assert adpcm_decode(bytes([0x77, 0x0F])).tolist() == [0, 30, -33, -24]


def test_adpcm_round_trip_tracks_a_waterfall_line() -> None:
    rng = np.random.default_rng(3)
    line = -9000 + np.cumsum(rng.normal(0, 40, 601)).astype(np.int16)
    decoded = adpcm_decode(adpcm_encode(line))
    assert decoded.size == 602  # an odd count gets one pad sample
    error = np.abs(decoded[40:601].astype(int) - line[40:].astype(int))  # past the first steps' ramp-up
    assert np.mean(error) < 15 and np.max(error) < 100  # ADPCM's quantisation: < 0.15 dB typical, < 1 dB worst


@pytest.mark.parametrize("compression, tolerance_db", [("none", 1e-4), ("adpcm", 0.6)])
def test_fft_lines_decode_to_db(compression: str, tolerance_db: float) -> None:
    rng = np.random.default_rng(7)
    levels = -95.0 + rng.normal(0.0, 1.0, 1024)
    levels[300] = -40.0
    decoded = decode_fft_line(encode_fft_line(levels, compression), compression)
    assert decoded.size == 1024
    assert np.median(np.abs(decoded - levels)) < tolerance_db
    assert np.median(decoded) == pytest.approx(np.median(levels), abs=tolerance_db)


def test_bad_fft_lines() -> None:
    with pytest.raises(InvalidInput):
        decode_fft_line(b"\x00\x00\x80", "none")
    with pytest.raises(InvalidInput):
        decode_fft_line(b"\x11\x22", "adpcm")
    with pytest.raises(InvalidInput):
        decode_fft_line(b"\x00" * 8, "zstd")


def test_gain_tracker_sees_the_floor_move() -> None:
    rng = np.random.default_rng(1)
    tracker = GainTracker(step_db=3.0, baseline_lines=3)

    def line(floor_db: float) -> np.ndarray:
        values = floor_db + rng.normal(0.0, 1.0, 512)
        values[100:140] = -30.0  # a strong transmitter: the median ignores it
        return values

    for _ in range(2):
        tracker.add_line(line(-95.0))
    assert tracker.baseline_db is None and not tracker.changed
    tracker.add_line(line(-95.0))
    tracker.add_line(line(-96.0))
    assert tracker.shift_db == pytest.approx(-1.0, abs=0.3) and not tracker.changed
    tracker.add_line(line(-105.0))  # an AGC took 10 dB
    assert tracker.changed and tracker.shift_db == pytest.approx(-10.0, abs=0.3)
    tracker.add_line(np.full(512, np.nan))  # nothing to learn from: the last floor stands
    assert tracker.changed
    tracker.reset()
    assert tracker.floor_db is None and tracker.shift_db is None and not tracker.changed
