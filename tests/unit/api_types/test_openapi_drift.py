"""The committed ``frontend/openapi.json`` and ``frontend/src/api/generated/openapi.ts`` match the backend.

When one of these fails, the backend's REST surface changed: regenerate both with
``cd frontend && npm run gen:api`` (or ``python -m heimdall.api.openapi_export --out frontend/openapi.json``
then ``npm run gen:api -- --ts-only``), run ``npm run typecheck``, and commit the result.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from heimdall.api import openapi_export
from heimdall.events import asyncapi
from heimdall.api.app import create_app
from heimdall.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
FRONTEND = ROOT / "frontend"
SPEC = FRONTEND / "openapi.json"
GENERATED_TS = FRONTEND / "src" / "api" / "generated" / "openapi.ts"
CATALOG = FRONTEND / "events.json"
GENERATED_EVENTS_TS = FRONTEND / "src" / "api" / "generated" / "events.ts"
REGENERATE = "regenerate with `cd frontend && npm run gen:api` and commit the result"


def _diff(expected: str, actual: str, name: str) -> str:
    lines = difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"committed {name}", "fresh", lineterm="", n=1)
    return "\n".join(list(lines)[:60])


@pytest.fixture(scope="module")
def fresh_spec() -> str:
    return openapi_export.openapi_text()


def test_committed_openapi_json_matches_the_backend(fresh_spec) -> None:
    committed = SPEC.read_text(encoding="utf-8")
    assert committed == fresh_spec, f"frontend/openapi.json is stale; {REGENERATE}\n{_diff(committed, fresh_spec, SPEC.name)}"


def test_committed_event_catalog_matches_the_declared_events() -> None:
    fresh = asyncapi.render_catalog()
    committed = CATALOG.read_text(encoding="utf-8")
    assert committed == fresh, f"frontend/events.json is stale; {REGENERATE}\n{_diff(committed, fresh, CATALOG.name)}"
    catalog = json.loads(fresh)
    assert set(catalog["payloads"]) == set(catalog["system_events"]) | set(catalog["logged_events"])


def test_export_is_what_the_server_serves(fresh_spec, tmp_path) -> None:
    app = create_app(Settings(data_dir=tmp_path), static_dir=None)
    with TestClient(app) as http:
        served = http.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert json.loads(fresh_spec) == served.json()


def test_export_is_deterministic_and_names_the_web_apps_routes(fresh_spec) -> None:
    assert openapi_export.openapi_text() == fresh_spec
    document = json.loads(fresh_spec)
    accuracy = document["paths"]["/api/v1/networks/{network_id}/expected-accuracy"]["get"]
    schema = accuracy["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/AccuracyMap"}
    assert {"Receiver", "ReceiverCreate", "Network", "NetworkCreate", "AccuracyMap"} <= set(document["components"]["schemas"])


def test_cli_writes_the_same_text_to_a_file_and_to_stdout(fresh_spec, tmp_path, capsys) -> None:
    out = tmp_path / "openapi.json"
    assert openapi_export.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == fresh_spec
    assert openapi_export.main([]) == 0
    assert capsys.readouterr().out == fresh_spec


def _node_ready() -> str | None:
    """Why the TypeScript half cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (FRONTEND / "node_modules" / "openapi-typescript").is_dir():
        return "frontend/node_modules is absent (run `npm ci` in frontend/)"
    return None


def test_committed_typescript_matches_a_fresh_generation(tmp_path) -> None:
    reason = _node_ready()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must check the generated API types, but {reason}")
        pytest.skip(f"generated TypeScript not checked: {reason}")
    out, events_out = tmp_path / "openapi.ts", tmp_path / "events.ts"
    subprocess.run(["node", "scripts/gen-api.mjs", "--ts-only", "--out", str(out), "--events-out", str(events_out)],
                   cwd=FRONTEND, check=True, capture_output=True, text=True, timeout=120)
    for committed_path, fresh_path in ((GENERATED_TS, out), (GENERATED_EVENTS_TS, events_out)):
        committed = committed_path.read_text(encoding="utf-8")
        fresh = fresh_path.read_text(encoding="utf-8")
        name = committed_path.relative_to(ROOT)
        assert committed == fresh, f"{name} is stale; {REGENERATE}\n{_diff(committed, fresh, committed_path.name)}"
