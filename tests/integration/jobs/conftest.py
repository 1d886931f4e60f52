"""Real databases (SQLite file, PostgreSQL schema per test), real worker processes, real brokers.

Scaled services (PostgreSQL, Redis, RabbitMQ) are skipped when unreachable, except under CI=true,
where an unreachable service fails the test.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text, update

import heimdall.jobs.kinds.counting  # noqa: F401 - registers test.count in this process too
from heimdall.jobs.executors import LocalExecutor
from heimdall.jobs.repository import JOBS
from heimdall.jobs.service import JobService
from heimdall.settings import Settings
from heimdall.store.blob import LocalBlobStore
from heimdall.store.db import make_engine, make_session_factory, transaction, utcnow
from heimdall.store.schema import upgrade_database

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"


def require_service(name: str, port: int, host: str = "127.0.0.1") -> None:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        message = f"{name} at {host}:{port} is unreachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []
        self._lock = threading.Lock()

    def __call__(self, topic: str, event: str, data: dict) -> None:
        with self._lock:
            self.events.append((topic, event, data))

    def named(self, event: str, job_id: str) -> list[dict]:
        with self._lock:
            return [d for t, e, d in self.events if e == event and t == f"job:{job_id}"]


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
    require_service("PostgreSQL", 5432)
    schema = f"heimdall_jobs_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_settings(tmp_path, database_url: str, **overrides) -> Settings:
    values = {
        "data_dir": str(tmp_path), "database_url": database_url, "blob_url": f"file://{tmp_path / 'blobs'}",
        "local_workers": 2, "heartbeat_interval_s": 0.2, "heartbeat_timeout_s": 5.0,
        "job_modules": ["heimdall.jobs.kinds.counting"], "log_level": "WARNING",
    }
    return Settings(**{**values, **overrides})


class Platform:
    """What `heimdall serve` builds for jobs: session factory, blobs, executor, service."""

    def __init__(self, settings: Settings, recorder: Recorder) -> None:
        self.settings = settings
        self.recorder = recorder
        self.engine = make_engine(settings.resolved_database_url)
        self.session_factory = make_session_factory(self.engine)
        self.blobs = LocalBlobStore(settings.resolved_blob_url.removeprefix("file://"))
        self.executor = LocalExecutor(settings, session_factory=self.session_factory, publish=recorder,
                                      blobs=self.blobs, poll_interval_s=0.1)
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
    made: list[Platform] = []

    def make(**overrides) -> Platform:
        platform = Platform(make_settings(tmp_path, database_url, **overrides), Recorder())
        made.append(platform)
        return platform

    yield make
    for platform in made:
        platform.close(hard=True)
