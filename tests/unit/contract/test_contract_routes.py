"""docs/CONTRACT.md is the project's own copy of the public contract: every REST route it lists exists.

The route table of section 2 is parsed as written (``GET/POST /receivers``, ``GET/PATCH/DELETE
/receivers/{id}``, ``POST /jobs/{id}/pause``, ``/resume``, ...) and each method and path is looked up in
the OpenAPI document the app generates. Routes that the contract lists but that are not built yet are
named in ``NOT_YET_BUILT``; that list must shrink, never hide a route that exists (a test checks both).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from heimdall.api.app import create_app
from heimdall.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[3]
CONTRACT = REPO_ROOT / "docs" / "CONTRACT.md"
API_PREFIX = "/api/v1"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}

# (method, path) pairs the contract lists that this build does not serve yet.
NOT_YET_BUILT: set[tuple[str, str]] = set()


def _rest_section(text: str) -> str:
    start = text.index("## 2. REST API")
    return text[start:text.index("## 3.", start)]


def _expand(cell: str) -> list[tuple[str, str]]:
    """``GET/POST /receivers``, ``GET/PATCH/DELETE /receivers/{id}``, ``POST /jobs/{id}/pause``, ``/resume``."""
    routes: list[tuple[str, str]] = []
    last_methods: list[str] = []
    last_path = ""
    for code in re.findall(r"`([^`]+)`", cell):
        head, _, rest = code.partition(" ")
        methods = head.split("/") if rest else []
        if methods and all(m in METHODS for m in methods):
            path = rest.split("?")[0].split(" ")[0]
            last_methods, last_path = methods, path
        elif code.startswith("/") and last_methods:
            # a bare sibling such as ``/resume`` after ``POST /jobs/{id}/pause``
            path = last_path.rsplit("/", 1)[0] + code
            methods = last_methods
        else:
            continue
        routes += [(method, path) for method in methods]
    return routes


def contract_routes() -> list[tuple[str, str]]:
    rows = [line for line in _rest_section(CONTRACT.read_text()).splitlines() if line.startswith("| `")]
    routes: list[tuple[str, str]] = []
    for row in rows:
        routes += _expand(row.split("|")[1])
    return sorted(set(routes))


@functools.cache
def served_routes() -> frozenset[tuple[str, str]]:
    """Every (method, path) of the OpenAPI document, plus the routes it leaves out (``GET /metrics``)."""
    app = create_app(Settings(), static_dir=None)
    served = set()
    for path, operations in app.openapi()["paths"].items():
        local = re.sub(r"\{[^}]+\}", "{id}", path.removeprefix(API_PREFIX))
        served |= {(method.upper(), local) for method in operations}
    with TestClient(app) as http:
        if http.get("/metrics").status_code == 200:
            served.add(("GET", "/metrics"))
    return frozenset(served)


def test_the_contract_table_parses_into_many_routes() -> None:
    routes = contract_routes()
    assert ("POST", "/localize") in routes and ("POST", "/jobs/{id}/resume") in routes
    assert ("DELETE", "/receivers/{id}") in routes and ("GET", "/metrics") in routes
    assert len(routes) >= 35


@pytest.mark.parametrize("method,path", contract_routes())
def test_every_contract_route_is_served(method: str, path: str) -> None:
    served = served_routes()
    if (method, path) in NOT_YET_BUILT:
        assert (method, path) not in served, f"{method} {path} is served now: remove it from NOT_YET_BUILT"
    else:
        assert (method, path) in served, f"docs/CONTRACT.md lists {method} {path}, which the API does not serve"
