"""``publish(topic, event, data)``: the one way any process (API, local worker, Celery worker) emits.

Append to the durable log first (the source of truth), then notify: in-process listeners (the API's
hub, for low latency) and the hubs of other processes through the wake-up adapter
(``heimdall.events.wakeup``: a local datagram, or Redis pub/sub when ``events_url`` is set). A lost
notification only delays delivery: each hub also tails the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput
from heimdall.events.log import EventLog
from heimdall.events.envelope import EVENT_TYPES
from heimdall.events.topics import validate_event_name, validate_topic
from heimdall.events.wakeup import Wakeup, make_wakeup
from heimdall.settings import Settings

log = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any]], None]


class Publisher:
    """Callable as ``publish(topic, event, data) -> envelope``; thread-safe."""

    def __init__(self, event_log: EventLog, *, wakeup: Wakeup | None = None) -> None:
        self.log = event_log
        self.wakeup = wakeup
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def __call__(self, topic: str, event: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        validate_topic(topic)
        validate_event_name(event)
        _check_declared(event)
        if data is not None and not isinstance(data, dict):
            raise InvalidInput(f"event data must be an object, got {type(data).__name__}")
        envelope = self.log.append(topic, event, data or {})
        with self._lock:
            listeners = list(self._listeners)
        # This process's own hub first (a direct hand-off), then the hubs of every other process.
        for listener in listeners:
            listener(envelope)
        if self.wakeup is not None:
            self.wakeup.announce(envelope)
        return envelope

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def close(self) -> None:
        if self.wakeup is not None:
            self.wakeup.close()


def make_publisher(settings: Settings, session_factory: sessionmaker[Session]) -> Publisher:
    """A publisher for a process that only emits (a worker, a script): the database event log plus the
    wake-up adapter ``settings`` choose. Serving processes get theirs from ``heimdall.platform``."""
    return Publisher(EventLog(session_factory), wakeup=make_wakeup(settings))


def _check_declared(event: str) -> None:
    """Only events declared in ``EVENT_TYPES`` (what docs/asyncapi.yaml and the web app know) are logged:
    an event nobody declared is an event no client handles."""
    spec = EVENT_TYPES.get(event)
    if spec is None or not spec.logged:
        raise InvalidInput(f"event {event!r} is not declared in heimdall.events.envelope.EVENT_TYPES", field="event")
