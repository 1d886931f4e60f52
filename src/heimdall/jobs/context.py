"""What a running job sees: its params, the blob store, progress, metrics, checkpoints and controls."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heimdall.jobs.repository import JobRepository, LeaseLost
from heimdall.jobs.topics import Publish, job_topic
from heimdall.store.blob import BlobStore

PROGRESS_MIN_INTERVAL_S = 0.25
CONTROL_MIN_INTERVAL_S = 0.2


class JobStopped(Exception):
    """Base of the exceptions that end a job at a control; the runner maps each to a state."""


class JobPaused(JobStopped):
    """Raised by ``ctx.check`` when pause is requested (after ``on_pause`` saved the position)."""


class JobCancelled(JobStopped):
    """Raised by ``ctx.check`` when cancel is requested."""


class JobContext:
    """Handed to a job function. Every write requires the job's row to still name this worker."""

    def __init__(self, job_id: str, params: dict[str, Any], *, blobs: BlobStore,
                 session_factory: sessionmaker[Session], publish: Publish, worker_id: str,
                 checkpoint_key: str | None = None, attempt: int = 0,
                 stop_requested: Callable[[], bool] | None = None) -> None:
        self.job_id = job_id
        self.params = params
        self.blobs = blobs
        self.session_factory = session_factory
        self.publish = publish
        self.worker_id = worker_id
        self.attempt = attempt
        self._repository = JobRepository(session_factory)
        self._checkpoint_key = checkpoint_key
        self._stop_requested = stop_requested or (lambda: False)
        self._last_progress_at = float("-inf")
        self._progress_origin: tuple[float, int] | None = None
        self._progress_phase: str | None = None
        self._last_control_at = float("-inf")
        self.stopped_by_worker = False

    @property
    def topic(self) -> str:
        return job_topic(self.job_id)

    def progress(self, step: int, total: int, *, phase: str = "", message: str = "") -> None:
        """Report progress; throttled to ~4 events/s, but the first step of each phase and the final
        step always go out (the ETA restarts with each phase)."""
        now = time.monotonic()
        new_phase = phase != self._progress_phase
        if new_phase:
            self._progress_origin = (now, step)
            self._progress_phase = phase
        final = total > 0 and step >= total
        if not (new_phase or final or now - self._last_progress_at >= PROGRESS_MIN_INTERVAL_S):
            return
        self._last_progress_at = now
        data = {
            "phase": phase, "step": step, "total": total,
            "percent": round(100.0 * step / total, 2) if total > 0 else None,
            "eta_s": self._eta_s(now, step, total), "message": message,
        }
        if not self._repository.set_progress(self.job_id, self.worker_id, data):
            raise LeaseLost(self.job_id)
        self.publish(self.topic, "job.progress", data)

    def _eta_s(self, now: float, step: int, total: int) -> float | None:
        start_time, start_step = self._progress_origin or (now, step)
        done = step - start_step
        if done <= 0 or total <= 0:
            return None
        return round((now - start_time) / done * max(total - step, 0), 3)

    def metrics(self, epoch: int, values: dict[str, Any]) -> None:
        """Store one epoch's metrics (a row per epoch) and emit ``job.metrics``."""
        if "epoch" in values:
            values = {key: value for key, value in values.items() if key != "epoch"}
        self._repository.put_metrics(self.job_id, epoch, values)
        self.publish(self.topic, "job.metrics", {"epoch": epoch, **values})

    def save_checkpoint(self, data: bytes) -> str:
        """Store ``data`` atomically as this job's checkpoint and record its key on the job row.

        Each worker writes under its own key, so a worker that lost its lease can never overwrite
        the checkpoint its successor resumes from.
        """
        key = f"jobs/{self.job_id}/checkpoint-{self.worker_id.rsplit(':', 1)[-1]}.bin"
        self.blobs.put_bytes(key, data)
        if not self._repository.set_checkpoint_key(self.job_id, self.worker_id, key):
            self.blobs.delete(key)
            raise LeaseLost(self.job_id)
        previous, self._checkpoint_key = self._checkpoint_key, key
        if previous and previous != key:
            self.blobs.delete(previous)
        return key

    def load_checkpoint(self) -> bytes | None:
        if not self._checkpoint_key:
            return None
        return self.blobs.get_bytes(self._checkpoint_key)

    def holds_lease(self, session: Session) -> bool:
        """Whether the job row still names this worker, read inside the caller's transaction: a use case
        that commits its own rows under the job's lease (a dataset's shards) checks it in that transaction."""
        return JobRepository.names_worker(session, self.job_id, self.worker_id)

    def check(self, on_pause: Callable[[], object] | None = None) -> None:
        """Honour controls: pause -> ``on_pause()`` then JobPaused; cancel -> JobCancelled.

        Reads the job row at most every 0.2 s, so it is cheap to call every batch.
        """
        if self._stop_requested():
            self.stopped_by_worker = True
            self._pause(on_pause)
        now = time.monotonic()
        if now - self._last_control_at < CONTROL_MIN_INTERVAL_S:
            return
        self._last_control_at = now
        control, owned = self._repository.control(self.job_id, self.worker_id)
        if not owned:
            raise LeaseLost(self.job_id)
        if control == "cancel":
            raise JobCancelled(self.job_id)
        if control == "pause":
            self._pause(on_pause)

    def _pause(self, on_pause: Callable[[], object] | None) -> None:
        if on_pause is not None:
            on_pause()
        raise JobPaused(self.job_id)
