"""Published bearings made true with the station's heading; what a bearing lacks refused with a reason."""

from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.kraken.bearing import BearingFlag, BearingRejected, KrakenStation, resolve
from heimdall.receivers.kraken.confidence import ConfidenceModel
from heimdall.receivers.kraken.formats import BearingReference, KrakenFormat, PublishedBearing
from heimdall.receivers.stream_status import StreamIssue

MODEL = ConfidenceModel()
STATIC = KrakenStation("k1", lat_deg=45.0, lon_deg=7.5, heading_deg=90.0)
MOBILE = KrakenStation("k2", mobile=True, heading_sigma_deg=5.0)


def published(bearing: float, reference: BearingReference, *, heading: float | None = 30.0, lat: float | None = 45.1,
              fmt: KrakenFormat = KrakenFormat.DOA_XML, **extra: object) -> PublishedBearing:
    return PublishedBearing(fmt, bearing, reference, True, station_id="KRK", time_s=1.7e9, confidence_db=15.0,
                            lat_deg=lat, lon_deg=None if lat is None else 7.6, heading_deg=heading, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("bearing, reference, expected_true, expected_relative", [
    (100.0, BearingReference.COUNTERCLOCKWISE, 290.0, 260.0),  # heading + 360 - theta
    (260.0, BearingReference.CLOCKWISE, 290.0, 260.0),  # the same bearing as the Kraken App writes it
    (360.0, BearingReference.CLOCKWISE, 30.0, 0.0),  # theta = 0 is written as 360
    (290.0, BearingReference.TRUE_NORTH, 290.0, None),
])
def test_true_bearing(bearing: float, reference: BearingReference, expected_true: float,
                      expected_relative: float | None) -> None:
    r = resolve(published(bearing, reference), MOBILE, MODEL, received_at_s=1.7e9 + 0.3)
    assert r.bearing_deg == pytest.approx(expected_true)
    assert r.relative_bearing_deg == (None if expected_relative is None else pytest.approx(expected_relative))
    assert (r.lat_deg, r.lon_deg, r.time_s, r.received_at_s) == (45.1, 7.6, 1.7e9, 1.7e9 + 0.3)
    assert r.flags == frozenset() and r.usable
    heading_sigma = 0.0 if reference is BearingReference.TRUE_NORTH else 5.0
    assert r.sigma_deg == pytest.approx(MODEL.sigma_deg(15.0, heading_sigma)[0])


def test_registered_heading_and_position_serve_a_static_station() -> None:
    kerberos = PublishedBearing(KrakenFormat.KERBEROS, 10.0, BearingReference.CLOCKWISE, False, confidence_db=12.0)
    r = resolve(kerberos, STATIC, MODEL, received_at_s=5.0)
    assert r.bearing_deg == pytest.approx(100.0) and (r.lat_deg, r.lon_deg) == (45.0, 7.5)
    assert r.time_s == 5.0  # no time in the format: arrival time
    assert r.flags == {BearingFlag.HEADING_REGISTERED, BearingFlag.POSITION_REGISTERED}


def test_a_bearing_without_a_heading_is_refused() -> None:
    for station in (MOBILE, KrakenStation("k3", lat_deg=45.0, lon_deg=7.5)):
        with pytest.raises(BearingRejected) as caught:
            resolve(published(10.0, BearingReference.CLOCKWISE, heading=None), station, MODEL, 0.0)
        assert caught.value.issue is StreamIssue.NO_HEADING and isinstance(caught.value, InvalidInput)
    # a true bearing needs no heading
    assert resolve(published(10.0, BearingReference.TRUE_NORTH, heading=None), MOBILE, MODEL, 0.0).heading_deg is None


def test_a_mobile_station_without_a_fix_is_refused_even_with_registered_values() -> None:
    mobile = KrakenStation("k4", mobile=True, lat_deg=45.0, lon_deg=7.5, heading_deg=0.0)
    with pytest.raises(BearingRejected) as caught:
        resolve(published(10.0, BearingReference.CLOCKWISE, lat=None), mobile, MODEL, 0.0)
    assert caught.value.issue is StreamIssue.NO_POSITION


def test_flags() -> None:
    weak = PublishedBearing(KrakenFormat.KRAKEN_APP, 10.0, BearingReference.CLOCKWISE, False, confidence_db=1.0,
                            lat_deg=45.0, lon_deg=7.5, heading_deg=0.0, adc_overdrive=True)
    r = resolve(weak, MOBILE, MODEL, 0.0)
    assert r.flags == {BearingFlag.LOW_CONFIDENCE, BearingFlag.ADC_OVERDRIVE, BearingFlag.REFERENCE_ASSUMED}
    assert not r.usable and r.sigma_deg == MODEL.max_sigma_deg
    rdf = PublishedBearing(KrakenFormat.RDF_MAPPER, 10.0, BearingReference.TRUE_NORTH, False, lat_deg=45.0,
                           lon_deg=7.5)
    assert resolve(rdf, MOBILE, MODEL, 0.0).flags == {BearingFlag.NO_CONFIDENCE}


def test_station_validation() -> None:
    with pytest.raises(InvalidInput):
        KrakenStation("k", lat_deg=45.0)
    with pytest.raises(InvalidInput):
        KrakenStation("k", heading_sigma_deg=-1.0)
