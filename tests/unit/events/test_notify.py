"""The embedded-mode wake-up socket: publishers' datagrams reach the hub's listener; never an error."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from heimdall.events.local_wakeup import Notifier, NotifyListener, notify_path


def _short_path(tmp_path) -> str:
    # Unix socket paths are limited to ~100 bytes; pytest's tmp_path can be longer.
    return notify_path(f"sqlite:///{tmp_path}/events.db")


async def test_a_notified_id_reaches_the_listener_and_stop_removes_the_socket(tmp_path):
    path = _short_path(tmp_path)
    seen: list[int] = []
    listener = NotifyListener(path, seen.append)
    assert await listener.start()
    Notifier(path).notify(41)
    Notifier(path).notify(42)
    for _ in range(200):
        if seen and seen[-1] == 42:
            break
        await asyncio.sleep(0.005)
    assert seen and max(seen) == 42
    listener.stop()
    assert not os.path.exists(path)


async def test_a_leftover_socket_file_is_taken_over(tmp_path):
    path = _short_path(tmp_path)
    Path(path).touch()  # a crashed server's leftover
    listener = NotifyListener(path, lambda event_id: None)
    assert await listener.start()
    listener.stop()


def test_notifying_nobody_is_silent(tmp_path):
    Notifier(_short_path(tmp_path)).notify(1)  # no listener: dropped, the hub's poll covers it


def test_each_database_gets_its_own_short_path():
    first, second = notify_path("sqlite:///a/events.db"), notify_path("sqlite:///b/events.db")
    assert first != second and len(first) < 100
