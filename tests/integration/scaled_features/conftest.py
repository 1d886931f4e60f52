"""One scaled stack for the module: a moto S3 server, a fresh PostgreSQL schema, a `heimdall worker`
(Celery on Redis, queues cpu and gpu), Redis events and one `heimdall serve` API process.

The process, port and /ws helpers are the platform tests' (tests/integration/platform/conftest.py), loaded
from that file; only the fixtures here are module-scoped so datasets and training share one stack.
Services are skipped when unreachable, except under CI=true, where that fails the test.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import create_engine, text

_PLATFORM_CONFTEST = Path(__file__).resolve().parents[1] / "platform" / "conftest.py"
_spec = importlib.util.spec_from_file_location("heimdall_tests_platform_helpers", _PLATFORM_CONFTEST)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

WORKER_QUEUES = ("cpu", "gpu")  # what `heimdall worker` consumes by default (docs/registry.md)


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """Start processes through this; every one is stopped (SIGTERM, then SIGKILL) at module teardown."""
    log_dir = tmp_path_factory.mktemp("scaled-logs")
    processes: list = []

    def start(kind: str, name: str, env: dict[str, str], argv: list[str] | None = None):
        process = (helpers.ServeProcess(name, env, log_dir) if kind == "serve"
                   else helpers.Process(name, argv or [], env, log_dir))
        processes.append(process)
        return process

    yield start
    for process in reversed(processes):
        process.stop(signal.SIGTERM)


def _moto(started) -> str:
    port = helpers.free_port()
    moto = started("moto", "moto", {**os.environ, **helpers.AWS_ENV},
                   [str(helpers.BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return f"http://127.0.0.1:{port}"
        except OSError:
            assert moto.alive() and time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def postgres_schema_url():
    helpers.require_service("PostgreSQL", 5432)
    schema = f"heimdall_features_{uuid.uuid4().hex[:12]}"
    admin = create_engine(helpers.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{helpers.PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _delete_queues(broker_url: str, prefix: str) -> None:
    from kombu import Connection

    with Connection(broker_url, connect_timeout=5) as connection:
        for queue in WORKER_QUEUES:
            connection.default_channel.queue_delete(prefix + queue)


@pytest.fixture(scope="module")
def stack(started, postgres_schema_url, tmp_path_factory):
    """The running stack: ``api`` (a ServeProcess), ``worker``, ``s3`` (a boto3 client on moto), ``bucket``,
    ``prefix`` (the blob store's key prefix in the bucket), ``http`` (an httpx client on /api/v1)."""
    helpers.require_service("Redis", 6379)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in helpers.AWS_ENV.items():
            patch.setenv(key, value)  # for boto3 in this process
        yield from _run_stack(started, postgres_schema_url, tmp_path_factory)


def _run_stack(started, database_url: str, tmp_path_factory):
    import boto3

    endpoint = _moto(started)
    bucket, prefix = f"heimdall-features-{uuid.uuid4().hex[:10]}", "heimdall"
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket)
    queue_prefix = f"heimdall-features-{uuid.uuid4().hex[:10]}-"
    env = {**helpers.heimdall_env(
        data_dir=tmp_path_factory.mktemp("scaled-data"), database_url=database_url,
        blob_url=f"s3://{bucket}/{prefix}", s3_endpoint_url=endpoint, broker_url=helpers.REDIS_URL,
        events_url=helpers.REDIS_URL, job_queue_prefix=queue_prefix, demo_network="true",
        heartbeat_interval_s=0.5, log_level="INFO",
    ), **helpers.AWS_ENV, "OMP_NUM_THREADS": "1"}  # the machine is shared: one torch thread
    # No --queues: the default must cover both queues (training jobs go to ``gpu``).
    worker = started("worker", "worker", env, [str(helpers.BIN / "heimdall"), "worker", "--concurrency", "1"])
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
        _delete_queues(helpers.REDIS_URL, queue_prefix)
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
    """The platform conftest's helpers (``Watcher``, ``descendants``, ...)."""
    return helpers
