"""Worker ids double as lease tokens: ``<host>:<pid>:<token>``, unique per claim of a job.

A worker writes to a job only while the row still names its id, so a worker that was presumed lost
and replaced can never overwrite its successor. The id also lets a restarted server recognise jobs
whose worker is certainly gone (same host, process dead) without waiting for the lease to lapse.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid

HOST = socket.gethostname()
_live: set[str] = set()
_live_lock = threading.Lock()


def new_worker_id() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def mark_live(worker_id: str) -> None:
    with _live_lock:
        _live.add(worker_id)


def mark_gone(worker_id: str) -> None:
    with _live_lock:
        _live.discard(worker_id)


def is_certainly_dead(worker_id: str | None) -> bool:
    """True only when the worker can be proven gone; anything else waits for its lease to lapse."""
    if not worker_id:
        return True
    parts = worker_id.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != HOST:
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        with _live_lock:
            return worker_id not in _live
    return not _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
