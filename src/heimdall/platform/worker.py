"""What a worker process runs jobs with, opened the way the composition root opens it.

Worker processes (``heimdall worker``'s Celery pool, the local executor's children) run jobs, not
services: they need the database, the blob store and a publisher, nothing more, and they start often
(a local child per job), so this module stays light: it imports neither the services nor the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from heimdall.jobs.executors.celery_executor import make_worker_publisher
from heimdall.jobs.runtime import JobRuntime
from heimdall.jobs.topics import Publish
from heimdall.settings import Settings
from heimdall.store.blob import make_blob_store
from heimdall.store.db import make_engine, make_session_factory


@contextmanager
def open_job_runtime(settings: Settings, publish: Publish | None = None) -> Iterator[JobRuntime]:
    """What a worker process runs jobs with: the database and blob store of ``settings`` and a publisher
    (``publish``, else the one ``settings.job_event_publisher`` names). The database is not migrated:
    the process that started the worker did that."""
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    try:
        yield JobRuntime(
            session_factory=session_factory,
            blobs=make_blob_store(settings.resolved_blob_url, settings.s3_endpoint_url),
            publish=publish if publish is not None else make_worker_publisher(settings, session_factory),
        )
    finally:
        engine.dispose()
