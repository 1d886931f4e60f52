"""What a process that runs jobs holds, and who opens it.

A worker process (a local executor's child, a ``heimdall worker``) runs jobs with a database, a blob
store and a publisher for its jobs' events. The job engine builds none of them: the composition root
(``heimdall.platform.open_job_runtime``) does, and is handed to the executors as an ``OpenRuntime``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from heimdall.jobs.topics import Publish
from heimdall.settings import Settings
from heimdall.store.blob import BlobStore


@dataclass(frozen=True)
class JobRuntime:
    session_factory: sessionmaker[Session]
    blobs: BlobStore
    publish: Publish


# open_runtime(settings, publish) -> a context holding the runtime of this process; ``publish``, when
# given, replaces the configured publisher (a local child sends its events to its supervisor).
OpenRuntime = Callable[[Settings, Publish | None], AbstractContextManager[JobRuntime]]
