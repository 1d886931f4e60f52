"""The lease reaper and restart recovery, with jobs put into each state by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from heimdall.jobs import leases
from heimdall.store.db import utcnow

PAST = {"lease_expires_at": None}


def lapse(force_state, job_id, status, **values):
    force_state(job_id, status, lease_expires_at=utcnow() - timedelta(seconds=1), **values)


@pytest.mark.parametrize(("status", "checkpoint", "expected", "reason"), [
    ("running", "jobs/x/c.bin", "queued", "worker lost; resuming from checkpoint"),
    ("running", None, "failed", "worker lost (heartbeat lapsed)"),
    ("pausing", "jobs/x/c.bin", "paused", "worker lost while pausing; resume continues from the last checkpoint"),
    ("pausing", None, "failed", "worker lost (heartbeat lapsed)"),
    ("cancelling", None, "cancelled", "cancelled (worker lost: heartbeat lapsed)"),
])
def test_reaper_resolves_lapsed_leases(service, force_state, executor, recorder, status, checkpoint,
                                       expected, reason):
    job = service.create("test.count", {"total": 3})
    lapse(force_state, job["id"], status, checkpoint_key=checkpoint)
    reaped = service.reap_lapsed()
    assert [(j["id"], j["status"]) for j in reaped] == [(job["id"], expected)]
    after = service.get(job["id"])
    assert after["status"] == expected and after["reason"] == reason
    assert recorder.named("job.state", job["id"])[-1]["previous_status"] == status
    if expected == "queued":
        assert after["attempt"] == 1 and executor.submitted.count(job["id"]) == 2


def test_reaper_leaves_live_leases_alone_and_gives_up_after_max_attempts(service, force_state):
    live = service.create("test.count", {"total": 3})
    force_state(live["id"], "running")
    tired = service.create("test.count", {"total": 3})
    lapse(force_state, tired["id"], "running", checkpoint_key="jobs/x/c.bin", attempt=2)
    assert [j["id"] for j in service.reap_lapsed()] == [tired["id"]]
    assert service.get(live["id"])["status"] == "running"
    assert service.get(tired["id"])["status"] == "failed"
    assert "3 times" in service.get(tired["id"])["reason"]


def test_recover_on_start_resolves_orphans_resumes_shutdown_pauses_and_resubmits(service, force_state,
                                                                                  executor):
    dead_here = f"{leases.HOST}:{2**22 + 12345}:dead"  # a pid that cannot exist on Linux
    orphan = service.create("test.count", {"total": 3})
    force_state(orphan["id"], "running", worker_id=dead_here, checkpoint_key="jobs/o/c.bin")
    remote = service.create("test.count", {"total": 3})
    force_state(remote["id"], "running", worker_id="another-host:1:live")
    shutdown = service.create("test.count", {"total": 3})
    force_state(shutdown["id"], "paused", resume_on_start=True)
    user_paused = service.create("test.count", {"total": 3})
    force_state(user_paused["id"], "paused")
    waiting = service.create("test.count", {"total": 3})
    executor.submitted.clear()
    summary = service.recover_on_start()
    assert summary["orphans"] == 1 and summary["resumed"] == 1
    assert service.get(orphan["id"])["status"] == "queued"
    assert service.get(remote["id"])["status"] == "running"
    assert service.get(shutdown["id"])["status"] == "queued"
    assert service.get(user_paused["id"])["status"] == "paused"
    assert {orphan["id"], shutdown["id"], waiting["id"]} <= set(executor.submitted)


def test_worker_id_liveness():
    mine = leases.new_worker_id()
    assert leases.is_certainly_dead(mine)
    leases.mark_live(mine)
    assert not leases.is_certainly_dead(mine)
    leases.mark_gone(mine)
    assert leases.is_certainly_dead(None)
    assert not leases.is_certainly_dead("other-host:1:x")
    assert not leases.is_certainly_dead("garbage")


def test_jobs_queued_too_long_without_a_claim_are_submitted_again_once(service, session_factory, executor, recorder,
                                                                         force_state, blobs):
    from heimdall.jobs.service import JobService

    stale = service.create("test.count", {"total": 3})
    fresh = service.create("test.count", {"total": 3})
    running = service.create("test.count", {"total": 3})
    force_state(stale["id"], "queued", updated_at=utcnow() - timedelta(seconds=300))
    force_state(running["id"], "running", updated_at=utcnow() - timedelta(seconds=300))
    executor.submitted.clear()
    other_reaper = JobService(session_factory, recorder, executor, blobs)  # a second API process
    first = service.resubmit_stale_queued(120)
    second = other_reaper.resubmit_stale_queued(120)
    assert [job["id"] for job in first] == [stale["id"]] and second == []
    assert executor.submitted == [stale["id"]]  # once, whoever reaps; neither the fresh nor the running job
    assert service.get(stale["id"])["status"] == "queued"
    # Marked as just submitted: it is submitted again only after another full period without a claim.
    assert service.resubmit_stale_queued(120) == []
    later = utcnow() + timedelta(seconds=121)
    assert {job["id"] for job in service.resubmit_stale_queued(120, now=later)} == {stale["id"], fresh["id"]}
