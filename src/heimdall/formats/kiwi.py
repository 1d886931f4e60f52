"""KiwiSDR IQ WAV recordings (kiwirecorder ``-m iq --kiwi-wav``), RF_NOTES section 5.

Layout: ``RIFF``/``WAVE``, a PCM ``fmt `` chunk (2 channels, 16 bit: I and Q), then repeated pairs of a
10-byte ``kiwi`` chunk (``last_gps_solution`` u8, pad u8, ``gpssec`` u32, ``gpsnsec`` u32, little
endian; the GNSS time of the next block's first sample) and a ``data`` chunk of (usually) 512 IQ pairs.
Python's ``wave`` stops after the first block, so the chunks are walked here.

The ``fmt `` rate is nominal; the true rate comes from a robust line fit of block time against sample
index (the first block's stamp is invalid, and stamps flagged 253..255 carry no usable GNSS time).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.formats.gnss_time import gps_to_utc_ns, gps_week_for

FULL_SCALE = 32768.0
SAMPLES_PER_BLOCK = 512
NO_GNSS, NO_RECENT_FIX, SAMPLE_RATE_ERROR = 255, 254, 253
_NAME = re.compile(r"^(\d{8}T\d{6}Z)_(\d+(?:\.\d+)?)_(.+)_iq\.wav$", re.IGNORECASE)


@dataclass(frozen=True)
class TimingFit:
    """Line fit of GNSS block time (seconds of the GPS week) against sample index."""

    sample_rate_hz: float
    t0_gps_s: float  # GNSS time of sample 0, seconds of the GPS week
    residual_rms_s: float
    blocks_used: int
    blocks_rejected: int


@dataclass(frozen=True)
class KiwiRecording:
    path: Path
    station: str
    frequency_hz: float
    file_utc: datetime
    nominal_sample_rate_hz: float
    iq: NDArray[np.complex64]  # full scale = 1.0
    block_start_index: NDArray[np.int64]
    block_gps_s: NDArray[np.float64]  # seconds of the GPS week, as stamped
    block_gps_solution: NDArray[np.uint8]
    timing: TimingFit | None  # None when the file carries no usable GNSS time

    @property
    def has_gnss_timing(self) -> bool:
        return self.timing is not None

    @property
    def sample_rate_hz(self) -> float:
        """The true sample rate when GNSS stamps allow it, else the nominal one."""
        return self.timing.sample_rate_hz if self.timing else self.nominal_sample_rate_hz

    @property
    def gps_week(self) -> int:
        sow = self.timing.t0_gps_s if self.timing else 0.0
        return gps_week_for(self.file_utc, sow)

    @property
    def sample_gps_s(self) -> NDArray[np.float64]:
        """GNSS time of every sample, seconds of the GPS week (NaN everywhere without GNSS)."""
        if self.timing is None:
            return np.full(self.iq.size, np.nan)
        return self.timing.t0_gps_s + np.arange(self.iq.size) / self.timing.sample_rate_hz

    @property
    def start_utc_ns(self) -> int | None:
        """UTC nanoseconds since 1970 of sample 0 (GPS time is ahead of UTC by the leap seconds)."""
        if self.timing is None:
            return None
        return gps_to_utc_ns(self.gps_week, self.timing.t0_gps_s, self.file_utc)


def parse_kiwi_file_name(name: str) -> tuple[datetime, float, str]:
    """``<yyyymmddThhmmssZ>_<frequency_hz>_<station>_iq.wav`` -> (UTC start, frequency, station)."""
    match = _NAME.match(Path(name).name)
    if match is None:
        raise InvalidInput(f"{name}: a Kiwi IQ file name must look like <yyyymmddThhmmssZ>_<frequency_hz>_<station>_iq.wav")
    stamp, frequency, station = match.groups()
    when = datetime.strptime(stamp.upper(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return when, float(frequency), station


def kiwi_file_name(start_utc: datetime, frequency_hz: float, station: str) -> str:
    return f"{start_utc.strftime('%Y%m%dT%H%M%SZ')}_{round(frequency_hz)}_{station}_iq.wav"


def is_kiwi_wav(head: bytes) -> bool:
    """True for the first 44+ bytes of a RIFF/WAVE file whose first chunk after ``fmt `` is ``kiwi``."""
    return len(head) >= 40 and head[:4] == b"RIFF" and head[8:12] == b"WAVE" and b"kiwi" in head[12:64]


def read_kiwi_wav(path: str | Path) -> KiwiRecording:
    """Read a KiwiSDR IQ WAV; ``InvalidInput`` (one line) for anything corrupt, truncated or not Kiwi."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from exc
    file_utc, frequency_hz, station = parse_kiwi_file_name(path.name)
    nominal_hz, blocks = _walk_chunks(raw, path)
    iq, starts, stamps, flags = _assemble(blocks, path)
    return KiwiRecording(
        path=path, station=station, frequency_hz=frequency_hz, file_utc=file_utc,
        nominal_sample_rate_hz=nominal_hz, iq=iq, block_start_index=starts, block_gps_s=stamps,
        block_gps_solution=flags, timing=fit_block_timing(starts, stamps, flags, nominal_hz),
    )


