"""What a KiwiSDR client sends, the addresses it sends it to, and what it learns before audio starts."""

import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.kiwisdr import commands
from heimdall.receivers.kiwisdr.endpoints import parse_address
from heimdall.receivers.kiwisdr.server_info import ServerInfo
from heimdall.receivers.states import ReceiverRefused, RefusalReason


def test_commands_are_formatted_as_the_public_client_sends_them() -> None:
    assert commands.auth(None) == "SET auth t=kiwi p="
    assert commands.auth("s3cret pw&=") == "SET auth t=kiwi p=s3cret%20pw%26%3D"  # the server percent-decodes
    assert commands.tune(77.5, -5000, 5000) == "SET mod=iq low_cut=-5000 high_cut=5000 freq=77.500"
    assert commands.tune(10000.0004, -6000.4, 6000.6) == "SET mod=iq low_cut=-6000 high_cut=6001 freq=10000.000"
    assert commands.agc(50) == "SET agc=0 hang=0 thresh=-100 slope=6 decay=1000 manGain=50"
    assert commands.agc(None).startswith("SET agc=1 ")
    assert commands.ar_ok(12000) == "SET AR OK in=12000 out=44100"
    assert commands.compression(False) == "SET compression=0"
    assert commands.squelch_off() == "SET squelch=0 max=0"
    assert commands.KEEPALIVE == "SET keepalive"


def test_identity_carries_name_and_contact_and_fits_what_the_server_reads() -> None:
    assert commands.ident_user("Heimdall", "ops@example.org") == "SET ident_user=Heimdall%20%28ops%40example.org%29"
    assert commands.ident_user("Heimdall") == "SET ident_user=Heimdall"
    long = commands.ident_user("Heimdall", "x" * 400 + " é")
    assert len(long.removeprefix("SET ident_user=")) <= commands.MAX_IDENT_CHARS
    assert " " not in long.removeprefix("SET ")  # the server scans one whitespace-free token


def test_parse_command_for_the_fake_server() -> None:
    parsed = commands.parse_command("SET mod=iq low_cut=-5000 high_cut=5000 freq=77.500")
    assert parsed is not None and parsed.name == "mod" and parsed.params["freq"] == "77.500"
    ar_ok = commands.parse_command("SET AR OK in=12000 out=44100")
    assert ar_ok is not None and ar_ok.name == "AR OK" and ar_ok.params == {"in": "12000", "out": "44100"}
    keepalive = commands.parse_command("SET keepalive")
    assert keepalive is not None and keepalive.name == "keepalive"
    ident = commands.parse_command(commands.ident_user("Heimdall", "a b"))
    assert ident is not None and ident.params["ident_user"] == "Heimdall (a b)"
    assert commands.parse_command("GET /") is None and commands.parse_command("SET ") is None


@pytest.mark.parametrize(("url", "base", "status"), [
    ("http://kiwi.example:8073", "http://kiwi.example:8073", "http://kiwi.example:8073/status"),
    ("kiwi.example", "http://kiwi.example:8073", "http://kiwi.example:8073/status"),
    ("kiwi.example:8074/", "http://kiwi.example:8074", "http://kiwi.example:8074/status"),
    ("http://kiwi.example", "http://kiwi.example:80", "http://kiwi.example:80/status"),
    ("https://kiwi.example", "https://kiwi.example:443", "https://kiwi.example:443/status"),
    ("ws://127.0.0.1:9000/12/SND", "http://127.0.0.1:9000", "http://127.0.0.1:9000/status"),
    ("http://[::1]:8073", "http://[::1]:8073", "http://[::1]:8073/status"),
])
def test_addresses(url: str, base: str, status: str) -> None:
    address = parse_address(url)
    assert (address.base_url, address.status_url) == (base, status)
    sound = address.sound_url(1234)
    assert sound.endswith("/1234/SND") and sound.startswith(("ws://", "wss://"))
    assert sound.removeprefix("ws").removeprefix("s").removeprefix("://") == base.split("://")[1] + "/1234/SND"


@pytest.mark.parametrize("url", ["", "ftp://kiwi.example", "http://", "http://user:pw@kiwi.example:8073",
                                 "http://kiwi.example:99999"])
def test_bad_addresses_are_invalid_input(url: str) -> None:
    with pytest.raises(InvalidInput):
        parse_address(url)


def test_server_info_takes_what_it_knows_and_ignores_malformed_values() -> None:
    info = ServerInfo()
    assert not info.ready
    for name, value in [("sample_rate", "12001.135000"), ("audio_rate", "12000"), ("bandwidth", "30000000"),
                        ("version_maj", "1"), ("version_min", "820"), ("freq_offset", "0.000"), ("rx_chans", "8")]:
        assert info.update(name, value)
    assert info.ready and info.version == "1.820" and info.rx_chans == 8
    assert info.sample_rate_hz == 12001.135 and info.audio_rate_hz == 12000
    assert info.update("sample_rate", "nan") and info.update("audio_rate", "-5") and info.update("bandwidth", None)
    assert info.sample_rate_hz == 12001.135 and info.audio_rate_hz == 12000  # unchanged
    assert info.update("load_cfg", "%7B%7D") and not info.update("brand_new_message", "1")


def test_frequency_range_and_the_offset_of_a_down_converter() -> None:
    info = ServerInfo(bandwidth_hz=30e6)
    assert info.baseband_khz(77_500) == pytest.approx(77.5)
    with pytest.raises(ReceiverRefused, match="outside") as caught:
        info.baseband_khz(40e6)
    assert caught.value.reason == RefusalReason.OUT_OF_RANGE and not caught.value.reason.retryable
    converted = ServerInfo(bandwidth_hz=30e6, freq_offset_khz=100_000.0)  # 100-130 MHz through a converter
    assert converted.baseband_khz(145e6 - 20e6) == pytest.approx(25_000.0)
    with pytest.raises(ReceiverRefused):
        converted.baseband_khz(77_500)
