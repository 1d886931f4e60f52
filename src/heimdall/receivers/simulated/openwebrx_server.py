"""A fake OpenWebRX(+) receiver on loopback: real HTTP (``/status.json``) and a real WebSocket (``/ws/``)
speaking the protocol of ``heimdall.receivers.openwebrx.messages``, its S-meter driven by a callback.

    async with FakeOpenWebRxServer(lambda t_s: -60.0 if int(t_s) % 2 else None) as server:
        client = OpenWebRxClient(server.url, receiver_id="fake")

``source(t_s)`` gives the signal's power in the channel (dBFS, before any AGC; None while the
transmitter is keyed off), ``t_s`` seconds after the server started (``started_at_s``, UNIX time).
The signal sits on ``signal_frequency_hz`` (None: on whatever channel a client tunes). Each S-meter
value is ``signal + noise`` (linear), scaled by the AGC's gain when ``agc`` is on; FFT lines (1 per
``fft_interval_s``) show the band's floor at ``floor_db`` moved by the same gain. Faults to test a
client against are options of :class:`FakeOpenWebRxOptions`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from heimdall.receivers.openwebrx.fft import encode_fft_line
from heimdall.receivers.simulated.lifecycle import FakeServer

PowerSource = Callable[[float], float | None]
LOCKED_MESSAGE = "This profile is locked, keeping current profile."
_GARBAGE = ("{not json", '{"value": 1}', '{"type": "smeter", "value": "loud"}', '{"type": "clients", "value": -1}',
            "[1, 2]", '{"type": "profiles", "value": {"id": 3}}')


@dataclass(frozen=True)
class FakeProfile:
    sdr_id: str
    sdr_name: str
    profile_id: str
    profile_name: str
    center_freq_hz: int
    samp_rate_hz: int

    @property
    def key(self) -> str:
        return f"{self.sdr_id}|{self.profile_id}"


DEFAULT_PROFILES = (
    FakeProfile("rtl", "RTL-SDR", "2m", "2m band", 145_000_000, 2_400_000),
    FakeProfile("rtl", "RTL-SDR", "70cm", "70cm band", 433_500_000, 2_400_000),
    FakeProfile("airspy", "Airspy", "air", "Airband", 124_000_000, 3_000_000),
)


@dataclass(frozen=True)
class FakeOpenWebRxOptions:
    name: str = "Fake OpenWebRX"
    lat_deg: float = 45.0
    lon_deg: float = 7.5
    asl_m: float = 300.0
    version: str = "1.2.77"
    max_clients: int = 20
    profiles: tuple[FakeProfile, ...] = DEFAULT_PROFILES
    signal_frequency_hz: float | None = None
    noise_dbfs: float = -100.0  # channel noise power
    floor_db: float = -95.0  # the waterfall's noise floor
    smeter_interval_s: float = 0.25
    fft_interval_s: float = 0.25
    fft_size: int = 512
    fft_compression: str = "adpcm"
    other_users: int = 0  # listeners besides the clients connected here
    agc: bool = False  # a hardware AGC that holds a signal above agc_target_dbfs at that level
    agc_target_dbfs: float = -40.0
    malformed_every: int = 0  # every Nth streamed message is garbage
    nan_every: int = 0  # every Nth S-meter value is NaN
    out_of_order: bool = False  # an S-meter before the handshake answer and before config; profiles first
    drop_after_s: float | None = None  # abort the TCP connection this long after "start" (no close frame)
    close_after_s: float | None = None  # close cleanly this long after "start"
    silent_after_s: float | None = None  # send nothing more this long after "start", keep the connection
    sdr_error: str | None = None  # answer with sdr_error (e.g. "No SDR Devices available")
    backoff: str | None = None  # answer with backoff and hang up (e.g. "Too many clients")
    locked_profiles: frozenset[str] = frozenset()  # keys an OpenWebRX+ magic key protects
    legacy_status: bool = False  # pre-1.0 status.json: sw_version and clients


@dataclass
class _Listener:
    ws: ServerConnection
    sdr_id: str
    number: int  # connections counted from 0
    params: dict[str, Any] = field(default_factory=dict)
    started_at_s: float | None = None
    smeters: int = 0
    streamed: int = 0


class FakeOpenWebRxServer(FakeServer):
    def __init__(self, source: PowerSource, options: FakeOpenWebRxOptions | None = None, *,
                 clock: Callable[[], float] = time.time, port: int = 0) -> None:
        self.source = source
        self.port = port  # 0: any free port (tests); a fixed one for demos
        self.options = options or FakeOpenWebRxOptions()
        self.clock = clock
        self.started_at_s = clock()
        self.active = {p.sdr_id: p for p in reversed(self.options.profiles)}  # first profile of each SDR
        self.profile_switches: list[str] = []  # every selectprofile obeyed, by any client
        self.received: list[dict[str, Any]] = []  # every JSON message clients sent
        self.listeners: list[_Listener] = []
        # every S-meter value sent: (connection number, t_s, value), the truth a client's readings follow
        self.smeter_log: list[tuple[int, float, float]] = []
        self._connections = 0
        self._rng = np.random.default_rng(0)
        self._server: Server | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> Self:
        self._server = await serve(self._handle, "127.0.0.1", self.port, process_request=self._http,
                                   compression=None)
        self.started_at_s = self.clock()
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not running")
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"http://127.0.0.1:{port}/"

    def clients(self) -> int:
        return len(self.listeners) + self.options.other_users

    async def switch_profile(self, key: str) -> None:
        """Switch an SDR's profile as another user would: every listener on it gets the new config."""
        profile = next(p for p in self.options.profiles if p.key == key)
        self.active[profile.sdr_id] = profile
        for listener in list(self.listeners):
            if listener.sdr_id == profile.sdr_id:
                await self._send(listener, {"type": "config", "value": self._sdr_config(profile)})

    # -- HTTP -------------------------------------------------------------------------------------
    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/ws/":
            return None
        if request.path != "/status.json":
            return connection.respond(404, "not found\n")
        response = connection.respond(200, json.dumps(self.status_document()))
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        return response

    def status_document(self) -> dict[str, Any]:
        options = self.options
        sdrs: dict[str, dict[str, Any]] = {}
        for p in options.profiles:
            sdr = sdrs.setdefault(p.sdr_id, {"name": p.sdr_name, "type": "RtlSdrSource", "profiles": []})
            sdr["profiles"].append({"name": p.profile_name, "center_freq": p.center_freq_hz,
                                    "sample_rate": p.samp_rate_hz})
        doc: dict[str, Any] = {
            "receiver": {"name": options.name, "admin": "admin@example.org", "location": "Loopback",
                         "gps": {"lat": options.lat_deg, "lon": options.lon_deg}, "asl": options.asl_m},
            "max_clients": options.max_clients, "sdrs": list(sdrs.values()),
        }
        if options.legacy_status:
            doc.update(sw_version=options.version, clients=self.clients())
        else:
            doc["version"] = options.version
        return doc

    # -- WebSocket --------------------------------------------------------------------------------
    async def _handle(self, ws: ServerConnection) -> None:
        listener = _Listener(ws, self.options.profiles[0].sdr_id, self._connections)
        self._connections += 1
        with contextlib.suppress(ConnectionClosed):
            if not await self._handshake(listener):
                return
            self.listeners.append(listener)
            try:
                await self._greet(listener)
                if self.options.backoff is None:
                    await asyncio.gather(self._read(listener), self._stream(listener))
            finally:
                self.listeners.remove(listener)
                await self._broadcast_clients()

    async def _handshake(self, listener: _Listener) -> bool:
        text = await listener.ws.recv()
        if not isinstance(text, str) or not text.startswith("SERVER DE CLIENT") or "type=receiver" not in text:
            return False  # the real server ignores such a client, answering nothing
        if self.options.out_of_order:
            await listener.ws.send(json.dumps({"type": "smeter", "value": 1e-9}))
        await listener.ws.send(f"CLIENT DE SERVER server=openwebrx version={self.options.version}")
        return True

    async def _greet(self, listener: _Listener) -> None:
        options = self.options
        if options.backoff is not None:
            await self._send(listener, {"type": "backoff", "reason": options.backoff})
            await listener.ws.close()
            return
        profile = self.active[listener.sdr_id]
        global_config = {"fft_size": options.fft_size, "fft_compression": options.fft_compression,
                         "audio_compression": "adpcm", "max_clients": options.max_clients, "tuning_precision": 2}
        greeting: list[dict[str, Any]] = [
            {"type": "receiver_details", "value": {"receiver_name": options.name}},
            {"type": "config", "value": global_config},
            {"type": "config", "value": self._sdr_config(profile)},
            {"type": "features", "value": {}},
            {"type": "modes", "value": [{"modulation": "nfm", "name": "FM", "type": "analog", "requirements": [],
                                         "squelch": True, "bandpass": {"low_cut": -4000, "high_cut": 4000}}]},
            {"type": "dial_frequencies", "value": []},
            {"type": "bookmarks", "value": []},
            {"type": "profiles", "value": [{"id": p.key, "name": f"{p.sdr_name} {p.profile_name}"}
                                           for p in options.profiles]},
        ]
        if options.out_of_order:
            greeting = [{"type": "smeter", "value": 1e-9}, greeting[-1], *greeting[:-1]]  # profiles first
        for message in greeting:
            await self._send(listener, message)
        await self._broadcast_clients()
        if options.sdr_error is not None:
            await self._send(listener, {"type": "sdr_error", "value": options.sdr_error})

    def _sdr_config(self, profile: FakeProfile) -> dict[str, Any]:
        start_freq = profile.center_freq_hz + 100_000
        return {"center_freq": profile.center_freq_hz, "samp_rate": profile.samp_rate_hz, "start_freq": start_freq,
                "start_mod": "nfm", "start_offset_freq": start_freq - profile.center_freq_hz,
                "sdr_id": profile.sdr_id, "profile_id": profile.profile_id, "waterfall_levels": {"min": -110, "max": -20},
                "initial_squelch_level": -150}

    async def _broadcast_clients(self) -> None:
        for listener in list(self.listeners):
            with contextlib.suppress(ConnectionClosed):
                await self._send(listener, {"type": "clients", "value": self.clients()})

    async def _read(self, listener: _Listener) -> None:
        async for text in listener.ws:
            try:
                message = json.loads(text)
            except (TypeError, ValueError):
                continue  # the real server logs "message is not json" and carries on
            if not isinstance(message, dict):
                continue
            self.received.append(message)
            await self._obey(listener, message)

    async def _obey(self, listener: _Listener, message: dict[str, Any]) -> None:
        kind, params = message.get("type"), message.get("params")
        if kind == "dspcontrol":
            if isinstance(params, dict):
                listener.params.update(params)
            if message.get("action") == "start" and listener.started_at_s is None:
                listener.started_at_s = self.clock()
        elif kind == "selectprofile" and isinstance(params, dict) and isinstance(params.get("profile"), str):
            key = params["profile"]
            if key in self.options.locked_profiles:
                await self._send(listener, {"type": "log_message", "value": LOCKED_MESSAGE})
                await self._send(listener, {"type": "config", "value": self._sdr_config(self.active[listener.sdr_id])})
            elif any(p.key == key for p in self.options.profiles):
                listener.sdr_id = key.split("|")[0]
                self.profile_switches.append(key)
                await self.switch_profile(key)

    async def _stream(self, listener: _Listener) -> None:
        options = self.options
        interval_s = min(options.smeter_interval_s, options.fft_interval_s)
        next_smeter = next_fft = self.clock()
        while True:
            await asyncio.sleep(interval_s / 2)
            now_s = self.clock()
            if await self._fault(listener, now_s):
                return
            if now_s >= next_fft:
                next_fft = now_s + options.fft_interval_s
                await listener.ws.send(bytes([1]) + self._fft_line(listener, now_s))
            if listener.started_at_s is not None and now_s >= next_smeter:
                next_smeter = now_s + options.smeter_interval_s
                await self._send(listener, {"type": "smeter", "value": self._smeter(listener, now_s)}, stream=True)
                await listener.ws.send(bytes([2]) + bytes(64))  # an audio frame, for the client to ignore

    async def _fault(self, listener: _Listener, now_s: float) -> bool:
        """Apply the drop / close / silence options; True when this listener's stream is over."""
        if listener.started_at_s is None:
            return False
        elapsed = now_s - listener.started_at_s
        options = self.options
        if options.drop_after_s is not None and elapsed >= options.drop_after_s:
            listener.ws.transport.abort()
            return True
        if options.close_after_s is not None and elapsed >= options.close_after_s:
            await listener.ws.close(1001, "server shutting down")
            return True
        if options.silent_after_s is not None and elapsed >= options.silent_after_s:
            await listener.ws.wait_closed()
            return True
        return False

    # -- the simulated receiver ---------------------------------------------------------------------
    def _in_channel(self, listener: _Listener, now_s: float) -> tuple[float | None, float]:
        """The signal's power (dBFS, None: none in the channel) and the AGC's gain (dB)."""
        level = self.source(now_s - self.started_at_s)
        frequency = self.options.signal_frequency_hz
        if level is not None and frequency is not None and listener.started_at_s is not None:
            profile = self.active[listener.sdr_id]
            center = profile.center_freq_hz + float(listener.params.get("offset_freq", 0))
            low, high = float(listener.params.get("low_cut", -4000)), float(listener.params.get("high_cut", 4000))
            if not center + low <= frequency <= center + high:
                level = None
        agc = self.options.agc and level is not None
        gain_db = min(0.0, self.options.agc_target_dbfs - level) if agc and level is not None else 0.0
        return level, gain_db

    def _smeter(self, listener: _Listener, now_s: float) -> float:
        listener.smeters += 1
        if self.options.nan_every and listener.smeters % self.options.nan_every == 0:
            return math.nan
        level, gain_db = self._in_channel(listener, now_s)
        power = 10 ** (self.options.noise_dbfs / 10) + (0.0 if level is None else 10 ** (level / 10))
        value = float(np.float32(power * 10 ** (gain_db / 10)))  # the server sends a float32
        self.smeter_log.append((listener.number, now_s - self.started_at_s, value))
        return value

    def _fft_line(self, listener: _Listener, now_s: float) -> bytes:
        level, gain_db = self._in_channel(listener, now_s)
        line = self.options.floor_db + gain_db + self._rng.normal(0.0, 1.0, self.options.fft_size)
        if level is not None:
            line[self.options.fft_size // 3] = level + gain_db
        return encode_fft_line(line, self.options.fft_compression)

    async def _send(self, listener: _Listener, message: dict[str, Any], *, stream: bool = False) -> None:
        every = self.options.malformed_every
        if stream:
            listener.streamed += 1
            if every and listener.streamed % every == 0:
                await listener.ws.send(_GARBAGE[(listener.streamed // every) % len(_GARBAGE)])
        await listener.ws.send(json.dumps(message))
