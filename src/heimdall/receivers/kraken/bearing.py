"""A published KrakenSDR bearing made true: the station's heading applied, its sigma attached.

What the station's own output lacks comes from :class:`KrakenStation` (what the user registered):
a static station's position and array heading serve when the format carries none (Kerberos) or the
station's GNSS has no fix; a mobile station's registered values never do (it has moved). A bearing
relative to the array with no heading to turn it, or with no position to draw it from, is refused
(:class:`BearingRejected`, with the :class:`StreamIssue` a monitor shows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from heimdall.errors import InvalidInput
from heimdall.receivers.kraken.confidence import ConfidenceModel
from heimdall.receivers.kraken.formats import BearingReference, KrakenFormat, PublishedBearing
from heimdall.receivers.stream_status import StreamIssue


class BearingFlag(StrEnum):
    LOW_CONFIDENCE = "low_confidence"  # sigma hit the model's cap: no usable direction
    ADC_OVERDRIVE = "adc_overdrive"  # the array's ADCs clipped: phases, hence the bearing, unreliable
    NO_CONFIDENCE = "no_confidence"  # the format carries none; the model's default sigma applies
    REFERENCE_ASSUMED = "reference_assumed"  # clockwise/counter-clockwise taken from the format, not seen
    HEADING_REGISTERED = "heading_registered"  # the heading is the registered one, not the station's output
    POSITION_REGISTERED = "position_registered"


NOT_USABLE = frozenset({BearingFlag.LOW_CONFIDENCE, BearingFlag.ADC_OVERDRIVE})


class BearingRejected(InvalidInput):
    def __init__(self, issue: StreamIssue, message: str) -> None:
        super().__init__(message, details={"issue": issue.value})
        self.issue = issue


@dataclass(frozen=True)
class KrakenStation:
    receiver_id: str
    station_id: str | None = None  # the KrakenSDR's STATION_ID to accept (None: any)
    mobile: bool = False
    lat_deg: float | None = None  # registered position and array heading (static stations)
    lon_deg: float | None = None
    heading_deg: float | None = None
    heading_sigma_deg: float = 2.0  # a surveyed array; a vehicle's GNSS track is nearer 5
    kerberos_reference: BearingReference = BearingReference.CLOCKWISE
    csv_reference: BearingReference = BearingReference.CLOCKWISE  # when a line's spectrum cannot tell

    def __post_init__(self) -> None:
        if (self.lat_deg is None) != (self.lon_deg is None):
            raise InvalidInput("a registered position needs both lat_deg and lon_deg", field="lat_deg")
        if not (math.isfinite(self.heading_sigma_deg) and self.heading_sigma_deg >= 0):
            raise InvalidInput("heading_sigma_deg must be finite and >= 0", field="heading_sigma_deg")


@dataclass(frozen=True)
class BearingReading:
    receiver_id: str
    station_id: str | None
    time_s: float  # the DSP frame's time (station clock) or, for formats without one, arrival here
    received_at_s: float
    frequency_hz: float | None
    bearing_deg: float  # true, clockwise from north
    sigma_deg: float
    relative_bearing_deg: float | None  # clockwise from the array's heading, as measured
    heading_deg: float | None
    confidence_db: float | None
    power_db: float | None
    lat_deg: float
    lon_deg: float
    speed_m_s: float | None
    format: KrakenFormat
    flags: frozenset[BearingFlag]

    @property
    def usable(self) -> bool:
        return not (self.flags & NOT_USABLE)


def resolve(published: PublishedBearing, station: KrakenStation, model: ConfidenceModel,
            received_at_s: float) -> BearingReading:
    """The true bearing with its sigma; BearingRejected when position or needed heading is missing."""
    flags: set[BearingFlag] = set()
    lat, lon = _position(published, station, flags)
    heading, relative = None, None
    if published.reference is BearingReference.TRUE_NORTH:
        bearing = published.bearing_deg % 360.0
    else:
        heading = _heading(published, station, flags)
        clockwise = published.bearing_deg if published.reference is BearingReference.CLOCKWISE else -published.bearing_deg
        relative = clockwise % 360.0
        bearing = (heading + relative) % 360.0
    if not published.reference_detected and published.format is KrakenFormat.KRAKEN_APP:
        flags.add(BearingFlag.REFERENCE_ASSUMED)
    heading_sigma = 0.0 if heading is None else station.heading_sigma_deg
    sigma, capped = model.sigma_deg(published.confidence_db, heading_sigma)
    if capped:
        flags.add(BearingFlag.LOW_CONFIDENCE)
    if published.confidence_db is None:
        flags.add(BearingFlag.NO_CONFIDENCE)
    if published.adc_overdrive:
        flags.add(BearingFlag.ADC_OVERDRIVE)
    return BearingReading(
        station.receiver_id, published.station_id, published.time_s or received_at_s, received_at_s,
        published.frequency_hz, bearing, sigma, relative, heading, published.confidence_db, published.power_db,
        lat, lon, published.speed_m_s, published.format, frozenset(flags))


def _position(published: PublishedBearing, station: KrakenStation, flags: set[BearingFlag]) -> tuple[float, float]:
    if published.lat_deg is not None and published.lon_deg is not None:
        return published.lat_deg, published.lon_deg
    if station.mobile or station.lat_deg is None or station.lon_deg is None:
        raise BearingRejected(StreamIssue.NO_POSITION, "a bearing without the station's position"
                              + (" (a mobile station without a GNSS fix)" if station.mobile else ""))
    flags.add(BearingFlag.POSITION_REGISTERED)
    return station.lat_deg, station.lon_deg


def _heading(published: PublishedBearing, station: KrakenStation, flags: set[BearingFlag]) -> float:
    if published.heading_deg is not None:
        return published.heading_deg % 360.0
    if station.mobile or station.heading_deg is None:
        raise BearingRejected(StreamIssue.NO_HEADING, f"a bearing relative to the array ({published.format.value}) "
                              "without a heading to make it true")
    flags.add(BearingFlag.HEADING_REGISTERED)
    return station.heading_deg % 360.0
