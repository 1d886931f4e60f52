"""A fake KiwiSDR for tests, demos and benchmarks: ``/status`` and the sound WebSocket on one port.

    replays = [KiwiReplay(p) for p in sorted(folder.glob("*.wav"))]
    clock = shared_clock(replays)                       # one simultaneous GNSS window for all
    async with FakeKiwiSDR(replays[0], clock, FakeKiwiOptions(name="DF0KL", lat=53.67, lon=7.28)) as kiwi:
        kiwi.url                                        # http://127.0.0.1:<free port>
        kiwi.sessions[0].commands                       # what the client sent

It replays a Kiwi IQ WAV at the real pace (``pace`` > 1 for fast tests) with the file's own GNSS
stamps shifted onto the current time, serves the ``/status`` page of a real KiwiSDR (key=value
lines), and, asked to, refuses (too busy, bad password, down, camp-only, redirect), times out for
inactivity, drops mid-stream, loses or freezes GNSS, sends zero or stale stamps in its first frames,
loses frames (sequence gaps) or sends garbage. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Self

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay, ReplayClock
from heimdall.receivers.simulated.kiwisdr_session import FakeKiwiSession, SessionLog
from heimdall.receivers.simulated.lifecycle import FakeServer

_SOUND_PATH = re.compile(r"^/(?:kiwi/)?\d{1,10}/SND$")
REFUSALS = ("too_busy", "redirect", "down", "camp_only")
GARBAGE = ("bytes", "short_snd", "odd_iq", "unknown_tag", "bad_message")


@dataclass
class FakeKiwiOptions:
    name: str = "Fake KiwiSDR"
    lat: float = 0.0
    lon: float = 0.0
    asl_m: int = 0
    location: str = "Loopback"
    antenna: str = "replayed IQ file"
    users_max: int = 4
    users_busy: int = 0  # other users already on it (``/status`` users)
    password: str | None = None
    refuse: str | None = None  # one of REFUSALS
    redirect_url: str = "http://127.0.0.1:9/"
    down_reason: str = "maintenance"
    inactivity_timeout_s: float | None = None  # after this long streaming: MSG inactivity_timeout, close
    drop_after_s: float | None = None  # abort the TCP connection mid-stream
    lose_gnss_after_s: float | None = None  # frames flagged lost_gnss_solution from then on
    lost_gnss_solution: int = 255
    freeze_gnss_after_s: float | None = None  # stamps stop advancing (stale time)
    zero_gnss_frames: int = 1  # a real server's first frame carries zero time
    stale_first_frames: int = 0  # first frames stamped five minutes in the past
    skip_sequences: frozenset[int] = frozenset()  # frames lost on the way (sequence gaps)
    garbage: str | None = None  # one of GARBAGE
    garbage_after_s: float = 0.5
    little_endian: bool = False
    keepalive_timeout_s: float = 60.0
    announced_sample_rate_hz: float | None = None  # default: the file's fmt rate (not its true rate)
    audio_rate_hz: int = 12000
    bandwidth_hz: float = 30e6
    freq_offset_khz: float = 0.0
    version_major: int = 1
    version_minor: int = 820
    gps_good: int = 8
    fixes: int = 1234
    tdoa_ch: int = 4  # -1: GNSS timestamps disabled by the operator
    offline: bool = False
    status_extra: dict[str, str] = field(default_factory=dict)


class FakeKiwiSDR(FakeServer):
    def __init__(self, replay: KiwiReplay, clock: ReplayClock, options: FakeKiwiOptions | None = None) -> None:
        self.replay, self.clock = replay, clock
        self.options = options or FakeKiwiOptions(name=replay.station)
        if self.options.announced_sample_rate_hz is None:
            self.options.announced_sample_rate_hz = replay.nominal_sample_rate_hz
        if self.options.refuse not in (None, *REFUSALS) or self.options.garbage not in (None, *GARBAGE):
            raise ValueError(f"unknown refusal or garbage option: {self.options.refuse!r} {self.options.garbage!r}")
        self.sessions: list[SessionLog] = []
        self.status_requests = 0
        self._server: Server | None = None
        self._active = 0

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake KiwiSDR is not started")
        return int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Self:
        self._server = await serve(self._handle, "127.0.0.1", 0, process_request=self._process_request,
                                   compression=None, max_size=1 << 16, ping_interval=None)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


    def status_text(self) -> str:
        """The ``/status`` page, in the order and format a real KiwiSDR writes it."""
        o = self.options
        users = min(o.users_busy + self._active, o.users_max)
        lines = [
            ("status", "offline" if o.offline else "active"), ("offline", "yes" if o.offline else "no"),
            ("name", o.name), ("sdr_hw", f"KiwiSDR 2 v{o.version_major}.{o.version_minor} ⁣ 📡 GPS ⁣"),
            ("op_email", ""), ("bands", f"{o.freq_offset_khz * 1e3:.0f}-{o.freq_offset_khz * 1e3 + o.bandwidth_hz:.0f}"),
            ("freq_offset", f"{o.freq_offset_khz:.3f}"), ("users", str(users)), ("users_max", str(o.users_max)),
            ("preempt", "0"), ("avatar_ctime", "1700000000"), ("gps", f"({o.lat:.6f}, {o.lon:.6f})"),
            ("gps_good", str(o.gps_good)), ("fixes", str(o.fixes)), ("fixes_min", "6"), ("fixes_hour", "360"),
            ("tdoa_id", o.name), ("tdoa_ch", str(o.tdoa_ch)), ("asl", str(o.asl_m)), ("loc", o.location),
            ("sw_version", f"KiwiSDR_v{o.version_major}.{o.version_minor}"), ("antenna", o.antenna),
            ("snr", "20,18"), ("ant_connected", "1"), ("adc_ov", "0"), ("clk_ext_freq", "0"), ("clk_ext_gps", "0,1"),
            ("uptime", "86400"), ("gps_date", "1,1"), ("date", "Mon Jan  1 00:00:00 2024"), ("ip_blacklist", "x"),
            ("dx_file", "0,0,0"),
        ]
        return "".join(f"{k}={v}\n" for k, v in [*lines, *o.status_extra.items()])

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == "/status":
            self.status_requests += 1
            return _text_response(HTTPStatus.OK, self.status_text())
        if path == "/":
            return _text_response(HTTPStatus.OK, f"<html><title>KiwiSDR: {self.options.name}</title></html>",
                                  "text/html")
        if _SOUND_PATH.match(path):
            return None  # the WebSocket handshake goes on
        return _text_response(HTTPStatus.NOT_FOUND, "not found")

    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        log = SessionLog(request.path if request else "?", request.headers.get("User-Agent") if request else None)
        self.sessions.append(log)
        self._active += 1
        try:
            await FakeKiwiSession(connection, self.replay, self.clock, self.options, log).run()
        finally:
            self._active -= 1


def _text_response(status: HTTPStatus, body: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    data = body.encode("utf-8")
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(data))),
                       ("Connection", "close")])
    return Response(status.value, status.phrase, headers, data)
