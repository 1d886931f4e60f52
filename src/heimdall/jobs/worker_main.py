"""The entry point of a local worker process (spawned by ``LocalExecutor``): run one claimed job."""

from __future__ import annotations

import logging
import multiprocessing
import signal
from typing import Any


def run_child(job_id: str, worker_id: str, settings_values: dict[str, Any], events) -> None:
    # Ctrl-C reaches the whole process group; the server decides how its workers stop (pause first).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from heimdall.jobs.registry import import_job_modules
    from heimdall.jobs.repository import JobRepository
    from heimdall.jobs.runner import run_claimed
    from heimdall.settings import Settings
    from heimdall.store.blob import make_blob_store
    from heimdall.store.db import make_engine, make_session_factory

    settings = Settings(**settings_values)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import_job_modules(settings.all_job_modules)
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    parent = multiprocessing.parent_process()

    def publish(topic: str, event: str, data: dict[str, Any]) -> None:
        events.put((topic, event, data))

    try:
        job = JobRepository(session_factory).find(job_id)
        if job is None or job["worker_id"] != worker_id:
            return
        run_claimed(
            job, worker_id, session_factory=session_factory, publish=publish,
            blobs=make_blob_store(settings.resolved_blob_url, settings.s3_endpoint_url),
            heartbeat_interval_s=settings.heartbeat_interval_s,
            heartbeat_timeout_s=settings.heartbeat_timeout_s,
            # An orphaned worker (its server died) stops at its next check and requeues the job.
            stop_requested=lambda: parent is not None and not parent.is_alive(),
        )
    finally:
        events.close()
        events.join_thread()
        engine.dispose()
