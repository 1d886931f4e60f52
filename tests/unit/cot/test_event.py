"""CoT events: encoding fixes and tracks, parsing and validating what TAK requires."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import numpy as np
import pytest

from heimdall.cot import (
    UNKNOWN,
    CotSettings,
    StreamSplitter,
    circular_error_m,
    fix_event,
    parse_event,
    track_event,
)
from heimdall.cot.mapping import ce_from_ellipse
from heimdall.errors import InvalidInput
from heimdall.locate.result import Ellipse, ellipse
from heimdall.tracking.simulate import RouteConfig, simulate_fixes
from heimdall.tracking.tracks import tracks_from_fixes

NOW_S = 1_795_000_000.0
RESULT = {"lat": 45.01, "lon": 7.53, "alt_m": None, "covariance_enu_m2": [[1.2e6, 3.0e4], [3.0e4, 9.0e5]],
          "ellipses": [{"confidence": 0.68, "semi_major_m": 1200.0, "semi_minor_m": 900.0, "orientation_deg": 35.0},
                       {"confidence": 0.95, "semi_major_m": 2900.0, "semi_minor_m": 2100.0, "orientation_deg": 35.0}],
          "method": "classical:tdoa+rss"}


def test_circular_error_matches_closed_forms() -> None:
    sigma = 100.0
    # circular: the Rayleigh quantile sigma * sqrt(-2 ln(1 - p))
    assert circular_error_m(np.eye(2) * sigma**2, 0.95) == pytest.approx(sigma * math.sqrt(-2 * math.log(0.05)), rel=1e-6)
    assert circular_error_m(np.eye(2) * sigma**2, 0.5) == pytest.approx(117.741, rel=1e-4)  # CEP
    # nearly one-dimensional: the two-sided normal quantile
    assert circular_error_m(np.diag([sigma**2, 1e-6]), 0.95) == pytest.approx(1.959964 * sigma, rel=1e-4)


def test_circular_error_is_what_a_monte_carlo_says() -> None:
    covariance = np.array([[9e4, 3e4], [3e4, 2e4]])
    radius = circular_error_m(covariance, 0.95)
    samples = np.random.default_rng(0).multivariate_normal([0.0, 0.0], covariance, 400_000)
    assert np.mean(np.hypot(samples[:, 0], samples[:, 1]) <= radius) == pytest.approx(0.95, abs=0.002)
    region = ellipse(covariance, 0.95)
    assert ce_from_ellipse(region, 0.95) == pytest.approx(radius, rel=1e-6)
    assert region.semi_minor_m < radius < region.semi_major_m


def test_a_fix_round_trips_with_the_fields_tak_requires() -> None:
    event = fix_event(RESULT, fix_id="0d6e1c2a-loc", time_s=NOW_S - 2.0, now_s=NOW_S, monitor_id="mon-1",
                      track_id="trk-9", channel="145.500")
    xml = event.to_xml()
    root = ET.fromstring(xml)
    for name in ("version", "uid", "type", "how", "time", "start", "stale"):
        assert root.get(name)
    point = root.find("point")
    assert point is not None and {"lat", "lon", "hae", "ce", "le"} <= set(point.attrib)
    assert root.get("type") == "a-u-G" and root.get("how") == "m-f" and root.get("uid") == "heimdall.fix.0d6e1c2a-loc"
    assert root.get("time") == "2026-11-18T11:06:40.000Z" and root.get("start") == "2026-11-18T11:06:38.000Z"
    assert root.get("stale") == "2026-11-18T11:21:40.000Z"  # 15 minutes on
    shape = root.find("detail/shape/ellipse")
    assert shape is not None and shape.attrib == {"major": "2900.0", "minor": "2100.0", "angle": "35.0"}
    parsed = parse_event(xml)
    assert parsed.to_dict() == event.to_dict()
    assert parsed.ce == round(ce_from_ellipse(Ellipse(0.95, 2900.0, 2100.0, 35.0), 0.95), 1)
    assert 2100.0 < parsed.ce < 2900.0 and parsed.le == UNKNOWN and parsed.hae == UNKNOWN
    assert "monitor mon-1" in (parsed.remarks or "") and "trk-9" in (parsed.remarks or "")
    private = parsed.to_dict()["detail"]["__heimdall"]
    assert private["fix_id"] == "0d6e1c2a-loc" and private["monitor_id"] == "mon-1" and private["kind"] == "fix"


def test_ce_comes_from_the_results_own_95_ellipse() -> None:
    wider = {**RESULT, "ellipses": [{"confidence": 0.95, "semi_major_m": 5800.0, "semi_minor_m": 4200.0,
                                     "orientation_deg": 35.0}], "alt_m": 312.4}
    base = fix_event(RESULT, fix_id="a", time_s=NOW_S, now_s=NOW_S)
    calibrated = fix_event(wider, fix_id="a", time_s=NOW_S, now_s=NOW_S)
    assert calibrated.ce == pytest.approx(2 * base.ce, abs=0.2)  # a calibrated (wider) region, not the Gaussian
    assert calibrated.hae == 312.4
    no_ellipses = fix_event({k: v for k, v in RESULT.items() if k != "ellipses"}, fix_id="a", time_s=NOW_S, now_s=NOW_S)
    gaussian = ellipse(np.array(RESULT["covariance_enu_m2"]), 0.95)
    assert no_ellipses.ce == pytest.approx(round(ce_from_ellipse(gaussian, 0.95), 1))


def test_a_track_update_and_its_end() -> None:
    sim = simulate_fixes(np.random.default_rng(4), RouteConfig(legs=2), 45.0, 7.5, channel="145.500")
    tracker = tracks_from_fixes(sim.fixes)
    [track] = tracker.tracks.values()
    now_s = track.points[-1].time_s + 5.0
    event = track_event(track, now_s=now_s, monitor_id="mon-1")
    parsed = parse_event(event.to_xml())
    assert parsed.uid == f"heimdall.track.{track.track_id}" and parsed.to_dict() == event.to_dict()
    motion = parsed.to_dict()["detail"]["track"]
    assert float(motion["speed"]) == pytest.approx(track.points[-1].speed_m_s, abs=0.01)
    assert float(motion["course"]) == pytest.approx(track.points[-1].course_deg, abs=0.1)
    assert parsed.lat == pytest.approx(track.points[-1].lat, abs=1e-7)
    assert parsed.start == datetime.fromtimestamp(round(track.points[-1].time_s, 3), UTC)
    assert "confirmed" in (parsed.remarks or "")
    track.terminated = True
    ended = track_event(track, now_s=now_s)
    assert ended.stale == ended.time  # TAK drops it at once


def test_settings_are_checked() -> None:
    custom = CotSettings.from_mapping({"type": "a-h-G-E-S", "how": "h-e", "stale_s": 60, "uid_prefix": "site-a"})
    event = fix_event(RESULT, fix_id="x", time_s=NOW_S, now_s=NOW_S, settings=custom)
    assert (event.type, event.how, event.uid) == ("a-h-G-E-S", "h-e", "site-a.fix.x")
    for bad, field in [({"type": "not a type"}, "type"), ({"how": "M G"}, "how"), ({"stale_s": 0}, "stale_s"),
                       ({"ce_confidence": 1.0}, "ce_confidence"), ({"uid_prefix": "a b"}, "uid_prefix"),
                       ({"colour": "red"}, "colour")]:
        with pytest.raises(InvalidInput) as caught:
            CotSettings.from_mapping(bad)
        assert caught.value.field == field


def test_a_bad_result_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        fix_event({**RESULT, "covariance_enu_m2": [[1.0, 0.0], [0.0, -1.0]]}, fix_id="x", time_s=NOW_S, now_s=NOW_S)
    assert caught.value.field == "covariance_enu_m2"


GOOD = ('<event version="2.0" uid="u-1" type="a-u-G" how="m-f" time="2026-01-01T00:00:00Z" '
        'start="2026-01-01T00:00:00.5Z" stale="2026-01-01T00:10:00+00:00">'
        '<point lat="45" lon="7.5" hae="9999999.0" ce="120" le="9999999.0"/></event>')


@pytest.mark.parametrize(("change", "field"), [
    (('uid="u-1" ', ''), "uid"),
    (('type="a-u-G"', 'type="a u G"'), "type"),
    (('how="m-f" ', ''), "how"),
    (('time="2026-01-01T00:00:00Z"', 'time="yesterday"'), "time"),
    (('time="2026-01-01T00:00:00Z"', 'time="2026-01-01T00:00:00"'), "time"),  # no zone
    (('start="2026-01-01T00:00:00.5Z" ', ''), "start"),
    (('stale="2026-01-01T00:10:00+00:00"', 'stale="2025-12-31T00:00:00Z"'), "stale"),
    (('version="2.0"', 'version="1.0"'), "version"),
    (('ce="120" ', ''), "point.ce"),
    (('le="9999999.0"', 'le="-1"'), "point.le"),
    (('lat="45"', 'lat="95"'), "point.lat"),
    (('lon="7.5"', 'lon="east"'), "point.lon"),
    (('hae="9999999.0"', 'hae="nan"'), "point.hae"),
    (('<point lat="45" lon="7.5" hae="9999999.0" ce="120" le="9999999.0"/>', ''), "point"),
    (('<event ', '<evnt '), "event"),
])
def test_the_validator_names_what_is_missing_or_wrong(change: tuple[str, str], field: str) -> None:
    assert parse_event(GOOD).ce == 120.0
    broken = GOOD.replace(*change).replace("</event>", "</evnt>" if change[1] == "<evnt " else "</event>")
    with pytest.raises(InvalidInput) as caught:
        parse_event(broken)
    assert caught.value.field == field and "\n" not in caught.value.message


def test_hostile_xml_is_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaa">]><event>&a;</event>'
    with pytest.raises(InvalidInput, match="DOCTYPE"):
        parse_event(bomb)
    with pytest.raises(InvalidInput, match="at most"):
        parse_event(GOOD.replace("</event>", "<detail>" + "x" * 300_000 + "</detail></event>"))
    with pytest.raises(InvalidInput, match="not a CoT XML"):
        parse_event(b"\xbf\x01\xbf protobuf")


def test_the_stream_splitter_cuts_at_event_ends() -> None:
    splitter = StreamSplitter()
    one = parse_event(GOOD).to_xml()
    stream = one + b"\n" + one + one[:50]
    assert splitter.feed(stream[:30]) == []
    assert splitter.feed(stream[30:]) == [one, one]
    assert splitter.flush() == one[:50]
    splitter.feed(b"<event>" + b"x" * 300_000)
    assert splitter.discarded_bytes > 300_000 and splitter.flush() == b""


def test_foreign_details_are_kept_and_repeated_tags_listed() -> None:
    foreign = GOOD.replace("</event>", '<detail><link uid="a" relation="p-p"/><link uid="b" relation="p-p"/>'
                                       '<remarks>hello</remarks></detail></event>')
    parsed = parse_event(foreign)
    detail = parsed.to_dict()["detail"]
    assert [link["uid"] for link in detail["link"]] == ["a", "b"] and parsed.remarks == "hello"
    assert b'<link uid="b" relation="p-p" />' in parsed.to_xml()
