"""Run each job to its end in the calling thread, at submit time (tests and one-shot CLI runs)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from heimdall.jobs.runner import run_job
from heimdall.jobs.topics import Publish
from heimdall.store.blob import BlobStore


class InlineExecutor:
    def __init__(self, session_factory: sessionmaker[Session], publish: Publish, blobs: BlobStore, *,
                 heartbeat_interval_s: float = 2.0, heartbeat_timeout_s: float = 15.0) -> None:
        self.session_factory = session_factory
        self.publish = publish
        self.blobs = blobs
        self.heartbeat_interval_s = heartbeat_interval_s
        self.heartbeat_timeout_s = heartbeat_timeout_s

    def submit(self, job_id: str, kind: str, queue: str) -> None:
        run_job(
            job_id, session_factory=self.session_factory, publish=self.publish, blobs=self.blobs,
            heartbeat_interval_s=self.heartbeat_interval_s, heartbeat_timeout_s=self.heartbeat_timeout_s,
        )

    def start(self) -> None:
        """Nothing to start: jobs run inside submit()."""

    def stop(self, timeout_s: float = 30.0) -> None:
        """Nothing to stop: no job outlives its submit() call."""
