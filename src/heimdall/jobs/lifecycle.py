"""The job state machine of CONTRACT section 2, in one table.

``TRANSITIONS[action][current_status]`` is the status the action leads to; an action absent for a
status is forbidden. User actions are pause, resume, cancel and delete; the others are taken by
workers, the reaper and recovery. ``"deleted"`` is not a status: the row goes away.
"""

from __future__ import annotations

from heimdall.errors import Conflict

QUEUED, RUNNING, PAUSING, PAUSED = "queued", "running", "pausing", "paused"
CANCELLING, CANCELLED, COMPLETED, FAILED = "cancelling", "cancelled", "completed", "failed"
STATUSES = (QUEUED, RUNNING, PAUSING, PAUSED, CANCELLING, CANCELLED, COMPLETED, FAILED)
DELETED = "deleted"

TRANSITIONS: dict[str, dict[str, str]] = {
    # user controls
    "pause": {RUNNING: PAUSING},
    "resume": {PAUSED: QUEUED},
    "cancel": {QUEUED: CANCELLED, PAUSED: CANCELLED, RUNNING: CANCELLING, PAUSING: CANCELLING},
    "delete": {PAUSED: DELETED, CANCELLED: DELETED, COMPLETED: DELETED, FAILED: DELETED},
    # a worker claims a queued job
    "start": {QUEUED: RUNNING},
    # the job function returned; a cancel that arrived meanwhile still wins
    "complete": {RUNNING: COMPLETED, PAUSING: COMPLETED, CANCELLING: CANCELLED},
    # the job function raised
    "fail": {RUNNING: FAILED, PAUSING: FAILED, CANCELLING: CANCELLED},
    # the job stopped at a requested pause (JobPaused)
    "stop_paused": {PAUSING: PAUSED, CANCELLING: CANCELLED},
    # the job stopped at a requested cancel (JobCancelled), or its worker was lost while cancelling
    "stop_cancelled": {RUNNING: CANCELLED, PAUSING: CANCELLED, CANCELLING: CANCELLED},
    # back to the queue: worker lost with a checkpoint, or the server stopped under it
    "requeue": {RUNNING: QUEUED, PAUSING: QUEUED},
}

USER_ACTIONS = ("pause", "resume", "cancel", "delete")
# A job in one of these states holds (or is about to hold) a worker.
ACTIVE = frozenset({QUEUED, RUNNING, PAUSING, CANCELLING})
# A worker is attached to the job (heartbeat and lease apply).
ATTACHED = frozenset({RUNNING, PAUSING, CANCELLING})
TERMINAL = frozenset({CANCELLED, COMPLETED, FAILED})

# The control a user action leaves for the worker to read (ctx.check).
CONTROL_FOR_ACTION = {"pause": "pause", "cancel": "cancel"}


def allowed_from(action: str) -> tuple[str, ...]:
    if action not in TRANSITIONS:
        raise ValueError(f"unknown job action {action!r}")
    return tuple(TRANSITIONS[action])


def next_status(action: str, current: str, *, job_id: str = "") -> str:
    """The status ``action`` leads to from ``current``; Conflict naming both states if forbidden."""
    targets = TRANSITIONS.get(action)
    if targets is None:
        raise ValueError(f"unknown job action {action!r}")
    target = targets.get(current)
    if target is None:
        subject = f"job {job_id}" if job_id else "job"
        allowed = ", ".join(targets) or "no state"
        raise Conflict(
            f"cannot {action} {subject}: it is {current}; {action} is allowed only from {allowed}",
            details={"status": current, "action": action, "allowed_from": list(targets)},
        )
    return target
