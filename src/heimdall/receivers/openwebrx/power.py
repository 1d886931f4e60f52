"""S-meter readings with the receiver state that gives them meaning, and their conversion to dBm.

An OpenWebRX S-meter is relative to the SDR's full scale (``messages`` says exactly what it
measures), so a reading becomes a power at the antenna only through the receiver's gain offset in
that band: ``power_dbm = power_dbfs + offset_db``, where ``offset_db`` is the antenna power that would
read 0 dBFS (antenna gain, cable loss and the SDR's gain together). The offset comes from the user
or from calibration against known transmitters; without one :class:`PowerModel` uses a prior wide
enough to be honest (docs/receivers.md, "OpenWebRX: power and its uncertainty").

Comparability: a reading is only comparable with others taken at the same gain. Readings taken
with a hardware AGC, while the band's noise floor shows a gain change, near full scale, or right
after a (re)tune carry a flag that makes ``comparable`` false, and :meth:`PowerModel.to_dbm`
refuses them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from heimdall.errors import InvalidInput


class GainMode(StrEnum):
    """What the user told us about the SDR's RF gain (the protocol does not say)."""

    MANUAL = "manual"  # a fixed gain: readings compare as long as the noise floor stays put
    AGC = "agc"  # a hardware AGC: the scale follows the signal, readings never compare
    UNKNOWN = "unknown"


class PowerFlag(StrEnum):
    AGC = "agc"  # taken under a hardware AGC
    GAIN_UNKNOWN = "gain_unknown"  # nobody said whether the gain is fixed; the floor check is all we have
    GAIN_CHANGED = "gain_changed"  # the band's noise floor moved beyond the tracker's step since tuning
    CLIPPED = "clipped"  # the channel alone is within CLIP_DBFS of full scale: the ADC may clip
    SETTLING = "settling"  # right after a (re)tune: may still hold the previous channel's power


NOT_COMPARABLE = frozenset({PowerFlag.AGC, PowerFlag.GAIN_CHANGED, PowerFlag.CLIPPED, PowerFlag.SETTLING})
CLIP_DBFS = -3.0


@dataclass(frozen=True)
class GainState:
    """What was known about the receiver's gain when a reading was taken."""

    mode: GainMode
    profile_key: str  # "<sdr id>|<profile id>"
    center_frequency_hz: float
    sample_rate_hz: float
    noise_floor_db: float | None  # median of the last waterfall line (the server's dB scale), if any
    floor_shift_db: float | None  # that floor minus its level right after tuning


@dataclass(frozen=True)
class PowerReading:
    receiver_id: str
    time_s: float  # UNIX time the reading arrived here (the server stamps nothing; see docs/receivers.md)
    frequency_hz: float
    bandwidth_hz: float  # the band-pass the power was measured in
    power_dbfs: float
    gain: GainState
    flags: frozenset[PowerFlag]

    @property
    def comparable(self) -> bool:
        return not (self.flags & NOT_COMPARABLE)


@dataclass(frozen=True)
class BandOffset:
    """The receiver's gain offset over one frequency band, set by the user or by calibration."""

    low_hz: float
    high_hz: float
    offset_db: float  # power_dbm = power_dbfs + offset_db
    sigma_db: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low_hz) and math.isfinite(self.high_hz) and 0 <= self.low_hz < self.high_hz):
            raise InvalidInput("a band needs 0 <= low_hz < high_hz", field="low_hz")
        if not math.isfinite(self.offset_db) or not (math.isfinite(self.sigma_db) and self.sigma_db > 0):
            raise InvalidInput("offset_db must be finite and sigma_db positive", field="sigma_db")


@dataclass(frozen=True)
class CalibratedPower:
    power_dbm: float
    sigma_db: float
    calibrated: bool  # False: the uncalibrated prior was used


# An uncalibrated receiver: full scale lies somewhere between about -75 dBm (RTL-SDR class, maximum
# gain) and -15 dBm (minimum gain), taken as uniform: mean -45 dBm, sigma 60 / sqrt(12) = 17.3 dB.
UNCALIBRATED_OFFSET_DB = -45.0
UNCALIBRATED_SIGMA_DB = 17.3
READING_SIGMA_DB = 0.5  # S-meter scatter of a steady signal: a 1/16 s block average, 8-bit SDRs
UNKNOWN_GAIN_SIGMA_DB = 1.7  # gain moves the floor check cannot see: uniform within +-3 dB


@dataclass(frozen=True)
class PowerModel:
    bands: Sequence[BandOffset] = ()
    uncalibrated_offset_db: float = UNCALIBRATED_OFFSET_DB
    uncalibrated_sigma_db: float = UNCALIBRATED_SIGMA_DB
    reading_sigma_db: float = READING_SIGMA_DB
    unknown_gain_sigma_db: float = UNKNOWN_GAIN_SIGMA_DB

    def band_for(self, frequency_hz: float) -> BandOffset | None:
        """The narrowest configured band containing the frequency (a user may refine a wide one)."""
        inside = [b for b in self.bands if b.low_hz <= frequency_hz <= b.high_hz]
        return min(inside, key=lambda b: b.high_hz - b.low_hz) if inside else None

    def to_dbm(self, reading: PowerReading) -> CalibratedPower:
        """The reading as power at the antenna with its 1-sigma uncertainty; InvalidInput when the
        reading cannot be compared with others (its flags say why)."""
        blocking = sorted(flag.value for flag in reading.flags & NOT_COMPARABLE)
        if blocking:
            raise InvalidInput(f"reading of {reading.receiver_id} not comparable: {', '.join(blocking)}",
                               field="flags")
        if not math.isfinite(reading.power_dbfs):
            raise InvalidInput("power_dbfs is not finite", field="power_dbfs")
        band = self.band_for(reading.frequency_hz)
        offset, sigma = ((band.offset_db, band.sigma_db) if band is not None
                         else (self.uncalibrated_offset_db, self.uncalibrated_sigma_db))
        variance = sigma**2 + self.reading_sigma_db**2
        if PowerFlag.GAIN_UNKNOWN in reading.flags:
            variance += self.unknown_gain_sigma_db**2
        return CalibratedPower(reading.power_dbfs + offset, math.sqrt(variance), calibrated=band is not None)
