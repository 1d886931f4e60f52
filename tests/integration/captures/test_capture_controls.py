"""Bad capture requests answer 422 at once; pause answers 409 with its reason; cancel closes every
connection; a capture requeued after a lost worker fails instead of restarting; delete and the budget."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from heimdall.jobs.repository import JobRepository
from heimdall.jobs.runner import claim, run_job
from heimdall.services.captures.capture_job import LOST_REASON
from support.kiwi_fakes import FakeNetwork, register
from support.platform import api_client

NOWHERE = "http://127.0.0.1:9"


def _receivers(platform: Any, count: int = 3, **fields: Any) -> list[str]:
    return [platform.receivers.create({"name": f"kiwi{i}", "kind": "kiwisdr", "url": f"{NOWHERE}/{i}",
                                       "lat": 50.0 + i, "lon": 8.0 + 0.7 * i * i, **fields})["id"]
            for i in range(count)]


def test_bad_requests_answer_422_at_once(make_platform, expect_error) -> None:
    platform = make_platform(inline_jobs=False, local_workers=0)
    ids = _receivers(platform)
    other = platform.receivers.create({"name": "owrx", "kind": "openwebrx", "url": NOWHERE, "lat": 1, "lon": 2})["id"]
    no_gnss = platform.receivers.create({"name": "plain", "kind": "kiwisdr", "url": NOWHERE, "lat": 3, "lon": 4,
                                         "timing": "none", "capabilities": ["rss"]})["id"]
    good = {"receiver_ids": ids, "frequency_hz": 77_500, "duration_s": 5}
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    bad = [({"receiver_ids": [*ids[:2], "nope"]}, "receiver_ids"), ({"receiver_ids": [*ids[:2], other]}, "receiver_ids"),
           ({"receiver_ids": [*ids[:2], no_gnss]}, "receiver_ids"), ({"receiver_ids": ids[:2]}, "receiver_ids"),
           ({"duration_s": 0}, "duration_s"), ({"duration_s": 61}, "duration_s"), ({"duration_s": -1}, "duration_s"),
           ({"frequency_hz": 40e6}, "frequency_hz"), ({"frequency_hz": 0}, "frequency_hz"),
           ({"start_at": past}, "start_at"), ({"start_at": "soon"}, "start_at"), ({"network_id": "x"}, "receiver_ids"),
           ({"passband_hz": 50_000}, "passband_hz")]
    with api_client(platform) as http:
        for change, field in bad:
            response = http.post("/captures", json={**good, **change})
            code = "insufficient_data" if change.get("receiver_ids") in (ids[:2], [*ids[:2], no_gnss]) else "invalid_input"
            error = expect_error(response, 422, code)
            assert "\n" not in error["message"], field
        expect_error(http.post("/captures", json={**good, "bogus": 1}), 422, "invalid_input")
        only_other = platform.networks.create({"name": "owrx only", "receiver_ids": [other]})["id"]
        expect_error(http.post("/captures", json={"network_id": only_other, "frequency_hz": 77_500,
                                                  "duration_s": 5}), 422, "invalid_input")
        mixed = platform.networks.create({"name": "mixed", "receiver_ids": [*ids, other]})["id"]
        accepted = http.post("/captures", json={"network_id": mixed, "frequency_hz": 77_500, "duration_s": 5})
        assert accepted.status_code == 202 and accepted.json()["capture"]["receiver_ids"] == ids
        assert accepted.json()["capture"]["network_id"] == mixed
        expect_error(http.get("/captures/nope"), 404, "not_found")
        assert http.get("/captures").json()["total"] == 1


def test_pause_answers_409_and_a_queued_capture_can_be_cancelled_and_deleted(make_platform, expect_error) -> None:
    platform = make_platform(inline_jobs=False, local_workers=0)
    ids = _receivers(platform)
    with api_client(platform) as http:
        created = http.post("/captures", json={"receiver_ids": ids, "frequency_hz": 77_500, "duration_s": 5}).json()
        job_id = created["job"]["id"]
        assert created["capture"]["job_id"] == job_id and created["capture"]["status"] == "queued"
        assert [r["state"] for r in created["capture"]["receivers"]] == ["pending"] * 3
        error = expect_error(http.post(f"/jobs/{job_id}/pause"), 409, "conflict")
        assert "cannot pause" in error["message"]
        expect_error(http.delete(f"/captures/{created['capture']['id']}"), 409, "conflict")
        assert http.post(f"/jobs/{job_id}/cancel").json()["status"] == "cancelled"
        assert http.delete(f"/captures/{created['capture']['id']}").status_code == 204
        expect_error(http.get(f"/captures/{created['capture']['id']}"), 404, "not_found")


def test_the_per_host_budget_refuses_a_capture_over_it(make_platform, expect_error) -> None:
    platform = make_platform(inline_jobs=False, local_workers=0, kiwi_host_max_connections=1)
    ids = _receivers(platform)
    with api_client(platform) as http:
        assert http.post("/captures", json={"receiver_ids": ids, "frequency_hz": 77_500, "duration_s": 5}).status_code == 202
        error = expect_error(http.post("/captures", json={"receiver_ids": ids, "frequency_hz": 77_500,
                                                          "duration_s": 5}), 409, "conflict")
        assert "budget" in error["message"]


def test_a_capture_requeued_after_its_worker_was_lost_fails_instead_of_restarting(make_platform) -> None:
    platform = make_platform(inline_jobs=False, local_workers=0)
    created = platform.captures.create({"receiver_ids": _receivers(platform), "frequency_hz": 77_500, "duration_s": 5})
    job_id = created["job"]["id"]
    repository = JobRepository(platform.session_factory)
    # a worker claims it and checkpoints (as the job does first), then dies: the engine requeues it
    assert claim(repository, platform.publish, job_id, "w1:1", 15.0) is not None
    platform.blobs.put_bytes(f"jobs/{job_id}/checkpoint-1.bin", b'{"capture_id": "x"}')
    assert repository.set_checkpoint_key(job_id, "w1:1", f"jobs/{job_id}/checkpoint-1.bin")
    assert platform.jobs.worker_lost(job_id, "w1:1", "killed")["status"] == "queued"
    run_job(job_id, session_factory=platform.session_factory, publish=platform.publish, blobs=platform.blobs,
            heartbeat_interval_s=1.0, heartbeat_timeout_s=15.0)
    job = platform.jobs.get(job_id)
    assert job["status"] == "failed" and job["reason"] == LOST_REASON
    capture = platform.captures.get(created["capture"]["id"])
    assert capture["status"] == "failed" and capture["error"] == LOST_REASON


@pytest.mark.slow
def test_cancel_stops_a_running_capture_and_closes_every_connection(make_platform, fake_network: FakeNetwork) -> None:
    platform = make_platform(inline_jobs=False, local_workers=0)
    fakes = fake_network.start()
    created = platform.captures.create({"receiver_ids": register(platform, fakes), "frequency_hz": 77_500,
                                        "duration_s": 20})
    job_id, capture_id = created["job"]["id"], created["capture"]["id"]
    runner = threading.Thread(target=run_job, args=(job_id,), kwargs={
        "session_factory": platform.session_factory, "publish": platform.publish, "blobs": platform.blobs,
        "heartbeat_interval_s": 1.0, "heartbeat_timeout_s": 30.0})
    runner.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(r["state"] == "recording" for r in platform.captures.get(capture_id)["receivers"]):
            break
        time.sleep(0.2)
    platform.jobs.cancel(job_id)
    runner.join(timeout=60)
    assert not runner.is_alive()
    assert platform.jobs.get(job_id)["status"] == "cancelled"
    capture = platform.captures.get(capture_id)
    assert capture["status"] == "cancelled" and capture["error"] == "cancelled by request"
    assert all(r["state"] == "failed" and r["reason"] == "cancelled by request" for r in capture["receivers"])
    deadline = time.monotonic() + 30
    while any(f._active for f in fakes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(f._active for f in fakes)  # every connection closed


@pytest.mark.slow
def test_a_capture_at_start_at_records_that_window_without_locating(make_platform, fake_network: FakeNetwork) -> None:
    platform = make_platform()
    ids = register(platform, fake_network.start())
    start = datetime.now(UTC) + timedelta(seconds=4)
    created = platform.captures.create({"receiver_ids": ids[:1], "frequency_hz": 77_500, "duration_s": 3,
                                        "start_at": start.isoformat(), "locate": False})
    capture = platform.captures.get(created["capture"]["id"])
    assert capture["status"] == "completed" and capture["localization"] is None and capture["error"] is None
    assert capture["receivers"][0]["state"] == "done" and capture["receivers"][0]["has_recording"]
    meta = json.loads(platform.blobs.get_bytes(f"captures/{capture['id']}/{ids[0]}.sigmf-meta"))
    window_start = datetime.fromisoformat(meta["global"]["heimdall:window_start"])
    assert abs((window_start - start).total_seconds()) < 0.001


@pytest.mark.slow
def test_with_fewer_than_three_good_receivers_the_capture_fails_and_keeps_its_recording(
        make_platform, fake_network: FakeNetwork) -> None:
    platform = make_platform()
    fakes = fake_network.start(extra=[{"name": "DOWN", "refuse": "down"}, {"name": "WRONGPW", "password": "secret"},
                                      {"name": "FULL", "users_busy": 3}])
    ids = register(platform, [fakes[0], *fakes[3:]])
    created = platform.captures.create({"receiver_ids": ids, "frequency_hz": 77_500, "duration_s": 3})
    capture = platform.captures.get(created["capture"]["id"])
    assert capture["status"] == "failed" and capture["error"].startswith("no fix: only 1 receiver(s)")
    states = {r["name"]: r for r in capture["receivers"]}
    assert states["DF0KL"]["state"] == "done" and states["DF0KL"]["has_recording"]
    assert states["DOWN"]["state"] == "failed" and states["WRONGPW"]["state"] == "failed"
    assert "password" in states["WRONGPW"]["reason"].lower()
    assert states["FULL"]["state"] == "failed" and "free" in states["FULL"]["reason"]
    assert fakes[5].sessions == []  # its last free slot was never taken: no connection at all
    assert {e["receiver_id"] for e in capture["excluded"]} == set(ids[1:])
    assert platform.captures.recordings_zip(capture["id"])[:2] == b"PK"
