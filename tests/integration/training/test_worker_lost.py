"""A training job whose worker is killed (kill -9) before its first epoch checkpoint requeues and completes,
as dataset jobs do (issue 9 item 6): the job saves a start checkpoint before any work."""

from __future__ import annotations

import os
import signal
import time

from heimdall.training import is_start_checkpoint

from .conftest import TrainingPlatform

WAIT_S = 180.0


def _wait(predicate, what: str, timeout_s: float = WAIT_S, detail=lambda: None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout_s} s: {detail()}")


def test_a_training_job_killed_before_its_first_epoch_checkpoint_requeues_and_completes(make_platform, tiny):
    platform = TrainingPlatform(make_platform(inline_jobs=False, local_workers=1, heartbeat_interval_s=0.2,
                                              heartbeat_timeout_s=5.0))
    jobs = platform.jobs
    dataset_id = platform.dataset(num_samples=800)
    # One epoch of 80 batches of 8 (seconds on a loaded machine): the worker dies well before that epoch's checkpoint.
    request = {"name": "killed", "dataset_ids": [dataset_id], **tiny, "epochs": 1, "batch_size": 8}
    jobs.executor.start()
    try:
        job_id = platform.training.start(request)["id"]
        _wait(lambda: (jobs.get(job_id)["progress"] or {}).get("phase") == "train", "the training phase")
        pid = jobs.executor.running_jobs()[job_id]
        assert jobs.metrics(job_id) == []  # no epoch finished: only the start checkpoint exists
        assert is_start_checkpoint(platform.blobs.get_bytes(jobs.get(job_id)["checkpoint_key"]))
        os.kill(pid, signal.SIGKILL)
        done = _wait(lambda: (job := jobs.get(job_id))["status"] in ("completed", "failed") and job,
                     "the end", detail=lambda: jobs.get(job_id))
    finally:
        jobs.executor.stop(30)
    assert done["status"] == "completed", done["reason"]
    assert done["attempt"] == 1 and [m["epoch"] for m in jobs.metrics(job_id)] == [1]
    reasons = [e["data"].get("reason") for e in platform.publish.log.read_after(0, limit=1000)
               if e["event"] == "job.state" and e["data"]["id"] == job_id]
    assert "worker lost; resuming from checkpoint" in reasons
    assert platform.registry.find_by_job(job_id) is not None
