"""A GNSS-timed recording from one KiwiSDR: samples, per-block stamps, the measured rate, gaps, SNR."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.formats.gnss_blocks import BlockTiming, GnssBlocks
from heimdall.formats.kiwi import NO_GNSS
from heimdall.receivers.states import ReceiverRefused, RefusalReason
from heimdall.rf.measure.power import power_snr

if TYPE_CHECKING:
    from heimdall.receivers.kiwisdr.client import IqBlock

MAX_WINDOW_S = 3600.0
MAX_REJECTED_FRACTION = 0.25  # more stamps off the line than this: the time is not trustworthy


@dataclass(frozen=True)
class RecordingWindow:
    start_utc_ns: int
    duration_s: float

    def __post_init__(self) -> None:
        if not 0.0 < self.duration_s <= MAX_WINDOW_S:
            raise InvalidInput(f"a recording window lasts more than 0 and at most {MAX_WINDOW_S:g} s",
                               field="duration_s")

    @property
    def end_utc_ns(self) -> int:
        return self.start_utc_ns + round(self.duration_s * 1e9)


@dataclass(frozen=True)
class SequenceGap:
    sample_index: int  # where the zeros standing for the lost frames begin
    missing_frames: int
    missing_samples: int


@dataclass(frozen=True)
class GnssRecording:
    receiver_id: str
    frequency_hz: float
    iq: NDArray[np.complex64]  # full scale = 1.0; lost frames are zeros
    gnss: GnssBlocks  # every received block; stamps that missed the prediction are flagged unusable (255)
    block_sequence: NDArray[np.int64]
    timing: BlockTiming  # true rate and UTC time of sample 0, from the stamps
    announced_sample_rate_hz: float  # what the server said (MSG sample_rate)
    nominal_sample_rate_hz: float  # the audio rate (MSG audio_rate)
    window: RecordingWindow
    gaps: tuple[SequenceGap, ...]
    snr_db: float
    smeter_dbm: float  # median of the frames' S-meter readings
    adc_overflow_blocks: int
    position: tuple[float, float, float] | None  # (lat, lon, alt_m) as the receiver reports it

    @property
    def sample_rate_hz(self) -> float:
        return self.timing.sample_rate_hz

    @property
    def start_utc_ns(self) -> int:
        return self.timing.start_utc_ns

    @property
    def duration_s(self) -> float:
        return self.iq.size / self.sample_rate_hz


def build_recording(*, receiver_id: str, frequency_hz: float, window: RecordingWindow,
                    blocks: list[tuple[IqBlock, int, int, bool]], gaps: list[SequenceGap],
                    announced_sample_rate_hz: float, nominal_sample_rate_hz: float,
                    position: tuple[float, float, float] | None) -> GnssRecording:
    """Blocks as (IqBlock, GNSS ns, sample index, stamp trusted) -> a recording timed by its stamps."""
    first = blocks[0][2]
    starts = np.array([index - first for _, _, index, _ in blocks], dtype=np.int64)
    iq = np.zeros(int(starts[-1]) + blocks[-1][0].iq.size, dtype=np.complex64)
    for (block, _, _, _), start in zip(blocks, starts, strict=True):
        iq[start:start + block.iq.size] = block.iq
    solution = np.array([b.gnss.last_gps_solution if ok else NO_GNSS for b, _, _, ok in blocks], dtype=np.uint8)
    gnss = GnssBlocks(starts, np.array([gps for _, gps, _, _ in blocks], dtype=np.int64), solution)
    timing = _timing(gnss, nominal_sample_rate_hz)
    return GnssRecording(
        receiver_id=receiver_id, frequency_hz=frequency_hz, iq=iq, gnss=gnss,
        block_sequence=np.array([b.sequence for b, _, _, _ in blocks], dtype=np.int64), timing=timing,
        announced_sample_rate_hz=announced_sample_rate_hz, nominal_sample_rate_hz=nominal_sample_rate_hz,
        window=window, gaps=tuple(SequenceGap(g.sample_index - first, g.missing_frames, g.missing_samples)
                                  for g in gaps),
        snr_db=power_snr(iq, timing.sample_rate_hz).snr_db if iq.size >= 16 else float("nan"),
        smeter_dbm=float(np.median([b.smeter_dbm for b, _, _, _ in blocks])),
        adc_overflow_blocks=sum(b.adc_overflow for b, _, _, _ in blocks), position=position,
    )


def _timing(gnss: GnssBlocks, nominal_sample_rate_hz: float) -> BlockTiming:
    timing = gnss.fit(nominal_sample_rate_hz)
    if timing is None:
        raise ReceiverRefused(RefusalReason.GNSS_LOST, "too few usable GNSS stamps to time the recording")
    total = timing.fit.blocks_used + timing.fit.blocks_rejected
    if timing.fit.blocks_rejected > MAX_REJECTED_FRACTION * total:
        raise ReceiverRefused(RefusalReason.GNSS_LOST, f"{timing.fit.blocks_rejected} of {total} GNSS stamps "
                              "are off the line through the others")
    return timing
