"""JobService: create, inspect and control jobs; reap lost workers; recover after a restart.

Every status change is a compare-and-set on the job row (``JobRepository.transition``) followed by a
``job.state`` event on ``job:<id>``; the executor is told about jobs that became runnable.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import Conflict, HeimdallError, InvalidInput, NotFound
from heimdall.jobs import leases, lifecycle
from heimdall.jobs.registry import get_kind
from heimdall.jobs.repository import JobRepository, LeaseLost
from heimdall.jobs.topics import Publish, publish_created, publish_deleted, publish_state
from heimdall.store.blob import BlobStore
from heimdall.store.db import utcnow

log = logging.getLogger(__name__)
MAX_PAGE = 1000
# Spelled out once here: inside JobService, ``list`` is the method that lists jobs.
Jobs = list[dict[str, Any]]


class Executor(Protocol):
    def submit(self, job_id: str, kind: str, queue: str) -> None: ...

    def start(self) -> None: ...

    def stop(self, timeout_s: float = 30.0) -> None: ...


class JobService:
    def __init__(self, session_factory: sessionmaker[Session], publish: Publish, executor: Executor | None = None,
                 blobs: BlobStore | None = None, *, max_attempts: int = 3) -> None:
        self.session_factory = session_factory
        self.publish = publish
        self.executor = executor
        self.blobs = blobs
        self.max_attempts = max_attempts
        self.repository = JobRepository(session_factory)
        bind = getattr(executor, "bind", None)
        if callable(bind):
            bind(self)

    # --- user-facing ---

    def create(self, kind: str, params: dict[str, Any] | None = None, *, name: str | None = None,
               parent_id: str | None = None) -> dict[str, Any]:
        spec = get_kind(kind)
        params = _json_params(params)
        job = self.repository.insert(kind, spec.queue, params, name=name, parent_id=parent_id)
        publish_created(self.publish, job)
        self._submit(job)
        return self.repository.find(job["id"]) or job

    def get(self, job_id: str) -> dict[str, Any]:
        return self.repository.get(job_id)

    def find(self, job_id: str) -> dict[str, Any] | None:
        """The job, or None when it does not exist (any more): how a use case asks after its job."""
        return self.repository.find(job_id)

    def list(self, kind: str | None = None, status: str | None = None, offset: int = 0,
             limit: int = 50) -> tuple[Jobs, int]:
        if status is not None and status not in lifecycle.STATUSES:
            raise InvalidInput(f"unknown job status {status!r}", field="status")
        if offset < 0:
            raise InvalidInput("offset must be >= 0", field="offset")
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
        return self.repository.list(kind=kind, status=status, offset=offset, limit=limit)

    def pause(self, job_id: str) -> dict[str, Any]:
        return self._change(job_id, "pause", {"requested_control": "pause", "reason": "pause requested"})

    def resume(self, job_id: str) -> dict[str, Any]:
        job = self._change(job_id, "resume", {"requested_control": None, "resume_on_start": False,
                                              "reason": "resumed"})
        self._submit(job)
        return job

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._change(job_id, "cancel", {"requested_control": "cancel", "reason": "cancelled by request"})

    def delete(self, job_id: str) -> dict[str, Any]:
        job, _ = self.repository.delete(job_id)
        if self.blobs is not None:
            self.blobs.delete_prefix(f"jobs/{job_id}/")
        publish_deleted(self.publish, job)
        return job

    def metrics(self, job_id: str) -> Jobs:
        self.repository.get(job_id)
        return self.repository.metrics(job_id)

    def _change(self, job_id: str, action: str, values: dict[str, Any]) -> dict[str, Any]:
        previous, job = self.repository.transition(job_id, action, values=values)
        publish_state(self.publish, job, previous)
        return job

    def _submit(self, job: dict[str, Any]) -> None:
        if self.executor is None or job["status"] != lifecycle.QUEUED:
            return
        try:
            self.executor.submit(job["id"], job["kind"], job["queue"])
        except HeimdallError as exc:
            # The row stays queued; recover_on_start submits it again.
            log.warning("job %s stays queued: cannot submit it: %s", job["id"], exc.message)

    # --- workers lost, restarts, shutdown ---

    def reap_lapsed(self, now: datetime | None = None) -> Jobs:
        """Resolve every job whose worker's lease lapsed (heartbeat older than the timeout)."""
        now = now or utcnow()
        resolved = []
        for job in self.repository.lapsed(now):
            outcome = self._resolve_lost(job, "heartbeat lapsed", lapsed_before=now)
            if outcome is not None:
                resolved.append(outcome)
        return resolved

    def worker_lost(self, job_id: str, worker_id: str, cause: str) -> dict[str, Any] | None:
        """An executor saw ``worker_id`` die; resolve its job if the job still names it."""
        job = self.repository.find(job_id)
        if job is None or job["worker_id"] != worker_id or job["status"] not in lifecycle.ATTACHED:
            return None
        return self._resolve_lost(job, cause)

    def _resolve_lost(self, job: dict[str, Any], cause: str, *,
                      lapsed_before: datetime | None = None) -> dict[str, Any] | None:
        action, values = self._lost_outcome(job, cause)
        try:
            previous, after = self.repository.transition(
                job["id"], action, worker_id=job["worker_id"], values=values, lapsed_before=lapsed_before
            )
        except (LeaseLost, Conflict, NotFound):
            return None  # the worker came back, or someone else resolved it first
        log.warning("job %s: worker %s lost (%s) -> %s", job["id"], job["worker_id"], cause, after["status"])
        publish_state(self.publish, after, previous)
        self._submit(after)
        return after

    def _lost_outcome(self, job: dict[str, Any], cause: str) -> tuple[str, dict[str, Any]]:
        status, attempt = job["status"], job["attempt"] + 1
        if status == lifecycle.CANCELLING:
            return "stop_cancelled", {"reason": f"cancelled (worker lost: {cause})"}
        if not job["checkpoint_key"]:
            return "fail", {"reason": f"worker lost ({cause})", "error": f"worker lost ({cause})"}
        if status == lifecycle.PAUSING:
            return "stop_paused", {"reason": "worker lost while pausing; resume continues from the last checkpoint"}
        if attempt >= self.max_attempts:
            reason = f"worker lost {attempt} times ({cause}); giving up"
            return "fail", {"reason": reason, "error": reason, "attempt": attempt}
        return "requeue", {"reason": "worker lost; resuming from checkpoint", "attempt": attempt,
                           "requested_control": None}

    def request_shutdown_pause(self, job_id: str) -> dict[str, Any] | None:
        """Ask a running job to pause because the server stops; the next start resumes it."""
        values = {"requested_control": "pause", "resume_on_start": True,
                  "reason": "server stopping; the job resumes when the server starts again"}
        try:
            return self._change(job_id, "pause", values)
        except (Conflict, NotFound):
            return None

    def recover_on_start(self) -> dict[str, int]:
        """After a (re)start: resolve orphans, resume shutdown-paused jobs, submit queued ones."""
        orphans = [
            job for job in self.repository.with_status(lifecycle.ATTACHED)
            if leases.is_certainly_dead(job["worker_id"])
        ]
        resolved = [self._resolve_lost(job, "server restarted") for job in orphans]
        reaped = self.reap_lapsed()
        resumed = 0
        for job in self.repository.with_status([lifecycle.PAUSED]):
            if job["resume_on_start"]:
                try:
                    self.resume(job["id"])
                    resumed += 1
                except Conflict:
                    pass
        queued = self.repository.with_status([lifecycle.QUEUED])
        for job in queued:
            self._submit(job)
        return {"orphans": sum(1 for job in resolved if job), "reaped": len(reaped), "resumed": resumed,
                "queued": len(queued)}


def _json_params(params: Any) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise InvalidInput("job params must be a JSON object", field="params")
    try:
        return cast(dict[str, Any], json.loads(json.dumps(params)))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"job params are not JSON-serialisable: {exc}", field="params") from exc
