"""Real databases (SQLite file, PostgreSQL schema per test), real worker processes, real brokers: the job
engine on its own, with a recording publisher.

Scaled services (PostgreSQL, Redis, RabbitMQ) are skipped when unreachable, except under CI=true,
where an unreachable service fails the test.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

import heimdall.services.counting_job  # noqa: F401 - registers test.count in this process too
from heimdall.jobs.executors import LocalExecutor
from heimdall.jobs.repository import JOBS
from heimdall.jobs.service import JobService
from heimdall.platform.worker import open_job_runtime
from heimdall.settings import Settings
from heimdall.store.blob import LocalBlobStore
from heimdall.store.db import make_engine, make_session_factory, transaction, utcnow
from heimdall.store.schema import upgrade_database
from support.events import EventRecorder as Recorder
from support.platform import COUNTING_JOB_MODULE
from support.postgres import postgres_schema


def wait_for(predicate, timeout_s: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout_s} s")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.scaled)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'heimdall.db'}"
        return
    with postgres_schema("heimdall_jobs") as url:
        yield url


def make_settings(tmp_path, database_url: str, **overrides) -> Settings:
    values = {
        "data_dir": str(tmp_path), "database_url": database_url, "blob_url": f"file://{tmp_path / 'blobs'}",
        "local_workers": 2, "heartbeat_interval_s": 0.2, "heartbeat_timeout_s": 5.0,
        "job_modules": [COUNTING_JOB_MODULE], "log_level": "WARNING",
    }
    return Settings(**{**values, **overrides})


class JobEngine:
    """The job engine as `heimdall serve` runs it (local executor, real child processes), publishing to a recorder."""

    def __init__(self, settings: Settings, recorder: Recorder) -> None:
        self.settings = settings
        self.recorder = recorder
        self.engine = make_engine(settings.resolved_database_url)
        self.session_factory = make_session_factory(self.engine)
        self.blobs = LocalBlobStore(settings.resolved_blob_url.removeprefix("file://"))
        self.executor = LocalExecutor(settings, session_factory=self.session_factory, publish=recorder,
                                      open_runtime=open_job_runtime, blobs=self.blobs, poll_interval_s=0.1)
        self.service = JobService(self.session_factory, recorder, self.executor, self.blobs)

    def force_state(self, job_id: str, status: str, **values) -> None:
        if status in ("running", "pausing", "cancelling"):
            values.setdefault("lease_expires_at", utcnow() + timedelta(seconds=60))
        with transaction(self.session_factory) as session:
            session.execute(update(JOBS).where(JOBS.c.id == job_id).values(status=status, **values))

    def wait_status(self, job_id: str, *statuses: str, timeout_s: float = 30.0) -> dict:
        return wait_for(lambda: (job := self.service.get(job_id))["status"] in statuses and job,
                        timeout_s, f"job {job_id} in {statuses}")

    def wait_step(self, job_id: str, step: int, timeout_s: float = 30.0) -> dict:
        def reached():
            job = self.service.get(job_id)
            return job["progress"] and job["progress"]["step"] >= step and job
        return wait_for(reached, timeout_s, f"job {job_id} at step {step}")

    def close(self, hard: bool = False) -> None:
        if hard:
            self.executor.kill()
        else:
            self.executor.stop(timeout_s=10)
        self.engine.dispose()


@pytest.fixture
def platform_factory(tmp_path, database_url):
    upgrade_database(database_url)
    made: list[JobEngine] = []

    def make(**overrides) -> JobEngine:
        platform = JobEngine(make_settings(tmp_path, database_url, **overrides), Recorder())
        made.append(platform)
        return platform

    yield make
    for platform in made:
        platform.close(hard=True)
