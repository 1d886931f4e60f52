"""One scaled stack for the module: a moto S3 server, a fresh PostgreSQL schema, a `heimdall worker`
(Celery on Redis, queues cpu and gpu), Redis events and one `heimdall serve` API process.

The process, moto, PostgreSQL and /ws helpers are the suite's (tests/support); only the fixtures here
are module-scoped so datasets and training share one stack. Services are skipped when unreachable,
except under CI=true, where that fails the test.
"""

from __future__ import annotations

import signal
import uuid
from types import SimpleNamespace

import httpx
import pytest

from support.moto import moto_server
from support.postgres import postgres_schema
from support.processes import BIN, Processes, descendants, heimdall_env
from support.services import AWS_ENV, REDIS_URL, require_service
from support.ws import Watcher

WORKER_QUEUES = ("cpu", "gpu")  # what `heimdall worker` consumes by default (docs/registry.md)


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """Start processes through this; every one is stopped (SIGTERM, then SIGKILL) at module teardown."""
    processes = Processes(tmp_path_factory.mktemp("scaled-logs"))
    yield processes
    processes.stop_all()


@pytest.fixture(scope="module")
def postgres_schema_url():
    with postgres_schema("heimdall_features") as url:
        yield url


def _delete_queues(broker_url: str, prefix: str) -> None:
    from kombu import Connection

    with Connection(broker_url, connect_timeout=5) as connection:
        for queue in WORKER_QUEUES:
            connection.default_channel.queue_delete(prefix + queue)


@pytest.fixture(scope="module")
def stack(started, postgres_schema_url, tmp_path_factory):
    """The running stack: ``api`` (a ServeProcess), ``worker``, ``s3`` (a boto3 client on moto), ``bucket``,
    ``prefix`` (the blob store's key prefix in the bucket), ``http`` (an httpx client on /api/v1)."""
    require_service("Redis", 6379)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in AWS_ENV.items():
            patch.setenv(key, value)  # for boto3 in this process
        yield from _run_stack(started, postgres_schema_url, tmp_path_factory)


def _run_stack(started, database_url: str, tmp_path_factory):
    import boto3

    endpoint = started.enter(moto_server(started.log_dir))
    bucket, prefix = f"heimdall-features-{uuid.uuid4().hex[:10]}", "heimdall"
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket)
    queue_prefix = f"heimdall-features-{uuid.uuid4().hex[:10]}-"
    env = {**heimdall_env(
        data_dir=tmp_path_factory.mktemp("scaled-data"), database_url=database_url,
        blob_url=f"s3://{bucket}/{prefix}", s3_endpoint_url=endpoint, broker_url=REDIS_URL,
        events_url=REDIS_URL, job_queue_prefix=queue_prefix, demo_network="true",
        heartbeat_interval_s=0.5, log_level="INFO",
    ), **AWS_ENV, "OMP_NUM_THREADS": "1"}  # the machine is shared: one torch thread
    # No --queues: the default must cover both queues (training jobs go to ``gpu``).
    worker = started("worker", "worker", env, [str(BIN / "heimdall"), "worker", "--concurrency", "1"])
    api = started("serve", "api", env)
    try:
        api.wait_ready()
        with httpx.Client(base_url=f"{api.http_url}/api/v1", timeout=60) as http:
            yield SimpleNamespace(api=api, worker=worker, s3=s3, bucket=bucket, prefix=prefix, http=http,
                                  env=env)
    finally:
        # Before the schema goes (its fixture ends first): a process outliving its tables logs errors.
        api_status = api.stop(signal.SIGTERM)
        worker.stop(signal.SIGTERM)
        _delete_queues(REDIS_URL, queue_prefix)
    assert api_status == 0, api.tail()


@pytest.fixture
def s3_keys(stack):
    """``s3_keys(under)`` -> the sorted object keys below ``<prefix>/<under>`` in the stack's bucket."""

    def keys(under: str) -> list[str]:
        pages = stack.s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket,
                                                                  Prefix=f"{stack.prefix}/{under}")
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    return keys


@pytest.fixture
def g7_network_id(stack) -> str:
    """The G7 demo network that `heimdall serve` seeded into the empty schema."""
    networks = stack.http.get("/networks", params={"limit": 100}).json()["items"]
    g7 = [n["id"] for n in networks if n["name"] == "G7 demo"]
    assert g7, networks
    return g7[0]


@pytest.fixture
def platform_helpers():
    """The whole-platform helpers (``Watcher``, ``descendants``)."""
    return SimpleNamespace(Watcher=Watcher, descendants=descendants)
