"""``publish(topic, event, data)``: the one way any process (API, local worker, Celery worker) emits.

Append to the durable log first (the source of truth), then notify: in-process listeners (the API's
hub, for low latency) and, when ``events_url`` is set, every API process through Redis pub/sub. A
lost notification only delays delivery: each hub also tails the log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import DependencyMissing, InvalidInput
from heimdall.events.log import EventLog
from heimdall.events.notify import Notifier, notify_path
from heimdall.events.topics import validate_event_name, validate_topic
from heimdall.settings import Settings

log = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any]], None]


def redis_channel(settings: Settings) -> str:
    """One channel per event log: deployments (and test runs) sharing a Redis never mix ids."""
    digest = hashlib.sha1(settings.resolved_database_url.encode()).hexdigest()[:16]
    return f"heimdall:events:{digest}"


def check_events_url(url: str) -> str:
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise InvalidInput(f"events_url must be empty or redis://...: got {url!r}", field="events_url")
    return url


class Publisher:
    """Callable as ``publish(topic, event, data) -> envelope``; thread-safe."""

    def __init__(self, event_log: EventLog, *, redis_url: str = "", channel: str = "heimdall:events",
                 notify_path: str = "") -> None:
        self.log = event_log
        self.channel = channel
        self._redis = _redis_client(check_events_url(redis_url)) if redis_url else None
        # Embedded mode: wake a hub on this host at once instead of at its next poll of the log.
        self._notifier = Notifier(notify_path) if notify_path and self._redis is None else None
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def __call__(self, topic: str, event: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        validate_topic(topic)
        validate_event_name(event)
        if data is not None and not isinstance(data, dict):
            raise InvalidInput(f"event data must be an object, got {type(data).__name__}")
        envelope = self.log.append(topic, event, data or {})
        self._notify_redis(envelope)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(envelope)
        if self._notifier is not None:
            self._notifier.notify(envelope["id"])
        return envelope

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()


    def _notify_redis(self, envelope: dict[str, Any]) -> None:
        if self._redis is None:
            return
        import redis

        try:
            self._redis.publish(self.channel, json.dumps(envelope))
        except redis.RedisError as exc:
            # The event is committed; every hub's periodic tail of the log delivers it a little later.
            log.warning("events: redis publish failed (%s); hubs will pick event %s up from the log",
                        exc, envelope["id"])


def _redis_client(url: str):
    try:
        import redis
    except ModuleNotFoundError as exc:
        raise DependencyMissing("events_url needs the 'redis' package: pip install 'heimdall[scale]'") from exc
    return redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=2.0)


def make_publisher(settings: Settings, session_factory: sessionmaker[Session]) -> Publisher:
    """The publisher for this process: the database event log plus Redis when ``events_url`` is set."""
    local = "" if settings.events_url else notify_path(settings.resolved_database_url)
    return Publisher(EventLog(session_factory), redis_url=settings.events_url, channel=redis_channel(settings),
                     notify_path=local)
