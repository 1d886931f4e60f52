"""The WebSocket protocol's messages: handshake, server messages (including malformed ones), ours."""

from __future__ import annotations

import json
import math

import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.openwebrx import messages
from heimdall.receivers.openwebrx.messages import WsProfile, parse_server_handshake, parse_text_message


def test_handshake() -> None:
    assert messages.CLIENT_HANDSHAKE.startswith("SERVER DE CLIENT ") and "type=receiver" in messages.CLIENT_HANDSHAKE
    assert parse_server_handshake("CLIENT DE SERVER server=openwebrx version=v1.2.3=beta") == {
        "server": "openwebrx", "version": "v1.2.3=beta"}
    assert parse_server_handshake('{"type": "config"}') is None


def test_server_messages() -> None:
    assert parse_text_message('{"type": "smeter", "value": 1.5e-07}').value == pytest.approx(1.5e-7)
    assert parse_text_message('{"type": "clients", "value": 3}').value == 3
    assert parse_text_message('{"type": "backoff", "reason": "Too many clients"}').value == "Too many clients"
    config = parse_text_message('{"type": "config", "value": {"center_freq": 145000000, "sdr_id": null}}')
    assert config.value == {"center_freq": 145000000, "sdr_id": None}
    profiles = parse_text_message(json.dumps({"type": "profiles", "value": [{"id": "rtl|2m", "name": "RTL 2m"}]}))
    assert profiles.value == (WsProfile("rtl|2m", "RTL 2m"),)
    assert parse_text_message('{"type": "features", "value": {"a": true}}').type == "features"
    assert parse_text_message('{"type": "sdr_error", "value": ["x"]}').value == '["x"]'


def test_non_finite_powers_parse_for_the_session_to_judge() -> None:
    assert math.isnan(parse_text_message('{"type": "smeter", "value": NaN}').value)
    assert parse_text_message('{"type": "smeter", "value": -Infinity}').value == -math.inf


@pytest.mark.parametrize("text", [
    "{not json", "[1, 2]", '{"value": 1}', '{"type": 5}', '{"type": "smeter", "value": "loud"}',
    '{"type": "smeter", "value": true}', '{"type": "clients", "value": -1}', '{"type": "clients", "value": 1.5}',
    '{"type": "config", "value": [1]}', '{"type": "profiles", "value": {"id": 3}}',
    '{"type": "profiles", "value": [{"id": "no-bar", "name": "x"}]}',
])
def test_malformed(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_text_message(text)


def test_what_we_send_is_what_the_browser_sends() -> None:
    assert json.loads(messages.connection_properties()) == {
        "type": "connectionproperties", "params": {"output_rate": 12000, "hd_output_rate": 48000}}
    params = json.loads(messages.dsp_params(-25_000, -6250.0, 6250.0, "nfm"))
    assert params == {"type": "dspcontrol", "params": {"offset_freq": -25000, "low_cut": -6250.0,
                                                       "high_cut": 6250.0, "mod": "nfm", "squelch_level": -150}}
    assert isinstance(params["params"]["offset_freq"], int)  # the server validates it as an int
    assert json.loads(messages.dsp_start()) == {"type": "dspcontrol", "action": "start"}
    assert json.loads(messages.select_profile("rtl|70cm")) == {"type": "selectprofile",
                                                               "params": {"profile": "rtl|70cm"}}
