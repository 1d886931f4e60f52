"""The permission table covers every route: walked from the OpenAPI document, not listed by hand.

The only writes a viewer may send are their own, under /auth (setting their password).
"""

from __future__ import annotations

import re
from typing import Any

from heimdall.api.access import PUBLIC, READ_METHODS, needed_role

DUMMY_ID = "00000000-0000-4000-8000-000000000000"


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, item in openapi["paths"].items():
        concrete = "/api/v1" + re.sub(r"\{[^}]+\}", DUMMY_ID, path) if not path.startswith("/api/v1") \
            else re.sub(r"\{[^}]+\}", DUMMY_ID, path)
        found += [(method.upper(), concrete) for method in item if method in ("get", "post", "put", "patch", "delete")]
    return found


def test_every_route_needs_credentials_and_every_write_is_refused_to_a_viewer(secured, expect_error):
    with secured.client("admin") as admin:
        openapi = admin.get("/openapi.json").json()
    operations = _operations(openapi)
    assert len(operations) > 40  # the whole API, not a handful
    checked_writes = 0
    with secured.client() as anonymous, secured.client("viewer") as viewer:
        for method, path in operations:
            if (method, path) in PUBLIC:
                continue
            url = path.removeprefix("/api/v1")
            expect_error(anonymous.request(method, url), 401, "unauthorized")
            if method not in READ_METHODS and needed_role(method, path) != "viewer":
                expect_error(viewer.request(method, url, json={}), 403, "forbidden")
                checked_writes += 1
            elif method not in READ_METHODS:
                assert path.startswith("/api/v1/auth/"), f"{method} {path}: a write a viewer may send"
    assert checked_writes > 15


def test_a_viewer_reads_and_an_operator_writes(secured, expect_error):
    with secured.client("viewer") as viewer, secured.client("operator") as operator:
        assert viewer.get("/receivers").status_code == 200
        assert viewer.get("/jobs").status_code == 200
        created = operator.post("/networks", json={"name": "ops"})
        assert created.status_code == 201, created.text
        expect_error(operator.get("/users"), 403, "forbidden")
        expect_error(operator.get("/audit"), 403, "forbidden")


def test_routes_added_later_are_covered_by_their_prefix():
    assert needed_role("GET", "/api/v1/captures") == "viewer"
    assert needed_role("POST", "/api/v1/monitors/x/start") == "operator"
    assert needed_role("DELETE", "/api/v1//users//x") == "admin"
    assert needed_role("GET", "/api/v1/health") is None
    assert needed_role("GET", "/api/v2/anything") == "viewer"
    assert needed_role("GET", "/assets/app.js") is None
