"""The waterfall lines OpenWebRX sends anyway, used to see the receiver's gain move.

Neither the status nor the WebSocket config tells whether the SDR runs a hardware AGC (``rf_gain:
auto``) or when an operator changes its gain, yet either moves the S-meter by the gain step. The
FFT lines (binary type 1) cover the whole sampled band in dB: their median is the band's noise
floor, which a gain change moves by the same step while a transmitter in one channel leaves it
alone. :class:`GainTracker` compares each line's floor with the floor measured right after tuning.

Encoding (``config.fft_compression``): ``"none"`` is little-endian float32 dB per bin; ``"adpcm"``
is IMA ADPCM of int16 values in 0.01 dB, low nibble first, the codec reset for every line, with
``ADPCM_PAD`` leading samples the browser drops. The decoder follows the browser's
(``ImaAdpcmCodec.decodeNibble``), whose step starts at 0, not at the first table entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput

ADPCM_PAD = 10  # COMPRESS_FFT_PAD_N in the browser and in csdr
_INDEX_TABLE = (-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8)
_STEP_TABLE = (
    7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97,
    107, 118, 130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796,
    876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871,
    5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623,
    27086, 29794, 32767,
)


@dataclass
class AdpcmState:
    index: int = 0
    predictor: int = 0
    step: int = 0

    def apply(self, nibble: int) -> int:
        """Advance by one nibble and return the decoded sample (the browser's arithmetic)."""
        self.index = min(max(self.index + _INDEX_TABLE[nibble], 0), 88)
        diff = self.step >> 3
        if nibble & 1:
            diff += self.step >> 2
        if nibble & 2:
            diff += self.step >> 1
        if nibble & 4:
            diff += self.step
        if nibble & 8:
            diff = -diff
        self.predictor = min(max(self.predictor + diff, -32768), 32767)
        self.step = _STEP_TABLE[self.index]
        return self.predictor


def adpcm_decode(data: bytes) -> NDArray[np.int16]:
    state = AdpcmState()
    out = np.empty(2 * len(data), dtype=np.int16)
    for i, byte in enumerate(data):
        out[2 * i] = state.apply(byte & 0x0F)
        out[2 * i + 1] = state.apply(byte >> 4)
    return out


def adpcm_encode(samples: NDArray[np.int16]) -> bytes:
    """The encoder matching :func:`adpcm_decode` (for the fake server); an odd count gets one pad sample."""
    values = [int(v) for v in samples] + ([int(samples[-1])] if len(samples) % 2 else [])
    state = AdpcmState()
    nibbles = []
    for value in values:
        diff, nibble, step = value - state.predictor, 0, state.step
        if diff < 0:
            nibble, diff = 8, -diff
        for bit, part in ((4, step), (2, step >> 1), (1, step >> 2)):
            if diff >= part > 0:
                nibble |= bit
                diff -= part
        state.apply(nibble)
        nibbles.append(nibble)
    return bytes(low | (high << 4) for low, high in zip(nibbles[0::2], nibbles[1::2], strict=True))


def decode_fft_line(payload: bytes, compression: str) -> NDArray[np.float64]:
    """One waterfall line (the binary frame without its type byte) in dB per bin."""
    if compression == "none":
        if len(payload) % 4:
            raise InvalidInput("an uncompressed FFT line must be whole float32 values")
        return np.frombuffer(payload, dtype="<f4").astype(np.float64)
    if compression == "adpcm":
        decoded = adpcm_decode(payload)
        if decoded.size <= ADPCM_PAD:
            raise InvalidInput("an ADPCM FFT line shorter than its padding")
        return decoded[ADPCM_PAD:].astype(np.float64) / 100.0
    raise InvalidInput(f"unknown fft_compression {compression!r}")


def encode_fft_line(levels_db: NDArray[np.float64], compression: str) -> bytes:
    """The inverse of :func:`decode_fft_line` (up to ADPCM's error), for the fake server."""
    if compression == "none":
        return np.asarray(levels_db, dtype="<f4").tobytes()
    hundredths = np.clip(np.round(np.asarray(levels_db) * 100.0), -32768, 32767).astype(np.int16)
    return adpcm_encode(np.concatenate([np.full(ADPCM_PAD, hundredths[0], dtype=np.int16), hundredths]))


@dataclass
class GainTracker:
    """The band's noise floor against its level right after tuning: a shift beyond ``step_db`` means
    the receiver's gain moved (AGC, an operator) and readings since are not comparable."""

    step_db: float = 3.0
    baseline_lines: int = 3
    floors_db: list[float] = field(default_factory=list)
    floor_db: float | None = None

    def reset(self) -> None:
        """A new profile or a retune: a new gain and a new floor to compare with."""
        self.floors_db.clear()
        self.floor_db = None

    def add_line(self, levels_db: NDArray[np.float64]) -> None:
        finite = levels_db[np.isfinite(levels_db)]
        if finite.size == 0:
            return
        self.floor_db = float(np.median(finite))
        if len(self.floors_db) < self.baseline_lines:
            self.floors_db.append(self.floor_db)

    @property
    def baseline_db(self) -> float | None:
        return float(np.median(self.floors_db)) if len(self.floors_db) == self.baseline_lines else None

    @property
    def shift_db(self) -> float | None:
        baseline = self.baseline_db
        return None if baseline is None or self.floor_db is None else self.floor_db - baseline

    @property
    def changed(self) -> bool:
        shift = self.shift_db
        return shift is not None and abs(shift) > self.step_db
