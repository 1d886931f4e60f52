"""Celery: one task, ``heimdall.run_job(job_id)``, routed to the queue of the job's kind (cpu, gpu).

The broker (Redis or RabbitMQ) only carries "run this job id"; the database stays the source of truth,
so no result backend is needed and messages are acknowledged early (a lost worker is found by its
lapsed lease and the job resubmitted by the reaper, never by broker redelivery).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import DependencyMissing, StorageError
from heimdall.jobs.runner import run_job
from heimdall.jobs.runtime import JobRuntime, OpenRuntime
from heimdall.jobs.topics import Publish
from heimdall.settings import Settings

if TYPE_CHECKING:
    from heimdall.jobs.service import JobService

log = logging.getLogger(__name__)
TASK_NAME = "heimdall.run_job"


def make_celery_app(settings: Settings, open_runtime: OpenRuntime | None = None) -> Any:
    """The Celery app of ``settings``; with ``open_runtime`` its task runs jobs (``heimdall worker``),
    without it the app only sends them (an API process)."""
    try:
        from celery import Celery
    except ImportError as exc:
        raise DependencyMissing("Celery workers need celery: pip install 'heimdall[scale]'") from exc
    app = Celery("heimdall", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.job_queue_prefix + "cpu",
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name=TASK_NAME, ignore_result=True)  # type: ignore[untyped-decorator]  # Celery ships no types
    def run_job_task(job_id: str) -> None:
        if open_runtime is None:
            raise DependencyMissing("this Celery app only sends jobs; `heimdall worker` runs them")
        runtime = _runtime_of_this_process(settings, open_runtime)
        run_job(
            job_id, session_factory=runtime.session_factory, publish=runtime.publish, blobs=runtime.blobs,
            heartbeat_interval_s=settings.heartbeat_interval_s, heartbeat_timeout_s=settings.heartbeat_timeout_s,
        )

    return app


# One runtime per worker process, opened after the pool forks and kept for the process's life.
_RUNTIMES: dict[int, JobRuntime] = {}
_RUNTIME_CONTEXTS = contextlib.ExitStack()


def _runtime_of_this_process(settings: Settings, open_runtime: OpenRuntime) -> JobRuntime:
    pid = os.getpid()
    if pid not in _RUNTIMES:
        _RUNTIMES[pid] = _RUNTIME_CONTEXTS.enter_context(open_runtime(settings, None))
    return _RUNTIMES[pid]


def make_worker_publisher(settings: Settings, session_factory: sessionmaker[Session]) -> Publish:
    """The publisher named by ``settings.job_event_publisher`` ("module:function(settings, session_factory)")."""
    target = settings.job_event_publisher
    try:
        module_name, attribute = target.split(":")
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ValueError, ImportError, AttributeError):
        log.warning("job event publisher %r is unavailable; job events of this worker are only logged", target)
        return _log_only
    publish: Publish = factory(settings, session_factory)
    return publish


def _log_only(topic: str, event: str, data: dict[str, Any]) -> None:
    log.info("event %s on %s", event, topic)


def log_only_publisher(settings: Settings, session_factory: sessionmaker[Session]) -> Publish:
    """A publisher factory that only logs (for workers whose events nobody watches, e.g. tests)."""
    return _log_only


class CeleryExecutor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = make_celery_app(settings)
        self._service: JobService | None = None
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None

    def bind(self, service: JobService) -> None:
        self._service = service

    def submit(self, job_id: str, kind: str, queue: str) -> None:
        from kombu.exceptions import KombuError, OperationalError

        try:
            self.app.send_task(TASK_NAME, args=[job_id], queue=self.settings.job_queue_prefix + queue)
        except (OperationalError, KombuError, OSError) as exc:
            raise StorageError(f"cannot reach the job broker: {exc}") from exc

    def start(self) -> None:
        """Run the lease reaper here; the jobs themselves run on `heimdall worker` processes."""
        if self._reaper is not None:
            return
        self._stop.clear()
        self._reaper = threading.Thread(target=self._reap_forever, name="heimdall-job-reaper", daemon=True)
        self._reaper.start()

    def _reap_forever(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_interval_s):
            if self._service is None:
                continue
            try:
                self._service.reap_lapsed()
            except Exception:
                log.exception("job reaper failed; retrying")

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop reaping. Jobs keep running on the Celery workers, which outlive any one API server."""
        self._stop.set()
        if self._reaper is not None:
            self._reaper.join(timeout=timeout_s)
        self._reaper = None
        self.app.close()