def _walk_chunks(raw: bytes, path: Path) -> tuple[float, list[tuple[bytes, bytes]]]:
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise InvalidInput(f"{path}: not a RIFF/WAVE file")
    nominal_hz: float | None = None
    pending: bytes | None = None
    blocks: list[tuple[bytes, bytes]] = []
    offset = 12
    while offset + 8 <= len(raw):
        chunk_id, size = raw[offset:offset + 4], struct.unpack_from("<I", raw, offset + 4)[0]
        body = raw[offset + 8:offset + 8 + size]
        if len(body) < size:
            raise InvalidInput(f"{path}: truncated '{chunk_id.decode('latin-1')}' chunk at byte {offset}")
        if chunk_id == b"fmt ":
            nominal_hz = _parse_fmt(body, path)
        elif chunk_id == b"kiwi":
            if size != 10:
                raise InvalidInput(f"{path}: 'kiwi' chunk of {size} bytes at byte {offset} (expected 10)")
            pending = body
        elif chunk_id == b"data":
            if pending is None:
                raise InvalidInput(f"{path}: 'data' chunk without a preceding 'kiwi' timestamp (not a --kiwi-wav file)")
            blocks.append((pending, body))
            pending = None
        offset += 8 + size + (size & 1)
    if offset != len(raw):
        raise InvalidInput(f"{path}: truncated chunk header at byte {offset}")
    if nominal_hz is None or not blocks:
        raise InvalidInput(f"{path}: no 'fmt ' chunk or no timestamped IQ blocks")
    return nominal_hz, blocks


def _parse_fmt(body: bytes, path: Path) -> float:
    if len(body) < 16:
        raise InvalidInput(f"{path}: 'fmt ' chunk too short")
    audio_format, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
    if audio_format != 1 or channels != 2 or bits != 16 or rate <= 0:
        raise InvalidInput(f"{path}: expected 2-channel 16-bit PCM IQ, got format {audio_format}, "
                           f"{channels} channels, {bits} bits")
    return float(rate)


