"""The OpenWebRX WebSocket protocol, as the browser client (``htdocs/openwebrx.js``) speaks it.

Connection: ``ws://<host>/<path>/ws/``. The client opens with the text ``SERVER DE CLIENT
client=<name> type=receiver``; the server answers ``CLIENT DE SERVER server=openwebrx version=<v>``
and from then on sends JSON text messages ``{"type": ..., "value": ...}`` (``backoff`` carries
``reason`` instead) and binary frames whose first byte says what follows (1 FFT/waterfall line,
2 audio, 3 secondary FFT, 4 HD audio). The client sends JSON: ``connectionproperties`` (audio output
rates), ``dspcontrol`` (``params``: offset_freq, low_cut, high_cut, mod, squelch_level, ...; or
``action: "start"``) and ``selectprofile`` (``params.profile = "<sdr id>|<profile id>"``).

What the S-meter means (``owrx/connection.py`` ``write_s_meter_level``, ``csdr/chain/selector.py``):
the server measures the mean power |I|^2 + |Q|^2 of the selected channel *after* the shift,
decimation and the low_cut..high_cut band-pass and *before* any demodulation or audio AGC, on the
SDR's float samples (full scale 1.0), in blocks of 1/16 s, and reports one block in four: linear
power relative to full scale, about 4 times a second; the browser shows ``10 log10(value)`` "dB".
So the reading follows the RF front end's gain (a hardware AGC or an operator's gain change moves
it) but not the audio AGC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from heimdall.errors import InvalidInput

CLIENT_NAME = "heimdall"
CLIENT_HANDSHAKE = f"SERVER DE CLIENT client={CLIENT_NAME} type=receiver"
SERVER_HANDSHAKE = "CLIENT DE SERVER"
WEBSOCKET_PATH = "ws/"
# the browser's audio rates; the server builds its audio chain from them, so we send the same
AUDIO_OUTPUT_RATE_HZ = 12_000
HD_AUDIO_OUTPUT_RATE_HZ = 48_000
SQUELCH_OFF_DB = -150  # the browser's "squelch off": a squelched channel would gate nothing we read, but be sure

BINARY_FFT = 1
BINARY_AUDIO = 2
BINARY_SECONDARY_FFT = 3
BINARY_HD_AUDIO = 4

# every server message type the browser knows and we do not need: skipped without complaint
IGNORED_TYPES = frozenset({
    "receiver_details", "features", "modes", "dial_frequencies", "bookmarks", "bands", "cpuusage",
    "temperature", "battery", "metadata", "secondary_config", "secondary_demod", "chat_message",
    "demodulator_error", "aprs_data", "wsjt_message", "js8_message", "pocsag_data", "update",
})
HANDLED_TYPES = frozenset({"config", "profiles", "smeter", "clients", "backoff", "sdr_error", "log_message"})


@dataclass(frozen=True)
class ServerMessage:
    type: str
    value: Any


@dataclass(frozen=True)
class WsProfile:
    key: str  # "<sdr id>|<profile id>"
    name: str  # "<sdr name> <profile name>"


def parse_server_handshake(text: str) -> dict[str, str] | None:
    """The ``key=value`` fields of the server's handshake line, or None when ``text`` is not one."""
    if not text.startswith(SERVER_HANDSHAKE):
        return None
    fields = {}
    for item in text[len(SERVER_HANDSHAKE):].split():
        key, _, value = item.partition("=")
        fields[key] = value
    return fields


def parse_text_message(text: str) -> ServerMessage:
    """One JSON text message, with its value checked for the types we act on; InvalidInput otherwise.

    ``NaN`` and ``Infinity`` literals are accepted (Python servers emit them): judging a power value
    is the session's business, and it says so more precisely than "malformed".
    """
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"not JSON: {text[:80]!r}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        raise InvalidInput(f"a message without a type: {text[:80]!r}")
    kind = doc["type"]
    value = doc.get("reason") if kind == "backoff" else doc.get("value")
    checker = _CHECKS.get(kind)
    if checker is not None:
        value = checker(value)
    return ServerMessage(kind, value)


def _check_config(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput("config value is not an object")
    return value


def _check_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"smeter value is not a number: {value!r}"[:120])
    return float(value)


def _check_clients(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"clients value is not a count: {value!r}"[:120])
    return value


def _check_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)[:200]


def _check_profiles(value: Any) -> tuple[WsProfile, ...]:
    if not isinstance(value, list):
        raise InvalidInput("profiles value is not a list")
    profiles = []
    for item in value:
        if not (isinstance(item, dict) and isinstance(item.get("id"), str) and "|" in item["id"]):
            raise InvalidInput(f"a profile without a '<sdr>|<profile>' id: {item!r}"[:120])
        profiles.append(WsProfile(item["id"], str(item.get("name", ""))))
    return tuple(profiles)


_CHECKS = {
    "config": _check_config, "smeter": _check_number, "clients": _check_clients, "profiles": _check_profiles,
    "backoff": _check_text, "sdr_error": _check_text, "log_message": _check_text,
}


def connection_properties() -> str:
    return json.dumps({"type": "connectionproperties",
                       "params": {"output_rate": AUDIO_OUTPUT_RATE_HZ, "hd_output_rate": HD_AUDIO_OUTPUT_RATE_HZ}})


def dsp_params(offset_hz: int, low_cut_hz: float, high_cut_hz: float, modulation: str) -> str:
    params = {"offset_freq": offset_hz, "low_cut": low_cut_hz, "high_cut": high_cut_hz, "mod": modulation,
              "squelch_level": SQUELCH_OFF_DB}
    return json.dumps({"type": "dspcontrol", "params": params})


def dsp_start() -> str:
    return json.dumps({"type": "dspcontrol", "action": "start"})


def select_profile(key: str) -> str:
    return json.dumps({"type": "selectprofile", "params": {"profile": key}})
