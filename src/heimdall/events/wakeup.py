"""Event wake-ups: how the hub of an API process learns, at once, that another process logged an event.

The event log is the source of truth and every hub tails it; a wake-up only makes delivery fast.
One adapter is chosen once from settings (``make_wakeup``) and handed to both sides:

    publisher --append--> event log <--tail-- hub
        \\                                    ^
         `--- wakeup.announce(envelope) ---- wakeup.listen(hub)

- ``LocalWakeup`` (embedded, ``events_url`` empty): a Unix datagram carrying the new id to a socket
  named after the database (``heimdall.events.local_wakeup``); the hub then reads the log.
- ``RedisWakeup`` (``events_url=redis://...``): the whole envelope on a Redis pub/sub channel named
  after the database (``heimdall.events.redis_wakeup``), for every API process.

Neither the publisher nor the hub knows which one it holds: the publisher calls ``announce`` after
each append, the hub ``listen``s with itself as the ``WakeupSink``. A lost wake-up only delays an
event until the hub's next tail of the log (``tail_interval_s``, the adapter's choice).
"""

from __future__ import annotations

from typing import Any, Protocol

from heimdall.errors import InvalidInput
from heimdall.events.local_wakeup import LocalWakeup, notify_path
from heimdall.events.redis_wakeup import RedisWakeup, redis_channel
from heimdall.settings import Settings

EVENTS_URL_SCHEMES = ("redis://", "rediss://", "unix://")


class WakeupSink(Protocol):
    """The hub's side of a wake-up (called on the hub's event loop)."""

    def offer(self, envelope: dict[str, Any]) -> None:
        """A committed event, whole."""

    def notified(self, event_id: int) -> None:
        """Only the id of a committed event: the log has it."""

    def wake(self) -> None:
        """Read the log now (after a (re)subscription, anything may have been missed)."""


class Wakeup(Protocol):
    """One way to carry "the log has a new event" from publishers to hubs."""

    # What /health reports as the events bus: "embedded" or "redis".
    bus: str
    # How often a hub on this wake-up tails the log as the gap filler (seconds).
    tail_interval_s: float

    def announce(self, envelope: dict[str, Any]) -> None:
        """Publisher side, after the append: tell the hubs. Never raises, never blocks for long."""

    async def listen(self, sink: WakeupSink) -> None:
        """Hub side: start delivering wake-ups to ``sink`` (returns once listening, or gave up)."""

    async def stop_listening(self) -> None:
        """Hub side: stop delivering and release what ``listen`` took."""

    def close(self) -> None:
        """Publisher side: release connections."""


def check_events_url(url: str) -> str:
    if url and not url.startswith(EVENTS_URL_SCHEMES):
        raise InvalidInput(f"events_url must be empty or redis://...: got {url!r}", field="events_url")
    return url


def make_wakeup(settings: Settings) -> Wakeup:
    """Redis when ``events_url`` is set, else the local datagram socket of this database."""
    if check_events_url(settings.events_url):
        return RedisWakeup(settings.events_url, redis_channel(settings))
    return LocalWakeup(notify_path(settings.resolved_database_url))
