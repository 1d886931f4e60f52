"""Datasets and training on the scaled stack: PostgreSQL, S3 (moto server), a Celery worker on Redis,
Redis events and a real `heimdall serve`. Every job runs in the Celery worker; /ws sees its events
through Redis; shards, ONNX files and checkpoints are objects in the bucket."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
import websockets

pytestmark = [pytest.mark.scaled, pytest.mark.slow]

# A network that trains in a second or two (tests/integration/training): the plumbing matters, not accuracy.
TINY = {"epochs": 2, "batch_size": 64, "learning_rate": 0.003, "val_fraction": 0.2, "seed": 3,
        "pause_check_every": 2, "network": {"hidden_size": 16, "attention_heads": 2}}
ENDED = ("completed", "failed", "cancelled")


def _dataset_body(network_id: str, name: str, num_samples: int) -> dict[str, Any]:
    return {"name": name, "network_id": network_id, "num_samples": num_samples, "seed": 7,
            "realism": "ideal", "shard_size": 500}


async def _seen(watch, predicate, what: str) -> dict:
    """The first recorded message matching ``predicate``, else the next one to arrive."""
    for message in watch.messages:
        if predicate(message):
            return message
    return await watch.next(predicate, what)


async def _watch_job(stack, watcher_class, topics: list[str], path: str,
                     body: dict) -> tuple[dict, list[dict]]:
    """Subscribe to ``topics``, POST ``body`` to ``path`` (202 with a ``job``), follow ``job:<id>`` from its
    first event until the job ends; returns the 202 body and every message seen."""
    async with websockets.connect(stack.api.ws_url) as socket:
        watch = watcher_class(socket)
        await watch.next(lambda m: m["event"] == "connected", "connected")
        await socket.send(json.dumps({"op": "subscribe", "topics": topics}))
        await watch.next(lambda m: m["event"] == "subscribed", "subscribed")
        async with httpx.AsyncClient(base_url=f"{stack.api.http_url}/api/v1", timeout=60) as api:
            response = await api.post(path, json=body)
        assert response.status_code == 202, response.text
        job_id = response.json()["job"]["id"]
        await socket.send(json.dumps({"op": "subscribe", "topics": [f"job:{job_id}"], "after": 0}))
        finished = await _seen(watch, lambda m: m["event"] == "job.state" and m["data"]["id"] == job_id
                               and m["data"]["status"] in ENDED, f"the end of job {job_id}")
        assert finished["data"]["status"] == "completed", finished
        return response.json(), watch.messages


def _on_job_topic(messages: list[dict], job_id: str, event: str) -> list[dict]:
    return [m["data"] for m in messages if m["event"] == event and m["topic"] == f"job:{job_id}"]


def _wait_settled(http: httpx.Client, dataset_id: str, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dataset = http.get(f"/datasets/{dataset_id}").json()
        if dataset["status"] not in ("generating", "expanding"):
            return dataset
        time.sleep(0.2)
    raise AssertionError(f"dataset {dataset_id} still {dataset['status']}")


def _ran_in_worker(stack, job_id: str, helpers) -> dict:
    """The job as the API reports it, after checking that the Celery worker ran it (worker ids are
    ``<host>:<pid>:<nonce>``), not the API process."""
    job = stack.http.get(f"/jobs/{job_id}").json()
    runner_pid = int(job["worker_id"].split(":")[1])
    assert runner_pid in {stack.worker.process.pid} | helpers.descendants(stack.worker.process.pid), job
    assert runner_pid != stack.api.process.pid
    return job


def _shards_in_bucket(stack, s3_keys, dataset: dict) -> None:
    """The bucket holds exactly the dataset's registered shards, with their sizes."""
    keys = s3_keys(f"datasets/{dataset['id']}/")
    assert keys == [f"{stack.prefix}/{shard['key']}" for shard in dataset["shards"]]
    for shard in dataset["shards"]:
        head = stack.s3.head_object(Bucket=stack.bucket, Key=f"{stack.prefix}/{shard['key']}")
        assert head["ContentLength"] == shard["bytes"] > 0


def _check_reads(http: httpx.Client, dataset_id: str) -> None:
    page = http.get(f"/datasets/{dataset_id}/samples", params={"offset": 1990, "limit": 20}).json()
    assert page["total"] == 2000 and [s["sample_id"] for s in page["items"]] == list(range(1990, 2000))
    assert page["items"][0]["measurement_set"]["receivers"] and page["items"][0]["truth"]
    statistics = http.get(f"/datasets/{dataset_id}/statistics")
    assert statistics.status_code == 200, statistics.text
    body = statistics.json()
    assert body["dataset_id"] == dataset_id and body["num_samples"] == 2000
    assert sum(body["histograms"]["snr_db"]["counts"]) > 0


