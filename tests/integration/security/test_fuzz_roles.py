"""Property-based requests to every route as each role: never a server error, never a refused role let in.

Operations come from the OpenAPI document; path parameters are UUIDs or arbitrary text, bodies
arbitrary JSON objects. For each role, a route whose rule (api/access.py) needs more answers 403,
and one it may use never answers 401/403 (the real handler ran and judged the input).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heimdall.api.access import PUBLIC, needed_role
from heimdall.services.users import role_at_least

EXAMPLES_PER_ROLE = 60
METHODS = ("get", "post", "put", "patch", "delete")
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=12)
PARAMETER = st.uuids().map(str) | st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=20)


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str]]:
    found = [(method.upper(), path) for path, item in openapi["paths"].items() for method in item if method in METHODS]
    return [(method, path) for method, path in found if (method, path) not in PUBLIC and "/auth/" not in path]


def _fill(path: str, values: list[str]) -> str:
    """``path`` with each ``{parameter}`` replaced by the next value, percent-encoded."""
    parts = iter(values)
    return re.sub(r"\{[^}]+\}", lambda _: quote(next(parts, "x"), safe=""), path)


def test_every_role_gets_answers_it_may_get_and_no_server_error(secured):
    with secured.client("admin") as admin:
        operations = _operations(admin.get("/openapi.json").json())
    clients = {role: secured.client(role) for role in ("viewer", "operator", "admin")}
    try:
        for role, client in clients.items():
            _fuzz(client, role, operations)
    finally:
        for client in clients.values():
            client.close()


def _fuzz(client: httpx.Client, role: str, operations: list[tuple[str, str]]) -> None:
    @settings(max_examples=EXAMPLES_PER_ROLE, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(operation=st.sampled_from(operations), values=st.lists(PARAMETER, min_size=3, max_size=3), body=JSON)
    def one_request(operation: tuple[str, str], values: list[str], body: Any) -> None:
        method, template = operation
        path = _fill(template, values)
        response = client.request(method, path.removeprefix("/api/v1"), json=body if method != "GET" else None)
        assert response.status_code < 500, f"{role} {method} {path}: {response.status_code} {response.text[:300]}"
        needed = needed_role(method, template)
        if needed is not None and not role_at_least(role, needed):
            assert response.status_code == 403, f"{role} {method} {path} got {response.status_code}"
        else:
            assert response.status_code not in (401, 403), f"{role} {method} {path}: {response.text[:300]}"

    one_request()
