"""The OpenAPI document declares the error statuses routes answer, and operation ids that read well."""

from __future__ import annotations

import pytest
from fastapi import APIRouter

from heimdall.api.app import create_app
from heimdall.api.openapi_export import openapi_document
from heimdall.settings import Settings


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def _operation(document: dict, method: str, path: str) -> dict:
    return document["paths"][f"/api/v1{path}"][method]


def test_operation_ids_are_the_route_functions_names(document) -> None:
    assert _operation(document, "get", "/networks")["operationId"] == "list_networks"
    assert _operation(document, "post", "/jobs/{job_id}/cancel")["operationId"] == "cancel_job"
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) and not any("_api_v1_" in i for i in ids)


def test_errors_are_declared_with_the_one_error_shape(document) -> None:
    reference = {"$ref": "#/components/schemas/Error"}
    assert set(_operation(document, "get", "/networks")["responses"]) == {"200", "422", "503"}
    assert set(_operation(document, "get", "/networks/{network_id}")["responses"]) == {"200", "404", "422", "503"}
    assert set(_operation(document, "post", "/jobs/{job_id}/pause")["responses"]) == \
        {"200", "400", "404", "409", "413", "422", "503"}
    assert set(_operation(document, "delete", "/receivers/{receiver_id}")["responses"]) == \
        {"204", "404", "409", "422", "503"}
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status in {"400", "404", "409", "413", "422", "503"}:
                    assert response["content"]["application/json"]["schema"] == reference
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_jobs_routes_answer_declared_models(document) -> None:
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/jobs"):
            continue
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status < "300" and status != "204":
                    schema = response["content"]["application/json"]["schema"]
                    assert "$ref" in schema, f"{method.upper()} {path} has no response model"


def test_two_routes_with_one_function_name_are_refused(tmp_path) -> None:
    app = create_app(Settings(data_dir=tmp_path), static_dir=None)
    router = APIRouter()

    @router.get("/elsewhere/networks")
    def list_networks() -> dict:
        return {}

    app.include_router(router, prefix="/api/v1")
    with pytest.raises(RuntimeError, match="list_networks"):
        app.openapi()
