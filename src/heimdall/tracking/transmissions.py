"""Group the detections of many receivers into transmissions: one key-up, one transmission, one fix.

A detection (``heimdall.rf.detect``) joins a pending transmission of its channel when it agrees with
most of that transmission's other receivers: their starts lie within ``latency_tolerance_s`` of each
other (every receiver hears the key-up at once, give or take its network delay) or they overlap by more
than that tolerance (a weak receiver that opened late). Anything else starts a new transmission, so
the next over of a conversation, keyed a second after this one ended, stays separate, and one receiver
held open by local interference cannot pull every later over into its transmission. Two emitters
keyed at once on one channel are one transmission: timing cannot tell them apart. A detection never
moves once it has joined.

A receiver counts once per transmission: its detections in one transmission (a fade longer than the
hang time splits one over in two) merge into one. A transmission is complete once all its detections
have closed and ``settle_s`` has passed since the last ended (time for a slow receiver's report), or
``timeout_s`` after it started whatever its detections say (a receiver that vanished mid-over). A
detection that arrives for a transmission already complete is counted as late and dropped.

Detection sequences must increase per (receiver, channel) over the grouper's life, as a ``Detector``'s do.
"""

from __future__ import annotations

import math
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from heimdall.config_fields import check_field_types, config_from_mapping, require
from heimdall.rf.detect import Detection

_ID_NAMESPACE = uuid.UUID("6f1c2d1e-3c51-4f59-9a43-1b5c8f0e7d21")
_RECENT_COMPLETED = 32  # completed spans remembered per channel to recognise late detections


@dataclass(frozen=True)
class GroupingConfig:
    latency_tolerance_s: float = 2.0
    settle_s: float = 3.0
    timeout_s: float = 660.0

    def __post_init__(self) -> None:
        check_field_types(self)
        require(0 <= self.latency_tolerance_s <= 60, "latency_tolerance_s", "must lie between 0 and 60 s")
        require(self.settle_s >= 0, "settle_s", "must not be negative")
        require(self.timeout_s > self.latency_tolerance_s, "timeout_s", "must exceed latency_tolerance_s")

    @classmethod
    def from_mapping(cls, data: object) -> GroupingConfig:
        return config_from_mapping(cls, data, "grouping")


@dataclass(frozen=True)
class Transmission:
    transmission_id: str
    channel: str
    start_s: float
    end_s: float
    detections: tuple[Detection, ...]  # one per receiver, by receiver id
    timed_out: bool = False  # completed by timeout_s: some detections may still be open (end_s None)

    @property
    def receiver_ids(self) -> tuple[str, ...]:
        return tuple(d.receiver_id for d in self.detections)

    def to_dict(self) -> dict[str, Any]:
        return {"transmission_id": self.transmission_id, "channel": self.channel, "start_s": self.start_s,
                "end_s": self.end_s, "timed_out": self.timed_out,
                "detections": [d.to_dict() for d in self.detections]}


@dataclass
class GroupingStats:
    detections: int = 0
    late: int = 0  # arrived for a transmission already complete: dropped
    stale: int = 0  # an opened event after its own closed one: ignored
    merged: int = 0  # a receiver's second detection in one transmission
    timed_out: int = 0


@dataclass
class _Pending:
    transmission_id: str
    channel: str
    parts: dict[tuple[str, int], Detection] = field(default_factory=dict)  # (receiver, sequence) -> latest

    @property
    def start_s(self) -> float:
        return min(d.start_s for d in self.parts.values())

    @property
    def end_s(self) -> float:
        """The last end, +inf while a detection is open."""
        return max(math.inf if d.end_s is None else d.end_s for d in self.parts.values())


def belongs(start_a: float, end_a: float, start_b: float, end_b: float, tolerance_s: float) -> bool:
    """The one grouping rule: starts within the tolerance, or an overlap longer than it (ends may be inf)."""
    overlap = min(end_a, end_b) - max(start_a, start_b)
    return abs(start_a - start_b) <= tolerance_s or overlap > tolerance_s


def _end(detection: Detection) -> float:
    return math.inf if detection.end_s is None else detection.end_s


def merge_detections(parts: list[Detection]) -> Detection:
    """One receiver's detections within one transmission as one: span, peak, linear mean over readings."""
    if len(parts) == 1:
        return parts[0]
    readings = sum(p.readings for p in parts)
    linear = sum(p.readings * 10 ** (p.mean_power_db / 10) for p in parts) / max(readings, 1)
    ends = [p.end_s for p in parts]
    first = min(parts, key=lambda p: p.start_s)
    return Detection(first.receiver_id, first.channel, first.sequence, first.start_s,
                     None if None in ends else max(e for e in ends if e is not None),
                     max(p.peak_power_db for p in parts), 10 * math.log10(linear) if linear > 0 else -math.inf,
                     first.floor_db, readings, any(p.truncated for p in parts))


