"""The Redis wake-up adapter (scaled mode): every API process's hub listens to the channel its
publishers announce on.

Redis pub/sub is only a fast notification: messages may be lost while disconnected or arrive out
of id order, so the hub takes an event directly only when it is the next id and otherwise reads
the log (see ``Hub.offer``). After every (re)subscription the hub tails the log to catch up, and it
tails it every 0.5 s anyway as the gap filler. The channel is named after the database, so
deployments (and test runs) sharing a Redis never mix ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from heimdall.errors import DependencyMissing
from heimdall.settings import Settings

if TYPE_CHECKING:
    from heimdall.events.wakeup import WakeupSink

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 5.0


def redis_channel(settings: Settings) -> str:
    """One channel per event log: deployments (and test runs) sharing a Redis never mix ids."""
    digest = hashlib.sha1(settings.resolved_database_url.encode()).hexdigest()[:16]
    return f"heimdall:events:{digest}"


class RedisWakeup:
    """The scaled ``Wakeup``: whole envelopes over Redis pub/sub; the hub tails the log every 0.5 s."""

    bus = "redis"
    tail_interval_s = 0.5

    def __init__(self, url: str, channel: str) -> None:
        self.url = url
        self.channel = channel
        self._client = _redis_client(url)
        self._feed: asyncio.Task[None] | None = None

    def announce(self, envelope: dict[str, Any]) -> None:
        import redis

        try:
            self._client.publish(self.channel, json.dumps(envelope))
        except redis.RedisError as exc:
            # The event is committed; every hub's periodic tail of the log delivers it a little later.
            log.warning("events: redis publish failed (%s); hubs will pick event %s up from the log",
                        exc, envelope["id"])

    async def listen(self, sink: WakeupSink) -> None:
        self._feed = asyncio.create_task(self._subscribe(sink), name="hub-redis")

    async def stop_listening(self) -> None:
        if self._feed is not None:
            self._feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._feed
            self._feed = None

    def close(self) -> None:
        self._client.close()

    async def _subscribe(self, sink: WakeupSink) -> None:
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        backoff_s = 0.2
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2.0)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                sink.wake()
                backoff_s = 0.2
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        sink.offer(json.loads(message["data"]))
            except (RedisError, OSError) as exc:
                log.warning("events: redis feed lost (%s); retrying in %.1f s (the log tail keeps running)",
                            exc, backoff_s)
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
                await client.aclose()
            await asyncio.sleep(backoff_s)
            backoff_s = min(backoff_s * 2, MAX_BACKOFF_S)


def _redis_client(url: str) -> Any:
    try:
        import redis
    except ModuleNotFoundError as exc:
        raise DependencyMissing("events_url needs the 'redis' package: pip install 'heimdall[scale]'") from exc
    return redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=2.0)
