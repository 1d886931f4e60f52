"""Every allowed and forbidden transition of the job state machine, table-driven."""

from __future__ import annotations

import pytest

from heimdall.errors import Conflict
from heimdall.jobs import lifecycle
from heimdall.jobs.lifecycle import STATUSES, TRANSITIONS, USER_ACTIONS, next_status

# CONTRACT section 2, written out independently of the implementation's table.
EXPECTED_USER = {
    "pause": {"running": "pausing"},
    "resume": {"paused": "queued"},
    "cancel": {"queued": "cancelled", "paused": "cancelled", "running": "cancelling", "pausing": "cancelling"},
    "delete": {"paused": "deleted", "cancelled": "deleted", "completed": "deleted", "failed": "deleted"},
}
CASES = [(action, status) for action in TRANSITIONS for status in STATUSES]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_next_status_follows_the_table(action, status):
    target = TRANSITIONS[action].get(status)
    if target is None:
        with pytest.raises(Conflict) as caught:
            next_status(action, status, job_id="j1")
        assert status in caught.value.message and action in caught.value.message
        assert caught.value.details["allowed_from"] == list(TRANSITIONS[action])
    else:
        assert next_status(action, status) == target


def test_user_actions_match_the_contract():
    assert {action: TRANSITIONS[action] for action in USER_ACTIONS} == EXPECTED_USER


def test_worker_outcomes_never_leave_a_job_attached():
    for action in ("complete", "fail", "stop_paused", "stop_cancelled", "requeue"):
        for source, target in TRANSITIONS[action].items():
            assert source in lifecycle.ATTACHED
            assert target not in lifecycle.ATTACHED


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        next_status("explode", "queued")
    with pytest.raises(ValueError):
        lifecycle.allowed_from("explode")


def test_a_deleted_job_is_not_a_status():
    assert lifecycle.DELETED not in STATUSES
    assert not (lifecycle.ACTIVE & set(TRANSITIONS["delete"]))


@pytest.mark.parametrize(("action", "status"), [(a, s) for a in USER_ACTIONS for s in STATUSES])
def test_service_applies_each_user_action_or_refuses_with_409(service, force_state, recorder, action, status):
    job = service.create("test.count", {"total": 3})
    force_state(job["id"], status)
    expected = EXPECTED_USER[action].get(status)
    if expected is None:
        with pytest.raises(Conflict) as caught:
            getattr(service, action)(job["id"])
        assert caught.value.http_status == 409
        assert f"it is {status}" in caught.value.message
        assert service.get(job["id"])["status"] == status
        return
    result = getattr(service, action)(job["id"])
    if expected == "deleted":
        assert recorder.named("job.deleted", job["id"])[0]["id"] == job["id"]
        with pytest.raises(Exception) as missing:
            service.get(job["id"])
        assert getattr(missing.value, "code", "") == "not_found"
        return
    assert result["status"] == expected == service.get(job["id"])["status"]
    state = recorder.named("job.state", job["id"])[-1]
    assert (state["previous_status"], state["status"]) == (status, expected)
    assert state["reason"]
