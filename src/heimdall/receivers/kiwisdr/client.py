"""An asyncio KiwiSDR client for IQ with GNSS time: connect, authenticate, tune, stream, hang up.

    async with KiwiClient(KiwiConnection(url, client_name="Heimdall", contact="ops@example.org"),
                          IqTuning(frequency_hz=77_500)) as client:
        async for block in client.blocks():      # IqBlock: sequence, GNSS stamp, IQ, S-meter
            ...

The client speaks the protocol as the public client (kiwiclient) does (``commands`` and ``protocol``
say what is sent and received), reports its state through ``on_state`` (connecting -> connected ->
streaming -> closed, or failed with a ``RefusalReason``) and turns every refusal, timeout, broken
connection or malformed frame into one ``ReceiverRefused``. Unknown messages and streams are logged
once and ignored. It identifies itself honestly: ``ident_user`` and the HTTP User-Agent carry the
client name and the operator's contact. It never writes anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import numpy as np
from numpy.typing import NDArray
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI, SecurityError

from heimdall.errors import InvalidInput
from heimdall.receivers.kiwisdr import commands
from heimdall.receivers.kiwisdr.endpoints import parse_address
from heimdall.receivers.kiwisdr.protocol import (
    GnssStamp,
    KiwiMessage,
    OtherFrame,
    SndFrame,
    decode_frame,
    protocol_error,
    refusal_in,
)
from heimdall.receivers.kiwisdr.server_info import ServerInfo
from heimdall.receivers.states import ReceiverRefused, ReceiverState, RefusalReason

log = logging.getLogger(__name__)

KEEPALIVE_INTERVAL_S = 1.0  # the public client's pace; the server drops a client after 60 s without one
MAX_MESSAGE_BYTES = 1 << 20  # configuration messages are tens of kB; IQ frames ~2 kB
MAX_AUDIO_FRAMES = 50  # consecutive non-IQ frames tolerated after asking for IQ
QUEUE_FRAMES = 4096  # ~3 min at 12 kHz; beyond it the reader waits (TCP backpressure)


@dataclass(frozen=True)
class KiwiConnection:
    """Where and as whom: the receiver's URL, its password (None for none), who we are and a contact."""

    url: str
    password: str | None = None
    client_name: str = "Heimdall"
    contact: str | None = None

    @property
    def identity(self) -> str:
        return f"{self.client_name} ({self.contact})" if self.contact else self.client_name


@dataclass(frozen=True)
class IqTuning:
    frequency_hz: float
    low_cut_hz: float = -5000.0  # the public client's IQ passband
    high_cut_hz: float = 5000.0
    manual_gain_db: int | None = 50  # AGC off with this gain; None leaves the server's AGC on


@dataclass(frozen=True)
class KiwiTimeouts:
    connect_s: float = 10.0  # TCP + WebSocket handshake
    start_s: float = 20.0  # from the handshake to the first IQ frame
    frame_s: float = 10.0  # the longest silence while streaming
    close_s: float = 2.0


@dataclass(frozen=True)
class IqBlock:
    sequence: int
    gnss: GnssStamp
    iq: NDArray[np.complex64]  # full scale = 1.0
    smeter_dbm: float
    adc_overflow: bool
    received_utc_ns: int  # our wall clock when it arrived


@dataclass(frozen=True)
class StateChange:
    state: ReceiverState
    reason: RefusalReason | None = None
    message: str = ""


@dataclass
class _Session:
    auth_ok: bool = False
    setup_sent: bool = False
    audio_frames: int = 0
    unknown: set[str] = field(default_factory=set)


