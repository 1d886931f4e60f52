"""The DoA output formats of the KrakenSDR DoA software (krakenrf/krakensdr_doa), parsed as published.

Where each comes from (``_sdr/_signal_processing/kraken_sdr_signal_processor.py``; the data-out
server ``gui_run.sh`` serves the ``_share`` folder over HTTP on port 8081):

- ``DOA_value.html``, "Kraken App" (every format but Kerberos): one CSV line per active VFO,
  ``time_ms, bearing, confidence, max_power, freq_hz, array, latency_ms, station_id, lat, lon,
  heading, heading, GPS, R, R, R, R`` then the 360-bin pseudo-spectrum (dB above its minimum, bin
  k = the DSP's angle k degrees). Since July 2024 the bearing is ``360 - theta`` (clockwise from the
  array's heading); before, ``theta`` itself (counter-clockwise). The spectrum tells which: its peak
  sits at bin ``theta``.
- ``DOA_value.html``, "Kerberos App": ``<DATA><DOA>int(360 - theta)</DOA><CONF>confidence x 100
  </CONF><PWR>max_power + 100</PWR></DATA>``: no time, station, position or heading.
- ``doa.xml`` (always written, what DF-Aggregator polls): ``<DATA>`` with STATION_ID, TIME (ms),
  GPS_TIME, FREQUENCY (MHz), LOCATION/{LATITUDE, LONGITUDE, HEADING, SPEED}, DOA (``theta``,
  counter-clockwise), PWR (+100), CONF (x 100), LATENCY, PROCESSING_TIME, ADC_OVERDRIVE,
  NUM_CORRELATED_SOURCES, SNR_DB.
- pushed, not polled: "Kraken Pro" JSON (``radioBearing`` = theta, ``gpsBearing``, ``conf``,
  ``power``...), "Full POST" form (``radiobearing`` = theta, ``gpsheading``...) and "RDF Mapper"
  form (``slat, slng`` and the end ``elat, elng`` of a 100 km line along the true bearing,
  ``heading + 360 - int(theta)``, on a sphere of radius 6372.795 km).

``theta`` is the DSP's angle, counter-clockwise from the array's reference direction; the heading
the software publishes is that direction's azimuth (fixed for a static station, the GNSS track for a
mobile one). So the true bearing is ``heading + 360 - theta``, the same as ``heading + (360 -
theta)`` of the clockwise formats: :mod:`heimdall.receivers.kraken.bearing` applies it.
Confidence is ``10 log10(max / mean)`` of the linear pseudo-spectrum, in dB.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from heimdall.errors import InvalidInput
from heimdall.receivers.stream_status import StreamIssue

SPHERE_RADIUS_M = 6_372_795.477598  # calculate_end_lat_lng's sphere
CSV_FIXED_FIELDS = 17
SPECTRUM_BINS = 360
REFERENCE_TOLERANCE_DEG = 3.0


class KrakenFormat(StrEnum):
    KRAKEN_APP = "kraken_app"
    KERBEROS = "kerberos"
    DOA_XML = "doa_xml"
    KRAKEN_PRO = "kraken_pro"
    FULL_POST = "full_post"
    RDF_MAPPER = "rdf_mapper"


class BearingReference(StrEnum):
    CLOCKWISE = "clockwise"  # from the array's heading, clockwise: true = heading + bearing
    COUNTERCLOCKWISE = "counterclockwise"  # the DSP's theta: true = heading + 360 - bearing
    TRUE_NORTH = "true_north"  # already a true bearing


@dataclass(frozen=True)
class PublishedBearing:
    format: KrakenFormat
    bearing_deg: float  # as published, in ``reference``
    reference: BearingReference
    reference_detected: bool  # False: the format's current convention was assumed
    station_id: str | None = None
    time_s: float | None = None  # UNIX time of the DSP frame (the station's clock)
    frequency_hz: float | None = None
    confidence_db: float | None = None
    power_db: float | None = None  # the channel's maximum amplitude, dB on the DSP's scale
    lat_deg: float | None = None
    lon_deg: float | None = None
    heading_deg: float | None = None
    speed_m_s: float | None = None
    latency_s: float | None = None
    adc_overdrive: bool | None = None
    snr_db: float | None = None


@dataclass
class ParsedDocument:
    bearings: list[PublishedBearing] = field(default_factory=list)
    problems: list[tuple[StreamIssue, str]] = field(default_factory=list)


class _Bad(ValueError):
    def __init__(self, issue: StreamIssue, detail: str) -> None:
        super().__init__(detail)
        self.issue = issue


def parse_doa_document(text: str, *, csv_reference: BearingReference = BearingReference.CLOCKWISE,
                       kerberos_reference: BearingReference = BearingReference.CLOCKWISE) -> ParsedDocument:
    """A polled document (``DOA_value.html`` in either mode, or ``doa.xml``), told apart by content.
    ``csv_reference`` is used for Kraken App lines whose spectrum cannot tell; ``kerberos_reference``
    for Kerberos documents (older releases published theta there: pass COUNTERCLOCKWISE)."""
    stripped = text.strip()
    if stripped.startswith("<"):
        parsed = ParsedDocument()
        try:
            parsed.bearings.append(_parse_xml(stripped, kerberos_reference))
        except _Bad as exc:
            parsed.problems.append((exc.issue, str(exc)))
        return parsed
    return parse_kraken_app(stripped, default_reference=csv_reference)


def parse_kraken_app(text: str, *, default_reference: BearingReference = BearingReference.CLOCKWISE) -> ParsedDocument:
    parsed = ParsedDocument()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            parsed.bearings.append(_kraken_app_line(line, default_reference))
        except _Bad as exc:
            parsed.problems.append((exc.issue, f"line {number}: {exc}"))
    return parsed


def _kraken_app_line(line: str, default_reference: BearingReference) -> PublishedBearing:
    cells = [cell.strip() for cell in line.split(",")]
    if len(cells) < CSV_FIXED_FIELDS or cells[12] != "GPS":
        raise _Bad(StreamIssue.MALFORMED, f"not a Kraken App line ({len(cells)} fields)")
    bearing = _required(cells[1], "bearing")
    reference, detected = _csv_reference(bearing, cells[CSV_FIXED_FIELDS:], default_reference)
    lat, lon, heading = _position(_number(cells[8], "latitude"), _number(cells[9], "longitude"),
                                  _number(cells[10], "heading"))
    return PublishedBearing(
        KrakenFormat.KRAKEN_APP, bearing, reference, detected, station_id=cells[7] or None,
        time_s=_ms(cells[0]), frequency_hz=_number(cells[4], "frequency"),
        confidence_db=_number(cells[2], "confidence"), power_db=_number(cells[3], "power"),
        lat_deg=lat, lon_deg=lon, heading_deg=heading, latency_s=_ms(cells[6]))


def _csv_reference(bearing: float, spectrum_cells: list[str],
                   default: BearingReference) -> tuple[BearingReference, bool]:
    """Which way a Kraken App bearing runs, from where its pseudo-spectrum peaks (bin = theta)."""
    if len(spectrum_cells) < SPECTRUM_BINS:
        return default, False
    try:
        values = [float(cell) for cell in spectrum_cells[:SPECTRUM_BINS]]
    except ValueError:
        return default, False
    if not all(math.isfinite(v) for v in values) or max(values) == min(values):
        return default, False
    theta = float(values.index(max(values)))
    as_ccw = angle_difference_deg(bearing, theta) <= REFERENCE_TOLERANCE_DEG
    as_cw = angle_difference_deg(bearing, 360.0 - theta) <= REFERENCE_TOLERANCE_DEG
    if as_ccw != as_cw:
        return (BearingReference.COUNTERCLOCKWISE if as_ccw else BearingReference.CLOCKWISE), True
    return default, False


def _parse_xml(text: str, kerberos_reference: BearingReference) -> PublishedBearing:
    if "<!" in text:
        raise _Bad(StreamIssue.MALFORMED, "XML with a DOCTYPE or entity declaration refused")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise _Bad(StreamIssue.MALFORMED, f"not XML: {exc}") from exc
    if root.tag != "DATA":
        raise _Bad(StreamIssue.MALFORMED, f"an XML document of <{root.tag}>, not <DATA>")

    def value(path: str) -> float | None:
        return _number(root.findtext(path), path.lower())

    bearing = _required(root.findtext("DOA"), "doa")
    confidence, power = value("CONF"), value("PWR")
    confidence_db = None if confidence is None else confidence / 100.0
    power_db = None if power is None else power - 100.0
    if root.find("STATION_ID") is None:
        return PublishedBearing(KrakenFormat.KERBEROS, bearing, kerberos_reference, False,
                                confidence_db=confidence_db, power_db=power_db)
    lat, lon, heading = _position(value("LOCATION/LATITUDE"), value("LOCATION/LONGITUDE"),
                                  value("LOCATION/HEADING"))
    frequency_mhz = value("FREQUENCY")
    station = root.findtext("STATION_ID") or None
    return PublishedBearing(
        KrakenFormat.DOA_XML, bearing, BearingReference.COUNTERCLOCKWISE, False, station_id=station,
        time_s=_ms(root.findtext("TIME")), frequency_hz=None if frequency_mhz is None else frequency_mhz * 1e6,
        lat_deg=lat, lon_deg=lon, heading_deg=heading, speed_m_s=value("LOCATION/SPEED"),
        latency_s=_ms(root.findtext("LATENCY")), adc_overdrive=_flag(root.findtext("ADC_OVERDRIVE")),
        snr_db=value("SNR_DB"), confidence_db=confidence_db, power_db=power_db)


def parse_kraken_pro(body: bytes | str | Mapping[str, Any]) -> PublishedBearing:
    """The "Kraken Pro" JSON the DSP posts to its local middleware (``/doapost``)."""
    doc = _json_object(body)
    return _pushed(doc, KrakenFormat.KRAKEN_PRO, bearing="radioBearing", station="station_id", time="tStamp",
                   lat="latitude", lon="longitude", heading="gpsBearing")


def parse_full_post(form: Mapping[str, Any]) -> PublishedBearing:
    """The "Full POST" form the DSP sends to a user's server once a second."""
    return _pushed(form, KrakenFormat.FULL_POST, bearing="radiobearing", station="id", time="time",
                   lat="lat", lon="lng", heading="gpsheading")


