"""``/api/v1/references`` over a real server: the starter list at start, CRUD, the frequency filter, errors."""

from __future__ import annotations

import httpx


def test_a_fresh_server_lists_the_starter_references(make_server) -> None:
    server = make_server(starter_references=True)  # test platforms start without it (quieter event logs)
    with httpx.Client(base_url=server.http_url, timeout=20) as api:
        _check_starter_list(api)


def _check_starter_list(api: httpx.Client) -> None:
    page = api.get("/api/v1/references", params={"limit": 100}).json()
    names = {item["name"] for item in page["items"]}
    assert {"DCF77", "MSF", "WWVB", "WWV"} <= names and page["total"] == len(names)
    assert all(item["builtin"] for item in page["items"])
    near = api.get("/api/v1/references", params={"frequency_hz": 77_500}).json()
    assert [item["name"] for item in near["items"]] == ["DCF77"]

def test_create_read_update_delete(api, expect_error) -> None:
    body = {"name": "club beacon", "kind": "beacon", "lat": 48.1, "lon": 11.5, "frequencies_hz": [144_460_000]}
    created = api.post("/api/v1/references", json=body)
    assert created.status_code == 201, created.text
    reference = created.json()
    assert reference["builtin"] is False and reference["frequencies_hz"] == [144_460_000.0]
    path = f"/api/v1/references/{reference['id']}"
    assert api.get(path).json() == reference
    patched = api.patch(path, json={"eirp_dbm": 37.0, "eirp_sigma_db": 2.0}).json()
    assert (patched["eirp_dbm"], patched["eirp_sigma_db"], patched["name"]) == (37.0, 2.0, "club beacon")
    expect_error(api.post("/api/v1/references", json=body), 409, "conflict")
    assert api.delete(path).status_code == 204
    expect_error(api.get(path), 404, "not_found")

def test_bad_input_is_a_422_naming_the_field(api, expect_error) -> None:
    base = {"name": "x", "lat": 10.0, "lon": 10.0, "frequencies_hz": [1e6]}
    for change in ({"lat": 95.0}, {"frequencies_hz": []}, {"frequencies_hz": [1e6, 1e6]}, {"kind": "ufo"},
                   {"colour": "red"}, {"eirp_dbm": 1e9}):
        expect_error(api.post("/api/v1/references", json={**base, **change}), 422, "invalid_input")
    expect_error(api.get("/api/v1/references", params={"frequency_hz": -1}), 422, "invalid_input")
    assert api.get("/api/v1/references", params={"frequency_hz": 1e6}).json()["total"] == 0
