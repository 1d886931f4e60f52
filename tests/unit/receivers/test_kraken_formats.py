"""Every KrakenSDR DoA output format, parsed as the DSP writes it (kraken_sdr_signal_processor.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.kraken.formats import (
    SPHERE_RADIUS_M,
    BearingReference,
    KrakenFormat,
    angle_difference_deg,
    parse_doa_document,
    parse_full_post,
    parse_kraken_pro,
    parse_rdf_mapper,
)


def spectrum(theta: int, width_deg: float = 5.0) -> str:
    """The DSP's Kraken App tail: 360 bins, dB above the minimum, peak at bin theta."""
    offset = (np.arange(360) - theta + 180) % 360 - 180
    log_db = np.maximum(10 * np.log10(0.01 + np.exp(-0.5 * (offset / width_deg) ** 2)), -100.0)
    return "".join(f", {v:.2f}" for v in log_db - log_db.min())


def csv_line(theta: float, *, legacy: bool = False, tail: str | None = None, lat: float = 45.1, lon: float = 7.6,
             heading: float = 30.0, freq: int = 433_600_000, time_ms: int = 1_700_000_000_123) -> str:
    bearing = theta if legacy else 360 - theta
    head = (f"{time_ms}, {bearing}, 12.5, -41.3, {freq}, UCA, 250, KRK-1, {lat}, {lon}, {heading}, {heading}, "
            "GPS, R, R, R, R")
    return head + (spectrum(int(theta)) if tail is None else tail) + " \n"


def test_kraken_app_line_current_release() -> None:
    parsed = parse_doa_document(csv_line(100.0))
    assert parsed.problems == []
    (b,) = parsed.bearings
    assert b.format is KrakenFormat.KRAKEN_APP
    assert (b.bearing_deg, b.reference, b.reference_detected) == (260.0, BearingReference.CLOCKWISE, True)
    assert (b.station_id, b.time_s, b.frequency_hz) == ("KRK-1", 1_700_000_000.123, 433_600_000)
    assert (b.confidence_db, b.power_db, b.latency_s) == (12.5, -41.3, 0.25)
    assert (b.lat_deg, b.lon_deg, b.heading_deg) == (45.1, 7.6, 30.0)


def test_kraken_app_line_before_july_2024_is_recognised_from_its_spectrum() -> None:
    (b,) = parse_doa_document(csv_line(100.0, legacy=True)).bearings
    assert (b.bearing_deg, b.reference, b.reference_detected) == (100.0, BearingReference.COUNTERCLOCKWISE, True)


@pytest.mark.parametrize("theta, tail", [(180.0, None), (0.0, None), (100.0, ""), (100.0, ", 1.0" * 360),
                                          (100.0, ", x" * 360)])
def test_kraken_app_reference_assumed_when_the_spectrum_cannot_tell(theta: float, tail: str | None) -> None:
    (b,) = parse_doa_document(csv_line(theta, tail=tail), csv_reference=BearingReference.COUNTERCLOCKWISE).bearings
    assert b.reference is BearingReference.COUNTERCLOCKWISE and not b.reference_detected


def test_one_line_per_vfo_and_bad_lines_reported() -> None:
    text = (csv_line(10.0, freq=433_600_000) + csv_line(20.0, freq=145_500_000) + "1700000000000, 12.0, oops\n"
            + csv_line(30.0).replace(", 330.0,", ", nan,") + csv_line(40.0).replace(", 320.0,", ", north,"))
    parsed = parse_doa_document(text)
    assert [b.frequency_hz for b in parsed.bearings] == [433_600_000, 145_500_000]
    assert [issue.value for issue, _ in parsed.problems] == ["malformed", "not_a_number", "malformed"]
    assert parsed.problems[0][1].startswith("line 3:")


def test_no_gnss_fix_means_no_position_and_no_heading() -> None:
    (b,) = parse_doa_document(csv_line(10.0, lat=0.0, lon=0.0, heading=0.0)).bearings
    assert (b.lat_deg, b.lon_deg, b.heading_deg) == (None, None, None)
    (fixed,) = parse_doa_document(csv_line(10.0, lat=0.0, lon=0.0, heading=75.0)).bearings  # gps_fixed_heading
    assert (fixed.lat_deg, fixed.heading_deg) == (None, 75.0)


DOA_XML = ("<DATA><STATION_ID>KRK-1</STATION_ID><TIME>1700000000500</TIME><GPS_TIME>1700000000000</GPS_TIME>"
           "<FREQUENCY>433.6</FREQUENCY><LOCATION><LATITUDE>45.1</LATITUDE><LONGITUDE>7.6</LONGITUDE>"
           "<HEADING>30.0</HEADING><SPEED>12.5</SPEED></LOCATION><DOA>100.0</DOA><PWR>58.7</PWR><CONF>1250</CONF>"
           "<LATENCY>250</LATENCY><PROCESSING_TIME>20</PROCESSING_TIME><ADC_OVERDRIVE>{overdrive}</ADC_OVERDRIVE>"
           "<NUM_CORRELATED_SOURCES>1</NUM_CORRELATED_SOURCES><SNR_DB>17.5</SNR_DB></DATA>")


@pytest.mark.parametrize("overdrive, expected", [("False", False), ("0", False), ("3", True), ("True", True),
                                                 ("?", None)])
