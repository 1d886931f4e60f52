"""The web app's static build (``frontend/dist``) at ``/``, with SPA fallback to ``index.html``.

Registered after every API route; paths under ``/api``, ``/ws`` and ``/metrics`` never fall back,
so an unknown API route is still a JSON 404, and a known path asked with a method it does not take
(``PUT /api/v1/receivers``) is a 405 naming the allowed ones, as it is without the web app.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException

import heimdall
from heimdall.api.openapi_conventions import allowed_methods

RESERVED_PREFIXES = ("api/", "api", "ws", "metrics", "docs", "openapi.json")
DEFAULT_STATIC_DIR = Path(heimdall.__file__).resolve().parents[2] / "frontend" / "dist"
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
IMMUTABLE = "public, max-age=31536000, immutable"


def mount_spa(app: FastAPI, dist: Path) -> None:
    root = dist.resolve()
    index = root / "index.html"

    @app.api_route("/{path:path}", methods=_ALL_METHODS, include_in_schema=False)
    async def web_app(path: str, request: Request) -> FileResponse:
        if request.method not in ("GET", "HEAD") or _reserved(path):
            allowed = allowed_methods(app, f"/{path}")
            if allowed:
                raise HTTPException(405, f"{request.method} is not allowed on /{path}",
                                    headers={"Allow": ", ".join(sorted(allowed))})
            raise HTTPException(404, f"no route for {request.method} /{path}")
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            # Vite names every asset by its content hash: it never changes, so it is cached for good.
            caching = IMMUTABLE if path.startswith("assets/") else "no-cache"
            return FileResponse(candidate, headers={"Cache-Control": caching})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


def _reserved(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in RESERVED_PREFIXES)


