"""A real `heimdall worker` (Celery) process on Redis, and a RabbitMQ smoke test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from heimdall.jobs.executors.celery_executor import CeleryExecutor
from heimdall.jobs.service import JobService
from heimdall.store.blob import LocalBlobStore
from heimdall.store.db import make_engine, make_session_factory
from heimdall.store.schema import upgrade_database
from support.events import EventRecorder as Recorder
from support.services import AMQP_URL, REDIS_URL, require_service

from .conftest import make_settings, wait_for

pytestmark = pytest.mark.scaled
HEIMDALL = Path(sys.executable).with_name("heimdall")


class CeleryPlatform:
    def __init__(self, tmp_path: Path, broker_url: str) -> None:
        self.settings = make_settings(
            tmp_path, f"sqlite:///{tmp_path / 'heimdall.db'}", broker_url=broker_url,
            job_queue_prefix=f"heimdall-test-{uuid.uuid4().hex[:10]}-",
            job_event_publisher="heimdall.jobs.executors.celery_executor:log_only_publisher",
        )
        upgrade_database(self.settings.resolved_database_url)
        self.engine = make_engine(self.settings.resolved_database_url)
        session_factory = make_session_factory(self.engine)
        self.recorder = Recorder()
        self.executor = CeleryExecutor(self.settings)
        blobs = LocalBlobStore(tmp_path / "blobs")
        self.service = JobService(session_factory, self.recorder, self.executor, blobs)
        self.executor.start()
        self.log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - lives as long as the worker
        env = {**os.environ, **{f"HEIMDALL_{key.upper()}": str(value) for key, value in {
            "data_dir": tmp_path, "database_url": self.settings.database_url, "blob_url": self.settings.blob_url,
            "broker_url": broker_url, "job_queue_prefix": self.settings.job_queue_prefix,
            "job_modules": "heimdall.services.counting_job", "heartbeat_interval_s": 0.2,
            "heartbeat_timeout_s": 5, "job_event_publisher": self.settings.job_event_publisher,
            "log_level": "WARNING",
        }.items()}}
        self.worker = subprocess.Popen([str(HEIMDALL), "worker", "--queues", "cpu", "--concurrency", "1"],
                                       env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_status(self, job_id: str, *statuses: str, timeout_s: float = 60.0) -> dict:
        def reached():
            assert self.worker.poll() is None, "the celery worker exited"
            job = self.service.get(job_id)
            return job["status"] in statuses and job
        return wait_for(reached, timeout_s, f"job {job_id} in {statuses}")

    def close(self) -> None:
        self.executor.stop(timeout_s=5)
        self.worker.send_signal(signal.SIGTERM)
        try:
            self.worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait(timeout=10)
        self.log.close()
        self._delete_queue()
        self.engine.dispose()

    def _delete_queue(self) -> None:
        from kombu import Connection

        with Connection(self.settings.broker_url, connect_timeout=5) as connection:
            channel = connection.default_channel
            channel.queue_delete(self.settings.job_queue_prefix + "cpu")


@pytest.fixture
def redis_platform(tmp_path):
    require_service("Redis", 6379)
    platform = CeleryPlatform(tmp_path, REDIS_URL)
    yield platform
    platform.close()


def test_celery_worker_on_redis_runs_pauses_resumes_and_completes(redis_platform):
    service = redis_platform.service
    quick = service.create("test.count", {"total": 3, "step_delay_s": 0.0})
    done = redis_platform.wait_status(quick["id"], "completed", "failed")
    assert done["status"] == "completed" and done["result"]["executed"] == [1, 2, 3], done["reason"]

    job = service.create("test.count", {"total": 40, "step_delay_s": 0.03})
    wait_for(lambda: (service.get(job["id"])["progress"] or {}).get("step", 0) >= 3, 60, "step 3")
    service.pause(job["id"])
    assert redis_platform.wait_status(job["id"], "paused")["has_checkpoint"]
    service.resume(job["id"])
    done = redis_platform.wait_status(job["id"], "completed", "failed")
    assert done["status"] == "completed", done["reason"]
    first, second = done["result"]["runs"]
    assert second[0] == first[-1] + 1 and done["result"]["executed"] == list(range(1, 41))
    states = [e["status"] for e in redis_platform.recorder.named("job.state", job["id"])]
    assert states[:2] == ["pausing", "queued"]  # the API side publishes the user's controls


def test_celery_worker_on_rabbitmq_runs_a_job(tmp_path):
    require_service("RabbitMQ", 5672)
    platform = CeleryPlatform(tmp_path, AMQP_URL)
    try:
        job = platform.service.create("test.count", {"total": 3, "step_delay_s": 0.0})
        done = platform.wait_status(job["id"], "completed", "failed")
        assert done["status"] == "completed" and done["result"]["count"] == 3, done["reason"]
    finally:
        platform.close()
