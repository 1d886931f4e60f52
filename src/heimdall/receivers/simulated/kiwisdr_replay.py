"""A Kiwi IQ WAV as a live KiwiSDR would stream it: its blocks, when each is due, and its GNSS stamps.

One ``ReplayClock`` shared by several fakes makes them one simultaneous network: at the wall instant
``start_utc_ns`` every file is at GNSS time ``file_t0_gps_s`` (seconds of the GPS week, the same
instant in all files), and file time advances ``pace`` times as fast as the wall clock. Stamps are the
files' own, shifted by one common offset so that, at pace 1, they read the current GNSS time: the
time differences between files, and each file's true sample rate and stamp jitter, are preserved.
A block is due when its last sample would have been received (its start plus its length).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.formats.gnss_time import NS_PER_S, SECONDS_PER_WEEK, utc_ns_to_gps_ns
from heimdall.formats.kiwi import FULL_SCALE, KiwiRecording, read_kiwi_wav

WEEK_NS = SECONDS_PER_WEEK * NS_PER_S

@dataclass(frozen=True)
class ReplayClock:
    start_utc_ns: int  # the wall instant at which every file is at file_t0_gps_s
    file_t0_gps_s: float  # seconds of the GPS week, in the files' own time
    pace: float = 1.0

    @property
    def stamp_offset_ns(self) -> int:
        """Added to a file stamp (ns of the week) to make it read the wall clock's GNSS time."""
        return utc_ns_to_gps_ns(self.start_utc_ns) % WEEK_NS - round(self.file_t0_gps_s * NS_PER_S)

    def wall_ns(self, file_gps_s: float) -> int:
        """The wall instant (UTC ns) at which the files reach a GNSS time of their own."""
        return self.start_utc_ns + round((file_gps_s - self.file_t0_gps_s) * NS_PER_S / self.pace)

    def shifted_stamp(self, file_stamp_ns: int) -> tuple[int, int]:
        """(gpssec, gpsnsec) of a file stamp moved to the wall clock's GNSS time."""
        return divmod((file_stamp_ns + self.stamp_offset_ns) % WEEK_NS, NS_PER_S)


class KiwiReplay:
    """The blocks of one Kiwi IQ WAV, ready to send: int16 I/Q, stamps (ns of the week), flags, timing."""

    def __init__(self, path: str | Path) -> None:
        recording = read_kiwi_wav(path)
        if recording.timing is None:
            raise InvalidInput(f"{path}: no usable GNSS timing, so it cannot be replayed in GNSS time")
        self.recording: KiwiRecording = recording
        self.station = recording.station
        self.frequency_hz = recording.frequency_hz
        self.nominal_sample_rate_hz = recording.nominal_sample_rate_hz
        self.true_sample_rate_hz = recording.timing.sample_rate_hz
        self.t0_gps_s = recording.timing.t0_gps_s
        pcm = np.round(np.stack([recording.iq.real, recording.iq.imag], axis=1) * FULL_SCALE)
        self._pcm: NDArray[np.int16] = np.clip(pcm, -32768, 32767).astype(np.int16)
        self.block_start: NDArray[np.int64] = recording.block_start_index
        self.block_end: NDArray[np.int64] = np.append(recording.block_start_index[1:], recording.iq.size)
        self.block_stamp_ns: NDArray[np.int64] = np.round(recording.block_gps_s * NS_PER_S).astype(np.int64)
        self.block_solution: NDArray[np.uint8] = recording.block_gps_solution
        power = [float(np.mean(np.abs(recording.iq[a:b]) ** 2)) for a, b in zip(self.block_start, self.block_end,
                                                                                 strict=True)]
        self.block_dbfs = 10.0 * np.log10(np.maximum(power, 1e-20))

    @property
    def blocks(self) -> int:
        return int(self.block_start.size)

    @property
    def end_gps_s(self) -> float:
        return self.t0_gps_s + self.recording.iq.size / self.true_sample_rate_hz

    def pcm(self, block: int) -> NDArray[np.int16]:
        """Interleaved int16 I, Q of one block."""
        return self._pcm[self.block_start[block]:self.block_end[block]].reshape(-1)

    def due_gps_s(self, block: int) -> float:
        """File GNSS time at which the block is complete (from the fit, immune to a wild stamp)."""
        return self.t0_gps_s + float(self.block_end[block]) / self.true_sample_rate_hz

    def first_due_after(self, clock: ReplayClock, utc_ns: int) -> int:
        """The first block not yet complete at a wall instant (``blocks`` when the file is over)."""
        file_s = clock.file_t0_gps_s + (utc_ns - clock.start_utc_ns) * clock.pace / NS_PER_S
        due = self.t0_gps_s + self.block_end / self.true_sample_rate_hz
        return int(np.searchsorted(due, file_s, side="right"))


def shared_clock(replays: list[KiwiReplay], *, lead_s: float = 0.5, pace: float = 1.0,
                 now_utc_ns: int | None = None) -> ReplayClock:
    """One clock for several files: the latest file start plays ``lead_s`` from now."""
    if pace <= 0:
        raise InvalidInput("pace must be positive", field="pace")
    start = (now_utc_ns if now_utc_ns is not None else time.time_ns()) + round(lead_s * NS_PER_S)
    return ReplayClock(start, max(r.t0_gps_s for r in replays), pace)
