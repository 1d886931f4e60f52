"""Pausing a training job mid-epoch and resuming it: it continues at the exact batch, repeats no epoch,
and ends with the very model an uninterrupted run gives (JobService + inline executor + SQLite + blobs)."""

from __future__ import annotations

from typing import Any

import pytest

from heimdall.jobs import context as job_context


class PauseAtFirstTrainingStep:
    """A listener of the real publisher: records every event and asks for a pause once training has begun."""

    def __init__(self, jobs) -> None:
        self.jobs = jobs
        self.armed = True
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, envelope: dict[str, Any]) -> None:
        topic, event, data = envelope["topic"], envelope["event"], envelope["data"]
        self.events.append((topic, event, data))
        if self.armed and event == "job.progress" and data.get("phase") == "train":
            self.armed = False
            self.jobs.pause(topic.split(":", 1)[1])


@pytest.fixture
def pausing(platform, monkeypatch):
    monkeypatch.setattr(job_context, "CONTROL_MIN_INTERVAL_S", 0.0)  # read the control at every check
    recorder = PauseAtFirstTrainingStep(platform.jobs)
    platform.publish.add_listener(recorder)
    return platform, recorder


def test_a_paused_training_job_resumes_at_the_exact_batch(pausing, tiny):
    from heimdall.training import checkpoint_summary

    platform, recorder = pausing
    dataset_id = platform.dataset()
    request = {"name": "paused", "dataset_ids": [dataset_id], **tiny}
    job = platform.training.start(request)
    assert job["status"] == "paused", job
    position = checkpoint_summary(platform.blobs.get_bytes(job["checkpoint_key"]))["position"]
    assert position["epoch"] == 0 and position["batch_index"] > 0 and position["global_step"] == position["batch_index"]
    assert platform.registry.find_by_job(job["id"]) is None

    mark = len(recorder.events)
    resumed = platform.jobs.resume(job["id"])
    assert resumed["id"] == job["id"] and platform.jobs.get(job["id"])["status"] == "completed"
    after = recorder.events[mark:]
    steps = [d["step"] for t, e, d in after if e == "job.progress" and d["phase"] == "train"]
    assert steps[0] == position["global_step"] + 1  # the next batch, not the start of the epoch
    epochs = [d["epoch"] for t, e, d in recorder.events if e == "job.metrics"]
    assert epochs == [1, 2]
    assert [m["epoch"] for m in platform.jobs.metrics(job["id"])] == [1, 2]
    model = platform.registry.find_by_job(job["id"])
    assert model is not None and platform.registry.list()["total"] == 1

    straight = platform.training.start({**request, "name": "straight"})
    assert straight["status"] == "completed"
    reference = platform.registry.find_by_job(straight["id"])
    assert model["metrics"]["val_loss"] == pytest.approx(reference["metrics"]["val_loss"], rel=1e-6)
    assert model["metrics"]["median_error_m"] == pytest.approx(reference["metrics"]["median_error_m"], rel=1e-6)


def test_cancelling_a_paused_training_job_registers_nothing(pausing, tiny):
    platform, _ = pausing
    job = platform.training.start({"name": "cancelled", "dataset_ids": [platform.dataset()], **tiny})
    assert job["status"] == "paused"
    assert platform.jobs.cancel(job["id"])["status"] == "cancelled"
    assert platform.registry.list()["total"] == 0
