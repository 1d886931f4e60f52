"""Whole-platform fixtures: `heimdall serve` / `heimdall worker` subprocesses, a moto S3 server, a fresh
PostgreSQL schema, and the counting-job scenario driven over REST and /ws.

Scaled services are skipped when unreachable, except under CI=true, where that fails the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import create_engine, text

BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
RECV_TIMEOUT_S = 60.0


def require_service(name: str, port: int, host: str = "127.0.0.1") -> None:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        message = f"{name} at {host}:{port} is unreachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def heimdall_env(**settings) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEIMDALL_")}
    env.update({f"HEIMDALL_{key.upper()}": str(value) for key, value in settings.items()})
    return env


class Process:
    """A child process whose output goes to a log file; stopped with a signal, killed as a last resort."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGINT, timeout_s: float = 30.0) -> int:
        if self.alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        return self.process.returncode

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


class ServeProcess(Process):
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        super().__init__(name, [str(BIN / "heimdall"), "serve", "--port", str(self.port)], env, log_dir)
        self.http_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"

    def wait_ready(self, timeout_s: float = 60.0) -> ServeProcess:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.alive(), f"{self.name} exited:\n{self.tail()}"
            try:
                if httpx.get(f"{self.http_url}/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not become ready:\n{self.tail()}")


@pytest.fixture
def processes(tmp_path):
    """Start processes through this; every one is stopped (and checked) at teardown."""
    started: list[Process] = []

    def start(kind: str, name: str, env: dict[str, str], argv: list[str] | None = None) -> Process:
        process = ServeProcess(name, env, tmp_path) if kind == "serve" else Process(name, argv or [], env, tmp_path)
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop(signal.SIGTERM)


@pytest.fixture
def moto_endpoint(processes, tmp_path):
    port = free_port()
    moto = processes("moto", "moto", {**os.environ, **AWS_ENV},
                     [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return f"http://127.0.0.1:{port}"
        except OSError:
            assert moto.alive() and time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.1)


@pytest.fixture
def postgres_url():
    require_service("PostgreSQL", 5432)
    schema = f"heimdall_platform_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class Watcher:
    """A /ws client that records every message and waits for the ones a test expects."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.messages: list[dict] = []

    async def next(self, predicate, what: str) -> dict:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECV_TIMEOUT_S
        while True:
            remaining = deadline - loop.time()
            assert remaining > 0, f"timed out waiting for {what}; last: {self.messages[-5:]}"
            message = json.loads(await asyncio.wait_for(self.socket.recv(), remaining))
            self.messages.append(message)
            if predicate(message):
                return message

    async def state(self, job_id: str, status: str) -> dict:
        return await self.next(lambda m: m["event"] == "job.state" and m["data"]["id"] == job_id
                               and m["data"]["status"] == status, f"job {job_id} {status}")


async def counting_scenario(create_url: str, ws_url: str) -> dict:
    """Create a counting job through ``create_url``, watch it over ``ws_url``: progress, pause, resume,
    completion. Returns what the watcher saw."""
    async with websockets.connect(ws_url) as socket:
        watch = Watcher(socket)
        await watch.next(lambda m: m["event"] == "connected", "connected")
        await socket.send(json.dumps({"op": "subscribe", "topics": ["jobs"]}))
        await watch.next(lambda m: m["event"] == "subscribed", "subscribed")
        async with httpx.AsyncClient(base_url=create_url, timeout=30) as api:
            response = await api.post("/api/v1/jobs", json={"kind": "test.count",
                                                            "params": {"total": 30, "step_delay_s": 0.1}})
            assert response.status_code == 202, response.text
            job_id = response.json()["job"]["id"]
            await socket.send(json.dumps({"op": "subscribe", "topics": [f"job:{job_id}"], "after": 0}))
            await watch.next(lambda m: m["event"] == "job.progress" and m["data"]["step"] >= 3, "progress")
            assert (await api.post(f"/api/v1/jobs/{job_id}/pause")).status_code == 200
            await watch.state(job_id, "paused")
            paused_at = (await api.get(f"/api/v1/jobs/{job_id}")).json()["progress"]["step"]
            assert (await api.post(f"/api/v1/jobs/{job_id}/resume")).status_code == 200
            await watch.state(job_id, "running")
            await watch.state(job_id, "completed")
            job = (await api.get(f"/api/v1/jobs/{job_id}")).json()
    return {"job": job, "paused_at": paused_at, "messages": watch.messages, "job_id": job_id}


def check_scenario(outcome: dict) -> None:
    """The job counted every step exactly once across its two runs, and /ws told the whole story once."""
    job, messages, job_id = outcome["job"], outcome["messages"], outcome["job_id"]
    assert job["status"] == "completed" and job["result"]["count"] == 30
    assert job["result"]["executed"] == list(range(1, 31))  # resumed from the checkpoint, not from zero
    assert len(job["result"]["runs"]) == 2 and outcome["paused_at"] >= 3
    logged = [m for m in messages if m["id"] is not None]
    ids = [m["id"] for m in logged]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    for message in messages:
        assert set(message) == {"id", "event", "topic", "timestamp", "data"}
    states = [m["data"]["status"] for m in logged if m["event"] == "job.state" and m["data"]["id"] == job_id]
    assert states == ["running", "pausing", "paused", "queued", "running", "completed"]
    steps = [m["data"]["step"] for m in logged if m["event"] == "job.progress"]
    assert steps and steps[-1] == 30


def descendants(pid: int) -> set[int]:
    """Every live descendant process of ``pid`` (Linux /proc)."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


@pytest.fixture
def platform():
    from types import SimpleNamespace

    return SimpleNamespace(env=heimdall_env, scenario=counting_scenario, check=check_scenario,
                           descendants=descendants, pid_alive=pid_alive, redis_url=REDIS_URL,
                           aws_env=AWS_ENV, require_service=require_service)
