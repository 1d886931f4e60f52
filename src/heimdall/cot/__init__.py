"""Cursor-on-Target: fixes and tracks as CoT events for TAK servers and clients, their validation,
and async UDP/TCP transport. Pure domain code plus sockets; no database, settings or services.

    from heimdall.cot import fix_event, track_event, parse_event, TcpSender, UdpSender, CotListener
    event = track_event(track, now_s=time.time(), settings=CotSettings(), monitor_id=monitor_id)
    sender.send(event)            # never blocks
    parse_event(event.to_xml())   # validates what TAK requires; InvalidInput names the field

Names are imported on first use, so ``heimdall cot listen`` does not pay for the tracker and the
estimators behind ``fix_event`` and ``track_event``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heimdall.cot.event import UNKNOWN, CotEvent, CotSettings, circular_error_m
    from heimdall.cot.mapping import ce_from_ellipse, fix_event, track_event
    from heimdall.cot.parse import StreamSplitter, parse_event
    from heimdall.cot.transport import CotListener, TcpSender, UdpSender

_WHERE = {
    "UNKNOWN": "event", "CotEvent": "event", "CotSettings": "event", "circular_error_m": "event",
    "ce_from_ellipse": "mapping", "fix_event": "mapping", "track_event": "mapping",
    "StreamSplitter": "parse", "parse_event": "parse",
    "CotListener": "transport", "TcpSender": "transport", "UdpSender": "transport",
}
__all__ = [
    "UNKNOWN",
    "CotEvent",
    "CotListener",
    "CotSettings",
    "StreamSplitter",
    "TcpSender",
    "UdpSender",
    "ce_from_ellipse",
    "circular_error_m",
    "fix_event",
    "parse_event",
    "track_event",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'heimdall.cot' has no attribute {name!r}")
    return getattr(importlib.import_module(f"heimdall.cot.{module}"), name)
