"""The local wake-up adapter (embedded mode): "the log has a new event" as a Unix datagram, not a poll.

Without Redis the hub of the API process only learns of an event another process appended (a
``heimdall worker`` or CLI command on the same host) when it next reads the log, every 25 ms. After
its append, a publisher also sends the new id as one datagram to a socket named after the database,
and the hub that bound that socket reads the log at once. It is only a hint: a datagram that finds
no socket (no server, another host, a full buffer) is dropped, and the periodic tail still delivers
the event. SQLite has no LISTEN/NOTIFY; this is the same idea for one machine.

``LocalWakeup`` is the ``heimdall.events.wakeup.Wakeup`` over these two ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heimdall.events.wakeup import WakeupSink

log = logging.getLogger(__name__)


def notify_path(database_url: str) -> str:
    """The socket path for one event log (short: Unix socket paths are limited to ~100 bytes)."""
    digest = hashlib.sha1(database_url.encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"heimdall-events-{digest}.sock")


_send_socket: socket.socket | None = None
_send_lock = threading.Lock()


def _sender() -> socket.socket | None:
    """One unbound datagram socket per process, shared by every publisher (sendto is thread-safe)."""
    global _send_socket
    if _send_socket is None and sys.platform != "win32":
        with _send_lock:
            if _send_socket is None:
                sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                sender.setblocking(False)
                _send_socket = sender
    return _send_socket


class Notifier:
    """The publisher's side: fire-and-forget, never blocks, never fails the publish."""

    def __init__(self, path: str) -> None:
        self.path = path

    def notify(self, event_id: int) -> None:
        sender = _sender()
        if sender is None:
            return
        # No listener, a stale socket file or a full buffer: the hub's periodic tail covers it.
        with contextlib.suppress(OSError):
            sender.sendto(str(event_id).encode(), self.path)


class NotifyListener:
    """The hub's side: binds the socket (taking it over from a dead server) and reports each id."""

    def __init__(self, path: str, on_id: Callable[[int], None]) -> None:
        self.path = path
        self._on_id = on_id
        self._socket: socket.socket | None = None
        self._inode: int | None = None

    async def start(self) -> bool:
        """Bind; False (and the hub just polls) when the platform or the path does not allow it."""
        if sys.platform == "win32":
            return False
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # a previous server's leftover; two servers on one log: the last one wins
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            receiver.bind(self.path)
            receiver.setblocking(False)
            self._inode = os.stat(self.path).st_ino
            # A plain reader callback: uvloop's datagram endpoints do not take Unix socket addresses.
            asyncio.get_running_loop().add_reader(receiver.fileno(), self._drain)
        except (OSError, NotImplementedError) as exc:
            receiver.close()
            log.warning("events: no local notify socket at %s (%s); polling the log only", self.path, exc)
            return False
        self._socket = receiver
        return True

    def _drain(self) -> None:
        # Only the highest id matters: one wake-up reads everything the log has.
        highest = 0
        while self._socket is not None:
            try:
                data = self._socket.recv(64)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            with contextlib.suppress(ValueError):
                highest = max(highest, int(data))
        if highest:
            self._on_id(highest)

    def stop(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                asyncio.get_running_loop().remove_reader(self._socket.fileno())
            self._socket.close()
            self._socket = None
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == self._inode:  # still ours, not a newer server's
                os.unlink(self.path)


class LocalWakeup:
    """The embedded ``Wakeup``: datagrams on this host; the hub tails the log every 25 ms as the gap filler."""

    bus = "embedded"
    tail_interval_s = 0.025

    def __init__(self, path: str) -> None:
        self.path = path
        self._notifier = Notifier(path)
        self._listener: NotifyListener | None = None

    def announce(self, envelope: dict[str, Any]) -> None:
        self._notifier.notify(envelope["id"])

    async def listen(self, sink: WakeupSink) -> None:
        listener = NotifyListener(self.path, sink.notified)
        if await listener.start():
            self._listener = listener

    async def stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None

    def close(self) -> None:
        """Nothing to release: the sending socket is shared by the whole process."""