def _pushed(doc: Mapping[str, Any], kind: KrakenFormat, *, bearing: str, station: str, time: str, lat: str,
            lon: str, heading: str) -> PublishedBearing:
    try:
        value = _required(doc.get(bearing), bearing)
        position = _position(_number(doc.get(lat), lat), _number(doc.get(lon), lon), _number(doc.get(heading), heading))
        return PublishedBearing(
            kind, value, BearingReference.COUNTERCLOCKWISE, False, station_id=_text(doc.get(station)),
            time_s=_ms(doc.get(time)), frequency_hz=_number(doc.get("freq"), "freq"),
            confidence_db=_number(doc.get("conf"), "conf"), power_db=_number(doc.get("power"), "power"),
            lat_deg=position[0], lon_deg=position[1], heading_deg=position[2],
            speed_m_s=_number(doc.get("speed"), "speed"), latency_s=_ms(doc.get("latency")),
            adc_overdrive=_flag(doc.get("adc_overdrive")),
            snr_db=_number(doc.get("snr_db"), "snr_db"))
    except _Bad as exc:
        raise InvalidInput(f"{kind.value}: {exc}", details={"issue": exc.issue.value}) from exc


def parse_rdf_mapper(form: Mapping[str, Any]) -> PublishedBearing:
    """The "RDF Mapper" form: a station and the far end of its bearing line; the true bearing is the
    line's initial azimuth on the sphere the DSP drew it on (its ``int(theta)`` costs up to 1 degree)."""
    try:
        slat, slng = _required(form.get("slat"), "slat"), _required(form.get("slng"), "slng")
        elat, elng = _required(form.get("elat"), "elat"), _required(form.get("elng"), "elng")
    except _Bad as exc:
        raise InvalidInput(f"rdf_mapper: {exc}", details={"issue": exc.issue.value}) from exc
    lat1, lat2, dlon = math.radians(slat), math.radians(elat), math.radians(elng - slng)
    azimuth = math.degrees(math.atan2(math.sin(dlon) * math.cos(lat2),
                                      math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)))
    return PublishedBearing(KrakenFormat.RDF_MAPPER, azimuth % 360.0, BearingReference.TRUE_NORTH, False,
                            station_id=_text(form.get("id")), time_s=_ms(form.get("time")), lat_deg=slat, lon_deg=slng)


