"""OpenWebRX(+) receivers: the status page and S-meter power over the browser's WebSocket protocol.

    status.py     /status.json -> OpenWebRxStatus (name, position, version, users, profiles) and receiver_info
    messages.py   the WebSocket protocol: handshake, server messages, client messages, what the S-meter is
    profiles.py   which profile covers a frequency; never switching one while others listen
    fft.py        waterfall lines (float32 or ADPCM) -> the band's noise floor -> gain changes
    power.py      PowerReading with its gain state and flags; PowerModel (per-band offset -> dBm, sigma)
    session.py    the protocol state machine, no IO
    client.py     OpenWebRxClient: asyncio, websockets + httpx

Design and numbers: docs/receivers.md, section "OpenWebRX".
"""

from heimdall.receivers.openwebrx.client import OpenWebRxClient, websocket_url
from heimdall.receivers.openwebrx.power import (
    BandOffset,
    CalibratedPower,
    GainMode,
    GainState,
    PowerFlag,
    PowerModel,
    PowerReading,
)
from heimdall.receivers.openwebrx.profiles import Profile, ProfileChoice, choose_profile, join_profiles
from heimdall.receivers.openwebrx.session import OpenWebRxSession, Tuning
from heimdall.receivers.openwebrx.status import OpenWebRxStatus, StatusProfile, fetch_status, parse_status

__all__ = [
    "BandOffset", "CalibratedPower", "GainMode", "GainState", "OpenWebRxClient", "OpenWebRxSession",
    "OpenWebRxStatus", "PowerFlag", "PowerModel", "PowerReading", "Profile", "ProfileChoice", "StatusProfile",
    "Tuning", "choose_profile", "fetch_status", "join_profiles", "parse_status", "websocket_url",
]
