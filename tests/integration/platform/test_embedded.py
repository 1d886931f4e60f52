"""The whole embedded platform: `heimdall serve` on a fresh data dir (SQLite, local files, local worker
processes) runs a counting job that a /ws client watches through progress, pause, resume and completion."""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import httpx
import pytest


@pytest.mark.slow
def test_embedded_counting_job_over_ws(processes, helpers, tmp_path):
    env = helpers.env(data_dir=tmp_path / "data", job_modules="heimdall.services.counting_job",
                       demo_network="false", heartbeat_interval_s=0.5, log_level="INFO")
    server = processes("serve", "serve", env).wait_ready()
    children: set[int] = set()
    stop = threading.Event()

    def watch_children() -> None:  # the worker processes exist only while a job runs
        while not stop.is_set():
            children.update(helpers.descendants(server.process.pid))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch_children, daemon=True)
    watcher.start()
    outcome = asyncio.run(helpers.scenario(server.http_url, server.ws_url))
    stop.set()
    watcher.join()
    helpers.check(outcome)
    assert children, "the job should have run in a child process"

    # Ctrl-C stops cleanly: exit status 0, the app's shutdown ran, nothing left running.
    assert server.stop(signal.SIGINT) == 0, server.tail()
    assert "Application shutdown complete" in server.log_path.read_text()
    # multiprocessing's resource tracker notices its parent's exit a moment later: allow it a few seconds.
    deadline = time.monotonic() + 5.0
    while [pid for pid in children if helpers.pid_alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in children if helpers.pid_alive(pid)]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.http_url}/api/v1/health", timeout=2)


@pytest.mark.slow
def test_ctrl_c_pauses_a_running_job_and_the_next_start_resumes_it(processes, helpers, tmp_path):
    env = helpers.env(data_dir=tmp_path / "data", job_modules="heimdall.services.counting_job",
                       demo_network="false", heartbeat_interval_s=0.5)
    server = processes("serve", "serve-1", env).wait_ready()
    job = httpx.post(f"{server.http_url}/api/v1/jobs", json={
        "kind": "test.count", "params": {"total": 15, "step_delay_s": 0.1}}).json()["job"]
    deadline = time.monotonic() + 60
    while (httpx.get(f"{server.http_url}/api/v1/jobs/{job['id']}").json().get("progress") or {}).get("step", 0) < 2:
        assert time.monotonic() < deadline, server.tail()
        time.sleep(0.1)
    assert server.stop(signal.SIGINT) == 0, server.tail()

    again = processes("serve", "serve-2", env).wait_ready()
    deadline = time.monotonic() + 60
    while (current := httpx.get(f"{again.http_url}/api/v1/jobs/{job['id']}").json())["status"] != "completed":
        assert time.monotonic() < deadline, (current, again.tail())
        time.sleep(0.2)
    assert current["result"]["executed"] == list(range(1, 16)) and len(current["result"]["runs"]) == 2
    assert again.stop(signal.SIGTERM) == 0
