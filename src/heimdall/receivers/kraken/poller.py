"""Poll a KrakenSDR station's DoA output over HTTP and yield each new bearing once, made true.

    poller = KrakenPoller("http://kraken.local:8081/", KrakenStation("kraken-1", mobile=True))
    async for reading in poller.readings():
        ...  # BearingReading; poller.status says what the station is doing and what was skipped

The DSP rewrites ``DOA_value.html`` (or ``doa.xml``) after every frame whose channel is above its
squelch and serves it from a static web server, so a stopped DSP and a keyed-off transmitter look
the same: the file stays, its time stops advancing. The poller therefore keeps going and marks the
status ``stopped_publishing`` once nothing new arrived for ``stale_after_s``, clearing the mark with
the next new bearing; telling a quiet channel from a dead station is the monitor's call (other
receivers hear the transmitter, or not). The first document seen is only a baseline (it may be
hours old, and the station's clock need not agree with ours): only what changes after it is news.

The stream ends with ReceiverRefused ``unreachable`` / ``not_this_kind`` when the first poll fails,
``dropped`` when polls keep failing for ``unreachable_after_s``, and ``protocol_error`` after
``MAX_MALFORMED_POLLS`` polls in a row that held nothing parseable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx

from heimdall.errors import InvalidInput
from heimdall.receivers.kraken.bearing import BearingReading, BearingRejected, KrakenStation, resolve
from heimdall.receivers.kraken.confidence import ConfidenceModel
from heimdall.receivers.kraken.formats import PublishedBearing, parse_doa_document
from heimdall.receivers.states import ReceiverRefused, ReceiverState, RefusalReason
from heimdall.receivers.stream_status import StreamIssue, StreamStatus

MAX_DOCUMENT_BYTES = 1 << 20  # 16 VFO lines of 360 spectrum values are ~40 KiB
MAX_MALFORMED_POLLS = 30
_Key = tuple[str | None, float | None]


class KrakenPoller:
    def __init__(self, base_url: str, station: KrakenStation, *, path: str = "DOA_value.html",
                 interval_s: float = 1.0, timeout_s: float = 5.0, stale_after_s: float = 30.0,
                 unreachable_after_s: float = 60.0, frequency_hz: float | None = None,
                 frequency_tolerance_hz: float = 5_000.0, model: ConfidenceModel | None = None,
                 listener: Callable[[StreamStatus], None] | None = None, http: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput(f"not an http(s) URL: {base_url!r}", field="url")
        if min(interval_s, timeout_s, stale_after_s, unreachable_after_s) <= 0:
            raise InvalidInput("intervals and timeouts must be positive", field="interval_s")
        self.url = base_url.rstrip("/") + "/" + path.lstrip("/")
        self.station = station
        self.interval_s, self.timeout_s = interval_s, timeout_s
        self.stale_after_s, self.unreachable_after_s = stale_after_s, unreachable_after_s
        self.frequency_hz, self.frequency_tolerance_hz = frequency_hz, frequency_tolerance_hz
        self.model = model or ConfidenceModel()
        self.status = StreamStatus(station.receiver_id, listener=listener)
        self._http, self._clock, self._sleep = http, clock, sleep
        self._latest: dict[_Key, float] = {}
        self._last_text: str | None = None
        self._malformed_polls = 0

    async def readings(self) -> AsyncIterator[BearingReading]:
        """New true bearings until the caller stops or the station is lost (see the module)."""
        self.status.set_state(ReceiverState.CONNECTING)
        try:
            async with AsyncExitStack() as stack:
                http = self._http if self._http is not None else await stack.enter_async_context(httpx.AsyncClient())
                self._news(await self._first(http), self._clock(), baseline=True)
                self.status.set_state(ReceiverState.CONNECTED)
                async for reading in self._poll(http):
                    yield reading
        except ReceiverRefused as exc:
            self.status.set_state(ReceiverState.FAILED, exc.reason, exc.message)
            raise
        finally:
            if self.status.state is not ReceiverState.FAILED:
                self.status.set_state(ReceiverState.CLOSED)

    async def _poll(self, http: httpx.AsyncClient) -> AsyncIterator[BearingReading]:
        last_news_s = last_answer_s = self._clock()
        while True:
            await self._sleep(self.interval_s)
            try:
                text = await self._get(http)
            except _PollFailed as exc:
                now_s = self._clock()
                if now_s - last_answer_s > self.unreachable_after_s:
                    raise ReceiverRefused(RefusalReason.DROPPED, f"no answer for {now_s - last_answer_s:.0f} s: "
                                          f"{exc}") from exc
                self.status.set_state(ReceiverState.CONNECTING, RefusalReason.DROPPED, str(exc))
                continue
            now_s = last_answer_s = self._clock()
            news = self._news(text, now_s)
            for reading in news:
                last_news_s = now_s
                self.status.note_reading(now_s)
                yield reading
            if not news:
                self._quiet(now_s - last_news_s)

    def _quiet(self, quiet_s: float) -> None:
        if quiet_s > self.stale_after_s:
            self.status.set_state(ReceiverState.CONNECTED, RefusalReason.STOPPED_PUBLISHING,
                                  f"no new bearing for {quiet_s:.0f} s")
        elif self.status.reason is RefusalReason.DROPPED:
            self.status.set_state(ReceiverState.CONNECTED)

    async def _first(self, http: httpx.AsyncClient) -> str:
        try:
            return await self._get(http)
        except _PollFailed as exc:
            reason = RefusalReason.NOT_THIS_KIND if exc.http_status is not None else RefusalReason.UNREACHABLE
            raise ReceiverRefused(reason, str(exc)) from exc

    async def _get(self, http: httpx.AsyncClient) -> str:
        try:
            response = await http.get(self.url, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise _PollFailed(f"{self.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise _PollFailed(f"{self.url} answered HTTP {response.status_code}", response.status_code)
        if len(response.content) > MAX_DOCUMENT_BYTES:
            raise _PollFailed(f"{self.url}: a document of {len(response.content)} bytes", response.status_code)
        return response.content.decode("utf-8", errors="replace")

    def _news(self, text: str, now_s: float, *, baseline: bool = False) -> list[BearingReading]:
        """The bearings in ``text`` not seen before, made true; skipped ones are counted on the status."""
        parsed = parse_doa_document(text, csv_reference=self.station.csv_reference,
                                    kerberos_reference=self.station.kerberos_reference)
        for issue, detail in parsed.problems:
            self.status.note_issue(issue, detail)
        self._count_malformed(bool(parsed.bearings) or not text.strip()
                              or any(issue is not StreamIssue.MALFORMED for issue, _ in parsed.problems))
        unchanged, self._last_text = text == self._last_text, text
        news = []
        for published in parsed.bearings:
            if self._wanted(published) and self._is_new(published, unchanged) and not baseline:
                try:
                    news.append(resolve(published, self.station, self.model, now_s))
                except BearingRejected as exc:
                    self.status.note_issue(exc.issue, exc.message)
        return news

    def _wanted(self, published: PublishedBearing) -> bool:
        wanted_id = self.station.station_id
        if wanted_id is not None and published.station_id is not None and published.station_id != wanted_id:
            self.status.note_issue(StreamIssue.UNKNOWN_MESSAGE, f"station {published.station_id!r}, not {wanted_id!r}")
            return False
        return (self.frequency_hz is None or published.frequency_hz is None
                or abs(published.frequency_hz - self.frequency_hz) <= self.frequency_tolerance_hz)

    def _is_new(self, published: PublishedBearing, unchanged: bool) -> bool:
        if published.time_s is None:  # Kerberos: no time; a changed document is the only news
            return not unchanged
        key = (published.station_id, published.frequency_hz)
        latest = self._latest.get(key)
        if latest is not None and published.time_s <= latest:
            if published.time_s < latest:
                self.status.note_issue(StreamIssue.OUT_OF_ORDER, f"a bearing {latest - published.time_s:.1f} s older "
                                       "than one already seen")
            return False
        self._latest[key] = published.time_s
        return True

    def _count_malformed(self, parseable: bool) -> None:
        self._malformed_polls = 0 if parseable else self._malformed_polls + 1
        if self._malformed_polls >= MAX_MALFORMED_POLLS:
            raise ReceiverRefused(RefusalReason.PROTOCOL_ERROR,
                                  f"{self._malformed_polls} polls in a row without a parseable bearing")


class _PollFailed(Exception):
    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
