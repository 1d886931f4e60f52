"""Receiver health: receivers created from just their URL, and the status poller the API process runs.

    service.create(fields)        async; {"kind": "kiwisdr", "url": ...} alone: name, position and
                                  capabilities from its own status page (422 with the reason when the
                                  URL does not answer as that kind); any other receiver as before
    service.check(receiver_id)    async; poll one receiver now, store and return it
    service.poll_round()          async; every enabled kiwisdr/openwebrx receiver with a URL, politely
    service.run_round()           the same, blocking (the platform's periodic task)

Each check stores ``health`` (receivers.health.HEALTH_KEYS plus ``checked_at`` and ``last_ok_at``),
publishes ``receiver.health`` and, only when something other than drifting numbers changed,
``receiver.updated`` with the receiver. Several API processes may run the poller (scaled mode): a
round skips receivers checked less than half an interval ago, and the store compares against the
stored health under a row lock, so a change is announced once (docs/receivers.md, "Health").
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from heimdall import __version__
from heimdall.errors import HeimdallError, InvalidInput, NotFound
from heimdall.receivers.health import (
    PROBED_KINDS,
    ReceiverProbe,
    failed_health,
    health_changed,
    probe_receiver,
)
from heimdall.receivers.states import ReceiverRefused, RefusalReason
from heimdall.services.common import iso_z
from heimdall.services.receivers import ReceiverService
from heimdall.settings import Settings

log = logging.getLogger(__name__)

FETCHED_REQUIRED = ("name", "lat", "lon")  # a create missing one of these asks the receiver itself


@dataclass(frozen=True)
class HealthPolicy:
    interval_s: float = 300.0  # 0: no scheduled polling
    timeout_s: float = 5.0
    concurrency: int = 4  # hosts polled at once
    host_gap_s: float = 1.0  # between two requests to one host
    max_bytes: int = 64 * 1024
    user_agent: str = f"Heimdall/{__version__} (receiver health)"

    @classmethod
    def from_settings(cls, settings: Settings) -> HealthPolicy:
        return cls(interval_s=settings.receiver_health_interval_s, timeout_s=settings.receiver_health_timeout_s,
                   concurrency=settings.receiver_health_concurrency, host_gap_s=settings.receiver_health_host_gap_s,
                   max_bytes=settings.receiver_health_max_bytes)


@dataclass(frozen=True)
class HealthRound:
    checked: int
    changed: int
    failed: int  # receivers that did not answer as their kind
    skipped: int  # checked recently (by another API process or on demand)


class ReceiverHealthService:
    def __init__(self, receivers: ReceiverService, policy: HealthPolicy) -> None:
        self._receivers = receivers
        self.policy = policy
        self._stopping = threading.Event()  # set while the serving process shuts down

    def start(self) -> None:
        self._stopping.clear()

    def stop(self) -> None:
        """A round in flight finishes the requests it has started and asks no more receivers."""
        self._stopping.set()

    async def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a receiver; a kiwisdr/openwebrx one with a URL but no name or position is described by
        its own status page, and the fields given win over the fetched ones."""
        if not _wants_probe(fields):
            return await asyncio.to_thread(self._receivers.create, fields)
        probe = await self._probe_or_invalid(str(fields["kind"]), fields["url"])
        given = {key: value for key, value in fields.items() if value is not None}
        merged = {**probe.info, **given, "url": probe.info["url"]}  # the URL as the probe normalised it
        if merged.get("lat") is None or merged.get("lon") is None:
            raise InvalidInput(f"the receiver at {fields['url']} publishes no position: give lat and lon", field="lat")
        health = self._stamped(probe.health, None)
        return await asyncio.to_thread(self._receivers.create, merged, health=health)

    async def check(self, receiver_id: str) -> dict[str, Any]:
        """Poll one receiver now (enabled or not), store what it said and return the receiver."""
        receiver = await asyncio.to_thread(self._receivers.get, receiver_id)
        if receiver["kind"] not in PROBED_KINDS or not receiver["url"]:
            raise InvalidInput(f"a {receiver['kind']} receiver {'with' if receiver['url'] else 'without'} a url has "
                               f"no status page to check (only {' and '.join(PROBED_KINDS)} receivers with a url)",
                               field="kind" if receiver["url"] else "url")
        async with self._client() as http:
            health = await self._observe(http, receiver)
        stored, _ = await asyncio.to_thread(self._receivers.record_health, receiver_id, health, health_changed)
        return stored

    async def poll_round(self) -> HealthRound:
        """Check every enabled kiwisdr/openwebrx receiver with a URL, at most ``concurrency`` hosts at
        once and one request at a time per host."""
        targets = await asyncio.to_thread(self._receivers.health_targets, PROBED_KINDS)
        due = [target for target in targets if not self._recent(target["health"])]
        by_host: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for target in due:
            by_host[_host(target["url"])].append(target)
        limit = asyncio.Semaphore(self.policy.concurrency)
        async with self._client() as http:
            outcomes = await asyncio.gather(*(self._poll_host(http, limit, group) for group in by_host.values()))
        flat = [outcome for group in outcomes for outcome in group]
        return HealthRound(checked=len(flat), changed=sum(changed for changed, _ in flat),
                           failed=sum(failed for _, failed in flat), skipped=len(targets) - len(due))

    def run_round(self) -> HealthRound:
        """``poll_round`` from a thread without an event loop (the serving process's periodic task)."""
        try:
            result = asyncio.run(self.poll_round())
        except HeimdallError:
            raise  # logged by the periodic task's runner; the next round tries again
        except Exception:  # a bug must not stop the poller for good
            log.exception("receiver health round failed")
            return HealthRound(0, 0, 0, 0)
        if result.checked:
            log.info("receiver health: %s checked, %s changed, %s not answering, %s skipped",
                     result.checked, result.changed, result.failed, result.skipped)
        return result

    async def _poll_host(self, http: httpx.AsyncClient, limit: asyncio.Semaphore,
                         targets: list[dict[str, Any]]) -> list[tuple[bool, bool]]:
        outcomes: list[tuple[bool, bool]] = []
        async with limit:
            for index, target in enumerate(targets):
                if index:
                    await asyncio.sleep(self.policy.host_gap_s)
                if self._stopping.is_set():
                    break
                health = await self._observe(http, target)
                try:
                    _, changed = await asyncio.to_thread(self._receivers.record_health, target["id"], health,
                                                         health_changed)
                except NotFound:
                    continue  # deleted while we asked it
                outcomes.append((changed, not health["ok"]))
        return outcomes

    async def _observe(self, http: httpx.AsyncClient, receiver: dict[str, Any]) -> dict[str, Any]:
        """The receiver's health now: what its status page says, or why it has none."""
        try:
            probe = await self._probe(receiver["kind"], receiver["url"], http)
            health = probe.health
        except ReceiverRefused as refused:
            health = failed_health(refused)
        except InvalidInput as invalid:  # a stored URL that is no longer acceptable to this kind
            health = failed_health(ReceiverRefused(RefusalReason.NOT_THIS_KIND, invalid.message))
        return self._stamped(health, receiver.get("health"))

    async def _probe_or_invalid(self, kind: str, url: Any) -> ReceiverProbe:
        if not isinstance(url, str):
            raise InvalidInput("url must be a string", field="url")
        try:
            async with self._client() as http:
                return await self._probe(kind, url, http)
        except ReceiverRefused as refused:
            raise InvalidInput(f"{url} does not answer as a {kind} receiver: {refused.message}", field="url",
                               details=refused.details) from refused

    async def _probe(self, kind: str, url: str, http: httpx.AsyncClient) -> ReceiverProbe:
        return await probe_receiver(kind, url, timeout_s=self.policy.timeout_s, max_bytes=self.policy.max_bytes,
                                    user_agent=self.policy.user_agent, client=http)

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self.policy.timeout_s, follow_redirects=True, max_redirects=3)

    def _recent(self, health: Any) -> bool:
        """Checked less than half an interval ago (by another API process, or on demand)."""
        checked = _parse_time(health.get("checked_at")) if isinstance(health, dict) else None
        return checked is not None and _now() - checked < timedelta(seconds=self.policy.interval_s / 2)

    @staticmethod
    def _stamped(health: dict[str, Any], previous: Any) -> dict[str, Any]:
        now = iso_z(_now())
        last_ok = previous.get("last_ok_at") if isinstance(previous, dict) else None
        return {**health, "checked_at": now, "last_ok_at": now if health["ok"] else last_ok}


def _wants_probe(fields: dict[str, Any]) -> bool:
    return (isinstance(fields, dict) and fields.get("kind") in PROBED_KINDS and fields.get("url") is not None
            and any(fields.get(name) is None for name in FETCHED_REQUIRED))


def _host(url: str) -> str:
    try:
        return (urlsplit(url if "://" in url else f"http://{url}").hostname or url).lower()
    except ValueError:
        return url


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
