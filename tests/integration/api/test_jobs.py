"""Jobs REST over a real server: create (extension), list/filter/page, get, control, delete, history."""

from __future__ import annotations

import time
import uuid


def _create(api, **params) -> dict:
    response = api.post("/api/v1/jobs", json={"kind": "test.count", "params": params, "name": "count"})
    assert response.status_code == 202, response.text
    return response.json()["job"]


def test_create_get_list_and_filter(api):
    first, second = _create(api, total=3), _create(api, total=4)
    assert first["status"] == "queued" and first["kind"] == "test.count" and first["name"] == "count"
    assert api.get(f"/api/v1/jobs/{first['id']}").json()["id"] == first["id"]
    listed = api.get("/api/v1/jobs", params={"kind": "test.count", "status": "queued"}).json()
    assert listed["total"] == 2 and {job["id"] for job in listed["items"]} == {first["id"], second["id"]}
    page = api.get("/api/v1/jobs", params={"offset": 1, "limit": 1}).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    assert api.get("/api/v1/jobs", params={"status": "running"}).json() == {"items": [], "total": 0}
    assert api.get("/api/v1/jobs", params={"kind": "other"}).json()["total"] == 0


def test_forbidden_transitions_are_409_with_a_reason(api):
    job = _create(api, total=3)
    response = api.post(f"/api/v1/jobs/{job['id']}/pause")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict" and "queued" in error["message"]
    assert api.post(f"/api/v1/jobs/{job['id']}/resume").status_code == 409
    cancelled = api.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.post(f"/api/v1/jobs/{job['id']}/cancel").status_code == 409


def test_delete_then_404_and_history(api):
    job = _create(api, total=3)
    api.post(f"/api/v1/jobs/{job['id']}/cancel")
    history = api.get(f"/api/v1/jobs/{job['id']}/events").json()
    assert [e["event"] for e in history["items"]] == ["job.created", "job.state"]
    assert history["total"] == 2
    assert history["items"][1]["data"]["status"] == "cancelled"
    assert history["items"][1]["data"]["previous_status"] == "queued"
    after = api.get(f"/api/v1/jobs/{job['id']}/events", params={"after": history["items"][0]["id"]}).json()
    assert after["items"] == history["items"][1:] and after["total"] == 1
    assert api.delete(f"/api/v1/jobs/{job['id']}").status_code == 204
    missing = api.get(f"/api/v1/jobs/{job['id']}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.delete(f"/api/v1/jobs/{job['id']}").status_code == 404


def test_unknown_ids_are_404_everywhere(api):
    unknown = str(uuid.uuid4())
    for method, path in [("get", ""), ("delete", ""), ("post", "/pause"), ("post", "/resume"),
                         ("post", "/cancel"), ("get", "/metrics"), ("get", "/events")]:
        response = getattr(api, method)(f"/api/v1/jobs/{unknown}{path}")
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"


def test_a_running_job_reports_metrics(make_server):
    import httpx

    server = make_server(local_workers=1)
    with httpx.Client(base_url=server.http_url, timeout=20) as api:
        job = _create(api, total=3, step_delay_s=0.0, emit_metrics=True)
        deadline = time.monotonic() + 60
        while api.get(f"/api/v1/jobs/{job['id']}").json()["status"] != "completed":
            assert time.monotonic() < deadline, "the job did not complete"
            time.sleep(0.1)
        metrics = api.get(f"/api/v1/jobs/{job['id']}/metrics").json()
        assert metrics["total"] == 3 and [row["epoch"] for row in metrics["items"]] == [1, 2, 3]
        events = [e["event"] for e in api.get(f"/api/v1/jobs/{job['id']}/events").json()["items"]]
        assert events[0] == "job.created" and events.count("job.metrics") == 3 and events[-1] == "job.state"
