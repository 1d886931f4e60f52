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
    def __init__(self, tmp_path: Path, broker_url: str, *, workers: int = 1, **overrides) -> None:
        self.settings = make_settings(
            tmp_path, f"sqlite:///{tmp_path / 'heimdall.db'}", broker_url=broker_url,
            job_queue_prefix=f"heimdall-test-{uuid.uuid4().hex[:10]}-",
            job_event_publisher="heimdall.jobs.executors.celery_executor:log_only_publisher", **overrides,
        )
        upgrade_database(self.settings.resolved_database_url)
        self.engine = make_engine(self.settings.resolved_database_url)
        session_factory = make_session_factory(self.engine)
        self.recorder = Recorder()
        self.executor = CeleryExecutor(self.settings)
        blobs = LocalBlobStore(tmp_path / "blobs")
        self.service = JobService(session_factory, self.recorder, self.executor, blobs)
        self.executor.start()
        self.log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - lives as long as the workers
        self.env = {**os.environ, **{f"HEIMDALL_{key.upper()}": str(value) for key, value in {
            "data_dir": tmp_path, "database_url": self.settings.database_url, "blob_url": self.settings.blob_url,
            "broker_url": broker_url, "job_queue_prefix": self.settings.job_queue_prefix,
            "job_modules": "heimdall.services.counting_job", "heartbeat_interval_s": 0.2,
            "heartbeat_timeout_s": 5, "job_event_publisher": self.settings.job_event_publisher,
            "log_level": "WARNING",
        }.items()}}
        self.workers: list[subprocess.Popen] = []
        for _ in range(workers):
            self.start_worker()

    @property
    def worker(self) -> subprocess.Popen:
        return self.workers[0]

    def start_worker(self, concurrency: int = 1) -> subprocess.Popen:
        """One more `heimdall worker`, in its own process group (so kill -9 can take its pool with it)."""
        worker = subprocess.Popen([str(HEIMDALL), "worker", "--queues", "cpu", "--concurrency", str(concurrency)],
                                  env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(worker)
        return worker

    def kill_9(self, worker: subprocess.Popen) -> None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=20)
        self.workers.remove(worker)

    def wait_status(self, job_id: str, *statuses: str, timeout_s: float = 60.0) -> dict:
        def reached():
            assert all(worker.poll() is None for worker in self.workers), "a celery worker exited"
            job = self.service.get(job_id)
            return job["status"] in statuses and job
        return wait_for(reached, timeout_s, f"job {job_id} in {statuses}")

    def close(self) -> None:
        self.executor.stop(timeout_s=5)
        for worker in self.workers:
            worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
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


def test_kill_9_of_two_busy_workers_loses_no_waiting_job(tmp_path):
    """Both workers run a job when a third is submitted; both are killed. With early acks each busy worker
    held the next message too and lost it with itself (the job stayed queued for the broker's one-hour
    visibility timeout); acked late and prefetched one at a time, it waits in the broker for the next worker.
    The reaper's resubmission is kept out of it (an hour), so this tests the reservations alone."""
    require_service("Redis", 6379)
    platform = CeleryPlatform(tmp_path, REDIS_URL, workers=2, job_resubmit_after_s=3600)
    try:
        service = platform.service
        busy = [service.create("test.count", {"total": 400, "step_delay_s": 0.05}) for _ in range(2)]
        running = [platform.wait_status(job["id"], "running") for job in busy]
        assert len({job["worker_id"] for job in running}) == 2  # one on each worker: nobody idles
        for job in busy:  # a first step done: each has a checkpoint to be requeued from
            wait_for(lambda job=job: (service.get(job["id"])["progress"] or {}).get("step", 0) >= 1, 60, "step 1")
        waiting = service.create("test.count", {"total": 3, "step_delay_s": 0.0})
        wait_for(lambda: _queue_length(platform) == 1, 30, "the waiting job's message in the broker")
        for worker in list(platform.workers):
            platform.kill_9(worker)
        assert service.get(waiting["id"])["status"] == "queued"
        platform.start_worker(concurrency=2)
        for job in (waiting, *busy):
            done = platform.wait_status(job["id"], "completed", "failed", timeout_s=120)
            assert done["status"] == "completed", done["reason"]
        assert service.get(waiting["id"])["attempt"] == 0
        assert all(service.get(job["id"])["attempt"] == 1 for job in busy)  # requeued from their checkpoints
    finally:
        platform.close()


def test_the_reaper_resubmits_a_job_queued_too_long_without_a_claim(tmp_path):
    require_service("Redis", 6379)
    platform = CeleryPlatform(tmp_path, REDIS_URL, workers=0, job_resubmit_after_s=2)
    try:
        job = platform.service.create("test.count", {"total": 3, "step_delay_s": 0.0})
        wait_for(lambda: _queue_length(platform) == 1, 30, "the job's message in the broker")
        _purge(platform)  # the message is lost (a broker restart without persistence, a dead reserver)
        platform.start_worker()
        done = platform.wait_status(job["id"], "completed", "failed", timeout_s=120)
        assert done["status"] == "completed" and done["attempt"] == 0, done["reason"]
    finally:
        platform.close()


def _queue_length(platform: CeleryPlatform) -> int:
    from kombu import Connection

    with Connection(platform.settings.broker_url, connect_timeout=5) as connection:
        name = platform.settings.job_queue_prefix + "cpu"
        return connection.default_channel.queue_declare(name, passive=False, durable=True).message_count


def _purge(platform: CeleryPlatform) -> None:
    from kombu import Connection

    with Connection(platform.settings.broker_url, connect_timeout=5) as connection:
        connection.default_channel.queue_purge(platform.settings.job_queue_prefix + "cpu")


def test_celery_worker_on_rabbitmq_runs_a_job(tmp_path):
    require_service("RabbitMQ", 5672)
    platform = CeleryPlatform(tmp_path, AMQP_URL)
    try:
        job = platform.service.create("test.count", {"total": 3, "step_delay_s": 0.0})
        done = platform.wait_status(job["id"], "completed", "failed")
        assert done["status"] == "completed" and done["result"]["count"] == 3, done["reason"]
    finally:
        platform.close()
