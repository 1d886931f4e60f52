"""Run one job in the current process: claim it, heartbeat its lease, call its kind, record the outcome.

Every executor ends up here (inline in the caller's thread, in a local child process, in a Celery
task), so the outcome rules live in one place:

    returned            -> completed (result stored)          JobPaused    -> paused
    JobCancelled        -> cancelled                           other error  -> failed (reason = message)
    lease lost          -> nothing written (the job belongs to someone else now)
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import Conflict, HeimdallError, InvalidInput, NotFound, StorageError
from heimdall.jobs import leases
from heimdall.jobs.context import JobCancelled, JobContext, JobPaused
from heimdall.jobs.registry import get_kind
from heimdall.jobs.repository import JobRepository, LeaseLost
from heimdall.jobs.topics import Publish, publish_state
from heimdall.store.blob import BlobStore
from heimdall.store.db import utcnow

log = logging.getLogger(__name__)


class Heartbeat:
    """Renews the job's lease every ``interval_s`` from a background thread."""

    def __init__(self, repository: JobRepository, job_id: str, worker_id: str, interval_s: float,
                 timeout_s: float) -> None:
        self._args = (job_id, worker_id, timeout_s)
        self._repository = repository
        self._interval_s = interval_s
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                if not self._repository.heartbeat(*self._args):
                    self.lost = True
                    return
            except StorageError:
                # A transient database failure: keep trying; the lease gives us heartbeat_timeout_s.
                log.warning("heartbeat of job %s failed", self._args[0], exc_info=True)


def claim(repository: JobRepository, publish: Publish, job_id: str, worker_id: str,
          heartbeat_timeout_s: float) -> dict[str, Any] | None:
    """queued -> running for ``worker_id``; None when the job is no longer queued (or gone)."""
    def values(job: dict[str, Any], _target: str) -> dict[str, Any]:
        now = utcnow()
        values = {
            "worker_id": worker_id, "heartbeat_at": now, "requested_control": None, "reason": None,
            "lease_expires_at": now + timedelta(seconds=heartbeat_timeout_s), "resume_on_start": False,
        }
        if job["started_at"] is None:
            values["started_at"] = now
        return values

    try:
        previous, job = repository.transition(job_id, "start", values=values)
    except (Conflict, NotFound):
        return None
    publish_state(publish, job, previous)
    return job


def run_claimed(job: dict[str, Any], worker_id: str, *, session_factory: sessionmaker[Session], publish: Publish,
                blobs: BlobStore, heartbeat_interval_s: float, heartbeat_timeout_s: float,
                stop_requested: Callable[[], bool] | None = None) -> dict[str, Any] | None:
    """Run a job this worker has claimed; returns the job as finished, or None if the lease was lost."""
    repository = JobRepository(session_factory)
    heartbeat = Heartbeat(repository, job["id"], worker_id, heartbeat_interval_s, heartbeat_timeout_s)
    context = JobContext(
        job["id"], job["params"], blobs=blobs, session_factory=session_factory, publish=publish,
        worker_id=worker_id, checkpoint_key=job["checkpoint_key"], attempt=job["attempt"],
        stop_requested=stop_requested,
    )
    heartbeat.start()
    try:
        action, values = _call(job, context)
    finally:
        heartbeat.stop()
    if action is None or heartbeat.lost:
        log.warning("job %s: lease lost; its new owner decides its state", job["id"])
        return None
    return _finish(repository, publish, job["id"], worker_id, action, values)


def _call(job: dict[str, Any], context: JobContext) -> tuple[str | None, dict[str, Any]]:
    try:
        result = get_kind(job["kind"]).fn(context)
        return "complete", {"result": _json_result(result)}
    except JobPaused:
        if context.stopped_by_worker:
            return "requeue", {"reason": "server stopped; resuming from checkpoint"}
        return "stop_paused", {}
    except JobCancelled:
        return "stop_cancelled", {"reason": "cancelled by request"}
    except LeaseLost:
        return None, {}
    except HeimdallError as exc:
        log.warning("job %s (%s) failed: %s", job["id"], job["kind"], exc.message)
        return "fail", {"error": exc.message, "reason": exc.message}
    except Exception as exc:
        log.exception("job %s (%s) crashed", job["id"], job["kind"])
        summary = f"{exc.__class__.__name__}: {exc}".strip()[:500]
        return "fail", {"error": summary, "reason": f"job crashed: {summary}"}


def _json_result(result: Any) -> dict[str, Any] | None:
    if result is None:
        return None
    if not isinstance(result, dict):
        raise InvalidInput(f"a job must return a dict or None, not {type(result).__name__}")
    try:
        return cast(dict[str, Any], json.loads(json.dumps(result)))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"job result is not JSON-serialisable: {exc}") from exc


def _finish(repository: JobRepository, publish: Publish, job_id: str, worker_id: str, action: str,
            values: dict[str, Any]) -> dict[str, Any] | None:
    def with_reason(job: dict[str, Any], target: str) -> dict[str, Any]:
        reason = values.get("reason")
        if target == "paused":
            reason = job["reason"] if job["resume_on_start"] else "paused by request"
        elif target == "cancelled" and reason is None:
            reason = "cancelled by request"
        return {**values, "reason": reason}

    try:
        previous, job = repository.transition(job_id, action, worker_id=worker_id, values=with_reason)
    except LeaseLost:
        log.warning("job %s: lease lost before its outcome (%s) was recorded", job_id, action)
        return None
    publish_state(publish, job, previous)
    return job


def run_job(job_id: str, *, session_factory: sessionmaker[Session], publish: Publish, blobs: BlobStore,
            heartbeat_interval_s: float, heartbeat_timeout_s: float) -> dict[str, Any] | None:
    """Claim and run ``job_id`` in this thread (inline executor, Celery task)."""
    repository = JobRepository(session_factory)
    worker_id = leases.new_worker_id()
    leases.mark_live(worker_id)
    try:
        job = claim(repository, publish, job_id, worker_id, heartbeat_timeout_s)
        if job is None:
            return None
        return run_claimed(
            job, worker_id, session_factory=session_factory, publish=publish, blobs=blobs,
            heartbeat_interval_s=heartbeat_interval_s, heartbeat_timeout_s=heartbeat_timeout_s,
        )
    finally:
        leases.mark_gone(worker_id)
