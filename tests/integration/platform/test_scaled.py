"""The whole scaled platform: PostgreSQL, S3 (moto server), a Celery worker (`heimdall worker`) on Redis,
Redis events and TWO API processes. The /ws client watches API #2 while the job is created through
API #1 and run by the Celery worker: every event crosses processes through the log and Redis."""

from __future__ import annotations

import asyncio
import signal
import uuid

import pytest

pytestmark = [pytest.mark.scaled, pytest.mark.slow]


def test_scaled_counting_job_over_ws(processes, helpers, tmp_path, postgres_url, moto_endpoint, monkeypatch):
    helpers.require_service("Redis", 6379)
    import boto3

    bucket = f"heimdall-platform-{uuid.uuid4().hex[:10]}"
    for key, value in helpers.aws_env.items():
        monkeypatch.setenv(key, value)
    boto3.client("s3", endpoint_url=moto_endpoint).create_bucket(Bucket=bucket)
    env = {**helpers.env(
        data_dir=tmp_path / "data", database_url=postgres_url, blob_url=f"s3://{bucket}/heimdall",
        s3_endpoint_url=moto_endpoint, broker_url=helpers.redis_url, events_url=helpers.redis_url,
        job_queue_prefix=f"heimdall-platform-{uuid.uuid4().hex[:10]}-", job_modules="heimdall.services.counting_job",
        demo_network="false", heartbeat_interval_s=0.5, log_level="INFO",
    ), **helpers.aws_env}
    worker = processes("worker", "worker", env, [str(heimdall_bin()), "worker", "--queues", "cpu",
                                                 "--concurrency", "1"])
    api_1 = processes("serve", "api-1", env).wait_ready()
    api_2 = processes("serve", "api-2", env).wait_ready()

    outcome = asyncio.run(helpers.scenario(api_1.http_url, api_2.ws_url))
    helpers.check(outcome)
    assert worker.alive(), worker.tail()
    # worker ids are "<host>:<pid>:<nonce>": the job ran in the Celery worker, not in an API process.
    runner_pid = int(outcome["job"]["worker_id"].split(":")[1])
    assert runner_pid in {worker.process.pid} | helpers.descendants(worker.process.pid)
    for api in (api_2, api_1):
        assert api.stop(signal.SIGTERM) == 0, api.tail()
    _delete_queue(env["HEIMDALL_BROKER_URL"], env["HEIMDALL_JOB_QUEUE_PREFIX"] + "cpu")


def heimdall_bin():
    import sys
    from pathlib import Path

    return Path(sys.executable).with_name("heimdall")


def _delete_queue(broker_url: str, queue: str) -> None:
    from kombu import Connection

    with Connection(broker_url, connect_timeout=5) as connection:
        connection.default_channel.queue_delete(queue)
