"""One client's session with the fake KiwiSDR: the protocol a real server speaks, and the faults asked for.

The session follows what the server does (Beagle_SDR_GPS, read for knowledge): ``MSG sample_rate``
at once; nothing but ``SET auth``/``keepalive`` accepted before the password (anything else is a kick);
after ``auth`` the ``rx_chans ... badp`` burst, the version, ``bandwidth`` and ``audio_rate``; no
audio until frequency, mode, passband, AGC and ``AR OK`` are set; a drop after ``keepalive_timeout_s``
without a keepalive. Every command is recorded (``commands``) and every departure from the protocol
noted (``violations``) so tests can assert what a client sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from heimdall.receivers.kiwisdr import commands as kiwi_commands
from heimdall.receivers.kiwisdr.protocol import GnssStamp, encode_iq_frame, encode_message
from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay, ReplayClock

if TYPE_CHECKING:
    from heimdall.receivers.simulated.kiwisdr_server import FakeKiwiOptions

REQUIRED = {"freq", "mode", "passband", "agc", "AR OK"}
STALE_BY_NS = 300 * 1_000_000_000  # stale first frames: stamps from a session five minutes ago


@dataclass
class SessionLog:
    path: str
    user_agent: str | None
    commands: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    ident: str | None = None
    frames_sent: int = 0
    file_blocks_sent: list[int] = field(default_factory=list)
    ended: str | None = None  # why the server ended the session (None: the client left)
    keepalives: int = 0

    def command_names(self) -> list[str]:
        return [c.name for c in map(kiwi_commands.parse_command, self.commands) if c is not None]


class FakeKiwiSession:
    def __init__(self, ws: ServerConnection, replay: KiwiReplay, clock: ReplayClock, options: FakeKiwiOptions,
                 log: SessionLog) -> None:
        self.ws, self.replay, self.clock, self.options, self.log = ws, replay, clock, options, log
        self.authenticated = False
        self.received: set[str] = set()
        self.mode = "am"
        self.last_keepalive = time.monotonic()
        self.ready = asyncio.Event()
        self._frozen: tuple[int, int] | None = None

    async def run(self) -> None:
        """Serve until either side ends the session; a client hanging up is not an error."""
        with contextlib.suppress(ConnectionClosed):
            if self.options.refuse in ("too_busy", "redirect", "down"):
                await self._refuse_at_connect()
                return
            await self.ws.send(encode_message(("sample_rate", f"{self.options.announced_sample_rate_hz:.6f}")))
            reader = asyncio.create_task(self._read_commands())
            try:
                await self._serve_until_done(reader)
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    async def _serve_until_done(self, reader: asyncio.Task[None]) -> None:
        waiter = asyncio.create_task(self.ready.wait())
        await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if not self.ready.is_set():
            return
        streamer = asyncio.create_task(self._stream())
        await asyncio.wait({reader, streamer}, return_when=asyncio.FIRST_COMPLETED)
        streamer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await streamer

    async def _refuse_at_connect(self) -> None:
        options = self.options
        if options.refuse == "too_busy":
            await self.ws.send(encode_message(("too_busy", options.users_max)))
        elif options.refuse == "redirect":
            await self.ws.send(encode_message(("redirect", options.redirect_url)))
        else:
            await self.ws.send(encode_message(("reason_disabled", options.down_reason), ("down", 0)))
        self.log.ended = f"refused: {options.refuse}"
        await self.ws.close()

    async def _read_commands(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in self.ws:
                text = message if isinstance(message, str) else message.decode("utf-8", errors="replace")
                self.log.commands.append(text)
                if not await self._on_command(text):
                    return

    async def _on_command(self, text: str) -> bool:
        command = kiwi_commands.parse_command(text)
        if command is None:
            self.log.violations.append(f"not a SET command: {text[:80]!r}")
            return True
        if command.name == "keepalive":
            self.last_keepalive = time.monotonic()
            self.log.keepalives += 1
            return True
        if command.name == "auth":
            return await self._on_auth(command.params)
        if not self.authenticated:
            self.log.violations.append(f"{command.name!r} before auth: kicked, as a real server does")
            self.log.ended = "kicked: command before auth"
            await self.ws.close()
            return False
        self._on_setting(command)
        return True

    async def _on_auth(self, params: dict[str, str]) -> bool:
        options = self.options
        ok = options.password is None or params.get("p") == options.password
        burst = [("rx_chans", options.users_max), ("chan_no_pwd", 0 if options.password else options.users_max)]
        for name, value in burst:
            await self.ws.send(encode_message((name, value)))
        if ok:
            await self.ws.send(encode_message(("is_local", "0,0,0")))
        await self.ws.send(encode_message(("max_camp", 4)))
        await self.ws.send(encode_message(("badp", 0 if ok else 1)))
        if not ok:
            return True  # a real server waits for another password until its 20 s timeout
        self.authenticated = True
        if options.refuse == "camp_only":
            await self.ws.send(encode_message(("monitor", None)))
            return True
        await self._send_welcome()
        return True

    async def _send_welcome(self) -> None:
        options = self.options
        await self.ws.send(encode_message(
            ("version_maj", options.version_major), ("version_min", options.version_minor), ("debian_ver", 11),
            ("model", 2), ("platform", 1), ("ext_clk", 0), ("abyy", ""), ("freq_offset", f"{options.freq_offset_khz:.3f}")))
        await self.ws.send(encode_message(("unknown_future_message", "42")))  # real servers grow new ones
        await self.ws.send(encode_message(("center_freq", round(options.bandwidth_hz / 2)),
                                          ("bandwidth", round(options.bandwidth_hz)), ("adc_clk_nom", 66_666_600)))
        await self.ws.send(encode_message(("audio_init", 0), ("audio_rate", options.audio_rate_hz)))

    def _on_setting(self, command: kiwi_commands.Command) -> None:
        params = command.params
        if command.name == "mod" and {"low_cut", "high_cut", "freq"} <= params.keys():
            self.mode = params["mod"]
            self.received |= {"freq", "mode", "passband"}
        elif command.name == "agc" and "manGain" in params:
            self.received.add("agc")
        elif command.name == "AR OK" and params.get("out", "0") != "0":
            self.received.add("AR OK")
        elif command.name == "ident_user":
            self.log.ident = params.get("ident_user")
        if self.received >= REQUIRED:
            self.ready.set()

    async def _stream(self) -> None:
        block = self.replay.first_due_after(self.clock, time.time_ns())
        sequence, started = 0, time.monotonic()
        while block < self.replay.blocks:
            ended = await self._check_timers(started)
            if ended:
                return
            await _sleep_until(self.clock.wall_ns(self.replay.due_gps_s(block)))
            sequence += 1
            if sequence not in self.options.skip_sequences:  # else lost on the way, with its samples
                await self.ws.send(self._frame(block, sequence, time.monotonic() - started))
                self.log.frames_sent += 1
                self.log.file_blocks_sent.append(block)
            block += 1
        self.log.ended = "end of the replayed file"
        await self.ws.close(code=1001)

    async def _check_timers(self, started: float) -> bool:
        options, elapsed = self.options, time.monotonic() - started
        if time.monotonic() - self.last_keepalive > options.keepalive_timeout_s:
            self.log.violations.append("no keepalive: dropped, as a real server does")
            return await self._end("keepalive expired", close=True)
        if options.drop_after_s is not None and elapsed >= options.drop_after_s:
            self.ws.transport.abort()
            return await self._end("dropped (connection aborted)", close=False)
        if options.inactivity_timeout_s is not None and elapsed >= options.inactivity_timeout_s:
            await self.ws.send(encode_message(("inactivity_timeout", max(1, round(options.inactivity_timeout_s / 60)))))
            return await self._end("inactivity timeout", close=True)
        if options.garbage is not None and elapsed >= options.garbage_after_s:
            await self.ws.send(_GARBAGE[options.garbage])
            if options.garbage in ("bytes", "short_snd", "odd_iq"):
                return await self._end(f"sent garbage ({options.garbage})", close=False)
        return False

    async def _end(self, why: str, *, close: bool) -> bool:
        self.log.ended = why
        if close:
            await self.ws.close()
        return True

    def _frame(self, block: int, sequence: int, elapsed_s: float) -> bytes:
        options, replay = self.options, self.replay
        stamp_ns = int(replay.block_stamp_ns[block])
        solution = int(replay.block_solution[block])
        if sequence <= options.stale_first_frames:
            stamp_ns -= STALE_BY_NS
        seconds, nanos = self.clock.shifted_stamp(stamp_ns)
        if sequence <= options.zero_gnss_frames:
            seconds, nanos, solution = 0, 0, 0
        if options.lose_gnss_after_s is not None and elapsed_s >= options.lose_gnss_after_s:
            solution = options.lost_gnss_solution
        if options.freeze_gnss_after_s is not None and elapsed_s >= options.freeze_gnss_after_s:
            seconds, nanos = self._frozen or (seconds, nanos)
        self._frozen = (seconds, nanos)
        smeter = float(replay.block_dbfs[block]) - 20.0
        return encode_iq_frame(sequence, replay.pcm(block), GnssStamp(solution, seconds, nanos), smeter_dbm=smeter,
                               little_endian=options.little_endian)


_GARBAGE = {
    "bytes": b"\x00\xff\x10" + bytes(np.random.default_rng(5).integers(0, 256, 61, dtype=np.uint8)),
    "short_snd": b"SND\x08\x01",
    "odd_iq": b"SND\x08\x01\x00\x00\x00\x00\x00" + bytes(10) + b"\x00\x01\x02",
    "unknown_tag": b"W/F\x00\x01\x02\x03",
    "bad_message": b"MSG \xff\xfe sample_rate=abc audio_rate=-5 =x",
}


async def _sleep_until(utc_ns: int) -> None:
    delay_s = (utc_ns - time.time_ns()) / 1e9
    if delay_s > 0:
        await asyncio.sleep(delay_s)
