"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"}}``.

HeimdallError keeps its own status and code; request validation becomes 422 ``invalid_input``
naming the fields; routing errors (404/405) and size limits use the same shape; anything
unexpected is a 500 ``internal`` whose traceback goes to the log, never to the client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from heimdall.errors import HeimdallError

log = logging.getLogger("heimdall.api")

HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
              415: "unsupported_media_type", 422: "invalid_input", 429: "too_many_requests"}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HeimdallError, _heimdall_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _heimdall_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HeimdallError)
    if exc.http_status >= 500:
        log.error("request failed: %s %s: %s", request.method, request.url.path, exc.message)
    return JSONResponse(exc.to_dict(), status_code=exc.http_status)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(error) for error in exc.errors()]
    if any(problem["type"] == "json_invalid" for problem in problems):
        message = "request body is not valid JSON"
    else:
        message = "invalid input: " + "; ".join(f"{p['field'] or p['location']}: {p['message']}" for p in problems)
    details = {"field": problems[0]["field"] if problems else None, "errors": problems}
    return JSONResponse(error_body("invalid_input", message, details), status_code=422)


def _problem(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ())]
    where = location[0] if location else "request"
    return {
        "location": where,
        "field": ".".join(location[1:]),
        "message": str(error.get("msg", "invalid")),
        "type": str(error.get("type", "invalid")),
    }


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "internal" if exc.status_code >= 500 else "bad_request")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route for {request.method} {request.url.path}"
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    log.error("unhandled error in %s %s (request %s)", request.method, request.url.path, request_id,
              exc_info=exc)
    body = error_body("internal", f"internal error (request id {request_id})", {"request_id": request_id})
    return JSONResponse(body, status_code=500)
