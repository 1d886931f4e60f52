"""Bad input never yields a 500 or a stack trace: one JSON error shape for every failure."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI


def _error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    assert "Traceback" not in response.text
    return body["error"]


def test_malformed_json(api):
    response = api.post("/api/v1/jobs", content=b'{"kind": "test.count",', headers={"content-type": "application/json"})
    error = _error(response, 422, "invalid_input")
    assert "JSON" in error["message"]


def test_unknown_fields_are_rejected_and_named(api):
    error = _error(api.post("/api/v1/jobs", json={"kind": "test.count", "colour": "red"}), 422, "invalid_input")
    assert error["details"]["field"] == "colour" and "colour" in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"kind": 5}, "kind"), ({"kind": "test.count", "params": [1, 2]}, "params"), ({}, "kind"),
     ({"kind": "test.count", "name": {"a": 1}}, "name")],
)
def test_wrong_types_and_missing_fields_name_the_field(api, body, field):
    error = _error(api.post("/api/v1/jobs", json=body), 422, "invalid_input")
    assert error["details"]["field"] == field


def test_unknown_job_kind_is_422(api):
    error = _error(api.post("/api/v1/jobs", json={"kind": "no.such.kind"}), 422, "invalid_input")
    assert error["details"]["field"] == "kind"


def test_bad_query_and_path_values(api):
    assert _error(api.get("/api/v1/jobs", params={"limit": 0}), 422, "invalid_input")["details"]["field"] == "limit"
    assert _error(api.get("/api/v1/jobs", params={"offset": -1}), 422, "invalid_input")["details"]["field"] == "offset"
    assert _error(api.get("/api/v1/jobs", params={"status": "sleeping"}), 422, "invalid_input")
    assert _error(api.get("/api/v1/jobs/not-a-uuid"), 422, "invalid_input")["details"]["field"] == "job_id"
    assert _error(api.get(f"/api/v1/jobs/{uuid.uuid4()}/events", params={"after": "x"}), 422, "invalid_input")


def test_oversized_bodies_are_413(api):
    big = {"kind": "test.count", "params": {"blob": "x" * (70 * 1024)}}
    _error(api.post("/api/v1/jobs", json=big), 413, "payload_too_large")

    def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(20):
            yield b"x" * 8192

    _error(api.post("/api/v1/jobs", content=chunks(), headers={"content-type": "application/json"}),
           413, "payload_too_large")


def test_unknown_routes_and_methods(api):
    assert "/api/v1/nothing-here" in _error(api.get("/api/v1/nothing-here"), 404, "not_found")["message"]
    _error(api.post("/api/v1/nothing/here", json={}), 404, "not_found")
    _error(api.get("/nothing"), 404, "not_found")
    _error(api.put("/api/v1/jobs", json={}), 405, "method_not_allowed")


def test_every_response_carries_a_request_id(api):
    response = api.get("/api/v1/health", headers={"x-request-id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    assert len(api.get("/api/v1/nothing").headers["x-request-id"]) >= 8


def test_unexpected_errors_are_500_in_the_same_shape_without_traceback(tmp_path):
    from heimdall.api.app import create_app
    from heimdall.api.server import ThreadedServer
    from heimdall.settings import Settings

    app: FastAPI = create_app(Settings(data_dir=tmp_path), static_dir=None)

    @app.get("/api/v1/boom")
    def boom() -> dict:
        raise RuntimeError("secret internals")

    with ThreadedServer(app) as server:
        response = httpx.get(f"{server.http_url}/api/v1/boom", headers={"x-request-id": "req-42"})
        unconfigured = httpx.get(f"{server.http_url}/api/v1/jobs")
    error = _error(response, 500, "internal")
    assert "secret internals" not in response.text and error["details"] == {"request_id": "req-42"}
    _error(unconfigured, 503, "dependency_missing")  # no job service configured: 503, not 500
