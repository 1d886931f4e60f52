"""Good manners on shared KiwiSDRs: who we say we are, whether we may take a slot, when to try again.

Public KiwiSDRs are donated by their owners, who limit non-browser clients and ban those that hog
slots (docs/receivers.md, "Policy on shared receivers"). Everything a capture does to a receiver goes
through here:

    identity        the client name ("heimdall") and the operator's contact, sent as ``ident_user`` and
                    in the HTTP User-Agent (``KiwiConnection.identity``)
    check_slot      never take a receiver's last free slot (``/status`` users vs users_max)
    Backoff         exponential back-off after ``too_busy``, bounded by the time a capture can wait
    HostBudget      per-host connections at once and minutes per rolling hour (the service counts them)

Pure functions and small value types: the service keeps the counts, the capture loop asks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from heimdall.errors import InvalidInput
from heimdall.receivers.kiwisdr.client import KiwiConnection
from heimdall.receivers.kiwisdr.status import KiwiStatus
from heimdall.receivers.states import ReceiverRefused, RefusalReason

CLIENT_NAME = "heimdall"
SLOTS_LEFT_FREE = 1  # we connect only when at least this many slots stay free after we take ours


def identity(url: str, contact: str | None, password: str | None = None) -> KiwiConnection:
    """The connection a capture opens: honest name, the operator's contact (may be None)."""
    return KiwiConnection(url, password=password, client_name=CLIENT_NAME, contact=contact or None)


def check_slot(status: KiwiStatus, *, slots_left_free: int = SLOTS_LEFT_FREE) -> int | None:
    """The free slots now; ``ReceiverRefused(TOO_BUSY)`` when taking one would leave fewer than
    ``slots_left_free`` free, ``DOWN`` when the page says the receiver is offline."""
    if status.offline or status.status == "offline":
        raise ReceiverRefused(RefusalReason.DOWN, "the receiver's status page says it is offline")
    if status.users is None or status.users_max is None:
        return None  # a page without the counts: the server itself refuses when full
    free = max(status.users_max - status.users, 0)
    if free <= slots_left_free:
        raise ReceiverRefused(RefusalReason.TOO_BUSY, f"{status.users} of {status.users_max} slots in use: "
                              f"taking one would leave fewer than {slots_left_free} free for others")
    return free


@dataclass(frozen=True)
class Backoff:
    """Delays before retrying after ``too_busy``: first_s, first_s * factor, ... capped at max_s."""

    first_s: float = 1.0
    factor: float = 2.0
    max_s: float = 30.0
    attempts: int = 4  # tries in all, the first included

    def delay_s(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 = the first retry)."""
        return min(self.first_s * self.factor ** max(retry - 1, 0), self.max_s)

    def next_delay_s(self, retry: int, time_left_s: float) -> float | None:
        """The wait before retry ``retry``, or None when no retry is left or it would not fit in time."""
        if retry >= self.attempts:
            return None
        delay = self.delay_s(retry)
        return delay if delay < time_left_s else None


@dataclass(frozen=True)
class HostBudget:
    """What one host may get from this deployment: connections at once, minutes per rolling hour."""

    max_connections: int = 2
    max_minutes_per_hour: float = 30.0

    def __post_init__(self) -> None:
        if self.max_connections < 1 or not math.isfinite(self.max_minutes_per_hour) or self.max_minutes_per_hour <= 0:
            raise InvalidInput("a host budget needs at least one connection and a positive number of minutes")

    def refusal(self, host: str, *, connections: int, minutes_used: float, minutes_wanted: float) -> str | None:
        """Why a new connection of ``minutes_wanted`` to ``host`` would exceed the budget, or None."""
        if connections + 1 > self.max_connections:
            return f"{host}: already {connections} connection(s) from this deployment (budget {self.max_connections})"
        if minutes_used + minutes_wanted > self.max_minutes_per_hour:
            return (f"{host}: {minutes_used:.1f} of {self.max_minutes_per_hour:g} minutes used in the last hour; "
                    f"{minutes_wanted:.1f} more would exceed the budget")
        return None


def host_of(url: str) -> str:
    """The host a budget is kept for (lower case, port included: two Kiwis behind one address share it)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return (parts.netloc or parts.path).lower()
