"""What a receiver connection is doing, and why it stopped: the vocabulary every client reports.

A client moves ``connecting -> connected -> streaming`` and ends ``closed`` (we hung up) or
``failed`` with a :class:`RefusalReason`. Services show these per receiver (capture progress, monitor
lamps, receiver health) and decide on them (back off on ``too_busy``, exclude on ``gnss_lost``).
"""

from __future__ import annotations

from enum import StrEnum

from heimdall.errors import ReceiverFailed


class ReceiverState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"  # the protocol is up; no samples yet
    STREAMING = "streaming"
    CLOSED = "closed"  # we hung up after finishing
    FAILED = "failed"


class RefusalReason(StrEnum):
    """Why a receiver refused us or stopped streaming. ``retryable`` says whether trying later may help."""

    UNREACHABLE = "unreachable"  # no TCP connection, DNS failure, timeout before any answer
    NOT_THIS_KIND = "not_this_kind"  # answers HTTP, but not this receiver's protocol
    PROTOCOL_ERROR = "protocol_error"  # malformed frames or messages beyond what we can skip
    TOO_BUSY = "too_busy"  # every slot taken (or taking one would leave none free)
    BAD_PASSWORD = "bad_password"
    DOWN = "down"  # the operator has the receiver down or in maintenance
    CAMP_ONLY = "camp_only"  # only camping on an existing channel is allowed
    INACTIVITY_TIMEOUT = "inactivity_timeout"
    TIME_LIMIT = "time_limit"  # the operator's per-address time limit (e.g. 24 h) is used up
    REDIRECT = "redirect"  # the receiver sent us elsewhere
    KICKED = "kicked"  # the operator or the server closed our session
    DROPPED = "dropped"  # the connection broke mid-stream
    GNSS_LOST = "gnss_lost"  # no or stale GNSS time, so its samples cannot be timed
    OUT_OF_RANGE = "out_of_range"  # the frequency is outside what the receiver covers
    MISSED_WINDOW = "missed_window"  # samples (or fresh GNSS time) began only after the requested window
    STOPPED_PUBLISHING = "stopped_publishing"  # a feed (e.g. KrakenSDR DoA) went silent
    PROFILE_IN_USE = "profile_in_use"  # only a profile switch would do, and others listen on that receiver
    PROFILE_LOCKED = "profile_locked"  # the operator locked the profile we need (OpenWebRX+ magic key)

    @property
    def retryable(self) -> bool:
        return self in _RETRYABLE


_RETRYABLE = frozenset({RefusalReason.UNREACHABLE, RefusalReason.TOO_BUSY, RefusalReason.INACTIVITY_TIMEOUT,
                        RefusalReason.DROPPED, RefusalReason.GNSS_LOST, RefusalReason.STOPPED_PUBLISHING,
                        RefusalReason.KICKED, RefusalReason.MISSED_WINDOW, RefusalReason.PROFILE_IN_USE})


class ReceiverRefused(ReceiverFailed):
    """A receiver refused or stopped us: ``reason`` is the machine-readable cause, the message says it in words."""

    def __init__(self, reason: RefusalReason, message: str, *, retry_after_s: float | None = None,
                 redirect_url: str | None = None) -> None:
        super().__init__(message, details={"reason": reason.value})
        self.reason = reason
        self.retry_after_s = retry_after_s
        self.redirect_url = redirect_url


__all__ = ["ReceiverRefused", "ReceiverState", "RefusalReason"]