def angle_difference_deg(a: float, b: float) -> float:
    """The smaller angle between two directions, in [0, 180]."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _position(lat: float | None, lon: float | None,
              heading: float | None) -> tuple[float | None, float | None, float | None]:
    """The DSP publishes 0, 0 (and a heading reset to 0 unless fixed) when its GNSS has no fix."""
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None, None if heading in (None, 0.0) else heading
    return lat, lon, heading


def _number(raw: Any, name: str) -> float | None:
    """An optional number: None when absent, blank or not finite (a NaN heading is no heading)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    number = _parse_float(raw, name)
    return number if math.isfinite(number) else None


def _required(raw: Any, name: str) -> float:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise _Bad(StreamIssue.MALFORMED, f"no {name}")
    number = _parse_float(raw, name)
    if not math.isfinite(number):
        raise _Bad(StreamIssue.NOT_A_NUMBER, f"{name} is {str(raw)[:20]!r}")
    return number


def _parse_float(raw: Any, name: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _Bad(StreamIssue.MALFORMED, f"{name} is not a number: {str(raw)[:40]!r}")
    try:
        return float(raw)
    except ValueError as exc:
        raise _Bad(StreamIssue.MALFORMED, f"{name} is not a number: {str(raw)[:40]!r}") from exc


def _flag(raw: Any) -> bool | None:
    """ADC overdrive: ``False`` until the first frame, then the DAQ's per-channel bit mask."""
    text = str(raw).strip().lower() if raw is not None else ""
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(float(text)) != 0
    except ValueError:
        return None


def _ms(raw: Any) -> float | None:
    value = _number(raw, "time")
    return None if value is None or value <= 0 else value / 1000.0


def _text(raw: Any) -> str | None:
    return str(raw).strip() or None if raw is not None else None


def _json_object(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise InvalidInput(f"kraken_pro: not JSON: {exc}", details={"issue": "malformed"}) from exc
    if not isinstance(doc, dict):
        raise InvalidInput("kraken_pro: not a JSON object", details={"issue": "malformed"})
    return doc
