"""What a long-running receiver stream is doing, and what it had to skip: the lamp a monitor shows.

A :class:`StreamStatus` is the mutable companion of a client's reading stream. The client moves its
``state`` (:class:`ReceiverState`), sets ``reason`` when the receiver refused, dropped or went quiet
(a :class:`RefusalReason`), and counts every piece of input it skipped or flagged as a
:class:`StreamIssue` instead of failing on it: one malformed message must not end a watch, but the
user must see that the receiver is sending them. ``listener`` (optional) is called after every
change, so a monitor can relay it without polling.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from heimdall.receivers.states import ReceiverState, RefusalReason


class StreamIssue(StrEnum):
    """Input a client skipped (or kept with a flag) rather than fail on."""

    MALFORMED = "malformed"  # not parseable: bad JSON, XML or CSV, missing or mistyped fields
    OUT_OF_ORDER = "out_of_order"  # older than what we already have, or before the session was ready
    NOT_A_NUMBER = "not_a_number"  # a NaN, infinite or non-positive value where a measurement belongs
    NO_HEADING = "no_heading"  # a relative bearing with no heading to turn it into a true bearing
    NO_POSITION = "no_position"  # a bearing without the station's position (GNSS without a fix)
    UNKNOWN_MESSAGE = "unknown_message"  # a message type this client does not know (skipped)
    SERVER_LOG = "server_log"  # the server told the user something (OpenWebRX log_message)
    GAIN_CHANGED = "gain_changed"  # the receiver's gain moved under us (AGC or an operator)
    PROFILE_CHANGED = "profile_changed"  # another user switched the receiver's profile


@dataclass
class StreamStatus:
    receiver_id: str
    state: ReceiverState = ReceiverState.CONNECTING
    reason: RefusalReason | None = None
    message: str = ""
    issues: Counter[str] = field(default_factory=Counter)
    last_issue: str | None = None
    readings: int = 0
    last_reading_at_s: float | None = None
    listener: Callable[[StreamStatus], None] | None = field(default=None, repr=False, compare=False)

    def set_state(self, state: ReceiverState, reason: RefusalReason | None = None, message: str = "") -> None:
        if (state, reason, message) == (self.state, self.reason, self.message):
            return
        self.state, self.reason, self.message = state, reason, message
        self._changed()

    def note_issue(self, issue: StreamIssue, detail: str) -> None:
        self.issues[issue.value] += 1
        self.last_issue = f"{issue.value}: {detail}"[:300]
        self._changed()

    def note_reading(self, time_s: float) -> None:
        """A good reading arrived: clears a ``stopped_publishing`` mark (the feed is back)."""
        self.readings += 1
        self.last_reading_at_s = time_s
        if self.state is not ReceiverState.STREAMING or self.reason is RefusalReason.STOPPED_PUBLISHING:
            self.set_state(ReceiverState.STREAMING)

    def to_dict(self) -> dict[str, Any]:
        return {
            "receiver_id": self.receiver_id, "state": self.state.value,
            "reason": None if self.reason is None else self.reason.value, "message": self.message,
            "issues": dict(self.issues), "last_issue": self.last_issue, "readings": self.readings,
            "last_reading_at_s": self.last_reading_at_s,
        }

    def _changed(self) -> None:
        if self.listener is not None:
            self.listener(self)


__all__ = ["StreamIssue", "StreamStatus"]
