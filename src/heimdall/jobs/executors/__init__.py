"""Executors run jobs; the database decides what runs. One interface:

    submit(job_id, kind, queue)   a job became runnable (created, resumed, requeued)
    start()                        begin running jobs (and reaping lost workers)
    stop(timeout_s)                stop; running jobs are asked to pause (checkpoint) first

``InlineExecutor`` runs a job in the caller's thread (tests, CLI), ``LocalExecutor`` in supervised child
processes (the default under ``heimdall serve``), ``CeleryExecutor`` on Celery workers (``heimdall worker``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from heimdall.jobs.executors.inline import InlineExecutor
from heimdall.jobs.executors.local import LocalExecutor

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from heimdall.jobs.executors.celery_executor import CeleryExecutor
    from heimdall.jobs.runtime import OpenRuntime
    from heimdall.jobs.topics import Publish
    from heimdall.settings import Settings
    from heimdall.store.blob import BlobStore

__all__ = ["CeleryExecutor", "InlineExecutor", "LocalExecutor", "make_executor"]


def make_executor(settings: Settings, *, session_factory: sessionmaker[Session], publish: Publish,
                  blobs: BlobStore, open_runtime: OpenRuntime) -> LocalExecutor | CeleryExecutor:
    """Celery when ``settings.broker_url`` is set (redis://, rediss://, amqp://), else local processes
    (whose children open their runtime with ``open_runtime``)."""
    if settings.broker_url:
        from heimdall.jobs.executors.celery_executor import CeleryExecutor

        return CeleryExecutor(settings)
    return LocalExecutor(settings, session_factory=session_factory, publish=publish, blobs=blobs,
                         open_runtime=open_runtime)


def __getattr__(name: str) -> object:
    # Celery is an optional dependency: import it only when asked for.
    if name == "CeleryExecutor":
        from heimdall.jobs.executors.celery_executor import CeleryExecutor

        return CeleryExecutor
    raise AttributeError(name)
