"""The job engine on its own: a real SQLite database (tmp file, migrated), a local blob store, a recording
publisher (the suite's ``recorder`` fixture) and an executor that only records submissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

import heimdall.services.counting_job  # noqa: F401 - registers test.count
from heimdall.jobs.repository import JOBS
from heimdall.jobs.service import JobService
from heimdall.store.blob import LocalBlobStore
from heimdall.store.db import make_engine, make_session_factory, transaction, utcnow
from heimdall.store.schema import upgrade_database


class RecordingExecutor:
    """Remembers submissions without running anything (jobs are run explicitly by the tests)."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, job_id: str, kind: str, queue: str) -> None:
        self.submitted.append(job_id)

    def start(self) -> None:
        pass

    def stop(self, timeout_s: float = 30.0) -> None:
        pass


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def session_factory(tmp_path, migrated_template):
    path = tmp_path / "heimdall.db"
    path.write_bytes(migrated_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def blobs(tmp_path):
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def executor():
    return RecordingExecutor()


@pytest.fixture
def service(session_factory, recorder, executor, blobs):
    return JobService(session_factory, recorder, executor, blobs)


@pytest.fixture
def force_state(session_factory):
    """Put a job straight into any state (bypassing the lifecycle) to set up a test."""

    def force(job_id: str, status: str, **values) -> None:
        if status in ("running", "pausing", "cancelling"):
            values.setdefault("worker_id", "elsewhere:1:abc")
            values.setdefault("lease_expires_at", utcnow() + timedelta(seconds=60))
        with transaction(session_factory) as session:
            session.execute(update(JOBS).where(JOBS.c.id == job_id).values(status=status, **values))

    return force
