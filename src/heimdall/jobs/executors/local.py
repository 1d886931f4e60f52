"""Local worker processes supervised by the server (the embedded default of ``heimdall serve``).

A supervisor thread pulls ``queued`` jobs from the database (the source of truth: a restarted server
finds its queue there), claims each one and runs it in a non-daemonic child process started with the
``spawn`` method, up to ``max_workers`` at once. Children heartbeat the job row themselves and send their
events back over a multiprocessing queue; the supervisor publishes them with the server's ``publish``.
A child that exits while its job is still attached is a lost worker (resolved at once); the supervisor
also runs the lease reaper for workers that vanished without the supervisor noticing. A child opens
its database, blobs and publisher with the ``open_runtime`` it is handed (the composition root's).
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from heimdall.jobs import leases, lifecycle
from heimdall.jobs.repository import JobRepository
from heimdall.jobs.runner import claim
from heimdall.jobs.runtime import OpenRuntime
from heimdall.jobs.topics import Publish
from heimdall.jobs.worker_main import run_child
from heimdall.settings import Settings
from heimdall.store.blob import BlobStore

if TYPE_CHECKING:
    from heimdall.jobs.service import JobService

log = logging.getLogger(__name__)


@dataclass
class _Child:
    process: Any
    worker_id: str


class LocalExecutor:
    def __init__(self, settings: Settings, *, session_factory: sessionmaker[Session], publish: Publish,
                 open_runtime: OpenRuntime, blobs: BlobStore | None = None, max_workers: int | None = None,
                 poll_interval_s: float = 0.2) -> None:
        self.settings = settings
        self.publish = publish
        self.blobs = blobs
        # Module-level (picklable): the spawned child calls it to open its own runtime.
        self.open_runtime = open_runtime
        self.max_workers = settings.local_workers if max_workers is None else max_workers
        self.poll_interval_s = poll_interval_s
        self.repository = JobRepository(session_factory)
        self._service: JobService | None = None
        self._mp = multiprocessing.get_context("spawn")
        self._children: dict[str, _Child] = {}
        self._events: Any = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._accepting = False
        self._supervisor: threading.Thread | None = None

    def bind(self, service: JobService) -> None:
        """Called by JobService: the supervisor resolves lost workers and reaps through it."""
        self._service = service

    def submit(self, job_id: str, kind: str, queue: str) -> None:
        # The job is already queued in the database; just look now instead of at the next poll.
        self._wake.set()

    def running_jobs(self) -> dict[str, int | None]:
        """job id -> child pid, for the jobs this executor runs now."""
        return {job_id: child.process.pid for job_id, child in list(self._children.items())}

    def start(self) -> None:
        if self._supervisor is not None:
            return
        self._events = self._mp.Queue()
        self._accepting = True
        self._stopping.clear()
        self._supervisor = threading.Thread(target=self._supervise, name="heimdall-job-supervisor", daemon=True)
        self._supervisor.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask running jobs to pause (they checkpoint), wait up to ``timeout_s``, terminate the rest."""
        if self._supervisor is None:
            return
        self._accepting = False
        for job_id in list(self._children):
            if self._service is not None:
                self._service.request_shutdown_pause(job_id)
        deadline = time.monotonic() + timeout_s
        while self._children and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop_supervisor()
        for job_id, child in list(self._children.items()):
            log.warning("job %s did not pause within %.0f s; terminating its worker", job_id, timeout_s)
            _terminate(child.process)
            self._forget(job_id, child, "server stopped")
        self._pump_events(0)
        self._close_events()

    def kill(self) -> None:
        """Stop at once, like a crash: SIGKILL every child and write nothing to the database."""
        if self._supervisor is None:
            return
        self._accepting = False
        self._stop_supervisor()
        for child in self._children.values():
            child.process.kill()
            child.process.join(timeout=10)
            leases.mark_gone(child.worker_id)
        self._children.clear()
        self._close_events()

    def _stop_supervisor(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=30)
        self._supervisor = None

    def _close_events(self) -> None:
        if self._events is not None:
            self._events.close()
            self._events.cancel_join_thread()
            self._events = None

    # --- the supervisor thread ---

    def _supervise(self) -> None:
        next_tick = next_reap = 0.0
        while not self._stopping.is_set():
            self._pump_events(self.poll_interval_s / 4)
            now = time.monotonic()
            if not (self._wake.is_set() or now >= next_tick):
                continue
            self._wake.clear()
            next_tick = now + self.poll_interval_s
            try:
                self._collect_exited()
                if now >= next_reap:
                    next_reap = now + self.settings.heartbeat_interval_s
                    self._renew_leases()
                    if self._accepting and self._service is not None:
                        self._service.reap_lapsed()
                if self._accepting:
                    self._launch_queued()
            except Exception:
                log.exception("job supervisor tick failed; retrying")
        self._collect_exited()

    def _pump_events(self, timeout_s: float) -> None:
        events = self._events
        if events is None:
            return
        try:
            item = events.get(timeout=timeout_s) if timeout_s > 0 else events.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        while True:
            try:
                self.publish(*item)
            except Exception:
                log.exception("publishing a job event failed")
            try:
                item = events.get_nowait()
            except (queue.Empty, OSError, ValueError):
                return

    def _renew_leases(self) -> None:
        # A child heartbeats for itself once it runs, but starting an interpreter (and importing torch)
        # can outlast the lease; while the process is alive the supervisor vouches for it.
        for job_id, child in list(self._children.items()):
            if child.process.is_alive():
                self.repository.heartbeat(job_id, child.worker_id, self.settings.heartbeat_timeout_s)

    def _collect_exited(self) -> None:
        for job_id, child in list(self._children.items()):
            if child.process.is_alive():
                continue
            child.process.join()
            # Publish what the child sent before judging its end, so events keep their order.
            self._pump_events(0)
            self._forget(job_id, child, f"worker process exited with code {child.process.exitcode}")

    def _forget(self, job_id: str, child: _Child, cause: str) -> None:
        self._children.pop(job_id, None)
        leases.mark_gone(child.worker_id)
        if self._service is not None:
            self._service.worker_lost(job_id, child.worker_id, cause)

    def _launch_queued(self) -> None:
        free = self.max_workers - len(self._children)
        if free <= 0:
            return
        for job in self.repository.with_status([lifecycle.QUEUED], limit=free):
            worker_id = leases.new_worker_id()
            leases.mark_live(worker_id)
            claimed = claim(self.repository, self.publish, job["id"], worker_id, self.settings.heartbeat_timeout_s)
            if claimed is None:
                leases.mark_gone(worker_id)
                continue
            process = self._mp.Process(
                target=run_child, name=f"heimdall-job-{job['id'][:8]}", daemon=False,
                args=(job["id"], worker_id, self.settings.model_dump(mode="json"), self._events, self.open_runtime),
            )
            child = _Child(process, worker_id)
            try:
                process.start()
            except OSError as exc:
                log.error("cannot start a worker process for job %s: %s", job["id"], exc)
                self._forget(job["id"], child, f"cannot start a worker process: {exc}")
                continue
            self._children[job["id"]] = child


def _terminate(process: BaseProcess) -> None:
    process.terminate()
    process.join(timeout=5)
    if process.is_alive():
        process.kill()
        process.join(timeout=5)
