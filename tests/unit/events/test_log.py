from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from heimdall.errors import InvalidInput
from heimdall.events.log import MIN_RETENTION_S, EventLog, json_safe

JOB_A = "job:00000000-0000-4000-8000-00000000000a"
JOB_B = "job:00000000-0000-4000-8000-00000000000b"


def _fill(event_log: EventLog) -> list[dict]:
    return [
        event_log.append(JOB_A, "job.created", {"id": "a"}),
        event_log.append(JOB_A, "job.progress", {"step": 1}),
        event_log.append("datasets", "dataset.created", {"id": "d"}),
        event_log.append(JOB_B, "job.state", {"id": "b", "status": "running"}),
        event_log.append(JOB_A, "job.metrics", {"epoch": 0}),
    ]


def test_append_gives_increasing_ids_and_full_envelopes(event_log):
    envelopes = _fill(event_log)
    ids = [envelope["id"] for envelope in envelopes]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for envelope in envelopes:
        assert set(envelope) == {"id", "event", "topic", "timestamp", "data"}
        assert envelope["timestamp"].endswith("Z") and len(envelope["timestamp"]) == 24
    # What the log returns later is byte-for-byte what append returned.
    assert event_log.read_after(0) == envelopes


def test_replay_routes_jobs_to_lifecycle_events_only(event_log):
    envelopes = _fill(event_log)
    jobs = event_log.replay(["jobs"], 0)
    assert [e["event"] for e in jobs] == ["job.created", "job.state"]
    job_a = event_log.replay([JOB_A], 0)
    assert [e["event"] for e in job_a] == ["job.created", "job.progress", "job.metrics"]
    both = event_log.replay(["jobs", JOB_A], 0)
    assert [e["id"] for e in both] == [envelopes[i]["id"] for i in (0, 1, 3, 4)]
    assert event_log.replay([JOB_A], envelopes[1]["id"]) == [envelopes[4]]
    assert event_log.replay([JOB_A], 0, upto=envelopes[1]["id"]) == envelopes[:2]
    assert event_log.replay(["models"], 0) == []


def test_job_events_history_and_total(event_log):
    envelopes = _fill(event_log)
    items, total = event_log.job_events(JOB_A.removeprefix("job:"), after=0, limit=2)
    assert total == 3 and items == envelopes[:2]
    items, total = event_log.job_events(JOB_A.removeprefix("job:"), after=envelopes[1]["id"])
    assert total == 1 and items == [envelopes[4]]


def test_prune_keeps_at_least_a_day(event_log):
    _fill(event_log)
    assert event_log.prune(1.0) == 0  # clamped to 24 h: nothing is that old
    later = datetime.now(UTC) + timedelta(seconds=MIN_RETENTION_S + 60)
    assert event_log.prune(1.0, now=later) == 5
    assert event_log.bounds() == (None, 0)


def test_cursor_too_old_after_pruning(event_log):
    envelopes = _fill(event_log)
    assert event_log.cursor_too_old(0, envelopes[-1]["id"]) == (False, envelopes[0]["id"])
    later = datetime.now(UTC) + timedelta(seconds=MIN_RETENTION_S + 60)
    event_log.prune(0, now=later)
    fresh = event_log.append("models", "model.registered", {"id": "m"})
    too_old, oldest = event_log.cursor_too_old(2, fresh["id"])
    assert too_old and oldest == fresh["id"]
    assert event_log.cursor_too_old(fresh["id"] - 1, fresh["id"]) == (False, fresh["id"])
    assert fresh["id"] > envelopes[-1]["id"]  # ids are never reused after pruning


def test_json_safe_replaces_non_finite_and_rejects_objects():
    assert json_safe({"loss": math.nan, "x": [1.0, math.inf], "k": (1, "a")}) == {
        "loss": None, "x": [1.0, None], "k": [1, "a"]}
    with pytest.raises(InvalidInput):
        json_safe({"when": datetime.now()})