def _assemble(blocks: list[tuple[bytes, bytes]], path: Path
              ) -> tuple[NDArray[np.complex64], NDArray[np.int64], NDArray[np.float64], NDArray[np.uint8]]:
    headers = np.frombuffer(b"".join(h for h, _ in blocks), dtype=np.uint8).reshape(-1, 10)
    lengths = np.array([len(d) for _, d in blocks])
    if np.any(lengths % 4):
        raise InvalidInput(f"{path}: an IQ 'data' chunk is not a whole number of 16-bit I/Q pairs")
    pcm = np.frombuffer(b"".join(d for _, d in blocks), dtype="<i2").astype(np.float32) / FULL_SCALE
    iq = (pcm[0::2] + 1j * pcm[1::2]).astype(np.complex64)
    starts = np.concatenate([[0], np.cumsum(lengths // 4)[:-1]]).astype(np.int64)
    seconds = headers[:, 2:6].copy().view("<u4")[:, 0].astype(np.float64)
    nanos = headers[:, 6:10].copy().view("<u4")[:, 0].astype(np.float64)
    return iq, starts, seconds + 1e-9 * nanos, headers[:, 0].copy()


def fit_block_timing(
    block_start_index: NDArray[np.int64], block_gps_s: NDArray[np.float64], block_gps_solution: NDArray[np.uint8],
    nominal_sample_rate_hz: float, *, outlier_floor_s: float = 1e-6,
) -> TimingFit | None:
    """Robust fit ``time = t0 + index / rate`` over the usable blocks (first one dropped).

    Start from medians (immune to a few wild stamps), reject points beyond max(6 robust sigmas,
    ``outlier_floor_s``), then least squares on the rest, twice. None if fewer than 3 blocks remain.
    """
    usable = block_gps_solution < SAMPLE_RATE_ERROR
    usable[0] = False
    if np.count_nonzero(usable) < 3:
        return None
    x = block_start_index[usable].astype(np.float64)
    origin = np.floor(block_gps_s[usable][0])
    y = block_gps_s[usable] - origin
    slope = np.median(np.diff(y) / np.diff(x)) if x.size > 1 else 1.0 / nominal_sample_rate_hz
    intercept = np.median(y - slope * x)
    keep = np.ones(x.size, dtype=bool)
    for _ in range(3):
        residual = y - (intercept + slope * x)
        scale = 1.4826 * np.median(np.abs(residual[keep] - np.median(residual[keep])))
        keep = np.abs(residual) <= max(6.0 * scale, outlier_floor_s)
        if np.count_nonzero(keep) < 3:
            return None
        slope, intercept = np.polyfit(x[keep], y[keep], 1)
    residual = y[keep] - (intercept + slope * x[keep])
    return TimingFit(
        sample_rate_hz=float(1.0 / slope), t0_gps_s=float(origin + intercept),
        residual_rms_s=float(np.sqrt(np.mean(residual**2))), blocks_used=int(keep.sum()),
        blocks_rejected=int(keep.size - keep.sum()),
    )


def write_kiwi_wav(
    path: str | Path, iq: NDArray[np.complexfloating], *, nominal_sample_rate_hz: int,
    true_sample_rate_hz: float | None = None, t0_gps_s: float = 0.0, gps_solution: int | NDArray[np.integer] = 0,
    invalid_first_stamp: bool = True, stamp_errors_s: NDArray[np.floating] | None = None,
) -> Path:
    """Write ``iq`` (full scale 1.0, clipped) the way kiwirecorder does, stamping each block with
    ``t0_gps_s + start_index / true_sample_rate_hz`` (seconds of the GPS week, rounded to 1 ns) plus
    ``stamp_errors_s[block]`` when given (a GNSS receiver's time errors), and ``gps_solution`` (one
    value, or one per block: seconds since the last fix). The first block gets a bogus stamp like
    real files unless ``invalid_first_stamp`` is False."""
    rate = float(true_sample_rate_hz or nominal_sample_rate_hz)
    samples = np.asarray(iq).reshape(-1)
    blocks = -(-samples.size // SAMPLES_PER_BLOCK)
    errors = np.zeros(blocks) if stamp_errors_s is None else np.asarray(stamp_errors_s, dtype=float)
    solutions = np.broadcast_to(np.asarray(gps_solution, dtype=np.uint8), (blocks,))
    pcm = np.empty(2 * samples.size, dtype="<i2")
    pcm[0::2] = np.clip(np.round(samples.real * FULL_SCALE), -32768, 32767)
    pcm[1::2] = np.clip(np.round(samples.imag * FULL_SCALE), -32768, 32767)
    body = bytearray()
    for block, start in enumerate(range(0, samples.size, SAMPLES_PER_BLOCK)):
        stamp_ns = round((t0_gps_s + start / rate + errors[block]) * 1e9)
        if start == 0 and invalid_first_stamp:
            stamp_ns -= 123_456_789_012
        seconds, nanos = divmod(max(stamp_ns, 0), 1_000_000_000)
        body += b"kiwi" + struct.pack("<IBBII", 10, int(solutions[block]), 0, seconds, nanos)
        data = pcm[2 * start:2 * (start + SAMPLES_PER_BLOCK)].tobytes()
        body += b"data" + struct.pack("<I", len(data)) + data
    fmt = struct.pack("<HHIIHH", 1, 2, nominal_sample_rate_hz, nominal_sample_rate_hz * 4, 4, 16)
    content = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + bytes(body)
    path = Path(path)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(content)) + content)
    return path


@dataclass(frozen=True)
class KiwiStamps:
    """The GNSS side of a Kiwi file without its samples: what timing quality is judged from."""

    block_start_index: NDArray[np.int64]
    block_gps_s: NDArray[np.float64]
    block_gps_solution: NDArray[np.uint8]  # seconds since the last GNSS solution; 253..255 flags
    samples: int


def read_kiwi_stamps(path: str | Path) -> KiwiStamps:
    """Block stamps and solution ages of a Kiwi IQ WAV, walking only the chunk headers (about 1 ms for
    30 s at 12 kHz, where reading the samples costs ~70 ms). ``InvalidInput`` as ``read_kiwi_wav``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise InvalidInput(f"{path}: not a RIFF/WAVE file")
    headers: list[bytes] = []
    lengths: list[int] = []
    offset = 12
    while offset + 8 <= len(raw):
        chunk_id, size = raw[offset:offset + 4], struct.unpack_from("<I", raw, offset + 4)[0]
        if offset + 8 + size > len(raw):
            raise InvalidInput(f"{path}: truncated '{chunk_id.decode('latin-1')}' chunk at byte {offset}")
        if chunk_id == b"kiwi" and size == 10:
            headers.append(raw[offset + 8:offset + 18])
        elif chunk_id == b"data" and len(headers) == len(lengths) + 1:
            lengths.append(size // 4)
        offset += 8 + size + (size & 1)
    if not lengths:
        raise InvalidInput(f"{path}: no timestamped IQ blocks")
    table = np.frombuffer(b"".join(headers[: len(lengths)]), dtype=np.uint8).reshape(-1, 10)
    seconds = table[:, 2:6].copy().view("<u4")[:, 0].astype(np.float64)
    nanos = table[:, 6:10].copy().view("<u4")[:, 0].astype(np.float64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return KiwiStamps(starts, seconds + 1e-9 * nanos, table[:, 0].copy(), int(np.sum(lengths)))
