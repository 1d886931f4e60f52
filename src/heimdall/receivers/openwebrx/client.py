"""An OpenWebRX(+) client: the status page, then a WebSocket session yielding S-meter power readings.

    client = OpenWebRxClient("http://host:8073/", receiver_id="owrx-1", gain_mode=GainMode.MANUAL)
    async for reading in client.readings(Tuning(145_500_000, bandwidth_hz=12_500)):
        ...  # PowerReading; client.status says what the receiver is doing and what was skipped

The stream ends only by the caller (``aclose``, cancellation: state ``closed``) or with a
:class:`ReceiverRefused` whose reason a monitor acts on (state ``failed``): ``dropped`` when the
connection breaks or goes silent for ``timeout_s``, ``too_busy`` / ``kicked`` on a backoff,
``profile_in_use``, ``profile_locked``, ``out_of_range``, ``down``, ``not_this_kind``,
``unreachable``. Manners (OpenWebRX+ bans an address for 12 h that connects three times within
about ten seconds or keeps switching profiles): one connection per call, at most one profile switch,
and a caller that reconnects should wait at least ``MIN_RECONNECT_S``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, suppress
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidHandshake, InvalidURI

from heimdall.errors import InvalidInput
from heimdall.receivers.openwebrx import messages
from heimdall.receivers.openwebrx.power import GainMode, PowerReading
from heimdall.receivers.openwebrx.session import OpenWebRxSession, Tuning
from heimdall.receivers.openwebrx.status import OpenWebRxStatus, fetch_status
from heimdall.receivers.states import ReceiverRefused, ReceiverState, RefusalReason
from heimdall.receivers.stream_status import StreamStatus

MIN_RECONNECT_S = 15.0
MAX_FRAME_BYTES = 1 << 20  # an uncompressed 64k-bin FFT line is 256 KiB


def websocket_url(base_url: str) -> str:
    """``http(s)://host:port/path`` -> ``ws(s)://host:port/path/ws/``, as the browser builds it."""
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise InvalidInput(f"not an http(s) URL: {base_url!r}", field="url")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((scheme, parts.netloc, path + messages.WEBSOCKET_PATH, "", ""))


