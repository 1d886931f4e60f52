"""JobService and the runner on a real SQLite file: create, run, pause/resume, cancel, delete, fail."""

from __future__ import annotations

import threading
import time

import pytest

from heimdall.errors import InvalidInput, NotFound
from heimdall.jobs.executors import InlineExecutor

RUN = {"heartbeat_interval_s": 0.2, "heartbeat_timeout_s": 5.0}


def inline(session_factory, recorder, blobs) -> InlineExecutor:
    return InlineExecutor(session_factory, recorder, blobs, **RUN)


def wait_for(predicate, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def start_in_thread(runner: InlineExecutor, job: dict) -> threading.Thread:
    thread = threading.Thread(target=runner.submit, args=(job["id"], job["kind"], job["queue"]))
    thread.start()
    return thread


def progress_step(service, job_id) -> int:
    progress = service.get(job_id)["progress"]
    return progress["step"] if progress else 0


def test_create_queues_submits_and_announces(service, executor, recorder):
    job = service.create("test.count", {"total": 2}, name="demo")
    assert job["status"] == "queued" and job["name"] == "demo" and job["queue"] == "cpu"
    assert executor.submitted == [job["id"]]
    assert recorder.named("job.created", job["id"])[0]["id"] == job["id"]
    assert job["created_at"].endswith("Z")


@pytest.mark.parametrize(("kind", "params", "field"), [
    ("no.such.kind", {}, "kind"), ("test.count", [1, 2], "params"), ("test.count", {"x": object()}, "params"),
])
def test_create_rejects_bad_input(service, kind, params, field):
    with pytest.raises(InvalidInput) as caught:
        service.create(kind, params)
    assert caught.value.field == field


def test_get_and_control_unknown_job_is_not_found(service):
    for call in (service.get, service.pause, service.resume, service.cancel, service.delete, service.metrics):
        with pytest.raises(NotFound):
            call("00000000-0000-0000-0000-000000000000")


def test_list_filters_pages_and_validates(service, force_state):
    jobs = [service.create("test.count", {"total": 1}) for _ in range(5)]
    force_state(jobs[0]["id"], "failed")
    items, total = service.list(status="queued", limit=2)
    assert total == 4 and len(items) == 2 and all(item["status"] == "queued" for item in items)
    assert service.list(kind="test.count", offset=4)[0][0]["id"] in {job["id"] for job in jobs}
    assert service.list(kind="other") == ([], 0)
    for bad in ({"status": "sleeping"}, {"offset": -1}, {"limit": 0}, {"limit": 5000}):
        with pytest.raises(InvalidInput):
            service.list(**bad)


def test_a_job_runs_to_completion_with_progress_and_metrics(service, session_factory, recorder, blobs):
    job = service.create("test.count", {"total": 6, "step_delay_s": 0.0, "emit_metrics": True})
    inline(session_factory, recorder, blobs).submit(job["id"], job["kind"], job["queue"])
    done = service.get(job["id"])
    assert done["status"] == "completed" and done["result"]["executed"] == [1, 2, 3, 4, 5, 6]
    assert done["finished_at"] and done["lease_expires_at"] is None
    progress = recorder.named("job.progress", job["id"])
    assert progress[-1] == {**progress[-1], "step": 6, "total": 6, "percent": 100.0}
    assert set(progress[0]) == {"phase", "step", "total", "percent", "eta_s", "message"}
    # Throttled to ~4/s, yet the final step is never dropped.
    assert len(progress) < 6
    assert [row["epoch"] for row in service.metrics(job["id"])] == [1, 2, 3, 4, 5, 6]
    assert recorder.named("job.metrics", job["id"])[2] == {"epoch": 3, "count": 3, "fraction": 0.5}
    states = [(e["previous_status"], e["status"]) for e in recorder.named("job.state", job["id"])]
    assert states == [("queued", "running"), ("running", "completed")]


def test_pause_then_resume_continues_from_the_checkpointed_step(service, session_factory, recorder, blobs,
                                                                executor):
    runner = inline(session_factory, recorder, blobs)
    job = service.create("test.count", {"total": 30, "step_delay_s": 0.02})
    thread = start_in_thread(runner, job)
    wait_for(lambda: progress_step(service, job["id"]) >= 3)
    assert service.pause(job["id"])["status"] == "pausing"
    thread.join(timeout=10)
    paused = service.get(job["id"])
    assert paused["status"] == "paused" and paused["has_checkpoint"] and paused["reason"] == "paused by request"
    resumed = service.resume(job["id"])
    assert resumed["status"] == "queued" and executor.submitted[-1] == job["id"]
    runner.submit(job["id"], job["kind"], job["queue"])
    result = service.get(job["id"])["result"]
    first, second = result["runs"]
    assert first and second[0] == first[-1] + 1
    assert result["executed"] == list(range(1, 31))


def test_cancel_while_queued_running_and_paused(service, session_factory, recorder, blobs):
    runner = inline(session_factory, recorder, blobs)
    queued = service.create("test.count", {"total": 3})
    assert service.cancel(queued["id"])["status"] == "cancelled"
    runner.submit(queued["id"], queued["kind"], queued["queue"])  # a stale submission must not run it
    assert service.get(queued["id"])["result"] is None

    running = service.create("test.count", {"total": 50, "step_delay_s": 0.02})
    thread = start_in_thread(runner, running)
    wait_for(lambda: progress_step(service, running["id"]) >= 2)
    assert service.cancel(running["id"])["status"] == "cancelling"
    thread.join(timeout=10)
    assert service.get(running["id"])["status"] == "cancelled"

    paused = service.create("test.count", {"total": 50, "step_delay_s": 0.02})
    thread = start_in_thread(runner, paused)
    wait_for(lambda: progress_step(service, paused["id"]) >= 2)
    service.pause(paused["id"])
    thread.join(timeout=10)
    assert service.cancel(paused["id"])["status"] == "cancelled"
    assert [e["status"] for e in recorder.named("job.state", paused["id"])][-1] == "cancelled"


def test_delete_removes_row_metrics_and_blobs_but_never_an_active_job(service, session_factory, recorder,
                                                                      blobs, force_state):
    job = service.create("test.count", {"total": 3, "step_delay_s": 0.0, "emit_metrics": True})
    inline(session_factory, recorder, blobs).submit(job["id"], job["kind"], job["queue"])
    assert blobs.list(f"jobs/{job['id']}/")
    service.delete(job["id"])
    assert blobs.list(f"jobs/{job['id']}/") == []
    assert recorder.named("job.deleted", job["id"])[0]["status"] == "completed"
    with pytest.raises(NotFound):
        service.metrics(job["id"])
    active = service.create("test.count", {"total": 3})
    for status in ("queued", "running", "pausing", "cancelling"):
        force_state(active["id"], status)
        with pytest.raises(Exception) as caught:
            service.delete(active["id"])
        assert caught.value.code == "conflict"


def test_failures_keep_the_reason_and_never_leak_a_traceback(service, session_factory, recorder, blobs):
    runner = inline(session_factory, recorder, blobs)
    crash = service.create("test.count", {"total": 5, "step_delay_s": 0.0, "fail_at": 3})
    runner.submit(crash["id"], crash["kind"], crash["queue"])
    failed = service.get(crash["id"])
    assert failed["status"] == "failed"
    assert failed["reason"] == "job crashed: RuntimeError: asked to fail at step 3"
    assert "Traceback" not in failed["error"]
    bad = service.create("test.count", {"total": "many"})
    runner.submit(bad["id"], bad["kind"], bad["queue"])
    assert service.get(bad["id"])["reason"].startswith("bad test.count params")


def test_a_worker_that_lost_its_lease_writes_nothing(service, session_factory, recorder, blobs, force_state):
    runner = inline(session_factory, recorder, blobs)
    job = service.create("test.count", {"total": 40, "step_delay_s": 0.02})
    thread = start_in_thread(runner, job)
    wait_for(lambda: progress_step(service, job["id"]) >= 2)
    force_state(job["id"], "running", worker_id="someone-else:1:xyz")
    thread.join(timeout=10)
    after = service.get(job["id"])
    assert after["status"] == "running" and after["worker_id"] == "someone-else:1:xyz"
    assert after["result"] is None
