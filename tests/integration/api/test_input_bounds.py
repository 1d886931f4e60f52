"""Small inputs that used to cost a 500 or a wrong status (issue 9, item 7): huge offsets and cursors,
methods a path does not take, with and without the web app mounted."""

from __future__ import annotations

import uuid

import httpx
import pytest

from heimdall.api.pagination import MAX_OFFSET
from support.platform import assert_error

COLLECTIONS = ("receivers", "networks", "datasets", "jobs", "models", "localizations")


def _list_routes_with_offset(client: httpx.Client) -> list[str]:
    """Every GET operation of the OpenAPI document taking an ``offset`` query parameter."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    return [path for path, item in paths.items()
            if any(p["name"] == "offset" and p["in"] == "query" for p in item.get("get", {}).get("parameters", []))]


def test_offsets_past_64_bits_are_422_on_every_list_route(api):
    routes = _list_routes_with_offset(api)
    assert {f"/api/v1/{name}" for name in COLLECTIONS} <= set(routes)
    for route in routes:
        url = route.replace("{dataset_id}", str(uuid.uuid4()))
        for offset in (2**63, 2**64 + 5, MAX_OFFSET + 1):
            error = assert_error(api.get(url, params={"offset": offset}), 422, "invalid_input")
            assert error["details"]["field"] == "offset", (route, error)
        if "{" not in route:
            assert api.get(url, params={"offset": MAX_OFFSET}).json()["items"] == []


def test_a_huge_event_cursor_is_422(api):
    job = api.post("/api/v1/jobs", json={"kind": "test.count"}).json()["job"]
    error = assert_error(api.get(f"/api/v1/jobs/{job['id']}/events", params={"after": 2**63}), 422, "invalid_input")
    assert error["details"]["field"] == "after"


@pytest.mark.parametrize("with_web_app", [False, True])
def test_a_method_a_collection_does_not_take_is_405_naming_the_allowed_ones(make_server, tmp_path, with_web_app):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<html>heimdall app</html>")
    server = make_server(static_dir=dist if with_web_app else None)
    with httpx.Client(base_url=server.http_url, timeout=30) as client:
        for name in COLLECTIONS:
            response = client.put(f"/api/v1/{name}", json={})
            assert_error(response, 405, "method_not_allowed")
            assert "GET" in response.headers["allow"]
        assert client.put("/api/v1/receivers").headers["allow"] == "GET, POST"
        response = client.put(f"/api/v1/receivers/{uuid.uuid4()}", json={})
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "DELETE, GET, PATCH"
        assert_error(client.put("/api/v1/no-such-collection", json={}), 404, "not_found")


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/datasets", {"name": "d", "network_id": "n", "seed": False}, "seed"),
    ("/api/v1/datasets", {"name": "d", "network_id": "n", "num_samples": True}, "num_samples"),
    ("/api/v1/training-jobs", {"name": "t", "dataset_ids": ["d"], "seed": False}, "seed"),
    ("/api/v1/training-jobs", {"name": "t", "dataset_ids": ["d"], "epochs": True}, "epochs"),
    ("/api/v1/receivers", {"name": "r", "kind": "simulated", "lat": True, "lon": 7.0}, "lat"),
])
def test_booleans_are_refused_where_numbers_are_meant(api, path, body, field):
    error = assert_error(api.post(path, json=body), 422, "invalid_input")
    assert error["details"]["field"] == field and "must be a number, not" in error["message"]


def test_booleans_are_refused_in_the_configs_behind_the_routes():
    from heimdall.errors import InvalidInput
    from heimdall.synth.config import DatasetConfig
    from heimdall.training.config import TrainingConfig

    for options in ({"seed": False}, {"batch_size": True}, {"network": {"hidden_size": True}}, {"grad_clip_norm": True}):
        with pytest.raises(InvalidInput, match="must be a number, not"):
            TrainingConfig.from_dict(options)
    with pytest.raises(ValueError, match="must be a number, not false"):
        DatasetConfig(seed=False)
    assert DatasetConfig(seed=3, frequency_hz=100).frequency_hz == 100.0  # plain numbers still pass


def test_booleans_inside_lists_of_numbers_are_refused(api):
    body = {"name": "ref", "lat": 50.0, "lon": 9.0, "frequencies_hz": [77_500.0, True]}
    error = assert_error(api.post("/api/v1/references", json=body), 422, "invalid_input")
    assert error["details"]["field"] == "frequencies_hz" and "not booleans" in error["message"]