class KiwiClient:
    def __init__(self, connection: KiwiConnection, tuning: IqTuning, *, timeouts: KiwiTimeouts | None = None,
                 on_state: Callable[[StateChange], None] | None = None,
                 clock_ns: Callable[[], int] = time.time_ns) -> None:
        self.address = parse_address(connection.url)
        if not 0 < tuning.frequency_hz < 1e12 or tuning.low_cut_hz >= tuning.high_cut_hz:
            raise InvalidInput("tuning needs a positive frequency and low_cut_hz < high_cut_hz", field="frequency_hz")
        self.connection, self.tuning = connection, tuning
        self.timeouts = timeouts or KiwiTimeouts()
        self.server = ServerInfo()
        self.state = ReceiverState.CLOSED
        self.failure: ReceiverRefused | None = None
        self._on_state, self._clock_ns = on_state, clock_ns
        self._ws: ClientConnection | None = None
        self._queue: asyncio.Queue[IqBlock | ReceiverRefused] = asyncio.Queue(QUEUE_FRAMES)
        self._streaming = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._session = _Session()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect, authenticate and tune; returns once IQ frames flow (``ReceiverRefused`` otherwise)."""
        self._set_state(ReceiverState.CONNECTING)
        try:
            self._ws = await self._handshake()
            await self._send(commands.auth(self.connection.password))
            self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._keepalive())]
            await self._await_stream()
        except ReceiverRefused as refused:
            await self._fail(refused)
            raise self.failure or refused from None
        except asyncio.CancelledError:
            await self.close()  # the caller gave up: leave no task or socket behind
            raise

    async def next_block(self) -> IqBlock:
        """The next IQ block (blocks received before a failure still come first); ``ReceiverRefused``
        when the stream failed, stalled or was closed."""
        if self._ws is None:
            raise self.failure or ReceiverRefused(RefusalReason.DROPPED, "the client is not connected")
        try:
            async with asyncio.timeout(self.timeouts.frame_s):
                item = await self._queue.get()
        except TimeoutError:
            item = ReceiverRefused(RefusalReason.DROPPED, f"no samples for {self.timeouts.frame_s:g} s")
        if isinstance(item, ReceiverRefused):
            await self._fail(item)
            raise self.failure or item
        return item

    async def blocks(self) -> AsyncIterator[IqBlock]:
        while True:
            yield await self.next_block()

    async def close(self) -> None:
        """Hang up now (promptly: at most ``close_s`` for the closing handshake). Idempotent."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(OSError, ConnectionClosed, TimeoutError):
                async with asyncio.timeout(self.timeouts.close_s):
                    await ws.close(code=1001, reason="done")
        if self.failure is None and self.state != ReceiverState.CLOSED:
            self._set_state(ReceiverState.CLOSED)
        elif self.failure is not None and self.state != ReceiverState.FAILED:
            self._set_state(ReceiverState.FAILED, self.failure.reason, self.failure.message)

    async def _handshake(self) -> ClientConnection:
        url = self.address.sound_url()
        try:
            return await connect(url, open_timeout=self.timeouts.connect_s, max_size=MAX_MESSAGE_BYTES,
                                 compression=None, ping_interval=None, close_timeout=self.timeouts.close_s,
                                 user_agent_header=_header_safe(self.connection.identity))
        except InvalidStatus as exc:
            raise ReceiverRefused(RefusalReason.NOT_THIS_KIND, f"{self.address.base_url} answered HTTP "
                                  f"{exc.response.status_code} where a KiwiSDR opens its sound stream") from exc
        except SecurityError as exc:
            raise ReceiverRefused(RefusalReason.REDIRECT, f"{self.address.base_url}: {exc}") from exc
        except InvalidHandshake as exc:
            raise ReceiverRefused(RefusalReason.NOT_THIS_KIND,
                                  f"{self.address.base_url} does not speak WebSocket ({exc})") from exc
        except InvalidURI as exc:
            raise InvalidInput(f"{url}: {exc}", field="url") from exc
        except TimeoutError as exc:
            raise ReceiverRefused(RefusalReason.UNREACHABLE, f"{self.address.base_url}: no answer within "
                                  f"{self.timeouts.connect_s:g} s") from exc
        except OSError as exc:
            raise ReceiverRefused(RefusalReason.UNREACHABLE,
                                  f"{self.address.base_url}: {exc.strerror or exc}") from exc

    async def _await_stream(self) -> None:
        waiter = asyncio.create_task(self._streaming.wait())
        reader = self._tasks[0]
        _done, _ = await asyncio.wait({waiter, reader}, timeout=self.timeouts.start_s,
                                     return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self.failure is not None:
            raise self.failure
        if not self._streaming.is_set():
            if self._session.auth_ok or self.server.sample_rate_hz is not None:
                raise ReceiverRefused(RefusalReason.DROPPED, f"the receiver sent no samples within "
                                      f"{self.timeouts.start_s:g} s of connecting")
            raise ReceiverRefused(RefusalReason.NOT_THIS_KIND, "a WebSocket answered, but no KiwiSDR message "
                                  f"came within {self.timeouts.start_s:g} s")

    async def _read(self) -> None:
        ws = self._ws
        assert ws is not None
        failure: ReceiverRefused
        try:
            async for message in ws:
                frame = decode_frame(message)
                if isinstance(frame, KiwiMessage):
                    await self._on_message(frame)
                elif isinstance(frame, SndFrame):
                    await self._on_snd(frame)
                else:
                    self._log_unknown(frame)
            failure = _closed_failure(ws, self._streaming.is_set())
        except ConnectionClosed:
            failure = _closed_failure(ws, self._streaming.is_set())
        except ReceiverRefused as refused:
            failure = refused
        if self.failure is None:
            self.failure = failure
            self._set_state(ReceiverState.FAILED, failure.reason, failure.message)
        await self._queue.put(failure)

    async def _keepalive(self) -> None:
        ws = self._ws
        assert ws is not None
        with contextlib.suppress(ConnectionClosed, OSError):
            while True:
                await asyncio.sleep(KEEPALIVE_INTERVAL_S)
                await ws.send(commands.KEEPALIVE)

    async def _on_message(self, message: KiwiMessage) -> None:
        refusal = refusal_in(message)
        if refusal is not None:
            raise refusal
        for name, value in message.params:
            if name == "badp" and value == "0":
                self._session.auth_ok = True
            elif name == "audio_rate":
                self.server.update(name, value)
                if self.server.audio_rate_hz is not None:
                    await self._send(commands.ar_ok(self.server.audio_rate_hz))
            elif not self.server.update(name, value):
                self._log_unknown_name(name)
        if not self._session.setup_sent and self._session.auth_ok and self.server.ready:
            await self._send_setup()

    async def _send_setup(self) -> None:
        tuning = self.tuning
        frequency_khz = self.server.baseband_khz(tuning.frequency_hz)
        self._session.setup_sent = True
        for command in (commands.squelch_off(),
                        commands.ident_user(self.connection.client_name, self.connection.contact),
                        commands.tune(frequency_khz, tuning.low_cut_hz, tuning.high_cut_hz),
                        commands.agc(tuning.manual_gain_db), commands.compression(False), commands.KEEPALIVE):
            await self._send(command)
        self._set_state(ReceiverState.CONNECTED)

    async def _on_snd(self, frame: SndFrame) -> None:
        if frame.iq is None or frame.gnss is None:
            self._session.audio_frames += 1
            if self._session.audio_frames > MAX_AUDIO_FRAMES:
                raise protocol_error("the receiver sends audio frames, not the IQ frames asked for")
            return
        self._session.audio_frames = 0
        if not self._streaming.is_set():
            self._streaming.set()
            self._set_state(ReceiverState.STREAMING)
        await self._queue.put(IqBlock(frame.sequence, frame.gnss, frame.iq, frame.smeter_dbm,
                                      frame.adc_overflow, self._clock_ns()))

    async def _send(self, command: str) -> None:
        if self._ws is None:
            return
        log.debug("%s <- %s", self.address.base_url, command if not command.startswith("SET auth") else "SET auth")
        with contextlib.suppress(ConnectionClosed):  # the reader reports why it closed, after what came before
            await self._ws.send(command)

    async def _fail(self, refused: ReceiverRefused) -> None:
        if self.failure is None:
            self.failure = refused
        if self.state != ReceiverState.FAILED:
            self._set_state(ReceiverState.FAILED, self.failure.reason, self.failure.message)
        await self.close()

    def _set_state(self, state: ReceiverState, reason: RefusalReason | None = None, message: str = "") -> None:
        self.state = state
        if self._on_state is not None:
            self._on_state(StateChange(state, reason, message))

    def _log_unknown(self, frame: OtherFrame) -> None:
        self._log_unknown_name(f"stream {frame.tag}")

    def _log_unknown_name(self, name: str) -> None:
        if name not in self._session.unknown:
            self._session.unknown.add(name)
            log.info("%s: ignoring KiwiSDR %s (logged once)", self.address.base_url, name)


def _closed_failure(ws: ClientConnection, streaming: bool) -> ReceiverRefused:
    code = ws.close_code
    what = "the receiver closed the connection" + (f" (code {code})" if code else "")
    if streaming:
        return ReceiverRefused(RefusalReason.DROPPED, f"{what} mid-stream")
    return ReceiverRefused(RefusalReason.DROPPED, f"{what} before streaming")


def _header_safe(text: str) -> str:
    return "".join(ch if 0x20 <= ord(ch) < 0x7F else "?" for ch in text)[:200]
