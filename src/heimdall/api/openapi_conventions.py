"""What the OpenAPI document says beyond FastAPI's defaults: error responses and operation ids.

**Errors.** FastAPI documents only the success status and a 422 with its own validation schema,
but every route answers errors in the one shape of ``api/errors.py`` with the status of the
``heimdall.errors`` tree. ``declare_error_responses`` adds to every operation the error statuses it
can answer, each referring to one ``Error`` schema, by one rule (docs/resources.md, "Declared
errors") rather than a list per route, so routes added later are declared too:

- every operation: 422 (invalid input), 503 (a dependency, the storage or a budget failed);
- an operation on a resource (a path parameter) or one that writes: 404 (it, or a resource its body
  names, does not exist);
- an operation that writes (POST, PUT, PATCH, DELETE): 409 (the resource's state forbids it);
- an operation that takes a body (POST, PUT, PATCH): 400 (an unreadable body, e.g. broken
  multipart) and 413 (past the body size limit).

**Operation ids** are the route functions' names (``list_networks``, not FastAPI's
``list_networks_api_v1_networks_get``), so generated clients read well; a route function's name must
therefore be unique across the API (building the document raises on a duplicate).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import compile_path

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "description": "The one error shape of every failure (CONTRACT section 2).",
    "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "details"],
        "properties": {
            "code": {"type": "string", "description": "stable machine-readable code, e.g. not_found"},
            "message": {"type": "string", "description": "one line for a person"},
            "details": {"description": "what the code needs: the field at fault, limits, ids; may be null"},
        },
    }},
}
ERROR_DESCRIPTIONS = {
    400: "Unreadable request body", 404: "Not found", 409: "Conflict with the resource's state",
    413: "Request body too large", 422: "Invalid input", 503: "Service unavailable",
}
METHODS = frozenset({"get", "head", "post", "put", "patch", "delete", "options"})
WRITES = frozenset({"post", "put", "patch", "delete"})
TAKES_BODY = frozenset({"post", "put", "patch"})


def operation_id(route: APIRoute) -> str:
    """The route function's name; the same name for two different paths is a programming error."""
    return route.name


def error_statuses(path: str, method: str) -> list[int]:
    """The error statuses an operation can answer, by the rule of the module docstring."""
    statuses = {422, 503}
    if "{" in path or method in WRITES:
        statuses.add(404)
    if method in WRITES:
        statuses.add(409)
    if method in TAKES_BODY:
        statuses |= {400, 413}
    return sorted(statuses)


def declare_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the error responses of every operation (cached like FastAPI's)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _add_errors(document)
            _check_unique_operation_ids(document)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _add_errors(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    # Our 422 is the error shape, not FastAPI's validation list: its schemas would mislead a client.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    reference = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method):
                responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status],
                                          "content": {"application/json": {"schema": reference}}}
            # an error a route declares itself (e.g. 404 when single sign-on is off) has the one shape too
            for status, response in responses.items():
                if status.isdigit() and int(status) in ERROR_DESCRIPTIONS and "content" not in response:
                    response["content"] = {"application/json": {"schema": reference}}
            operation["responses"] = dict(sorted(responses.items()))


def _check_unique_operation_ids(document: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            other = seen.setdefault(operation["operationId"], where)
            if other != where:
                raise RuntimeError(f"two routes share the operation id {operation['operationId']!r}: "
                                   f"{other} and {where}; rename one route function")


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """The methods the API documents for ``path`` (empty when no documented path matches it): the
    ``Allow`` of a 405, whichever route answered it."""
    allowed: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        if compile_path(template)[0].match(path):
            allowed |= {method.upper() for method in operations if method in METHODS}
    return allowed