class OpenWebRxClient:
    def __init__(self, base_url: str, *, receiver_id: str, gain_mode: GainMode = GainMode.UNKNOWN,
                 timeout_s: float = 10.0, settle_s: float = 0.5, fft_interval_s: float = 1.0,
                 gain_step_db: float = 3.0, listener: Callable[[StreamStatus], None] | None = None,
                 http: httpx.AsyncClient | None = None, clock: Callable[[], float] = time.time) -> None:
        self.base_url = base_url
        self.ws_url = websocket_url(base_url)
        self.gain_mode = gain_mode
        self.timeout_s = timeout_s
        self.status = StreamStatus(receiver_id, listener=listener)
        self._session_options = {"settle_s": settle_s, "fft_interval_s": fft_interval_s, "gain_step_db": gain_step_db}
        self._http = http
        self._clock = clock
        self.receiver_status: OpenWebRxStatus | None = None
        self._session: OpenWebRxSession | None = None

    @property
    def users(self) -> int | None:
        """Users connected to the receiver now, us included (the live ``clients`` count), if known."""
        return None if self._session is None else self._session.clients

    async def fetch_status(self) -> OpenWebRxStatus:
        """``/status.json``, typed (name, position, version, users, profiles)."""
        async with AsyncExitStack() as stack:
            http = self._http if self._http is not None else await stack.enter_async_context(httpx.AsyncClient())
            self.receiver_status = await fetch_status(self.base_url, client=http, timeout_s=self.timeout_s)
        return self.receiver_status

    async def readings(self, tuning: Tuning) -> AsyncIterator[PowerReading]:
        """Power readings at ``tuning`` until the caller stops or the receiver refuses (see the module).
        Close it with ``contextlib.aclosing`` (or ``aclose()``) to hang up at once."""
        self.status.set_state(ReceiverState.CONNECTING)
        try:
            status = await self.fetch_status()
            session = self._session = OpenWebRxSession(tuning, status.profiles, self.status,
                                                       gain_mode=self.gain_mode, **self._session_options)
            ws = await self._open()
            try:
                await self._start(ws, session)
                self.status.set_state(ReceiverState.CONNECTED)
                while True:
                    try:
                        reading = await self._next(ws, session, self.timeout_s)
                    except TimeoutError as exc:
                        raise ReceiverRefused(RefusalReason.DROPPED, f"silent for {self.timeout_s:g} s") from exc
                    if reading is not None:
                        yield reading
            finally:
                await ws.close()
        except ReceiverRefused as exc:
            self.status.set_state(ReceiverState.FAILED, exc.reason, exc.message)
            raise
        finally:
            if self.status.state is not ReceiverState.FAILED:
                self.status.set_state(ReceiverState.CLOSED)

    async def _open(self) -> ClientConnection:
        try:
            return await connect(self.ws_url, open_timeout=self.timeout_s, max_size=MAX_FRAME_BYTES,
                                 compression=None, user_agent_header=messages.CLIENT_NAME)
        except (InvalidHandshake, InvalidURI) as exc:
            raise ReceiverRefused(RefusalReason.NOT_THIS_KIND, f"{self.ws_url}: no OpenWebRX WebSocket ({exc})") from exc
        except (OSError, TimeoutError) as exc:
            raise ReceiverRefused(RefusalReason.UNREACHABLE, f"{self.ws_url}: {type(exc).__name__}: {exc}") from exc

    async def _start(self, ws: ClientConnection, session: OpenWebRxSession) -> None:
        """Handshake, wait for config and profiles (and briefly for the user count, which arrives
        through another server queue: an unknown count forbids a switch), then tune or switch."""
        await ws.send(messages.CLIENT_HANDSHAKE)
        await self._until(ws, session, lambda: session.ready, self.timeout_s, "config and profiles",
                          RefusalReason.NOT_THIS_KIND)
        with suppress(TimeoutError):
            await self._until(ws, session, lambda: session.clients is not None, min(2.0, self.timeout_s), "", None)
        session.plan(self._clock())
        await self._flush(ws, session)
        await self._until(ws, session, lambda: not session.switching, self.timeout_s, "the profile switch",
                          RefusalReason.PROFILE_LOCKED)

    async def _until(self, ws: ClientConnection, session: OpenWebRxSession, done: Callable[[], bool],
                     within_s: float, what: str, reason: RefusalReason | None) -> None:
        """Feed frames to the session until ``done()``; after ``within_s`` refuse with ``reason``
        (or raise TimeoutError when it is None)."""
        deadline = self._clock() + within_s
        while not done():
            try:
                if await self._next(ws, session, max(0.0, deadline - self._clock())) is not None:
                    raise ReceiverRefused(RefusalReason.PROTOCOL_ERROR, "a reading before tuning")
            except TimeoutError as exc:
                if reason is None:
                    raise
                raise ReceiverRefused(reason, f"no {what} within {within_s:g} s") from exc

    async def _next(self, ws: ClientConnection, session: OpenWebRxSession, wait_s: float) -> PowerReading | None:
        """Read one frame (TimeoutError after ``wait_s``), feed it to the session, send what it asks."""
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for loses a cancellation that arrives
            # together with a frame, and the caller's ``aclose`` would then never end the stream
            async with asyncio.timeout(wait_s):
                frame = await ws.recv()
        except ConnectionClosedOK as exc:
            raise ReceiverRefused(RefusalReason.KICKED, f"the receiver closed the connection ({exc})") from exc
        except ConnectionClosed as exc:
            raise ReceiverRefused(RefusalReason.DROPPED, f"the connection broke ({exc})") from exc
        now_s = self._clock()
        reading = None
        if isinstance(frame, str):
            reading = session.on_text(frame, now_s)
        else:
            session.on_binary(bytes(frame), now_s)
        await self._flush(ws, session)
        return reading

    @staticmethod
    async def _flush(ws: ClientConnection, session: OpenWebRxSession) -> None:
        """Send what the session asks. A closed connection is not reported here: the messages still
        buffered may say why (a backoff before the server hung up), and the next read reports the rest."""
        while session.outbox:
            try:
                await ws.send(session.outbox.pop(0))
            except ConnectionClosed:
                session.outbox.clear()
