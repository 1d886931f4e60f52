"""Read and validate CoT events from the wire: the fields TAK requires (``uid``, ``type``, ``time``,
``start``, ``stale``, ``how``, a ``point`` with ``lat``/``lon``/``hae``/``ce``/``le``) with their types.

Events come from the network, so the parser is defensive: a size limit, no DOCTYPE (hence no
entities), and one ``InvalidInput`` naming the field for anything wrong. Only CoT XML is read; TAK's
protobuf framing ("TAK protocol v1") is refused as not XML.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime

from heimdall.cot.event import COT_VERSION, HOW_PATTERN, TYPE_PATTERN, CotEvent
from heimdall.errors import InvalidInput

MAX_EVENT_BYTES = 256 * 1024
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CLOSE = b"</event>"


def parse_event(data: bytes | str) -> CotEvent:
    """One CoT event from its XML, validated; ``InvalidInput`` (with ``field``) otherwise."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_EVENT_BYTES:
        raise InvalidInput(f"a CoT event must be at most {MAX_EVENT_BYTES} bytes", field="event")
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise InvalidInput("a CoT event must not carry a DOCTYPE or entities", field="event")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise InvalidInput(f"not a CoT XML event: {exc}", field="event") from exc
    if root.tag != "event":
        raise InvalidInput(f"the root element must be 'event', not '{root.tag}'", field="event")
    version = _text(root, "version")
    if version != COT_VERSION:
        raise InvalidInput(f"version must be {COT_VERSION}, not {version!r}", field="version")
    times = {name: _time(root, name) for name in ("time", "start", "stale")}
    if times["stale"] < times["start"]:
        raise InvalidInput("stale must not precede start", field="stale")
    points = root.findall("point")
    if len(points) != 1:
        raise InvalidInput("an event needs exactly one point", field="point")
    point = points[0]
    return CotEvent(
        uid=_uid(root), type=_pattern(root, "type", TYPE_PATTERN), how=_pattern(root, "how", HOW_PATTERN),
        **times, lat=_number(point, "lat", -90.0, 90.0), lon=_number(point, "lon", -180.0, 180.0),
        hae=_number(point, "hae"), ce=_number(point, "ce", 0.0), le=_number(point, "le", 0.0),
        detail=root.find("detail"), version=version)


def _text(element: ET.Element, name: str, prefix: str = "") -> str:
    value = element.get(name)
    if value is None or not value.strip():
        raise InvalidInput(f"{prefix}{name} is required", field=f"{prefix}{name}")
    return value.strip()


def _uid(root: ET.Element) -> str:
    uid = _text(root, "uid")
    if _CONTROL.search(uid) or len(uid) > 1024:
        raise InvalidInput("uid must be printable and at most 1024 characters", field="uid")
    return uid


def _pattern(root: ET.Element, name: str, pattern: re.Pattern[str]) -> str:
    value = _text(root, name)
    if not pattern.fullmatch(value):
        raise InvalidInput(f"{name} {value!r} is not a CoT {name}", field=name)
    return value


def _time(root: ET.Element, name: str) -> datetime:
    value = _text(root, name)
    if not _TIME.fullmatch(value):
        raise InvalidInput(f"{name} must be an ISO 8601 time with a zone (e.g. ...T06:33:45.123Z), not {value!r}",
                           field=name)
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} is not a valid time: {value!r}", field=name) from exc


def _number(point: ET.Element, name: str, lo: float | None = None, hi: float | None = None) -> float:
    text = _text(point, name, "point.")
    try:
        value = float(text)
    except ValueError as exc:
        raise InvalidInput(f"point.{name} must be a number, not {text!r}", field=f"point.{name}") from exc
    if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = "" if lo is None else f" within [{lo:g}, {'inf' if hi is None else f'{hi:g}'}]"
        raise InvalidInput(f"point.{name} must be finite{bounds}, not {text}", field=f"point.{name}")
    return value


class StreamSplitter:
    """Cuts a TCP byte stream into event documents: each ends at ``</event>`` (events never nest).

    ``feed`` returns the complete documents; bytes that grow past ``MAX_EVENT_BYTES`` without an end
    are thrown away (counted in ``discarded_bytes``) so one bad peer cannot hold memory.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.discarded_bytes = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        documents = []
        while (end := self._buffer.find(_CLOSE)) >= 0:
            document = bytes(self._buffer[: end + len(_CLOSE)]).strip()
            del self._buffer[: end + len(_CLOSE)]
            if document:
                documents.append(document)
        if len(self._buffer) > MAX_EVENT_BYTES:
            self.discarded_bytes += len(self._buffer)
            self._buffer.clear()
        return documents

    def flush(self) -> bytes:
        """What is left after the last complete event (stripped; empty when nothing is)."""
        rest = bytes(self._buffer).strip()
        self._buffer.clear()
        return rest
