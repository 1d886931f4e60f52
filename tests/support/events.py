"""A recording stand-in for ``publish(topic, event, data)``, usable as a publisher listener too."""

from __future__ import annotations

import threading
from typing import Any


class EventRecorder:
    """Keeps every (topic, event, data) it is given: called as ``publish(topic, event, data)`` or, as a
    listener of a real publisher, with the logged envelope."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def __call__(self, topic: str | dict[str, Any], event: str | None = None,
                 data: dict[str, Any] | None = None) -> None:
        if isinstance(topic, dict):  # an envelope, from Publisher.add_listener
            topic, event, data = topic["topic"], topic["event"], topic["data"]
        with self._lock:
            self.events.append((str(topic), str(event), data or {}))

    def names(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(topic, event) for topic, event, _ in self.events]

    def named(self, event: str, job_id: str | None = None) -> list[dict[str, Any]]:
        """The data of every ``event`` (on ``job:<job_id>`` when a job id is given)."""
        with self._lock:
            return [data for topic, name, data in self.events
                    if name == event and (job_id is None or topic == f"job:{job_id}")]
