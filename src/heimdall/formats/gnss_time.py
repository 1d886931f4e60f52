"""GPS time <-> UTC for recordings stamped in GPS seconds of the week.

Times are kept as integer nanoseconds since the Unix epoch (UTC) where they must survive a round trip:
a float64 of seconds since 1970 resolves only ~0.2 us, too coarse for arrival-time work.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

GPS_EPOCH_UTC = datetime(1980, 1, 6, tzinfo=UTC)
SECONDS_PER_WEEK = 604_800
NS_PER_S = 1_000_000_000

# (UTC instant from which it applies, GPS - UTC in seconds). GPS time has no leap seconds.
_GPS_MINUS_UTC_S: tuple[tuple[datetime, int], ...] = (
    (datetime(2006, 1, 1, tzinfo=UTC), 14),
    (datetime(2009, 1, 1, tzinfo=UTC), 15),
    (datetime(2012, 7, 1, tzinfo=UTC), 16),
    (datetime(2015, 7, 1, tzinfo=UTC), 17),
    (datetime(2017, 1, 1, tzinfo=UTC), 18),
)


def gps_minus_utc_s(when_utc: datetime) -> int:
    """Leap seconds between GPS time and UTC at a UTC instant (13 before 2006)."""
    offset = 13
    for start, value in _GPS_MINUS_UTC_S:
        if when_utc >= start:
            offset = value
    return offset


def gps_week_for(when_utc: datetime, seconds_of_week: float) -> int:
    """The GPS week of a seconds-of-week stamp taken near a known UTC instant (within half a week)."""
    gps_elapsed_s = (when_utc - GPS_EPOCH_UTC).total_seconds() + gps_minus_utc_s(when_utc)
    week, approx_sow = divmod(gps_elapsed_s, SECONDS_PER_WEEK)
    if seconds_of_week - approx_sow > SECONDS_PER_WEEK / 2:
        week -= 1
    elif approx_sow - seconds_of_week > SECONDS_PER_WEEK / 2:
        week += 1
    return int(week)


def gps_to_utc_ns(gps_week: int, seconds_of_week: float, near_utc: datetime) -> int:
    """UTC nanoseconds since the Unix epoch of a GPS (week, seconds-of-week) stamp."""
    epoch_ns = int((GPS_EPOCH_UTC - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * NS_PER_S
    leap_ns = gps_minus_utc_s(near_utc) * NS_PER_S
    return epoch_ns + gps_week * SECONDS_PER_WEEK * NS_PER_S + round(seconds_of_week * NS_PER_S) - leap_ns


def utc_ns_to_datetime(utc_ns: int) -> datetime:
    """Whole microseconds only (datetime's resolution); use utc_ns_to_iso for the full stamp."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=utc_ns // 1000)


def utc_ns_to_iso(utc_ns: int) -> str:
    """ISO 8601 with nine fractional digits and a Z suffix."""
    seconds, ns = divmod(utc_ns, NS_PER_S)
    whole = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    return whole.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}Z"


def iso_to_utc_ns(text: str) -> int:
    """Parse ISO 8601 UTC (Z or +00:00) keeping up to nanosecond fractions; ValueError if malformed."""
    stamp = text.strip()
    if stamp.endswith("Z"):
        stamp = stamp[:-1]
    elif stamp.endswith("+00:00"):
        stamp = stamp[:-6]
    else:
        raise ValueError(f"not a UTC timestamp: {text!r}")
    whole, _, fraction = stamp.partition(".")
    if fraction and not fraction.isdigit():
        raise ValueError(f"bad fractional seconds in {text!r}")
    base = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    seconds = int((base - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
    ns = int((fraction + "000000000")[:9]) if fraction else 0
    return seconds * NS_PER_S + ns


_GPS_EPOCH_UNIX_NS = int((GPS_EPOCH_UTC - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * NS_PER_S


def utc_ns_to_gps_ns(utc_ns: int) -> int:
    """Nanoseconds since the GPS epoch (GPS time, no leap seconds) of a UTC instant."""
    return utc_ns - _GPS_EPOCH_UNIX_NS + gps_minus_utc_s(utc_ns_to_datetime(utc_ns)) * NS_PER_S


def gps_ns_to_utc_ns(gps_ns: int) -> int:
    """UTC nanoseconds since 1970 of a GPS time given as nanoseconds since the GPS epoch."""
    approx_utc_ns = gps_ns + _GPS_EPOCH_UNIX_NS - 18 * NS_PER_S
    return gps_ns + _GPS_EPOCH_UNIX_NS - gps_minus_utc_s(utc_ns_to_datetime(approx_utc_ns)) * NS_PER_S