class TransmissionGrouper:
    """Streaming grouper: ``add`` detections as the detectors emit them, ``poll`` the monitor's clock."""

    def __init__(self, config: GroupingConfig | None = None, namespace: str = "") -> None:
        self.config = config or GroupingConfig()
        self.namespace = namespace
        self.stats = GroupingStats()
        self._pending: list[_Pending] = []
        self._completed_sequence: dict[tuple[str, str], int] = {}  # (channel, receiver) -> last done
        self._completed_spans: dict[str, deque[dict[str, tuple[float, float]]]] = {}  # per receiver

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, detection: Detection) -> None:
        self.stats.detections += 1
        key = (detection.receiver_id, detection.sequence)
        owner = next((p for p in self._pending if p.channel == detection.channel and key in p.parts), None)
        if owner is not None:  # the closing (or a repeated) event of a detection already placed
            if owner.parts[key].closed and not detection.closed:
                self.stats.stale += 1
                return
            owner.parts[key] = detection
        elif self._is_late(detection):
            self.stats.late += 1
        else:
            self._join(detection)

    def poll(self, now_s: float) -> list[Transmission]:
        """The transmissions complete at ``now_s``, in order of start."""
        done: list[Transmission] = []
        for pending in list(self._pending):
            all_closed = pending.end_s < math.inf
            if all_closed and now_s >= pending.end_s + self.config.settle_s:
                done.append(self._complete(pending, pending.end_s, timed_out=False))
            elif not all_closed and now_s - pending.start_s >= self.config.timeout_s:
                self.stats.timed_out += 1
                done.append(self._complete(pending, max(now_s, _finite_end(pending)), timed_out=True))
        return sorted(done, key=lambda t: (t.start_s, t.transmission_id))

    def flush(self) -> list[Transmission]:
        """Complete everything pending (end of a replay); open detections keep end_s None."""
        done = [self._complete(p, _finite_end(p), timed_out=p.end_s == math.inf) for p in list(self._pending)]
        return sorted(done, key=lambda t: (t.start_s, t.transmission_id))

    def _join(self, detection: Detection) -> _Pending:
        """Into the pending transmission where it matches most of the other receivers, else a new one."""
        best: tuple[float, float, _Pending] | None = None
        for pending in (p for p in self._pending if p.channel == detection.channel):
            share = self._agreement(_spans(pending.parts.values()), detection)
            if share > 0.5 and (best is None or (-share, pending.start_s) < best[:2]):
                best = (-share, pending.start_s, pending)
        if best is not None:
            pending = best[2]
            if any(receiver == detection.receiver_id for receiver, _ in pending.parts):
                self.stats.merged += 1
            pending.parts[(detection.receiver_id, detection.sequence)] = detection
            return pending
        name = "/".join([self.namespace, detection.channel, detection.receiver_id, str(detection.sequence),
                         repr(detection.start_s)])
        created = _Pending(str(uuid.uuid5(_ID_NAMESPACE, name)), detection.channel,
                           {(detection.receiver_id, detection.sequence): detection})
        self._pending.append(created)
        return created

    def _agreement(self, spans: dict[str, tuple[float, float]], detection: Detection) -> float:
        """The share of a transmission's other receivers whose span ``belongs`` with the detection.

        A vote, not the transmission's overall span: one receiver held open for minutes (local
        interference) must not pull every later over into its transmission. The detection's own
        receiver votes only when it is alone (a second detection of it: a fade that split one over).
        """
        others = [span for receiver, span in spans.items() if receiver != detection.receiver_id]
        others = others or list(spans.values())
        tolerance = self.config.latency_tolerance_s
        votes = sum(belongs(detection.start_s, _end(detection), start, end, tolerance) for start, end in others)
        return votes / len(others)

    def _is_late(self, detection: Detection) -> bool:
        done = self._completed_sequence.get((detection.channel, detection.receiver_id))
        if done is not None and detection.sequence <= done:
            return True
        recent = self._completed_spans.get(detection.channel, ())
        return any(self._agreement(spans, detection) > 0.5 for spans in recent)

    def _complete(self, pending: _Pending, end_s: float, timed_out: bool) -> Transmission:
        self._pending.remove(pending)
        by_receiver: dict[str, list[Detection]] = {}
        for (receiver, sequence), detection in pending.parts.items():
            by_receiver.setdefault(receiver, []).append(detection)
            done_key = (pending.channel, receiver)
            self._completed_sequence[done_key] = max(sequence, self._completed_sequence.get(done_key, 0))
        recent = self._completed_spans.setdefault(pending.channel, deque(maxlen=_RECENT_COMPLETED))
        recent.append(_spans(pending.parts.values(), cut_s=end_s))
        detections = tuple(merge_detections(sorted(by_receiver[r], key=lambda d: d.sequence))
                           for r in sorted(by_receiver))
        return Transmission(pending.transmission_id, pending.channel, pending.start_s, end_s, detections, timed_out)


def _spans(parts: Iterable[Detection], cut_s: float = math.inf) -> dict[str, tuple[float, float]]:
    """Each receiver's span over its detections (end inf while one is open, or ``cut_s`` when given)."""
    spans: dict[str, tuple[float, float]] = {}
    for part in parts:
        start, end = spans.get(part.receiver_id, (math.inf, -math.inf))
        spans[part.receiver_id] = (min(start, part.start_s), max(end, min(_end(part), cut_s)))
    return spans


def _finite_end(pending: _Pending) -> float:
    ends = [d.end_s for d in pending.parts.values() if d.end_s is not None]
    return max(ends) if ends else max(d.start_s for d in pending.parts.values())
