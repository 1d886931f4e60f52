"""Scaled mode: every API process's hub listens to the Redis channel its publishers notify.

Redis pub/sub is only a fast notification: messages may be lost while disconnected or arrive out
of id order, so the hub takes an event directly only when it is the next id and otherwise reads
the log (see ``Hub.offer``). After every (re)subscription the hub tails the log to catch up.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from heimdall.events.hub import Hub

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 5.0


async def redis_feed(hub: Hub) -> None:
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    backoff_s = 0.2
    while True:
        client = aioredis.Redis.from_url(hub.redis_url, socket_connect_timeout=2.0)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(hub.channel)
            hub.wake()
            backoff_s = 0.2
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    hub.offer(json.loads(message["data"]))
        except (RedisError, OSError) as exc:
            log.warning("events: redis feed lost (%s); retrying in %.1f s (the log tail keeps running)",
                        exc, backoff_s)
        finally:
            await pubsub.aclose()
            await client.aclose()
        await asyncio.sleep(backoff_s)
        backoff_s = min(backoff_s * 2, MAX_BACKOFF_S)
