"""``/status`` pages: parsing, tolerance, what a receiver created from its URL gets, health."""

import pytest

from heimdall.receivers.kiwisdr.status import gnss_ok_for_tdoa, health, parse_status, receiver_info
from heimdall.receivers.states import ReceiverRefused, RefusalReason

# laid out as rx_server_ajax.cpp writes it (values made up)
REAL_PAGE = """status=active
offline=no
name=DF0KL Borkum | Borkum, Germany
sdr_hw=KiwiSDR 2 v1.820 ⁣ 📡 GPS ⁣ ⏳ Limits ⁣
op_email=ops@example.org
bands=0-30000000
freq_offset=0.000
users=2
users_max=4
preempt=0
avatar_ctime=1700000000
gps=(53.665337, 7.282766)
gps_good=9
fixes=182733
fixes_min=6
fixes_hour=373
tdoa_id=DF0KL
tdoa_ch=4
asl=12
loc=Borkum, Germany
sw_version=KiwiSDR_v1.820
antenna=T2FD 20 m
snr=22,19
ant_connected=1
adc_ov=3
clk_ext_freq=0
clk_ext_gps=0,1
uptime=123456
gps_date=1,1
date=Mon Jan  1 00:00:00 2024
ip_blacklist=abc
dx_file=10,x,100
"""


def test_a_real_status_page_is_parsed_into_typed_fields() -> None:
    status = parse_status(REAL_PAGE)
    assert status.status == "active" and not status.offline and not status.password_required
    assert status.name == "DF0KL Borkum | Borkum, Germany"
    assert (status.lat, status.lon, status.asl_m) == (53.665337, 7.282766, 12.0)
    assert (status.users, status.users_max, status.gps_good, status.fixes, status.fixes_min) == (2, 4, 9, 182733, 6)
    assert status.bands_hz == (0.0, 30e6) and status.freq_offset_khz == 0.0
    assert status.sw_version == "KiwiSDR_v1.820" and status.antenna == "T2FD 20 m"
    assert status.snr_db == (22, 19) and status.adc_overflows == 3 and status.uptime_s == 123456
    assert status.tdoa_ch == 4 and status.tdoa_id == "DF0KL"
    assert status.extra["clk_ext_gps"] == "0,1" and "name" not in status.extra


def test_receiver_from_its_url_gets_name_position_and_tdoa_capability() -> None:
    info = receiver_info(parse_status(REAL_PAGE), "kiwi.example:8073")
    assert info.receiver_fields() == {
        "name": "DF0KL Borkum | Borkum, Germany", "kind": "kiwisdr", "url": "http://kiwi.example:8073",
        "lat": 53.665337, "lon": 7.282766, "alt_m": 12.0, "capabilities": ["rss", "tdoa"], "timing": "gnss"}
    assert (info.frequency_min_hz, info.frequency_max_hz) == (0.0, 30e6)


@pytest.mark.parametrize("change", ["tdoa_ch=-1", "gps_good=2", "fixes_min=0"])
def test_without_usable_gnss_timestamps_there_is_no_tdoa(change: str) -> None:
    key = change.split("=")[0]
    page = "\n".join(change if line.startswith(key + "=") else line for line in REAL_PAGE.splitlines())
    status = parse_status(page)
    assert not gnss_ok_for_tdoa(status)
    info = receiver_info(status, "http://kiwi.example:8073")
    assert info.capabilities == ("rss",) and info.timing == "none"


def test_health_counts_free_slots() -> None:
    report = health(parse_status(REAL_PAGE))
    assert (report.free_slots, report.users, report.users_max) == (2, 2, 4)
    assert report.gnss_ok_for_tdoa and not report.offline and report.fixes_min == 6
    full = health(parse_status(REAL_PAGE.replace("users=2", "users=5")))
    assert full.free_slots == 0
    offline = health(parse_status(REAL_PAGE.replace("status=active", "status=offline").replace("offline=no", "offline=yes")))
    assert offline.offline


def test_missing_unknown_and_malformed_values_are_tolerated() -> None:
    page = ("name=Minimal\nusers=x\nusers_max=4\nsw_version=KiwiSDR_v1.2\ngps=(-69.0, 90.0)\nbands=30000000-0\n"
            "snr=oops\nasl=nan\nsome_future_key=1\n\nnot a pair\n")
    status = parse_status(page)
    assert status.name == "Minimal" and status.users is None and status.users_max == 4
    assert status.lat is None and status.lon is None  # the firmware's "position not set" placeholder
    assert status.bands_hz is None and status.snr_db is None and status.asl_m is None
    assert status.extra == {"some_future_key": "1"}
    assert health(status).free_slots is None
    assert receiver_info(status, "http://kiwi.example:8073").name == "Minimal"
    assert receiver_info(parse_status("users=1\nusers_max=4\nsw_version=x\nuptime=1"), "kiwi.example").name == "kiwi.example"


@pytest.mark.parametrize("page", ["<html><body>Welcome to nginx!</body></html>", "", "status=ok\nversion=2\n",
                                  '{"status": "active", "users": 1}'])
def test_a_page_that_is_not_a_kiwisdr_status_is_not_this_kind(page: str) -> None:
    with pytest.raises(ReceiverRefused, match="not a KiwiSDR status page") as caught:
        parse_status(page, source="http://x/status")
    assert caught.value.reason == RefusalReason.NOT_THIS_KIND