def test_dataset_generate_read_expand_delete(stack, g7_network_id, s3_keys, platform_helpers):
    created, messages = asyncio.run(_watch_job(stack, platform_helpers.Watcher, ["datasets"], "/datasets",
                                               _dataset_body(g7_network_id, "g7 scaled", 2000)))
    dataset_id, job_id = created["dataset"]["id"], created["job"]["id"]
    progress = _on_job_topic(messages, job_id, "job.progress")
    steps = [p["step"] for p in progress if p.get("phase") == "generate"]
    assert steps == sorted(steps) and steps[-1] == 2000, steps
    updates = [m["data"] for m in messages
               if m["event"] == "dataset.shard_added" and m["data"]["id"] == dataset_id]
    assert {500, 1000, 1500, 2000} <= {u["num_samples"] for u in updates}
    _ran_in_worker(stack, job_id, platform_helpers)
    dataset = _wait_settled(stack.http, dataset_id)
    assert dataset["status"] == "ready" and dataset["num_samples"] == 2000 and dataset["error"] is None
    assert [s["start_index"] for s in dataset["shards"]] == [0, 500, 1000, 1500]
    _shards_in_bucket(stack, s3_keys, dataset)
    _check_reads(stack.http, dataset_id)

    expand = stack.http.post(f"/datasets/{dataset_id}/expand", json={"num_samples": 500, "shard_size": 500})
    assert expand.status_code == 202, expand.text
    expanded = _wait_settled(stack.http, dataset_id)
    assert expanded["status"] == "ready" and expanded["num_samples"] == 2500, expanded
    _ran_in_worker(stack, expand.json()["job"]["id"], platform_helpers)
    page = stack.http.get(f"/datasets/{dataset_id}/samples", params={"offset": 2000, "limit": 500}).json()
    assert page["total"] == 2500 and [s["sample_id"] for s in page["items"]] == list(range(2000, 2500))
    _shards_in_bucket(stack, s3_keys, expanded)
    assert len(expanded["shards"]) == 5

    assert stack.http.delete(f"/datasets/{dataset_id}").status_code == 204
    assert s3_keys(f"datasets/{dataset_id}/") == []
    assert stack.http.get(f"/datasets/{dataset_id}").status_code == 404


def test_training_register_deploy_and_localize(stack, g7_network_id, s3_keys, platform_helpers):
    made = stack.http.post("/datasets", json=_dataset_body(g7_network_id, "g7 for training", 1000))
    assert made.status_code == 202, made.text
    dataset_id = made.json()["dataset"]["id"]
    assert _wait_settled(stack.http, dataset_id)["status"] == "ready"

    body = {"name": "scaled", "dataset_ids": [dataset_id], **TINY}
    created, messages = asyncio.run(_watch_job(stack, platform_helpers.Watcher, ["models"],
                                               "/training-jobs", body))
    assert created["job"]["kind"] == "training" and created["job"]["queue"] == "gpu", created
    job = _ran_in_worker(stack, created["job"]["id"], platform_helpers)
    assert [m["epoch"] for m in _on_job_topic(messages, job["id"], "job.metrics")] == [1, 2]
    model_id = job["result"]["model_id"]
    assert any(m["event"] == "model.registered" and m["data"]["id"] == model_id for m in messages)
    _model_in_bucket(stack, s3_keys, model_id, job["id"], dataset_id, g7_network_id)

    sample = stack.http.get(f"/datasets/{dataset_id}/samples", params={"limit": 1}).json()["items"][0]
    request = {**sample["measurement_set"], "method": "neural"}
    refused = stack.http.post("/localize", json=request)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_model", refused.text
    assert stack.http.post(f"/models/{model_id}/deploy").json()["deployed"] is True
    located = stack.http.post("/localize", json=request)
    assert located.status_code == 200, located.text
    result = located.json()
    assert result["method"].startswith("neural") and result["registered_model"]["id"] == model_id
    assert abs(result["lat"] - 45.0) < 1.0 and abs(result["lon"] - 7.5) < 1.5


def _model_in_bucket(stack, s3_keys, model_id: str, job_id: str, dataset_id: str, network_id: str) -> None:
    model = stack.http.get(f"/models/{model_id}").json()
    assert model["job_id"] == job_id and model["dataset_ids"] == [dataset_id]
    assert model["network_id"] == network_id and model["deployed"] is False
    keys = {key.rsplit("/", 1)[1]: key for key in s3_keys(f"models/{model_id}/")}
    assert set(keys) == {"model.onnx", "checkpoint.pt"}, keys
    for name, key in keys.items():
        head = stack.s3.head_object(Bucket=stack.bucket, Key=key)
        assert head["ContentLength"] == model["files"][name]["bytes"] > 1000
