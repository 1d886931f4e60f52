"""The ``Services`` container the app reaches through FastAPI dependencies.

``heimdall serve`` (and tests) build one and hand it to ``create_app``; routes never construct
infrastructure themselves. A route module asks for what it needs with ``Depends(get_services)``
(or a narrower dependency below) and gets a 503 in the one error shape when it is not configured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from heimdall.errors import DependencyMissing
from heimdall.events.hub import Hub
from heimdall.events.log import EventLog
from heimdall.events.publisher import Publisher
from heimdall.settings import Settings


@dataclass(frozen=True)
class PeriodicTask:
    """A blocking function the app runs every ``interval_s`` in a worker thread while it serves."""

    name: str
    interval_s: float
    run: Callable[[], Any]


@dataclass
class Services:
    settings: Settings
    session_factory: sessionmaker[Session] | None = None
    publish: Publisher | None = None
    hub: Hub | None = None
    jobs: Any = None  # heimdall.jobs.service.JobService
    blobs: Any = None  # heimdall.store.blob.BlobStore
    executor: Any = None  # heimdall.jobs executor (started/stopped with the app)
    # Other resources' services, by name (e.g. "receivers"), for routes added by other modules.
    extra: dict[str, Any] = field(default_factory=dict)
    periodic: list[PeriodicTask] = field(default_factory=list)
    # Blocking callables run (in order) after the hub starts / before it stops.
    on_startup: list[Callable[[], Any]] = field(default_factory=list)
    on_shutdown: list[Callable[[], Any]] = field(default_factory=list)

    def require(self, name: str) -> Any:
        value = self.extra[name] if name in self.extra else getattr(self, name, None)
        if value is None:
            raise DependencyMissing(f"the {name} service is not configured in this server")
        return value

    @property
    def event_log(self) -> EventLog:
        if self.publish is not None:
            return self.publish.log
        return EventLog(self.require("session_factory"))


def get_services(connection: HTTPConnection) -> Services:
    return connection.app.state.services


def get_jobs(request: Request) -> Any:
    return get_services(request).require("jobs")


def get_event_log(request: Request) -> EventLog:
    return get_services(request).event_log
