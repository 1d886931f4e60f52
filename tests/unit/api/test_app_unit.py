"""The app factory in-process (no server): error shapes, typed dependencies without a platform, static-path rules."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from heimdall.api.app import create_app
from heimdall.api.static import _reserved
from heimdall.settings import Settings


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(data_dir=tmp_path, max_body_bytes=100), static_dir=None)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_services_require_names_what_is_missing(client):
    for path, component in [("/api/v1/receivers", "receivers"), ("/api/v1/jobs", "jobs"),
                            ("/api/v1/models", "models"), ("/api/v1/datasets", "datasets")]:
        error = client.get(path).json()["error"]
        assert error["code"] == "dependency_missing" and f"the {component} service" in error["message"]


@pytest.mark.parametrize(("path", "reserved"), [
    ("api", True), ("api/v1/jobs", True), ("ws", True), ("metrics", True), ("", False),
    ("training/123", False), ("apis", False), ("assets/app.js", False),
])
def test_reserved_paths_never_fall_back_to_the_web_app(path, reserved):
    assert _reserved(path) is reserved


def test_unconfigured_services_answer_503_in_the_error_shape(client):
    response = client.get("/api/v1/jobs")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "dependency_missing"


def test_health_without_services_is_ok_but_says_unconfigured(client):
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["components"]["jobs"] == {"status": "unconfigured"}


def test_body_limits_and_bad_content_length(client):
    response = client.post("/api/v1/jobs", content=b"x" * 101, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    response = client.post("/api/v1/jobs", content=b"{}", headers={"content-length": "abc"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


def test_websocket_without_a_hub_is_closed(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws") as socket:
        socket.receive_text()
    assert closed.value.code == 1011


def test_openapi_lists_the_jobs_routes(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/events", "/api/v1/health"} <= set(paths)
