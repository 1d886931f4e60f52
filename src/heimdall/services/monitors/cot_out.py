"""A monitor's Cursor-on-Target output: every fix and the track update it made, to each endpoint.

UDP hands each event to the kernel; TCP queues it (bounded) and reconnects in the background
(``heimdall.cot.transport``), so a TAK server that is down never stalls the watch.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from heimdall.cot.event import CotSettings
from heimdall.cot.mapping import fix_event, track_event
from heimdall.cot.transport import TcpSender, UdpSender
from heimdall.errors import InvalidInput
from heimdall.tracking.tracks import Track

log = logging.getLogger(__name__)


class CotOut:
    def __init__(self, endpoints: list[dict[str, str]], settings: dict[str, Any], monitor_id: str) -> None:
        self.settings = CotSettings.from_mapping(settings)
        self.monitor_id = monitor_id
        self.senders: list[UdpSender | TcpSender] = []
        for endpoint in endpoints:
            parts = urlsplit(endpoint["url"])
            host, port = parts.hostname or "", parts.port or 0
            self.senders.append(UdpSender(host, port) if parts.scheme == "udp" else TcpSender(host, port))

    async def start(self) -> None:
        """Open every endpoint; one that cannot be opened (a host name that does not resolve) is left
        out with a warning rather than stopping the watch (TCP ones retry on their own)."""
        started: list[UdpSender | TcpSender] = []
        for sender in self.senders:
            try:
                if isinstance(sender, UdpSender):
                    await sender.start()
                else:
                    sender.start()
            except OSError as exc:
                log.warning("CoT endpoint %s:%s left out: %s", sender.host, sender.port, exc)
                continue
            started.append(sender)
        self.senders = started

    def send_fix(self, result: dict[str, Any], *, fix_id: str, time_s: float, track: Track, channel: str) -> None:
        now_s = time.time()
        events = [fix_event(result, fix_id=fix_id, time_s=time_s, now_s=now_s, settings=self.settings,
                            monitor_id=self.monitor_id, track_id=track.track_id, channel=channel)]
        if track.latest is not None:
            events.append(track_event(track, now_s=now_s, settings=self.settings, monitor_id=self.monitor_id))
        for sender in self.senders:
            for event in events:
                try:
                    sender.send(event)
                except InvalidInput:  # an event too large for one datagram: counted, the watch goes on
                    sender.stats.errors += 1
                    log.warning("CoT event %s too large for UDP", event.uid)

    async def close(self) -> None:
        for sender in self.senders:
            await sender.close()
