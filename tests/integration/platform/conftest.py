"""Whole-platform helpers: the counting-job scenario driven over REST and /ws against `heimdall serve` /
`heimdall worker` subprocesses (started through the shared ``processes`` fixture, with the shared moto
and PostgreSQL fixtures of tests/support).

Scaled services are skipped when unreachable, except under CI=true, where that fails the test.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import httpx
import pytest
import websockets

from support.processes import descendants, heimdall_env, pid_alive
from support.services import AWS_ENV, REDIS_URL, require_service
from support.ws import Watcher


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


@pytest.fixture
def helpers():
    return SimpleNamespace(env=heimdall_env, scenario=counting_scenario, check=check_scenario,
                           descendants=descendants, pid_alive=pid_alive, redis_url=REDIS_URL,
                           aws_env=AWS_ENV, require_service=require_service)
