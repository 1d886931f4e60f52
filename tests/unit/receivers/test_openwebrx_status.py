"""/status.json of OpenWebRX and OpenWebRX+ (current and pre-1.0 layouts) into a typed status."""

from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.openwebrx.status import parse_status

CURRENT = {
    "receiver": {"name": "Budapest SDR", "admin": "op@example.org", "gps": {"lat": 47.5, "lon": 19.05},
                 "asl": 120, "location": "Budapest, Hungary"},
    "max_clients": 20, "version": "1.2.77",
    "sdrs": [
        {"name": "RTL", "type": "RtlSdrSource", "profiles": [
            {"name": "2m", "center_freq": 145_000_000, "sample_rate": 2_400_000},
            {"name": "70cm", "center_freq": 433_500_000, "sample_rate": 2_400_000}]},
        {"name": "HF", "type": "SdrplaySource", "profiles": [{"name": "40m", "center_freq": 7_100_000,
                                                               "sample_rate": 500_000}]},
    ],
}


def test_current_layout() -> None:
    status = parse_status(CURRENT)
    assert (status.name, status.admin, status.location, status.version) == (
        "Budapest SDR", "op@example.org", "Budapest, Hungary", "1.2.77")
    assert (status.lat_deg, status.lon_deg, status.altitude_m) == (47.5, 19.05, 120.0)
    assert status.max_users == 20 and status.users is None
    assert [p.label for p in status.profiles] == ["RTL 2m", "RTL 70cm", "HF 40m"]
    assert status.profiles[2].sdr_type == "SdrplaySource"
    assert status.profiles[1].center_frequency_hz == 433_500_000 and status.profiles[1].sample_rate_hz == 2_400_000
    assert status.receiver_info() == {"kind": "openwebrx", "name": "Budapest SDR", "capabilities": ["rss"],
                                      "timing": "none", "lat": 47.5, "lon": 19.05, "alt_m": 120.0}


def test_pre_1_0_layout_has_users_and_sw_version() -> None:
    doc = {**CURRENT, "sw_version": "0.20.3", "clients": 3}
    del doc["version"]
    status = parse_status(doc)
    assert status.version == "0.20.3" and status.users == 3


@pytest.mark.parametrize("gps", [None, {"lat": 0, "lon": 0}, {"lat": 95, "lon": 0}, {"lat": "x", "lon": 1},
                                 "47,19", [1, 2, 3]])
def test_missing_or_impossible_position_is_none(gps: object) -> None:
    doc = {**CURRENT, "receiver": {**CURRENT["receiver"], "gps": gps}}
    status = parse_status(doc)
    assert (status.lat_deg, status.lon_deg) == (None, None)
    assert "lat" not in status.receiver_info()


def test_very_old_gps_pair_and_odd_profiles() -> None:
    doc = {**CURRENT, "receiver": {**CURRENT["receiver"], "gps": [47.5, 19.05], "name": "  "},
           "max_clients": -1, "sdrs": [
               {"name": "RTL", "profiles": [
                   {"name": "ok", "center_freq": 1e8, "samp_rate": 1e6},  # the config's key name
                   {"name": "nan", "center_freq": float("nan"), "sample_rate": 1e6},
                   {"name": "neg", "center_freq": 1e8, "sample_rate": -5},
                   "not a profile"]},
               "not an sdr", {"name": "no profiles"}]}
    status = parse_status(doc)
    assert (status.lat_deg, status.lon_deg) == (47.5, 19.05)
    assert status.name == "OpenWebRX" and status.max_users is None
    assert [p.name for p in status.profiles] == ["ok"]


@pytest.mark.parametrize("doc", [None, [], {"receiver": {}}, {"sdrs": []}, {"receiver": "x", "sdrs": []}])
def test_not_a_status(doc: object) -> None:
    with pytest.raises(InvalidInput, match="not an OpenWebRX status"):
        parse_status(doc)