def test_doa_xml(overdrive: str, expected: bool | None) -> None:
    (b,) = parse_doa_document(DOA_XML.format(overdrive=overdrive)).bearings
    assert b.format is KrakenFormat.DOA_XML
    assert (b.bearing_deg, b.reference) == (100.0, BearingReference.COUNTERCLOCKWISE)
    assert (b.station_id, b.time_s, b.frequency_hz) == ("KRK-1", 1_700_000_000.5, pytest.approx(433_600_000))
    assert (b.confidence_db, b.power_db) == (12.5, pytest.approx(-41.3))
    assert (b.lat_deg, b.lon_deg, b.heading_deg, b.speed_m_s, b.snr_db) == (45.1, 7.6, 30.0, 12.5, 17.5)
    assert b.adc_overdrive is expected


def test_kerberos() -> None:
    (b,) = parse_doa_document("<DATA>\n<DOA>260</DOA>\n<CONF>1250</CONF>\n<PWR>58.7</PWR>\n</DATA>").bearings
    assert b.format is KrakenFormat.KERBEROS
    assert (b.bearing_deg, b.reference, b.confidence_db, b.power_db) == (
        260.0, BearingReference.CLOCKWISE, 12.5, pytest.approx(-41.3))
    assert (b.station_id, b.time_s, b.lat_deg, b.heading_deg) == (None, None, None, None)
    (old,) = parse_doa_document("<DATA><DOA>100</DOA></DATA>",
                                kerberos_reference=BearingReference.COUNTERCLOCKWISE).bearings
    assert old.reference is BearingReference.COUNTERCLOCKWISE and old.confidence_db is None


@pytest.mark.parametrize("text, issue", [
    ("<DATA><DOA>12</DOA>", "malformed"), ("<HTML><DOA>1</DOA></HTML>", "malformed"),
    ("<DATA><CONF>1</CONF></DATA>", "malformed"), ("<DATA><DOA>nan</DOA></DATA>", "not_a_number"),
    ('<!DOCTYPE d [<!ENTITY a "aaaa">]><DATA><DOA>&a;</DOA></DATA>', "malformed"),
    ("Hello, world", "malformed"),
])
def test_bad_documents(text: str, issue: str) -> None:
    parsed = parse_doa_document(text)
    assert parsed.bearings == [] and [i.value for i, _ in parsed.problems] == [issue]


def test_empty_document_is_no_news_not_an_error() -> None:
    parsed = parse_doa_document("")
    assert parsed.bearings == [] and parsed.problems == []


def test_pushed_formats() -> None:
    pro = parse_kraken_pro(json.dumps({
        "station_id": "KRK-1", "tStamp": 1_700_000_000_000, "gps_timestamp": 0, "latitude": "45.1",
        "longitude": "7.6", "gpsBearing": "30.0", "speed": "3.5", "radioBearing": "100.0", "conf": "12.50",
        "power": "-41.3", "freq": 433600000, "antType": "UCA", "latency": 250, "doaArray": "0.0,1.0,",
        "adc_overdrive": False, "num_corr_sources": "1", "snr_db": 17.5}))
    assert (pro.format, pro.bearing_deg, pro.reference) == (KrakenFormat.KRAKEN_PRO, 100.0,
                                                            BearingReference.COUNTERCLOCKWISE)
    assert (pro.heading_deg, pro.confidence_db, pro.speed_m_s, pro.adc_overdrive) == (30.0, 12.5, 3.5, False)
    post = parse_full_post({"id": "KRK-1", "time": "1700000000000", "lat": "45.1", "lng": "7.6",
                            "gpsheading": "30.0", "radiobearing": "100.0", "conf": "12.50", "power": "-41.3",
                            "freq": "433600000", "adc_overdrive": "0"})
    assert (post.format, post.bearing_deg, post.station_id, post.lon_deg) == (KrakenFormat.FULL_POST, 100.0,
                                                                             "KRK-1", 7.6)
    with pytest.raises(InvalidInput):
        parse_full_post({"id": "KRK-1", "radiobearing": "nan"})
    with pytest.raises(InvalidInput):
        parse_kraken_pro(b"[1, 2]")
    with pytest.raises(InvalidInput):
        parse_kraken_pro("{nope")


def _end_point(lat: float, lon: float, azimuth_deg: float, distance_m: float) -> tuple[float, float]:
    """The destination on a sphere (the textbook formula the RDF Mapper output uses)."""
    d = distance_m / SPHERE_RADIUS_M
    lat1, lon1, az = math.radians(lat), math.radians(lon), math.radians(azimuth_deg)
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(az))
    lon2 = lon1 + math.atan2(math.sin(az) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2))
    return math.degrees(lat2), math.degrees(lon2)


@pytest.mark.parametrize("azimuth", [0.0, 37.0, 181.0, 299.0])
def test_rdf_mapper_line_gives_the_true_bearing_back(azimuth: float) -> None:
    elat, elng = _end_point(45.1, 7.6, azimuth, 100_000.0)
    b = parse_rdf_mapper({"id": "KRK-1", "time": "1700000000000", "slat": "45.1", "slng": "7.6",
                          "elat": str(elat), "elng": str(elng)})
    assert b.reference is BearingReference.TRUE_NORTH
    assert angle_difference_deg(b.bearing_deg, azimuth) < 1e-6
    assert (b.lat_deg, b.lon_deg, b.confidence_db) == (45.1, 7.6, None)
    with pytest.raises(InvalidInput):
        parse_rdf_mapper({"slat": "45.1"})


def test_angle_difference() -> None:
    assert angle_difference_deg(359.0, 1.0) == pytest.approx(2.0)
    assert angle_difference_deg(90.0, 270.0) == pytest.approx(180.0)
    assert angle_difference_deg(10.0, 10.0) == 0.0
