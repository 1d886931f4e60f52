"""LocalExecutor with real child processes, on SQLite and (scaled) PostgreSQL."""

from __future__ import annotations

import os
import signal

from heimdall.jobs import leases

from .conftest import wait_for


def assert_continued(result: dict, total: int, runs: int) -> None:
    assert len(result["runs"]) == runs
    for before, after in zip(result["runs"], result["runs"][1:], strict=False):
        assert before and after and after[0] == before[-1] + 1
    assert result["executed"] == list(range(1, total + 1))


def test_runs_the_counting_job_to_completion_in_a_child_process(platform_factory):
    platform = platform_factory()
    platform.executor.start()
    job = platform.service.create("test.count", {"total": 5, "step_delay_s": 0.02, "emit_metrics": True})
    done = platform.wait_status(job["id"], "completed", "failed")
    assert done["status"] == "completed", done["reason"]
    assert done["result"]["executed"] == [1, 2, 3, 4, 5]
    assert done["worker_id"].split(":")[1] == str(os.getpid())  # claimed by this server's supervisor
    # Events of the child reach the server's publisher (relayed by the supervisor, so a moment after the
    # child's own write of the outcome to the database).
    def states():
        return [e["status"] for e in platform.recorder.named("job.state", job["id"])]
    wait_for(lambda: "completed" in states(), 10, "the completed job.state event")
    assert platform.recorder.named("job.progress", job["id"])[-1]["step"] == 5
    assert states() == ["running", "completed"]
    assert len(platform.service.metrics(job["id"])) == 5


def test_pause_mid_run_then_resume_continues_from_the_checkpoint(platform_factory):
    platform = platform_factory()
    platform.executor.start()
    job = platform.service.create("test.count", {"total": 40, "step_delay_s": 0.03})
    platform.wait_step(job["id"], 3)
    platform.service.pause(job["id"])
    paused = platform.wait_status(job["id"], "paused")
    assert paused["has_checkpoint"]
    platform.service.resume(job["id"])
    done = platform.wait_status(job["id"], "completed", "failed")
    assert done["status"] == "completed", done["reason"]
    assert_continued(done["result"], 40, runs=2)


def test_kill_9_of_the_worker_requeues_from_the_checkpoint_and_completes(platform_factory):
    platform = platform_factory()
    platform.executor.start()
    job = platform.service.create("test.count", {"total": 40, "step_delay_s": 0.03})
    platform.wait_step(job["id"], 3)
    pid = platform.executor.running_jobs()[job["id"]]
    os.kill(pid, signal.SIGKILL)
    def reasons():
        return [e["reason"] for e in platform.recorder.named("job.state", job["id"])]
    platform.wait_status(job["id"], "queued", "completed", timeout_s=30)
    done = platform.wait_status(job["id"], "completed", "failed")
    assert done["status"] == "completed", done["reason"]
    assert done["attempt"] == 1
    assert "worker lost; resuming from checkpoint" in reasons()
    assert_continued(done["result"], 40, runs=2)


def test_a_server_restart_runs_queued_jobs_and_resolves_orphans(platform_factory):
    first = platform_factory(local_workers=1)
    first.executor.start()
    service = first.service
    running = service.create("test.count", {"total": 60, "step_delay_s": 0.03})
    first.wait_step(running["id"], 2)
    queued = service.create("test.count", {"total": 3, "step_delay_s": 0.0})
    jobs = {name: service.create("test.count", {"total": 3, "step_delay_s": 0.0}) for name in
            ("paused", "shutdown_paused", "completed", "failed", "cancelled", "pausing", "cancelling")}
    dead_worker = f"{leases.HOST}:{os.getpid()}:gone"
    first.force_state(jobs["paused"]["id"], "paused")
    first.force_state(jobs["shutdown_paused"]["id"], "paused", resume_on_start=True)
    first.force_state(jobs["completed"]["id"], "completed")
    first.force_state(jobs["failed"]["id"], "failed")
    first.force_state(jobs["cancelled"]["id"], "cancelled")
    first.force_state(jobs["pausing"]["id"], "pausing", worker_id=dead_worker, checkpoint_key="jobs/x/c.bin")
    first.force_state(jobs["cancelling"]["id"], "cancelling", worker_id=dead_worker)
    first.close(hard=True)  # the server dies: its child is SIGKILLed, nothing is written

    second = platform_factory()
    summary = second.service.recover_on_start()
    assert summary["orphans"] == 3 and summary["resumed"] == 1
    second.executor.start()
    for job in (running, queued, jobs["shutdown_paused"]):
        done = second.wait_status(job["id"], "completed", "failed")
        assert done["status"] == "completed", done["reason"]
    assert len(second.service.get(running["id"])["result"]["runs"]) == 2
    expected = {"paused": "paused", "completed": "completed", "failed": "failed", "cancelled": "cancelled",
                "pausing": "paused", "cancelling": "cancelled"}
    assert {name: second.service.get(jobs[name]["id"])["status"] for name in expected} == expected


def test_stop_pauses_running_jobs_and_the_next_start_resumes_them(platform_factory):
    first = platform_factory()
    first.executor.start()
    job = first.service.create("test.count", {"total": 60, "step_delay_s": 0.03})
    first.wait_step(job["id"], 2)
    first.executor.stop(timeout_s=15)
    stopped = first.service.get(job["id"])
    assert stopped["status"] == "paused" and stopped["resume_on_start"]
    second = platform_factory()
    assert second.service.recover_on_start()["resumed"] == 1
    second.executor.start()
    done = second.wait_status(job["id"], "completed", "failed")
    assert done["status"] == "completed", done["reason"]
    assert_continued(done["result"], 60, runs=2)
