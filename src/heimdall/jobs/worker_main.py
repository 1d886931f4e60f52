"""The entry point of a local worker process (spawned by ``LocalExecutor``): run one claimed job."""

from __future__ import annotations

import logging
import multiprocessing
import signal
from multiprocessing.queues import Queue
from typing import Any

from heimdall.jobs.runtime import OpenRuntime


def run_child(job_id: str, worker_id: str, settings_values: dict[str, Any],
              events: Queue[tuple[str, str, dict[str, Any]]], open_runtime: OpenRuntime) -> None:
    # Ctrl-C reaches the whole process group; the server decides how its workers stop (pause first).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from heimdall.jobs.registry import import_job_modules
    from heimdall.jobs.repository import JobRepository
    from heimdall.jobs.runner import run_claimed
    from heimdall.settings import Settings

    settings = Settings(**settings_values)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import_job_modules(settings.all_job_modules)
    parent = multiprocessing.parent_process()

    def publish(topic: str, event: str, data: dict[str, Any]) -> None:
        events.put((topic, event, data))

    try:
        with open_runtime(settings, publish) as runtime:
            job = JobRepository(runtime.session_factory).find(job_id)
            if job is None or job["worker_id"] != worker_id:
                return
            run_claimed(
                job, worker_id, session_factory=runtime.session_factory, publish=runtime.publish,
                blobs=runtime.blobs, heartbeat_interval_s=settings.heartbeat_interval_s,
                heartbeat_timeout_s=settings.heartbeat_timeout_s,
                # An orphaned worker (its server died) stops at its next check and requeues the job.
                stop_requested=lambda: parent is not None and not parent.is_alive(),
            )
    finally:
        events.close()
        events.join_thread()
